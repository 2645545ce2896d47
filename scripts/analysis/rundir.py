# SPDX-License-Identifier: GPL-2.0
"""The run-directory reader: setup.txt and each mode's files, parsed as
they are, with no interpretation: model.py derives the results."""

import json
import math
import os
import re
from dataclasses import dataclass

PAGE_KIB = 4
REGION_PAGES = 512  # 4 KiB pages per 2 MiB region (pfn >> 9)
DEFAULT_ORDER = 9
PHASES = ["before", "filled", "punched", "compacted", "allocated", "released"]
PAGEMAP_STAGES = [(0, "after filling"), (1, "after punching"),
                  (2, "after allocating hugepages")]


class InputError(Exception):
    """Missing or garbled input; main() reports it and exits 1."""


@dataclass
class ModeFiles:
    """Everything read from RUN/<mode>/."""
    mode: str
    rows: list                   # (index, latency_ns, success, pfn) per attempt
    summary: dict                # the module's summary.txt, values as strings
    order: int
    attempts: int
    timer_overhead_ns: object    # int or None
    summary_free_kib_before: object
    compaction_s: object         # float or None
    compaction_info: object      # compaction.txt's key=value, or None
    pagemaps: dict               # stage -> {region: pages}
    snaps: dict                  # phase -> {file: parsed or None}
    score_timeline: object
    compactor_status: object     # compactor_status.txt's key value, or None
    compaction_trace: list       # the kernel's mm_compaction_end events

def read_lines(path):
    """Lines of a text file, without the trailing newline."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: missing") from None
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None


def data_lines(path):
    """(line number, stripped line) for non-blank, non-'#' lines."""
    for n, line in enumerate(read_lines(path), 1):
        s = line.strip()
        if s and not s.startswith("#"):
            yield n, s


def parse_int(text, where):
    try:
        return int(text, 0) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise InputError(f"{where}: expected an integer, got {text!r}") from None


def parse_setup(path):
    """setup.txt: key=value lines, value = everything after the first '='."""
    setup = {}
    for n, line in data_lines(path):
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{path}:{n}: expected key=value, got {line!r}")
        setup[key.strip()] = value.strip()
    return setup


def parse_latencies(path):
    """latencies.txt -> list of (index, latency_ns, success, pfn, start_ns,
    late_ns); the last two are None in runs recorded before the module
    wrote them."""
    rows = []
    for n, line in data_lines(path):
        fields = line.split()
        where = f"{path}:{n}"
        if len(fields) not in (4, 6):
            raise InputError(f"{where}: expected '<index> <latency_ns> "
                             f"<success> <pfn> [<start_ns> <late_ns>]', got {line!r}")
        values = [parse_int(x, where) for x in fields] + [None] * (6 - len(fields))
        index, lat, ok, pfn = values[:4]
        if ok not in (0, 1):
            raise InputError(f"{where}: success must be 0 or 1, got {ok}")
        if lat < 0:
            raise InputError(f"{where}: negative latency {lat}")
        rows.append(tuple(values))
    return rows


def parse_module_summary(path):
    """summary.txt: 'key value' lines, values kept as strings."""
    summary = {}
    for n, line in data_lines(path):
        key, _, value = line.partition(" ")
        summary[key] = value.strip()
    if "attempts" not in summary:
        raise InputError(f"{path}: no 'attempts' line")
    parse_int(summary["attempts"], f"{path}: attempts")
    return summary


def summary_int(summary, key, path, default=None):
    if key not in summary or summary[key] == "":
        return default
    return parse_int(summary[key], f"{path}: {key}")


def parse_float_opt(value, where, what):
    """A float, or None for 'none', 'null', '-' or ''."""
    value = value.strip()
    if value.lower() in ("none", "null", "-", ""):
        return None
    try:
        x = float(value)
    except ValueError:
        raise InputError(f"{where}: bad {what} {value!r}") from None
    if not math.isfinite(x):
        raise InputError(f"{where}: bad {what} {value!r}")
    return x


def parse_compaction_info(path):
    """compaction.txt -> {key: value string}, or None if missing.  Every
    mode writes compaction_s=<seconds|none>; the proactive modes add
    method=, reached=, score_before= ... lines."""
    if not os.path.exists(path):
        return None
    info = {}
    for n, line in data_lines(path):
        key, sep, value = line.partition("=")
        if sep and key.strip():
            info.setdefault(key.strip(), (value.strip(), n))
    if "compaction_s" not in info:
        raise InputError(f"{path}: no compaction_s= line")
    value, n = info["compaction_s"]
    parse_float_opt(value, f"{path}:{n}", "compaction_s")
    return {k: v for k, (v, _) in info.items()}


def parse_compaction(path):
    """compaction.txt: 'compaction_s=<float>' or 'compaction_s=none'."""
    info = parse_compaction_info(path)
    if info is None:
        return None
    return parse_float_opt(info["compaction_s"], path, "compaction_s")


def parse_key_values(path):
    """'key value' lines (compactor_status) -> {key: int or string}; None if missing."""
    if not os.path.exists(path):
        return None
    values = {}
    for _, line in data_lines(path):
        key, _, value = line.partition(" ")
        value = value.strip()
        try:
            values[key] = int(value)
        except ValueError:
            values[key] = value
    return values


def parse_score_timeline(path):
    """score-timeline.txt: 't_s node score free_blocks' lines (score '-'
    when the module did not give one) and '# phase NAME t_s' markers.
    -> {"samples": [(t, node, score or None, free_blocks)], "phases": {name: t}},
    None if missing."""
    if not os.path.exists(path):
        return None
    samples, phases = [], {}
    for n, line in enumerate(read_lines(path), 1):
        f = line.split()
        where = f"{path}:{n}"
        if not f:
            continue
        if f[0] == "#":
            if len(f) == 4 and f[1] == "phase":
                phases[f[2]] = parse_float_opt(f[3], where, "phase time")
            continue
        if f[0].startswith("#"):
            continue
        if len(f) != 4:
            raise InputError(f"{where}: expected '<t_s> <node> <score> <free_blocks>', "
                             f"got {line!r}")
        t = parse_float_opt(f[0], where, "time")
        if t is None:
            raise InputError(f"{where}: bad time {f[0]!r}")
        score = None if f[2] == "-" else parse_int(f[2], where)
        samples.append((t, parse_int(f[1], where), score, parse_int(f[3], where)))
    return {"samples": samples, "phases": phases}


def parse_node_scores(path):
    """The module's fragmentation_score file -> {node: score}; None if missing."""
    if not os.path.exists(path):
        return None
    scores = {}
    for n, line in data_lines(path):
        f = line.split()
        if len(f) == 4 and f[0] == "Node" and f[2] == "score":
            scores[parse_int(f[1], f"{path}:{n}")] = parse_int(f[3], f"{path}:{n}")
    return scores


def parse_kthreads_cpu(path):
    """kthreads_cpu ("comm pid cpu_ns" lines) -> {comm: cpu_ns}; None if
    missing (runs recorded before it)."""
    if not os.path.exists(path):
        return None
    cpu = {}
    for n, line in data_lines(path):
        f = line.split()
        if len(f) != 3:
            raise InputError(f"{path}:{n}: expected 'comm pid cpu_ns', got {line!r}")
        cpu[f[0]] = cpu.get(f[0], 0) + parse_int(f[2], f"{path}:{n}")
    return cpu


def parse_pagemap(path):
    """pagemap-N.txt -> {region: pages}."""
    regions = {}
    for n, line in data_lines(path):
        fields = line.split()
        where = f"{path}:{n}"
        if len(fields) != 2:
            raise InputError(f"{where}: expected '<region> <pages>', got {line!r}")
        region, pages = (parse_int(x, where) for x in fields)
        if region < 0 or not 0 <= pages <= REGION_PAGES:
            raise InputError(f"{where}: region {region} pages {pages} out of range")
        regions[region] = regions.get(region, 0) + pages
        if regions[region] > REGION_PAGES:
            raise InputError(f"{where}: region {region} has more than "
                             f"{REGION_PAGES} pages")
    return regions


def parse_meminfo(path):
    """/proc/meminfo -> {key: value in kB (or count)}; None if missing."""
    if not os.path.exists(path):
        return None
    info = {}
    for n, line in data_lines(path):
        key, sep, rest = line.partition(":")
        fields = rest.split()
        if not sep or not fields:
            raise InputError(f"{path}:{n}: garbled meminfo line {line!r}")
        info[key.strip()] = parse_int(fields[0], f"{path}:{n}")
    return info


def parse_vmstat(path):
    """/proc/vmstat -> {counter: value}; None if missing."""
    if not os.path.exists(path):
        return None
    stat = {}
    for n, line in data_lines(path):
        fields = line.split()
        if len(fields) != 2:
            raise InputError(f"{path}:{n}: garbled vmstat line {line!r}")
        stat[fields[0]] = parse_int(fields[1], f"{path}:{n}")
    return stat


def parse_zone_table(path, cast):
    """buddyinfo / extfrag_index / unusable_index:
    'Node 0, zone   DMA32  v0 v1 ...' -> {'0/DMA32': [values]}; None if missing."""
    if not os.path.exists(path):
        return None
    table = {}
    for n, line in data_lines(path):
        head, sep, rest = line.partition(",")
        fields = rest.split()
        if not sep or len(fields) < 2 or fields[0] != "zone":
            raise InputError(f"{path}:{n}: garbled zone line {line!r}")
        try:
            values = [cast(x) for x in fields[2:]]
        except ValueError:
            raise InputError(f"{path}:{n}: garbled values in {line!r}") from None
        node = head.split()[-1]
        table[f"{node}/{fields[1]}"] = values
    return table


def parse_pcp_kib(path):
    """kB of free pages parked on per-CPU lists (zoneinfo "count:" lines,
    in 4 KiB pages), or None without a zoneinfo."""
    if not os.path.exists(path):
        return None
    pages = 0
    lines = read_lines(path)
    for line in lines:
        f = line.split()
        if len(f) == 2 and f[0] == "count:":
            pages += parse_int(f[1], path)
    return pages * 4


def parse_snapshots(mode_dir):
    """snap/<phase>/* -> {phase: {name: parsed or None}} for phases present."""
    snaps = {}
    for phase in PHASES:
        d = os.path.join(mode_dir, "snap", phase)
        if not os.path.isdir(d):
            continue
        snaps[phase] = {
            "meminfo": parse_meminfo(os.path.join(d, "meminfo")),
            "vmstat": parse_vmstat(os.path.join(d, "vmstat")),
            "buddyinfo": parse_zone_table(os.path.join(d, "buddyinfo"), int),
            "extfrag_index": parse_zone_table(os.path.join(d, "extfrag_index"), float),
            "unusable_index": parse_zone_table(os.path.join(d, "unusable_index"), float),
            "pcp_kib": parse_pcp_kib(os.path.join(d, "zoneinfo")),
            "node_scores": parse_node_scores(os.path.join(d, "fragmentation_score")),
            "kthreads_cpu": parse_kthreads_cpu(os.path.join(d, "kthreads_cpu")),
        }
    return snaps


def int_or_none(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


SKIPPED = "skipped.txt"


def skipped_modes(run_dir, setup):
    """{mode: reason} of the modes setup.txt lists that did not run on this
    kernel (their directory holds only skipped.txt, the reason)."""
    out = {}
    for mode in dict.fromkeys(setup.get("modes", "").split()):
        p = os.path.join(run_dir, mode, SKIPPED)
        if os.path.isfile(p):
            out[mode] = " ".join(read_lines(p)).strip() or "no reason given"
    return out


def find_modes(run_dir, setup):
    """Mode names: those of setup.txt's modes= (but the skipped ones), else
    the directories holding a latencies.txt, by name.  model.py puts them
    in report order."""
    listed = setup.get("modes", "").split()
    if listed:
        for mode in listed:
            if not os.path.isdir(os.path.join(run_dir, mode)):
                raise InputError(f"{run_dir}: mode {mode!r} listed in setup.txt "
                                 f"modes= has no directory")
        skipped = skipped_modes(run_dir, setup)
        return [m for m in dict.fromkeys(listed) if m not in skipped]
    found = sorted(d for d in os.listdir(run_dir)
                   if os.path.isfile(os.path.join(run_dir, d, "latencies.txt")))
    if not found:
        raise InputError(f"{run_dir}: no modes (setup.txt has no modes= and no "
                         f"<mode>/latencies.txt exists)")
    return found


TRACE_END_RE = re.compile(
    r"mm_compaction_end: zone_start=(0x[0-9a-f]+) migrate_pfn=(0x[0-9a-f]+) "
    r"free_pfn=(0x[0-9a-f]+) zone_end=(0x[0-9a-f]+), mode=(\w+) status=(\w+)")


def parse_compaction_trace(path):
    """The kernel's mm_compaction_end events (manual mode): one dict per zone."""
    ends = []
    for line in read_lines(path) if os.path.exists(path) else []:
        m = TRACE_END_RE.search(line)
        if m:
            start, mig, free, end = (int(x, 16) for x in m.groups()[:4])
            ends.append({"zone_start": start, "migrate_pfn": mig, "free_pfn": free,
                         "zone_end": end, "mode": m.group(5), "status": m.group(6)})
    return ends


def parse_mode(run_dir, mode):
    d = os.path.join(run_dir, mode)
    lat_path = os.path.join(d, "latencies.txt")
    sum_path = os.path.join(d, "summary.txt")
    rows = parse_latencies(lat_path)
    summary = parse_module_summary(sum_path)
    attempts = summary_int(summary, "attempts", sum_path)
    if len(rows) != attempts:
        raise InputError(f"mode {mode}: {lat_path} has {len(rows)} attempt lines "
                         f"but {sum_path} says attempts {attempts}")
    pagemaps = {}
    for stage, _ in PAGEMAP_STAGES:
        p = os.path.join(d, f"pagemap-{stage}.txt")
        if os.path.exists(p):
            pagemaps[stage] = parse_pagemap(p)
    return ModeFiles(
        mode=mode,
        rows=rows,
        summary=summary,
        order=summary_int(summary, "order", sum_path, DEFAULT_ORDER),
        attempts=attempts,
        timer_overhead_ns=summary_int(summary, "timer_overhead_ns", sum_path),
        summary_free_kib_before=summary_int(summary, "free_kib_before", sum_path),
        compaction_s=parse_compaction(os.path.join(d, "compaction.txt")),
        compaction_info=parse_compaction_info(os.path.join(d, "compaction.txt")),
        pagemaps=pagemaps,
        snaps=parse_snapshots(d),
        score_timeline=parse_score_timeline(os.path.join(d, "score-timeline.txt")),
        compactor_status=parse_key_values(os.path.join(d, "compactor_status.txt")),
        compaction_trace=parse_compaction_trace(os.path.join(d, "compaction-trace.txt")),
    )


def parse_run(run_dir):
    if not os.path.isdir(run_dir):
        raise InputError(f"{run_dir}: no such run directory")
    setup = parse_setup(os.path.join(run_dir, "setup.txt"))
    modes = [parse_mode(run_dir, m) for m in find_modes(run_dir, setup)]
    return setup, modes


def read_summary(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: missing") from None
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    return data

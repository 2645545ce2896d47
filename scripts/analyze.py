#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Analyze one khugehog run directory.

usage: analyze.py RUN [--no-plots] [--quiet]

Reads RUN/setup.txt and one RUN/<mode>/ directory per mode (latencies.txt,
summary.txt; optional: compaction.txt, pagemap-{0,1,2}.txt, snap/<phase>/,
score-timeline.txt, compactor_status.txt, compactor_timeline.txt), and
writes RUN/summary.json, RUN/report.md and RUN/plots/*.{png,svg}.  Any
optional file may be missing (runs from before it existed still analyze).
The report's main tables are printed to stdout as plain text.

Modes are reported in a fixed order: ondemand, manual, proactive-kernel-N
(ascending N), proactive-module-targeted, -node, -alloc, the -concurrent
variants, then any other mode.

Latency statistics are over successful allocations only, in microseconds,
with numpy's default (linear) percentile method, the one kmod/percentile.h
implements in the module.

Exit status: 0 on success, 1 on missing or garbled input, 2 on bad arguments.
"""

import argparse
import json
import math
import re
import os
import sys

import debian_python

try:
    import numpy as np
except ImportError:  # handled in main(): re-exec with Debian's python3
    np = None

REEXEC_GUARD = "KHUGEHOG_ANALYZE_REEXEC"

PAGE_KIB = 4
REGION_PAGES = 512  # 4 KiB pages per 2 MiB region (pfn >> 9)
DEFAULT_ORDER = 9

# (percent, label) in report order; p99.9 is permille 999.
PERCENTILES = [(5, "p5"), (10, "p10"), (25, "p25"), (30, "p30"), (40, "p40"),
               (50, "p50"), (60, "p60"), (75, "p75"), (80, "p80"), (90, "p90"),
               (95, "p95"), (99, "p99"), (99.9, "p99.9")]
JSON_LATENCY_KEYS = ["min", "mean", "sd", "max", "p50", "p90", "p99", "p99.9"]
VMSTAT_COUNTERS = ["compact_stall", "compact_success", "compact_fail",
                   "compact_migrate_scanned", "compact_free_scanned",
                   "pgmigrate_success"]
PHASES = ["before", "filled", "punched", "compacted", "allocated", "released"]
PAGEMAP_STAGES = [(0, "after filling"), (1, "after punching"),
                  (2, "after allocating hugepages")]
BASELINE_MODE = "ondemand"
HUGE_ORDER = 9  # hugepages gained / free blocks are counted in 2 MiB units
MODULE_STRATEGIES = ["targeted", "node", "alloc"]
# The compactor's own counters (compactor_status) copied into summary.json.
COMPACTOR_COUNTERS = ["pages_floor", "pages_migrated", "pgmigrate_success",
                      "blocks_emptied", "blocks_busy", "pages_soaked"]
COMPACTOR_EXTRA = ["passes", "passes_no_progress", "blocks_failed",
                   "hugepages_allocated", "alloc_failures", "compact_ns",
                   "target_reached_ns"]
# The targeted compactor's aim: kernel-counted migrations within 10% of the floor.
FLOOR_AIM = 1.1
SCORE_LINEAR_S = 10  # score-over-time: linear time axis up to here when runs are long
# The figures of the article this benchmark reproduces (p90, us).
ARTICLE_P90_US = {"ondemand": 1436, "manual": 5}


class InputError(Exception):
    """Missing or garbled input; main() reports it and exits 1."""


# ---------------------------------------------------------------- parsing

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
    """latencies.txt -> list of (index, latency_ns, success, pfn)."""
    rows = []
    for n, line in data_lines(path):
        fields = line.split()
        where = f"{path}:{n}"
        if len(fields) != 4:
            raise InputError(f"{where}: expected '<index> <latency_ns> "
                             f"<success> <pfn>', got {line!r}")
        index, lat, ok, pfn = (parse_int(x, where) for x in fields)
        if ok not in (0, 1):
            raise InputError(f"{where}: success must be 0 or 1, got {ok}")
        if lat < 0:
            raise InputError(f"{where}: negative latency {lat}")
        rows.append((index, lat, ok, pfn))
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
        }
    return snaps


def mode_sort_key(mode):
    """ondemand, manual, proactive-kernel-N by N, proactive-module-<strategy>
    in MODULE_STRATEGIES order, their -concurrent variants, then the rest
    (kept in the order given: the sort is stable)."""
    if mode == "ondemand":
        return (0, 0)
    if mode == "manual":
        return (1, 0)
    if mode.startswith("proactive-kernel-"):
        n = mode[len("proactive-kernel-"):]
        if n.isdigit():
            return (2, int(n))
    if mode.startswith("proactive-module-"):
        s = mode[len("proactive-module-"):]
        concurrent = s.endswith("-concurrent")
        s = s[:-len("-concurrent")] if concurrent else s
        if s in MODULE_STRATEGIES:
            return (4 if concurrent else 3, MODULE_STRATEGIES.index(s))
    return (5, 0)


def find_modes(run_dir, setup):
    """Mode names, in mode_sort_key order: those of setup.txt's modes=, else
    the directories holding a latencies.txt (sorted by name first)."""
    listed = setup.get("modes", "").split()
    if listed:
        for mode in listed:
            if not os.path.isdir(os.path.join(run_dir, mode)):
                raise InputError(f"{run_dir}: mode {mode!r} listed in setup.txt "
                                 f"modes= has no directory")
        return sorted(dict.fromkeys(listed), key=mode_sort_key)
    found = sorted(d for d in os.listdir(run_dir)
                   if os.path.isfile(os.path.join(run_dir, d, "latencies.txt")))
    if not found:
        raise InputError(f"{run_dir}: no modes (setup.txt has no modes= and no "
                         f"<mode>/latencies.txt exists)")
    return sorted(found, key=mode_sort_key)


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


def early_stop(ends):
    """The largest zone's scanners met in its first quarter: the free scanner
    found no free page on its way down (see README, the stride pattern)."""
    if not ends:
        return None
    z = max(ends, key=lambda e: e["zone_end"] - e["zone_start"])
    span = z["zone_end"] - z["zone_start"]
    met_at = (z["migrate_pfn"] - z["zone_start"]) / span if span > 0 else 1.0
    if met_at >= 0.25:
        return None
    return {"zone_start": z["zone_start"], "zone_end": z["zone_end"],
            "migrate_pfn": z["migrate_pfn"], "met_at_fraction": round(met_at, 4),
            "status": z["status"]}


def parse_mode(run_dir, mode):
    """Everything read from RUN/<mode>/."""
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
    return {
        "mode": mode,
        "rows": rows,
        "summary": summary,
        "order": summary_int(summary, "order", sum_path, DEFAULT_ORDER),
        "attempts": attempts,
        "timer_overhead_ns": summary_int(summary, "timer_overhead_ns", sum_path),
        "summary_free_kib_before": summary_int(summary, "free_kib_before", sum_path),
        "compaction_s": parse_compaction(os.path.join(d, "compaction.txt")),
        "compaction_info": parse_compaction_info(os.path.join(d, "compaction.txt")),
        "pagemaps": pagemaps,
        "snaps": parse_snapshots(d),
        "score_timeline": parse_score_timeline(os.path.join(d, "score-timeline.txt")),
        "compactor_status": parse_key_values(os.path.join(d, "compactor_status.txt")),
        "compaction_trace": parse_compaction_trace(os.path.join(d, "compaction-trace.txt")),
    }


def parse_run(run_dir):
    if not os.path.isdir(run_dir):
        raise InputError(f"{run_dir}: no such run directory")
    setup = parse_setup(os.path.join(run_dir, "setup.txt"))
    modes = [parse_mode(run_dir, m) for m in find_modes(run_dir, setup)]
    return setup, modes


# ---------------------------------------------------------------- statistics

def percentile(values, q):
    """numpy.percentile with its default (linear) method; q in percent.
    The single percentile implementation used for the report and the JSON."""
    return np.percentile(np.asarray(values, dtype=np.float64), q)


def latency_stats(latencies_ns):
    """Statistics of latencies given in ns, returned in us.
    Empty input -> count 0 and None for every value."""
    ns = np.asarray(latencies_ns, dtype=np.float64)
    stats = {"count": int(ns.size)}
    if ns.size == 0:
        stats.update({k: None for k in ("min", "max", "mean", "sd")})
        stats["percentiles"] = {label: None for _, label in PERCENTILES}
        return stats
    us = ns / 1000.0
    stats.update({"min": float(us.min()), "max": float(us.max()),
                  "mean": float(us.mean()), "sd": float(us.std(ddof=0))})
    pcts = percentile(ns, [q for q, _ in PERCENTILES]) / 1000.0
    stats["percentiles"] = {label: float(v)
                            for (_, label), v in zip(PERCENTILES, pcts)}
    return stats


def vmstat_delta(snaps):
    """vmstat(allocated) - vmstat(punched) for VMSTAT_COUNTERS; None values
    when either snapshot is missing, 0 for a counter absent from both."""
    after = snaps.get("allocated", {}).get("vmstat")
    before = snaps.get("punched", {}).get("vmstat")
    if after is None or before is None:
        return {c: None for c in VMSTAT_COUNTERS}
    return {c: after.get(c, 0) - before.get(c, 0) for c in VMSTAT_COUNTERS}


def counter_delta(snaps, first, last, counter):
    """vmstat counter at phase `last` minus at `first`; None without both."""
    a = snaps.get(first, {}).get("vmstat")
    b = snaps.get(last, {}).get("vmstat")
    if a is None or b is None:
        return None
    return b.get(counter, 0) - a.get(counter, 0)


def free_huge_blocks(snaps, phase):
    """Free blocks of order >= 9 in 2 MiB units (buddyinfo, all zones) at a
    phase, or None without its buddyinfo."""
    buddy = snaps.get(phase, {}).get("buddyinfo")
    return None if buddy is None else order_blocks(buddy, HUGE_ORDER)


def ratio_or_none(num, den):
    return num / den if num is not None and den else None


def mode_method(mode):
    if mode == "manual":
        return "compact_memory"
    if mode.startswith("proactive-kernel-"):
        return "proactive-kernel"
    if mode.startswith("proactive-module-"):
        return "proactive-module"
    return "none"


def info_float(info, key):
    return parse_float_opt(info.get(key, ""), "compaction.txt", key) if info else None


def info_bool(info, key):
    v = (info or {}).get(key)
    return None if v is None else v.strip().lower() in ("1", "y", "yes", "true")


def compaction_summary(m):
    """{"method", "time_to_target_s", "reached", "params", "score_before",
    "score_after"}: how the mode prepared memory and whether it reached
    its target (the proactive modes; None for the others)."""
    info = m["compaction_info"] or {}
    status = m["compactor_status"]
    method = info.get("method") or mode_method(m["mode"])
    out = {"method": method, "time_to_target_s": None, "reached": None, "params": {},
           "score_before": None, "score_after": None}
    if method == "proactive-kernel":
        out["time_to_target_s"] = info_float(info, "target_reached_s")
        out["reached"] = info_bool(info, "reached")
        for k in ("proactiveness", "wmark_low", "wmark_high", "settle_s", "timeout_s",
                  "waited_s"):
            if k in info:
                out["params"][k] = int_or_float(info[k])
    elif method == "proactive-module":
        ns = status.get("target_reached_ns") if status else None
        if not isinstance(ns, int):
            ns = int_or_none(info.get("target_reached_ns"))
        if ns is not None:
            out["reached"] = ns >= 0
            out["time_to_target_s"] = ns / 1e9 if ns >= 0 else None
        elif "reached" in info:
            out["reached"] = info_bool(info, "reached")
            out["time_to_target_s"] = m["compaction_s"] if out["reached"] else None
        for k in ("strategy", "concurrent", "waited_s", "timeout_s"):
            if k in info:
                out["params"][k] = int_or_float(info[k])
        if "strategy" not in out["params"] and status and "strategy" in status:
            out["params"]["strategy"] = status["strategy"]
        for k, v in sorted(info.items()):
            if k.startswith("param_"):
                out["params"][k[len("param_"):]] = int_or_float(v)
    # The node score (highest over nodes) before and after the compaction
    # step: compaction.txt, else the module's file in the snapshots.
    for key, phase in (("score_before", "punched"), ("score_after", "compacted")):
        v = int_or_none(info.get(key))
        if v is None:
            scores = m["snaps"].get(phase, {}).get("node_scores")
            v = max(scores.values()) if scores else None
        out[key] = v
    return out


def int_or_float(text):
    """'12' -> 12, '1.5' -> 1.5, anything else kept as a string."""
    for cast in (int, float):
        try:
            return cast(text)
        except (TypeError, ValueError):
            pass
    return text


def compactor_counters(m):
    """The compactor's counters from compactor_status.txt (proactive-module
    modes), None for the other modes or without the file."""
    status = m["compactor_status"]
    if status is None or mode_method(m["mode"]) != "proactive-module":
        return None
    out = {k: status.get(k) if isinstance(status.get(k), int) else None
           for k in COMPACTOR_COUNTERS}
    out.update({k: status[k] for k in COMPACTOR_EXTRA if isinstance(status.get(k), int)})
    return out


def free_kib_before(m):
    """Free memory right before the allocations: MemFree in
    snap/compacted/meminfo plus the pages on per-CPU lists, which MemFree
    leaves out and which 6.12's auto-tuned lists make large; else the
    module's free_kib_before."""
    snap = m["snaps"].get("compacted", {})
    info = snap.get("meminfo")
    if info and "MemFree" in info:
        return info["MemFree"] + (snap.get("pcp_kib") or 0)
    return m["summary_free_kib_before"]


def mode_results(m):
    """All derived per-mode numbers (unrounded)."""
    ok = [r for r in m["rows"] if r[2] == 1]
    failed = [r for r in m["rows"] if r[2] == 0]
    stats = latency_stats([r[1] for r in ok])
    free = free_kib_before(m)
    obtained_kib = stats["count"] * (1 << m["order"]) * PAGE_KIB
    snaps = m["snaps"]
    comp = compaction_summary(m)
    # pgmigrate_success over the compaction step (snap/punched ->
    # snap/compacted) and over it and the allocations (-> snap/allocated).
    migrated = {"compaction": counter_delta(snaps, "punched", "compacted", "pgmigrate_success"),
                "compaction_and_allocation": counter_delta(snaps, "punched", "allocated",
                                                           "pgmigrate_success")}
    before, after = free_huge_blocks(snaps, "punched"), free_huge_blocks(snaps, "compacted")
    gained = after - before if before is not None and after is not None else None
    counters = compactor_counters(m)
    # Migrations against the targeted compactor's floor: the kernel's count
    # over the compactor's session (its own pgmigrate_success), else over
    # the compaction step.
    floor_num = None
    if counters is not None:
        floor_num = counters.get("pgmigrate_success")
        if floor_num is None:
            floor_num = migrated["compaction"]
    return {
        "mode": m["mode"],
        "order": m["order"],
        "attempts": m["attempts"],
        "stop_reason": m["summary"].get("stop_reason"),
        "stats": stats,
        "failures": len(failed),
        "failed_rows": failed,
        "ok_rows": ok,
        "free_kib_before": free,
        "obtained_kib": obtained_kib,
        "pct_of_free": obtained_kib / free * 100 if free else None,
        "compaction_s": m["compaction_s"],
        "compaction": comp,
        "compaction_early_stop": early_stop(m.get("compaction_trace")),
        "pages_migrated": migrated,
        "hugepages_gained": gained,
        "pages_migrated_per_hugepage": ratio_or_none(migrated["compaction"], gained)
        if gained is not None and gained > 0 else None,
        "pages_migrated_per_hugepage_obtained": ratio_or_none(
            migrated["compaction_and_allocation"], stats["count"]),
        "compactor": counters,
        "migrated_over_floor": ratio_or_none(floor_num, (counters or {}).get("pages_floor")),
        "own_migrated_over_floor": ratio_or_none((counters or {}).get("pages_migrated"),
                                                 (counters or {}).get("pages_floor")),
        "score_timeline": m["score_timeline"],
        "vmstat_delta": vmstat_delta(m["snaps"]),
        "timer_overhead_ns": m["timer_overhead_ns"],
        "pagemaps": m["pagemaps"],
        "snaps": m["snaps"],
        "module_summary": m["summary"],
    }


def p90_ratios(results):
    """[(base, other, p90 base / p90 other)] with base = ondemand if present,
    else the first mode; the ratio is None when undefined."""
    names = [r["mode"] for r in results]
    base = results[names.index(BASELINE_MODE)] if BASELINE_MODE in names else results[0]
    out = []
    for r in results:
        if r is base:
            continue
        num = base["stats"]["percentiles"]["p90"]
        den = r["stats"]["percentiles"]["p90"]
        out.append((base, r, num / den if num is not None and den else None))
    return out


# ---------------------------------------------------------------- summary.json

def rnd(x):
    """Round floats to 3 decimals for JSON; keep ints and None."""
    if x is None or isinstance(x, int):
        return x
    x = float(x)
    return round(x, 3) if math.isfinite(x) else None


def int_or_none(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def mem_total_kib(setup, results):
    value = int_or_none(setup.get("mem_total_kib"))
    if value is not None:
        return value
    for r in results:
        for phase in PHASES:
            info = r["snaps"].get(phase, {}).get("meminfo")
            if info and "MemTotal" in info:
                return info["MemTotal"]
    return None


def targeted_vs_manual(results):
    """(manual, targeted, manual's pages migrated per hugepage gained /
    targeted's) when both modes ran, else None; the ratio is None when
    either figure is undefined."""
    by = {r["mode"]: r for r in results}
    man, tgt = by.get("manual"), by.get("proactive-module-targeted")
    if man is None or tgt is None:
        return None
    return man, tgt, ratio_or_none(man["pages_migrated_per_hugepage"],
                                   tgt["pages_migrated_per_hugepage"])


def build_summary(setup, results):
    ratios = {f"p90_{b['mode']}_over_{o['mode']}": rnd(v) for b, o, v in p90_ratios(results)}
    tm = targeted_vs_manual(results)
    if tm is not None:
        ratios["migrated_per_hugepage_manual_over_proactive-module-targeted"] = rnd(tm[2])
    modes = []
    for r in results:
        s = r["stats"]
        latency = {"min": s["min"], "mean": s["mean"], "sd": s["sd"], "max": s["max"]}
        latency.update({k: s["percentiles"][k] for k in ("p50", "p90", "p99", "p99.9")})
        modes.append({
            "mode": r["mode"],
            "count": s["count"],
            "failures": r["failures"],
            "stop_reason": r["stop_reason"],
            "free_kib_before": r["free_kib_before"],
            "pct_of_free": rnd(r["pct_of_free"]),
            "latency_us": {k: rnd(latency[k]) for k in JSON_LATENCY_KEYS},
            "compaction_s": rnd(r["compaction_s"]),
            "vmstat_delta": dict(r["vmstat_delta"]),
            "timer_overhead_ns": r["timer_overhead_ns"],
            "percentiles_us": {k: rnd(v) for k, v in s["percentiles"].items()},
            "compaction": {k: (rnd(v) if k == "time_to_target_s" else v)
                           for k, v in r["compaction"].items()},
            "compaction_early_stop": r["compaction_early_stop"],
            "pages_migrated": dict(r["pages_migrated"]),
            "hugepages_gained": r["hugepages_gained"],
            "pages_migrated_per_hugepage": rnd(r["pages_migrated_per_hugepage"]),
            "pages_migrated_per_hugepage_obtained":
                rnd(r["pages_migrated_per_hugepage_obtained"]),
            "compactor": r["compactor"],
            "migrated_over_floor": rnd(r["migrated_over_floor"]),
            "own_migrated_over_floor": rnd(r["own_migrated_over_floor"]),
            "score_samples": len(r["score_timeline"]["samples"])
            if r["score_timeline"] else None,
        })
    return {
        "kernel": setup.get("kernel"),
        "cmdline": setup.get("cmdline"),
        "mem_total_kib": mem_total_kib(setup, results),
        "init_on_alloc": int_or_none(setup.get("init_on_alloc")),
        "accel": setup.get("accel"),
        "runner": setup.get("runner"),
        "ratios": ratios,
        "modes": modes,
    }


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- tables

def fmt_us(v):
    """Microseconds to at least 4 significant digits (1436, 143.6, 14.36,
    1.436); the module measures in ns, so 3 decimals is its resolution."""
    if v is None:
        return "n/a"
    for limit, decimals in ((1000, 0), (100, 1), (10, 2)):
        if abs(v) >= limit:
            return f"{v:.{decimals}f}"
    return f"{v:.3f}"


def fmt_opt(v, spec):
    return "n/a" if v is None else format(v, spec)


def timer_overhead_cell(r):
    ns = r["timer_overhead_ns"]
    if ns is None:
        return "n/a"
    p50 = r["stats"]["percentiles"]["p50"]
    if not p50:
        return f"{ns}"
    return f"{ns} ({ns / (p50 * 1000) * 100:.2g}% of p50)"


def main_table(results):
    """[(row label, [cell per mode])]: the article-style table."""
    rows = [("attempts", [str(r["attempts"]) for r in results]),
            ("count (successful)", [str(r["stats"]["count"]) for r in results])]
    for key in ("min", "max", "mean", "sd"):
        rows.append((f"{key} (us)", [fmt_us(r["stats"][key]) for r in results]))
    for _, label in PERCENTILES:
        rows.append((f"{label} (us)",
                     [fmt_us(r["stats"]["percentiles"][label]) for r in results]))
    rows += [
        ("failures", [str(r["failures"]) for r in results]),
        ("run ended by", [r["stop_reason"] or "n/a" for r in results]),
        ("hugepages obtained", [str(r["stats"]["count"]) for r in results]),
        ("obtained (GiB)", [f"{r['obtained_kib'] / 2**20:.3f}" for r in results]),
        ("free before (MiB)",
         [fmt_opt(None if r["free_kib_before"] is None else r["free_kib_before"] / 1024,
                  ".0f") for r in results]),
        ("% of free memory before", [fmt_opt(r["pct_of_free"], ".1f") for r in results]),
        ("compaction step (s)", [fmt_opt(r["compaction_s"], ".3f") for r in results]),
        ("timer overhead (ns)", [timer_overhead_cell(r) for r in results]),
    ]
    for c in VMSTAT_COUNTERS:
        rows.append((f"delta {c}", [fmt_opt(r["vmstat_delta"][c], "d") for r in results]))
    return rows


def table_markdown(header, rows, align="---:"):
    """Markdown table; first column left-aligned, the others by `align`."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    out = [line(header), "|" + "|".join(["---"] + [align] * (len(header) - 1)) + "|"]
    out += [line([label] + cells) for label, cells in rows]
    return "\n".join(out)


def table_text(header, rows):
    all_rows = [header] + [[label] + cells for label, cells in rows]
    widths = [max(len(str(r[i])) for r in all_rows) for i in range(len(header))]
    lines = []
    for n, r in enumerate(all_rows):
        cells = [str(r[0]).ljust(widths[0])]
        cells += [str(c).rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio_sentences(results):
    out = []
    for base, other, value in p90_ratios(results):
        b = base["stats"]["percentiles"]["p90"]
        o = other["stats"]["percentiles"]["p90"]
        ratio = "n/a" if value is None else f"{value:.1f}"
        out.append(f"p90 {base['mode']}/{other['mode']} = {ratio} "
                   f"({base['mode']} p90 = {fmt_us(b)} us, "
                   f"{other['mode']} p90 = {fmt_us(o)} us).")
    return out


# ---------------------------------------------------------------- report.md

def failure_sentence(r):
    failed = r["failed_rows"]
    if not failed:
        return f"- {r['mode']}: no failed attempts."
    us = [row[1] / 1000 for row in failed]
    if len(failed) == 1:
        return (f"- {r['mode']}: 1 failed attempt (index {failed[0][0]}); "
                f"the failing attempt took {fmt_us(us[0])} us.")
    if len(failed) <= 5:
        parts = ", ".join(f"{fmt_us(u)} us (index {row[0]})" for u, row in zip(us, failed))
        return f"- {r['mode']}: {len(failed)} failed attempts; they took {parts}."
    return (f"- {r['mode']}: {len(failed)} failed attempts (first at index "
            f"{failed[0][0]}); they took min {fmt_us(min(us))} us, median "
            f"{fmt_us(float(np.median(us)))} us, max {fmt_us(max(us))} us.")


def pagemap_table(r):
    rows = []
    for stage, title in PAGEMAP_STAGES:
        pm = r["pagemaps"].get(stage)
        if pm is None:
            continue
        touched = sum(1 for p in pm.values() if p > 0)
        full = sum(1 for p in pm.values() if p == REGION_PAGES)
        mib = sum(pm.values()) * PAGE_KIB / 1024
        rows.append((f"{stage}: {title}", [str(touched), str(full), f"{mib:.0f}"]))
    return rows


def order_blocks(buddy, order):
    """Free blocks of at least `order`, counted in units of 2^order pages."""
    return sum(n << (o - order) for counts in buddy.values()
               for o, n in enumerate(counts) if o >= order)


def snapshot_table(r):
    """Rows per phase: MemFree, free >=order blocks, unusable/extfrag index."""
    order = r["order"]
    zones = []
    for snap in r["snaps"].values():
        for name in ("unusable_index", "extfrag_index"):
            for z in snap[name] or {}:
                if z not in zones:
                    zones.append(z)
    scored = any(snap.get("node_scores") for snap in r["snaps"].values())
    header = ["phase", "MemFree (MiB)", f"free order>={order} blocks (as order-{order})"]
    header += ["node score"] if scored else []
    header += [f"unusable_index[{order}] {z}" for z in zones]
    header += [f"extfrag_index[{order}] {z}" for z in zones]
    rows = []
    for phase, snap in r["snaps"].items():
        mem = snap["meminfo"]
        cells = [fmt_opt(mem["MemFree"] / 1024 if mem and "MemFree" in mem else None, ".0f"),
                 fmt_opt(order_blocks(snap["buddyinfo"], order)
                         if snap["buddyinfo"] is not None else None, "d")]
        if scored:
            scores = snap.get("node_scores")
            cells.append(" ".join(str(scores[n]) for n in sorted(scores)) if scores else "n/a")
        for name in ("unusable_index", "extfrag_index"):
            table = snap[name] or {}
            cells += [f"{table[z][order]:.3f}" if z in table and len(table[z]) > order
                      else "n/a" for z in zones]
        rows.append((phase, cells))
    return header, rows


def fmt_s(v):
    return "n/a" if v is None else (f"{v:.3f}" if v < 10 else f"{v:.1f}")


def compaction_cell(r):
    """The compaction step's time; a proactive-module mode that never reached
    its target shows how long it waited, a -concurrent one that it ran
    during the allocations."""
    c = r["compaction"]
    if r["compaction_s"] is not None or c["method"] != "proactive-module":
        return fmt_s(r["compaction_s"])
    if c["params"].get("concurrent") == 1:
        return "during run"
    waited = c["params"].get("waited_s")
    return f"{fmt_s(waited)} (timeout)" if isinstance(waited, (int, float)) else "n/a"


def target_cell(r):
    c = r["compaction"]
    if c["reached"] is False:
        return "not reached"
    return fmt_s(c["time_to_target_s"])


def score_cell(r):
    c = r["compaction"]
    if c["score_before"] is None and c["score_after"] is None:
        return "n/a"
    return f"{fmt_opt(c['score_before'], 'd')} -> {fmt_opt(c['score_after'], 'd')}"


def side_by_side(results):
    """(header, [(mode, cells)]): one row per mode, the figures that compare them."""
    header = ["mode", "hugepages", "% of free", "p50 (us)", "p90 (us)", "p99 (us)", "max (us)",
              "compaction (s)", "time to target (s)", "node score", "pages migrated",
              "+ during allocation", "hugepages gained", "migrated per hugepage"]
    rows = []
    for r in results:
        pct = r["stats"]["percentiles"]
        mig = r["pages_migrated"]
        during = (mig["compaction_and_allocation"] - mig["compaction"]
                  if mig["compaction"] is not None
                  and mig["compaction_and_allocation"] is not None else None)
        rows.append((r["mode"], [
            str(r["stats"]["count"]), fmt_opt(r["pct_of_free"], ".1f"),
            fmt_us(pct["p50"]), fmt_us(pct["p90"]), fmt_us(pct["p99"]),
            fmt_us(r["stats"]["max"]), compaction_cell(r), target_cell(r),
            score_cell(r), fmt_opt(mig["compaction"], "d"), fmt_opt(during, "d"),
            fmt_opt(r["hugepages_gained"], "d"),
            fmt_opt(r["pages_migrated_per_hugepage"], ".1f")]))
    return header, rows


SIDE_BY_SIDE_NOTE = (
    "One row per mode. compaction (s): what the mode's step took: the compact_memory "
    "write (manual), the time until the node score last fell (proactive-kernel), the "
    "time until the compactor reported its target (proactive-module; '(timeout)': "
    "it never did, and the figure is how long it was given). time to target: "
    "until the node score was at or below the low watermark (kcompactd's, or the "
    "compactor's); 'not reached' when it never was. node score: the highest node "
    "fragmentation score after punching -> before allocating. pages migrated: "
    "pgmigrate_success over the compaction step (snap/punched -> snap/compacted); "
    "+ during allocation: over the allocations after it. hugepages gained: free 2 MiB "
    "blocks (buddyinfo, order >= 9 in 2 MiB units) before allocating minus after "
    "punching; migrated per hugepage: pages migrated / hugepages gained. A -concurrent "
    "mode compacts during the allocations: its step is empty and its migrations are in "
    "'+ during allocation'.")


def floor_paragraphs(results):
    """The targeted compactor's migrations against its floor, per targeted mode."""
    out = []
    for r in results:
        if not r["mode"].startswith("proactive-module-targeted"):
            continue
        c = r["compactor"]
        if c is None:
            out.append(f"- {r['mode']}: no compactor_status.txt: not computed.")
            continue
        floor, kern, own = c.get("pages_floor"), c.get("pgmigrate_success"), c.get("pages_migrated")
        ratio = r["migrated_over_floor"]
        if ratio is None:
            out.append(f"- {r['mode']}: the floor is {fmt_opt(floor, 'd')} pages: no ratio "
                       f"(pgmigrate_success {fmt_opt(kern, 'd')}).")
            continue
        text = (f"- {r['mode']}: the compactor emptied {fmt_opt(c.get('blocks_emptied'), 'd')} "
                f"blocks ({fmt_opt(c.get('blocks_busy'), 'd')} busy) that held "
                f"{floor} in-use pages when chosen: the floor. The kernel counted "
                f"{fmt_opt(kern, 'd')} pages migrated over the session (pgmigrate_success), "
                f"**{ratio:.2f}x** the floor; the compactor's own count is "
                f"{fmt_opt(own, 'd')}"
                + (f" ({r['own_migrated_over_floor']:.2f}x)" if r["own_migrated_over_floor"]
                   is not None else "")
                + f", and it soaked {fmt_opt(c.get('pages_soaked'), 'd')} pages to steer "
                f"migration targets. ")
        if ratio <= FLOOR_AIM:
            text += f"That is within the aim of <= {FLOOR_AIM}x."
        else:
            text += (f"That is above the aim of <= {FLOOR_AIM}x: {(ratio - 1) * 100:.0f}% more "
                     f"migrations than the floor.")
        if r["compaction"]["params"].get("concurrent") == 1 or r["mode"].endswith("-concurrent"):
            text += (" (pgmigrate_success is system-wide: here it also counts the direct "
                     "compaction of the allocations that ran during the session.)")
        out.append(text)
    return out


def frag_pattern(setup):
    """frag's punch pattern, as frag announced it and the driver recorded it."""
    return setup.get("frag_pattern", "unknown")


def targeted_vs_manual_section(setup, results):
    tm = targeted_vs_manual(results)
    if tm is None:
        return []
    man, tgt, ratio = tm
    pattern = frag_pattern(setup)

    def part(r):
        return (f"{fmt_opt(r['pages_migrated']['compaction'], 'd')} pages migrated for "
                f"{fmt_opt(r['hugepages_gained'], 'd')} free 2 MiB blocks gained "
                f"({fmt_opt(r['pages_migrated_per_hugepage'], '.1f')} per hugepage)")

    out = [f"## {pattern.capitalize()} pattern: targeted vs compact_memory", "",
           f"frag's pattern in this run: {pattern}. compact_memory (manual): {part(man)}; "
           f"the targeted compactor: {part(tgt)}."]
    if ratio is None:
        out[-1] += " (manual / targeted) per hugepage: n/a."
    else:
        if ratio > 1:
            who = "the targeted compactor migrated fewer pages per hugepage gained"
        elif ratio < 1:
            who = "compact_memory migrated fewer pages per hugepage gained"
        else:
            who = "both migrated as many pages per hugepage gained"
        out[-1] += f" Pages migrated per hugepage, manual / targeted = **{ratio:.2f}**: {who}."
    return out + [""]


def compactor_table(results):
    mods = [r for r in results if r["compactor"] is not None]
    if not mods:
        return []
    keys = COMPACTOR_COUNTERS + COMPACTOR_EXTRA
    rows = [("strategy", [str(r["compaction"]["params"].get("strategy", "n/a")) for r in mods]),
            ("target reached", [{True: "yes", False: "no", None: "n/a"}[r["compaction"]["reached"]]
                                for r in mods])]
    for k in keys:
        if any(k in r["compactor"] for r in mods):
            rows.append((k, [fmt_opt(r["compactor"].get(k), "d") for r in mods]))
    return ["## The compactor", "",
            "From each mode's compactor_status.txt, copied when its compaction step ended "
            "(a -concurrent mode's: when its allocations did).", "",
            table_markdown(["counter"] + [r["mode"] for r in mods], rows), ""]


def figure_section(run_info, results, plots):
    kernel = run_info["kernel"]
    if plots is None:
        return ["## Figures", "", "Not generated (`--no-plots`)."]
    out = ["## Figures", ""]
    for r in results:
        scale = plots["latency_scale"][r["mode"]]
        out += [f"### Latency of each attempt: {r['mode']}", "",
                f"![order-{r['order']} allocation latency, {r['mode']}, kernel {kernel}]"
                f"(plots/latency-{r['mode']}.png)", "",
                f"How to read this: one point per attempt, in the order the module made "
                f"them (x = attempt index), y = latency of that allocation as timed by the module, in us "
                f"({scale} axis). Red crosses are attempts that returned no page. "
                f"Dashed lines mark this mode's p50 and p90 over successful attempts.", ""]
    if plots.get("score"):
        out += ["### Node fragmentation score and free 2 MiB blocks over time", "",
                f"![node score and free blocks over time, kernel {kernel}]"
                "(plots/score-over-time.png)",
                "",
                "How to read this: x = seconds since the mode's compaction phase started "
                "(after frag punched its holes). Top: the node fragmentation score "
                "(highest node; 0 = every free page in blocks of order >= 9, 100 = none), "
                "sampled every 0.5 s; bottom: free blocks of order >= 9 in 2 MiB units "
                "(all nodes). A dotted line in a mode's colour marks where its allocations "
                "started; its curve ends when they did. When a mode ran longer than "
                f"{3 * SCORE_LINEAR_S} s, the time axis is linear up to {SCORE_LINEAR_S} s "
                "(grey line) and logarithmic beyond.", ""]
    out += ["### Latency CDF, all modes", "",
            f"![latency CDF, kernel {kernel}](plots/cdf.png)", "",
            "How to read this: for each mode, the fraction of successful allocations "
            "(y) that took at most x us (log axis). A curve further left is faster; "
            "where a curve crosses the dotted 0.9 line is that mode's p90.", ""]
    for r in results:
        if not r["pagemaps"]:
            continue
        out += [f"### Physical memory map: {r['mode']}", "",
                f"![pages of the fragmenting process per 2 MiB region, {r['mode']}]"
                f"(plots/pagemap-{r['mode']}.png)", "",
                "How to read this: x = physical address (GiB; each 2 MiB region is one "
                "thin bar), y = how many of the region's 512 4K pages belong to the "
                "fragmenting process. A region with any such page cannot become a "
                "hugepage without migrating them. In the 'after allocating hugepages' "
                "panel, orange bars mark regions that hold one of the hugepages the "
                "module allocated (from the pfns in latencies.txt).", ""]
    return out


def early_stop_warnings(results):
    out = []
    for r in results:
        e = r.get("compaction_early_stop")
        if e:
            out += ["", f"**{r['mode']}: compact_memory stopped early.** In the largest zone "
                    f"(pfn {e['zone_start']:#x}-{e['zone_end']:#x}) its scanners met at pfn "
                    f"{e['migrate_pfn']:#x}, {100 * e['met_at_fraction']:.1f}% of the way up "
                    f"(status {e['status']}): the free scanner found no free page on its way "
                    "down. With frag's stride pattern this is the kernel's free-scanner stride "
                    "(isolate_freepages() doubles it up to 32 pages over blocks it isolates "
                    "nothing from, then samples only kept pages); see the README. The "
                    "mode's latencies measure that, not a full compaction."]
    return out


def write_report(path, setup, results, plots):
    kernel = setup.get("kernel", "unknown kernel")
    date = setup.get("date", "undated")
    orders = sorted({r["order"] for r in results})
    order_txt = ", ".join(f"order-{o} ({(1 << o) * PAGE_KIB // 1024} MiB)"
                          if o >= 8 else f"order-{o}" for o in orders)
    header = ["statistic"] + [r["mode"] for r in results]
    out = [f"# khugehog: {order_txt} allocation latency — kernel {kernel}, {date}", "",
           "## Setup", "", table_markdown(["key", "value"],
                                          [(k, [f"`{v}`" if v else ""]) for k, v in setup.items()],
                                          align="---"),
           "", "## Results", "",
           "Latency statistics are over successful allocations only, in microseconds; "
           "percentiles use numpy's default (linear interpolation) method, sd is the "
           "population standard deviation. Hugepages obtained and % of free memory "
           "compare the successful allocations with the free memory just before them: "
           "MemFree plus the pages on per-CPU lists, which MemFree leaves out "
           "(snap/compacted; else the module's free_kib_before). "
           "The delta rows are /proc/vmstat differences from after punching to after "
           "allocating: they cover the mode's own compaction step and the allocations.",
           "", "### All modes side by side", "", SIDE_BY_SIDE_NOTE, "",
           table_markdown(*side_by_side(results), align="---:"), "",
           "### Latency per mode", "",
           table_markdown(header, main_table(results)), ""]
    out += ratio_sentences(results)
    out += early_stop_warnings(results)
    names = [r["mode"] for r in results]
    if all(m in names for m in ARTICLE_P90_US):
        out += ["", "The article this benchmark reproduces reported p90 = "
                f"{ARTICLE_P90_US['ondemand']} us with on-demand compaction and "
                f"{ARTICLE_P90_US['manual']} us after a manual compact_memory write."]
    floor = floor_paragraphs(results)
    if floor:
        out += ["", "## Targeted vs floor", "",
                "The floor of the targeted compactor is the in-use pages of the blocks it "
                "emptied, counted when it chose them: no compaction that empties those "
                f"blocks can migrate fewer. The aim is at most {FLOOR_AIM}x the floor.", ""]
        out += floor
    out += [""] + targeted_vs_manual_section(setup, results)
    out += compactor_table(results)
    out += ["## Failures", ""] + [failure_sentence(r) for r in results] + [""]
    if setup.get("accel", "").lower() == "tcg":
        out += ["Note: the VM ran under TCG (software emulation); absolute "
                "latencies are slower than on hardware, compare modes within this run.", ""]
    pm_rows = [(r, pagemap_table(r)) for r in results]
    if any(rows for _, rows in pm_rows):
        out += ["## Fragmenting process per stage", "",
                "Regions are 2 MiB physical regions (pfn >> 9) holding pages of the "
                "fragmenting process.", ""]
        for r, rows in pm_rows:
            if rows:
                out += [f"### {r['mode']}", "", table_markdown(
                    ["stage", "regions touched", "regions full (512 pages)",
                     "mapped (MiB)"], rows), ""]
    if any(r["snaps"] for r in results):
        out += ["## Memory state per phase", "",
                "From the raw snapshots in <mode>/snap/: MemFree from /proc/meminfo, "
                "free blocks from /proc/buddyinfo (all zones), indices from "
                "/sys/kernel/debug/extfrag/ (-1.000: the allocation would succeed).", ""]
        for r in results:
            if r["snaps"]:
                h, rows = snapshot_table(r)
                out += [f"### {r['mode']}", "", table_markdown(h, rows), ""]
    out += figure_section({"kernel": kernel}, results, plots)
    out += ["", "## Module summaries", ""]
    for r in results:
        out += [f"<details><summary>{r['mode']}/summary.txt</summary>", "", "```"]
        out += [f"{k} {v}" for k, v in r["module_summary"].items()]
        out += ["```", "", "</details>", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip() + "\n")


# ---------------------------------------------------------------- plots

def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 10, "svg.hashsalt": "khugehog"})
    return plt


def save_figure(plt, fig, plots_dir, name):
    fig.savefig(os.path.join(plots_dir, name + ".png"), dpi=150)
    fig.savefig(os.path.join(plots_dir, name + ".svg"), metadata={"Date": None})
    plt.close(fig)


def run_label(run_info):
    extra = ", ".join(x for x in (run_info.get("runner"), run_info.get("accel")) if x)
    return f"kernel {run_info['kernel']}" + (f" ({extra})" if extra else "")


def use_log_scale(stats):
    p50 = stats["percentiles"]["p50"]
    return bool(stats["count"]) and p50 is not None and p50 > 0 and stats["max"] / p50 > 100


def plot_latency(plt, plots_dir, run_info, r):
    stats = r["stats"]
    log = use_log_scale(stats)
    fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    ok, failed = r["ok_rows"], r["failed_rows"]
    if ok:
        ax.plot([x[0] for x in ok], [x[1] / 1000 for x in ok], ".", ms=3,
                color="tab:blue", label=f"successful ({len(ok)})")
    if failed:
        ax.plot([x[0] for x in failed], [max(x[1], 1) / 1000 for x in failed], "x",
                ms=8, mew=1.5, color="tab:red", label=f"failed ({len(failed)})",
                clip_on=False, zorder=3)
    for label, style in (("p50", "--"), ("p90", "-.")):
        v = stats["percentiles"][label]
        if v is not None:
            ax.axhline(v, ls=style, lw=1, color="0.35",
                       label=f"{label} = {fmt_us(v)} us")
    if not ok and not failed:
        ax.text(0.5, 0.5, "no attempts", transform=ax.transAxes, ha="center")
    if log:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlabel("allocation attempt (index)")
    ax.set_ylabel(f"latency (us, {'log' if log else 'linear'} scale)")
    ax.set_title(f"order-{r['order']} allocation latency, mode {r['mode']}\n"
                 f"{run_label(run_info)}")
    ax.grid(True, which="major", alpha=0.3)
    if ok or failed:
        ax.legend(loc="best", fontsize=9)
    save_figure(plt, fig, plots_dir, f"latency-{r['mode']}")
    return "log" if log else "linear"


def plot_cdf(plt, plots_dir, run_info, results):
    fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
    drawn = 0
    for r in results:
        us = np.sort(np.asarray([x[1] for x in r["ok_rows"]], dtype=np.float64) / 1000)
        if us.size == 0:
            continue
        us = np.maximum(us, 1e-3)  # log axis: a 0 ns reading would vanish
        y = np.arange(1, us.size + 1) / us.size
        ax.step(np.concatenate([[us[0]], us]), np.concatenate([[0], y]), where="post",
                lw=1.5, label=f"{r['mode']} (n={us.size}, p90 = "
                              f"{fmt_us(r['stats']['percentiles']['p90'])} us)")
        drawn += 1
    ax.axhline(0.9, ls=":", lw=1, color="0.4")
    if drawn:
        ax.set_xscale("log")
        ax.legend(loc="lower right", fontsize=9)
    else:
        ax.text(0.5, 0.5, "no successful allocations", transform=ax.transAxes,
                ha="center")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (us, log scale)")
    ax.set_ylabel("fraction of successful allocations")
    orders = sorted({r["order"] for r in results})
    ax.set_title(f"CDF of order-{'/'.join(map(str, orders))} allocation latency, "
                 f"all modes\n{run_label(run_info)}")
    ax.grid(True, which="both", alpha=0.3)
    save_figure(plt, fig, plots_dir, "cdf")


def plot_pagemap(plt, plots_dir, run_info, r):
    stages = [(s, t) for s, t in PAGEMAP_STAGES if s in r["pagemaps"]]
    if not stages:
        return False
    huge_regions = sorted({row[3] >> 9 for row in r["ok_rows"] if row[3]})
    all_regions = [reg for s, _ in stages for reg in r["pagemaps"][s]] + huge_regions
    xmax = (max(all_regions) + 1) * 2 / 1024 if all_regions else 1
    fig, axes = plt.subplots(len(stages), 1, sharex=True, squeeze=False,
                             figsize=(10, 1.2 + 2.2 * len(stages)), layout="constrained")
    for ax, (stage, title) in zip(axes[:, 0], stages):
        pm = r["pagemaps"][stage]
        if stage == 2 and huge_regions:
            ax.vlines(np.asarray(huge_regions) * 2 / 1024, 0, REGION_PAGES, lw=0.6,
                      color="tab:orange", alpha=0.6,
                      label=f"region holding an allocated hugepage ({len(huge_regions)})")
        regions = np.asarray(sorted(pm), dtype=np.float64)
        pages = np.asarray([pm[k] for k in sorted(pm)], dtype=np.float64)
        if regions.size:
            ax.vlines(regions * 2 / 1024, 0, pages, lw=0.6, color="tab:blue",
                      label="pages of the fragmenting process")
        touched = int((pages > 0).sum())
        mib = pages.sum() * PAGE_KIB / 1024
        ax.set_title(f"stage {stage}: {title} — {touched} regions touched, "
                     f"{mib:.0f} MiB mapped", fontsize=10)
        ax.set_ylim(0, REGION_PAGES * 1.25)  # headroom for the legend
        ax.set_yticks([0, 128, 256, 384, 512])
        ax.set_ylabel("4K pages / 2M region")
        ax.grid(True, axis="y", alpha=0.3)
        if stage == 2 and huge_regions:
            ax.legend(loc="upper right", fontsize=8, ncol=2, framealpha=0.9)
    axes[-1, 0].set_xlim(0, xmax)
    axes[-1, 0].set_xlabel("physical address (GiB)")
    fig.suptitle(f"Fragmenting process's pages per 2 MiB physical region, "
                 f"mode {r['mode']}\n{run_label(run_info)}")
    save_figure(plt, fig, plots_dir, f"pagemap-{r['mode']}")
    return True


def score_series(timeline):
    """Per sample time: (t, highest node score or None, free blocks summed
    over nodes), in time order."""
    by_t = {}
    for t, _node, score, free in timeline["samples"]:
        s, f = by_t.get(t, (None, 0))
        if score is not None:
            s = score if s is None else max(s, score)
        by_t[t] = (s, f + free)
    return [(t, s, f) for t, (s, f) in sorted(by_t.items())]


def plot_score(plt, plots_dir, run_info, results):
    """score-over-time: node score (top) and free 2 MiB blocks (bottom)
    against time, every mode with a score-timeline.txt; False if none."""
    series = [(r, score_series(r["score_timeline"])) for r in results
              if r["score_timeline"] and r["score_timeline"]["samples"]]
    if not series:
        return False
    fig, (ax_s, ax_f) = plt.subplots(2, 1, sharex=True, figsize=(10, 7.5),
                                     layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-", "--", "-.", ":"]
    for i, (r, pts) in enumerate(series):
        color, ls = colors[i % len(colors)], styles[(i // len(colors)) % len(styles)]
        t = [p[0] for p in pts]
        sc = [np.nan if p[1] is None else p[1] for p in pts]
        ax_s.plot(t, sc, ls, color=color, lw=1.5, marker=".", ms=3, label=r["mode"])
        ax_f.plot(t, [p[2] for p in pts], ls, color=color, lw=1.5, marker=".", ms=3,
                  label=r["mode"])
        start = r["score_timeline"]["phases"].get("allocation")
        if start is not None:
            for ax in (ax_s, ax_f):
                ax.axvline(start, ls=":", lw=1, color=color)
    tmax = max(p[0] for _, pts in series for p in pts)
    if tmax > SCORE_LINEAR_S * 3:
        # A long wait (a timeout) would squeeze the first seconds, where
        # most modes do everything: linear up to SCORE_LINEAR_S, log beyond.
        ax_f.set_xscale("symlog", linthresh=SCORE_LINEAR_S, linscale=2)
        ticks = [t for t in (0, 2, 4, 6, 8, 10, 20, 50, 100, 200, 500, 1000, 2000)
                 if t <= tmax * 1.05]
        ax_f.set_xticks(ticks, [str(t) for t in ticks])
        ax_f.set_xlim(-0.2, tmax * 1.05)
        ax_f.axvline(SCORE_LINEAR_S, lw=0.8, color="0.6")
        ax_s.axvline(SCORE_LINEAR_S, lw=0.8, color="0.6")
    ax_s.set_ylim(0, 105)
    ax_s.set_ylabel("node fragmentation score\n(highest node)")
    ax_f.set_ylim(bottom=0)
    ax_f.set_ylabel("free 2 MiB blocks\n(order >= 9, all nodes)")
    ax_f.set_xlabel("time since the compaction phase started (s)"
                    + (f"; linear to {SCORE_LINEAR_S} s, logarithmic beyond"
                       if tmax > SCORE_LINEAR_S * 3 else ""))
    ax_s.legend(loc="best", fontsize=8, ncol=2)
    for ax in (ax_s, ax_f):
        ax.grid(True, alpha=0.3)
    ax_s.set_title("Node fragmentation score and free 2 MiB blocks; dotted: allocations "
                   f"start\n{run_label(run_info)}")
    save_figure(plt, fig, plots_dir, "score-over-time")
    return True


def make_plots(run_dir, setup, results):
    plt = pyplot()
    plots_dir = os.path.join(run_dir, "plots")
    os.makedirs(plots_dir, exist_ok=True)
    run_info = {"kernel": setup.get("kernel", "unknown"),
                "runner": setup.get("runner"), "accel": setup.get("accel")}
    scales = {r["mode"]: plot_latency(plt, plots_dir, run_info, r) for r in results}
    plot_cdf(plt, plots_dir, run_info, results)
    for r in results:
        plot_pagemap(plt, plots_dir, run_info, r)
    return {"latency_scale": scales, "score": plot_score(plt, plots_dir, run_info, results)}


# ---------------------------------------------------------------- main

def ensure_numpy():
    debian_python.require("numpy", __file__, REEXEC_GUARD,
                          f"analyze.py: error: numpy not found for {sys.executable}"
                          " (apt-get install python3-numpy python3-matplotlib)")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="analyze.py",
        description="Analyze a khugehog run directory: writes RUN/summary.json, "
                    "RUN/report.md and RUN/plots/.")
    p.add_argument("run", metavar="RUN", help="run directory")
    p.add_argument("--no-plots", action="store_true", help="do not draw plots")
    p.add_argument("--quiet", action="store_true",
                   help="print nothing on success")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ensure_numpy()
    try:
        setup, modes = parse_run(args.run)
    except InputError as e:
        print(f"analyze.py: error: {e}", file=sys.stderr)
        return 1
    results = [mode_results(m) for m in modes]
    summary = build_summary(setup, results)
    if not args.quiet:
        header = ["statistic"] + [r["mode"] for r in results]
        print(table_text(header, main_table(results)))
        for line in ratio_sentences(results):
            print(line)
        print()
        print(table_text(*side_by_side(results)))
        for line in floor_paragraphs(results):
            print(line.replace("**", ""))
        for line in targeted_vs_manual_section(setup, results)[2:3]:
            print(line.replace("**", ""))
        sys.stdout.flush()
    write_json(os.path.join(args.run, "summary.json"), summary)
    plots = None if args.no_plots else make_plots(args.run, setup, results)
    write_report(os.path.join(args.run, "report.md"), setup, results, plots)
    if not args.quiet:
        print(f"wrote {os.path.join(args.run, 'summary.json')}, "
              f"{os.path.join(args.run, 'report.md')}"
              + ("" if args.no_plots else f", {os.path.join(args.run, 'plots')}/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0
"""The typed per-mode result: what each mode measured, derived from its
files (rundir.py), and what kind of mode it was, from what the run recorded
(compaction.txt's method, strategy, concurrent), never from its name."""

import re
from dataclasses import dataclass

import numpy as np

from .kinds import (METHOD_DEFRAG, METHOD_KERNEL, METHOD_MANUAL, METHOD_MODULE, METHOD_NONE,
                    TARGETED)
from .rundir import PAGE_KIB, int_or_none, parse_float_opt

METHOD_RANK = {METHOD_NONE: 0, METHOD_MANUAL: 1, METHOD_KERNEL: 2, METHOD_MODULE: 3,
               METHOD_DEFRAG: 5}

# (percent, label) in report order; p99.9 is permille 999.
PERCENTILES = [(5, "p5"), (10, "p10"), (25, "p25"), (30, "p30"), (40, "p40"),
               (50, "p50"), (60, "p60"), (75, "p75"), (80, "p80"), (90, "p90"),
               (95, "p95"), (99, "p99"), (99.9, "p99.9")]
# kswapd's and kcompactd's: what defrag_mode and proactive compaction
# have the kernel do in the background.
VMSTAT_COUNTERS = ["compact_stall", "compact_success", "compact_fail",
                   "compact_migrate_scanned", "compact_free_scanned",
                   "pgmigrate_success", "pgscan_kswapd", "pgsteal_kswapd",
                   "compact_daemon_wake", "compact_daemon_migrate_scanned",
                   "compact_daemon_free_scanned"]
HUGE_ORDER = 9  # hugepages gained / free blocks are counted in 2 MiB units
# compactor_status keys that are values of now, not of the session.
PER_NODE_KEY = re.compile(r"node\d+_")
# The targeted compactor's aim: kernel-counted migrations within 10% of the floor.
FLOOR_AIM = 1.1
# The figures of the article this benchmark reproduces (p90, us), by method.
ARTICLE_P90_US = {METHOD_NONE: 1436, METHOD_MANUAL: 5}


@dataclass
class FloorCounts:
    """The targeted compactor's session, against its floor (the pages in use
    in the blocks it emptied, when the session first saw them)."""
    blocks_emptied: object
    blocks_busy: object
    pages_floor: object
    pages_migrated: object      # its own count
    pages_soaked: object
    pgmigrate_success: object   # the kernel's, over the session


@dataclass
class ModeResult:
    """All derived per-mode numbers (unrounded)."""
    mode: str
    method: str
    concurrent: bool            # the compactor ran during the allocations
    order: int
    attempts: int
    stop_reason: object
    rate: object                # attempts a second the run was asked for (0: back to back)
    late: object                # attempts that began after their due time
    stats: dict                 # count, min, max, mean, sd (us), percentiles
    failures: int
    failed_rows: list
    ok_rows: list
    free_kib_before: object
    obtained_kib: int
    pct_of_free: object
    compaction_s: object
    compaction: dict            # method, time_to_target_s, reached, params, scores
    compaction_early_stop: object
    compaction_traced: bool     # the kernel's compaction events were recorded
    pages_migrated: dict        # compaction, compaction_and_allocation
    hugepages_gained: object
    pages_migrated_per_hugepage: object
    pages_migrated_per_hugepage_obtained: object
    compactor: object           # the compactor's session counters, or None
    compaction_cpu_s: object    # CPU the compaction cost (compaction_cpu_s())
    kcompactd_cpu_s: object     # kcompactd's CPU over the compaction step (-concurrent: and
                                # the allocations)
    floor: object               # FloorCounts of a targeted mode, or None
    migrated_over_floor: object
    own_migrated_over_floor: object
    score_timeline: object
    vmstat_delta: dict
    timer_overhead_ns: object
    pagemaps: dict
    snaps: dict
    module_summary: dict

    @property
    def p90(self):
        return self.stats["percentiles"]["p90"]

    @property
    def is_targeted(self):
        return (self.method == METHOD_MODULE and
                self.compaction["params"].get("strategy") == TARGETED)


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


def kthread_cpu_s(snaps, prefix, first="punched", last="compacted"):
    """CPU seconds the kernel threads named prefix* (kcompactd, kswapd)
    used from phase `first` to `last`; None without both records."""
    a = snaps.get(first, {}).get("kthreads_cpu")
    b = snaps.get(last, {}).get("kthreads_cpu")
    if a is None or b is None:
        return None
    return sum(ns - a.get(comm, 0) for comm, ns in b.items()
               if comm.startswith(prefix)) / 1e9


def compaction_cpu_s(method, info, counters, kcompactd_s):
    """The CPU time the mode's compaction cost: compact_memory's writer
    (timed-write), the module's kthread (its cpu_ns), or kcompactd for the
    kernel's proactive compaction and defrag_mode; None for on-demand and
    where it was not recorded."""
    if method == METHOD_MANUAL:
        return info_float(info, "compaction_cpu_s") if info and \
            "compaction_cpu_s" in info else None
    if method == METHOD_MODULE:
        ns = (counters or {}).get("cpu_ns")
        return ns / 1e9 if isinstance(ns, int) else None
    if method in (METHOD_KERNEL, METHOD_DEFRAG):
        return kcompactd_s
    return None


def order_blocks(buddy, order):
    """Free blocks of at least `order`, counted in units of 2^order pages."""
    return sum(n << (o - order) for counts in buddy.values()
               for o, n in enumerate(counts) if o >= order)


def free_huge_blocks(snaps, phase):
    """Free blocks of order >= 9 in 2 MiB units (buddyinfo, all zones) at a
    phase, or None without its buddyinfo."""
    buddy = snaps.get(phase, {}).get("buddyinfo")
    return None if buddy is None else order_blocks(buddy, HUGE_ORDER)


def ratio_or_none(num, den):
    return num / den if num is not None and den else None


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


# ---------------------------------------------------------------- the kind of mode

def method_of(files):
    """The method the run recorded for the mode (compaction.txt).  Runs
    recorded before compaction.txt had a method= line timed compaction
    only when they wrote to compact_memory, so a compaction_s there is
    manual mode's."""
    info = files.compaction_info or {}
    if "method" in info:
        return info["method"]
    if info.get("compaction_s", "none") != "none":
        return METHOD_MANUAL
    return METHOD_NONE


def report_order(setup, modes):
    """The modes in report order: on-demand, manual, the kernel's proactive
    compaction by proactiveness, the module's compactor by strategy (in the
    order the module lists them, setup.txt's compactor_strategies), then its
    concurrent variants; otherwise as given."""
    strategies = setup.get("compactor_strategies", "").split()

    def key(files):
        info = files.compaction_info or {}
        method = method_of(files)
        rank = METHOD_RANK.get(method, len(METHOD_RANK) + 1)
        if method in (METHOD_KERNEL, METHOD_DEFRAG):
            return (rank, int_or_none(info.get("proactiveness")) or 0)
        if method == METHOD_MODULE:
            s = info.get("strategy")
            concurrent = info_bool(info, "concurrent")
            return (rank + (1 if concurrent else 0),
                    strategies.index(s) if s in strategies else len(strategies))
        return (rank, 0)
    return sorted(modes, key=key)


def info_float(info, key):
    return parse_float_opt(info.get(key, ""), "compaction.txt", key) if info else None


def info_bool(info, key):
    v = (info or {}).get(key)
    return None if v is None else v.strip().lower() in ("1", "y", "yes", "true")


def int_or_float(text):
    """'12' -> 12, '1.5' -> 1.5, anything else kept as a string."""
    for cast in (int, float):
        try:
            return cast(text)
        except (TypeError, ValueError):
            pass
    return text


def compaction_summary(files):
    """{"method", "time_to_target_s", "reached", "params", "score_before",
    "score_after"}: how the mode prepared memory and whether it reached
    its target (the proactive modes; None for the others)."""
    info = files.compaction_info or {}
    status = files.compactor_status
    method = method_of(files)
    out = {"method": method, "time_to_target_s": None, "reached": None, "params": {},
           "score_before": None, "score_after": None}
    if method == METHOD_KERNEL:
        out["time_to_target_s"] = info_float(info, "target_reached_s")
        out["reached"] = info_bool(info, "reached")
        for k in ("proactiveness", "wmark_low", "wmark_high", "settle_s", "timeout_s",
                  "waited_s"):
            if k in info:
                out["params"][k] = int_or_float(info[k])
    elif method == METHOD_DEFRAG:
        for k in ("proactiveness", "settle_s", "timeout_s", "waited_s",
                  "free_pageblocks_before", "free_pageblocks_after"):
            if k in info:
                out["params"][k] = int_or_float(info[k])
    elif method == METHOD_MODULE:
        ns = status.get("target_reached_ns") if status else None
        if not isinstance(ns, int):
            ns = int_or_none(info.get("target_reached_ns"))
        if ns is not None:
            out["reached"] = ns >= 0
            out["time_to_target_s"] = ns / 1e9 if ns >= 0 else None
        elif "reached" in info:
            out["reached"] = info_bool(info, "reached")
            out["time_to_target_s"] = files.compaction_s if out["reached"] else None
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
            scores = files.snaps.get(phase, {}).get("node_scores")
            v = max(scores.values()) if scores else None
        out[key] = v
    return out


def compactor_counters(files, method):
    """The compactor's session counters from compactor_status.txt: every
    integer key the module wrote, in its order, but the per-node values of
    now.  None for the modes without the compactor or without the file."""
    status = files.compactor_status
    if status is None or method != METHOD_MODULE:
        return None
    return {k: v for k, v in status.items()
            if isinstance(v, int) and not PER_NODE_KEY.match(k)}


def free_kib_before(files):
    """Free memory right before the allocations: MemFree in
    snap/compacted/meminfo plus the pages on per-CPU lists, which MemFree
    leaves out and which 6.12's auto-tuned lists make large; else the
    module's free_kib_before."""
    snap = files.snaps.get("compacted", {})
    info = snap.get("meminfo")
    if info and "MemFree" in info:
        return info["MemFree"] + (snap.get("pcp_kib") or 0)
    return files.summary_free_kib_before


def mode_result(files):
    """ModeResult of one mode's files."""
    ok = [r for r in files.rows if r[2] == 1]
    failed = [r for r in files.rows if r[2] == 0]
    stats = latency_stats([r[1] for r in ok])
    free = free_kib_before(files)
    obtained_kib = stats["count"] * (1 << files.order) * PAGE_KIB
    snaps = files.snaps
    comp = compaction_summary(files)
    # pgmigrate_success over the compaction step (snap/punched ->
    # snap/compacted) and over it and the allocations (-> snap/allocated).
    migrated = {"compaction": counter_delta(snaps, "punched", "compacted", "pgmigrate_success"),
                "compaction_and_allocation": counter_delta(snaps, "punched", "allocated",
                                                           "pgmigrate_success")}
    before, after = free_huge_blocks(snaps, "punched"), free_huge_blocks(snaps, "compacted")
    gained = after - before if before is not None and after is not None else None
    counters = compactor_counters(files, comp["method"])
    # A -concurrent mode compacts during its allocations.
    concurrent = bool(info_bool(files.compaction_info, "concurrent"))
    kcompactd_s = kthread_cpu_s(snaps, "kcompactd",
                                last="allocated" if concurrent else "compacted")
    floor = None
    if counters is not None:
        # The kernel's count over the compactor's session (its own
        # pgmigrate_success), else over the compaction step.
        kernel_count = counters.get("pgmigrate_success")
        floor = FloorCounts(blocks_emptied=counters.get("blocks_emptied"),
                            blocks_busy=counters.get("blocks_busy"),
                            pages_floor=counters.get("pages_floor"),
                            pages_migrated=counters.get("pages_migrated"),
                            pages_soaked=counters.get("pages_soaked"),
                            pgmigrate_success=migrated["compaction"]
                            if kernel_count is None else kernel_count)
    return ModeResult(
        mode=files.mode,
        method=comp["method"],
        concurrent=concurrent,
        order=files.order,
        attempts=files.attempts,
        stop_reason=files.summary.get("stop_reason"),
        rate=int_or_none(files.summary.get("rate")),
        late=int_or_none(files.summary.get("late")),
        stats=stats,
        failures=len(failed),
        failed_rows=failed,
        ok_rows=ok,
        free_kib_before=free,
        obtained_kib=obtained_kib,
        pct_of_free=obtained_kib / free * 100 if free else None,
        compaction_s=files.compaction_s,
        compaction=comp,
        compaction_early_stop=early_stop(files.compaction_trace),
        compaction_traced=bool(files.compaction_trace),
        pages_migrated=migrated,
        hugepages_gained=gained,
        pages_migrated_per_hugepage=ratio_or_none(migrated["compaction"], gained)
        if gained is not None and gained > 0 else None,
        pages_migrated_per_hugepage_obtained=ratio_or_none(
            migrated["compaction_and_allocation"], stats["count"]),
        compactor=counters,
        compaction_cpu_s=compaction_cpu_s(comp["method"], files.compaction_info, counters,
                                          kcompactd_s),
        kcompactd_cpu_s=kcompactd_s,
        floor=floor,
        migrated_over_floor=ratio_or_none(floor.pgmigrate_success, floor.pages_floor)
        if floor else None,
        own_migrated_over_floor=ratio_or_none(floor.pages_migrated, floor.pages_floor)
        if floor else None,
        score_timeline=files.score_timeline,
        vmstat_delta=vmstat_delta(files.snaps),
        timer_overhead_ns=files.timer_overhead_ns,
        pagemaps=files.pagemaps,
        snaps=files.snaps,
        module_summary=files.summary,
    )


def baseline(results):
    """The mode the others are held against: on-demand if it ran, else the
    first."""
    return next((r for r in results if r.method == METHOD_NONE), results[0])


def p90_ratios(results):
    """[(base, other, p90 base / p90 other)]; the ratio is None when
    undefined."""
    if not results:
        return []
    base = baseline(results)
    return [(base, r, ratio_or_none(base.p90, r.p90)) for r in results if r is not base]


def targeted_vs_manual(results):
    """(manual, targeted, manual's pages migrated per hugepage gained /
    targeted's) when both modes ran (the targeted one not concurrent),
    else None; the ratio is None when either figure is undefined."""
    man = next((r for r in results if r.method == METHOD_MANUAL), None)
    tgt = next((r for r in results if r.is_targeted and not r.concurrent), None)
    if man is None or tgt is None:
        return None
    return man, tgt, ratio_or_none(man.pages_migrated_per_hugepage,
                                   tgt.pages_migrated_per_hugepage)

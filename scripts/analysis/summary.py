# SPDX-License-Identifier: GPL-2.0
"""summary.json: the numbers of a run, in the shape tools read."""

import math

from .model import p90_ratios, targeted_vs_manual
from .rundir import PHASES, int_or_none

JSON_LATENCY_KEYS = ["min", "mean", "sd", "max", "p50", "p90", "p99", "p99.9"]


def rnd(x):
    """Round floats to 3 decimals for JSON; keep ints and None."""
    if x is None or isinstance(x, int):
        return x
    x = float(x)
    return round(x, 3) if math.isfinite(x) else None


def mem_total_kib(setup, results):
    value = int_or_none(setup.get("mem_total_kib"))
    if value is not None:
        return value
    for r in results:
        for phase in PHASES:
            info = r.snaps.get(phase, {}).get("meminfo")
            if info and "MemTotal" in info:
                return info["MemTotal"]
    return None


def build_summary(setup, results, skipped=None):
    """The run's summary.json; skipped: {mode: why it did not run}."""
    ratios = {f"p90_{b.mode}_over_{o.mode}": rnd(v) for b, o, v in p90_ratios(results)}
    tm = targeted_vs_manual(results)
    if tm is not None:
        ratios[f"migrated_per_hugepage_{tm[0].mode}_over_{tm[1].mode}"] = rnd(tm[2])
    modes = []
    for r in results:
        s = r.stats
        latency = {"min": s["min"], "mean": s["mean"], "sd": s["sd"], "max": s["max"]}
        latency.update({k: s["percentiles"][k] for k in ("p50", "p90", "p99", "p99.9")})
        modes.append({
            "mode": r.mode,
            "count": s["count"],
            "failures": r.failures,
            "stop_reason": r.stop_reason,
            "rate": r.rate,
            "late": r.late,
            "free_kib_before": r.free_kib_before,
            "pct_of_free": rnd(r.pct_of_free),
            "latency_us": {k: rnd(latency[k]) for k in JSON_LATENCY_KEYS},
            "compaction_s": rnd(r.compaction_s),
            "vmstat_delta": dict(r.vmstat_delta),
            "timer_overhead_ns": r.timer_overhead_ns,
            "percentiles_us": {k: rnd(v) for k, v in s["percentiles"].items()},
            "compaction": {k: (rnd(v) if k == "time_to_target_s" else v)
                           for k, v in r.compaction.items()},
            "compaction_early_stop": r.compaction_early_stop,
            "compaction_traced": r.compaction_traced,
            "pages_migrated": dict(r.pages_migrated),
            "hugepages_gained": r.hugepages_gained,
            "pages_migrated_per_hugepage": rnd(r.pages_migrated_per_hugepage),
            "pages_migrated_per_hugepage_obtained":
                rnd(r.pages_migrated_per_hugepage_obtained),
            "compactor": r.compactor,
            "compaction_cpu_s": rnd(r.compaction_cpu_s),
            "kcompactd_cpu_s": rnd(r.kcompactd_cpu_s),
            "migrated_over_floor": rnd(r.migrated_over_floor),
            "own_migrated_over_floor": rnd(r.own_migrated_over_floor),
            "score_samples": len(r.score_timeline["samples"])
            if r.score_timeline else None,
        })
    return {
        "kernel": setup.get("kernel"),
        "cmdline": setup.get("cmdline"),
        "mem_total_kib": mem_total_kib(setup, results),
        "init_on_alloc": int_or_none(setup.get("init_on_alloc")),
        "accel": setup.get("accel"),
        "runner": setup.get("runner"),
        # Sanitizers or lock debugging (vm-run.sh's kernel_instrumented):
        # its timings are compared with nothing.
        "instrumented": setup.get("kernel_instrumented") == "1",
        "ratios": ratios,
        "modes": modes,
        "skipped_modes": dict(skipped or {}),
    }

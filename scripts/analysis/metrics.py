# SPDX-License-Identifier: GPL-2.0
"""The metrics a comparison reports, read from a mode's entry in
summary.json: their one list, which compare.py (kernels side by side)
and repeats.py (one kernel's runs pooled) both go by."""

import math

from .kinds import METHOD_MANUAL
from .fmt import fmt_fixed, fmt_int, fmt_us


def number(x):
    """x if it is a finite int or float (not a bool), else None."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return x if math.isfinite(x) else None


def dig(d, *keys):
    """d[k0][k1]... as a number, None when any level is absent or not a dict."""
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return number(d)


def quotient(m, num, den):
    """vmstat_delta[num] / vmstat_delta[den]; None when either is missing
    or the denominator is 0."""
    a, b = dig(m, "vmstat_delta", num), dig(m, "vmstat_delta", den)
    return a / b if a is not None and b else None


def early_stop(m):
    """1 when compact_memory stopped early (the report's flag), 0 when it
    ran to the end; None for the modes that do not write compact_memory,
    and where the kernel's compaction events were not recorded (no
    tracefs): nothing says how far it got."""
    if not isinstance(m, dict) or not isinstance(m.get("compaction"), dict) or \
            m["compaction"].get("method") != METHOD_MANUAL:
        return None
    if m.get("compaction_traced") is False:
        return None
    return 1 if m.get("compaction_early_stop") else 0


# (key, row label, getter(mode dict), formatter, always shown).  Rows not
# always shown appear when a kernel has a value.  Every count and time is
# what the mode's summary.json entry says; see README, "summary.json".
METRICS = [
    ("count", "hugepages obtained", lambda m: dig(m, "count"), fmt_int, True),
    ("pct_of_free", "% of free memory", lambda m: dig(m, "pct_of_free"), fmt_fixed(1), True),
    ("hugepages_gained", "hugepages gained", lambda m: dig(m, "hugepages_gained"),
     fmt_int, False),
    ("p50_us", "p50 (us)", lambda m: dig(m, "latency_us", "p50"), fmt_us, True),
    ("p90_us", "p90 (us)", lambda m: dig(m, "latency_us", "p90"), fmt_us, True),
    ("p99_us", "p99 (us)", lambda m: dig(m, "latency_us", "p99"), fmt_us, True),
    ("late", "attempts begun late (at a rate)", lambda m: dig(m, "late") if dig(m, "rate")
     else None, fmt_int, False),
    ("compaction_s", "compaction time (s)", lambda m: dig(m, "compaction_s"),
     fmt_fixed(3), True),
    ("time_to_target_s", "time to target (s)",
     lambda m: dig(m, "compaction", "time_to_target_s"), fmt_fixed(3), False),
    ("compaction_cpu_s", "compaction CPU (s)", lambda m: dig(m, "compaction_cpu_s"),
     fmt_fixed(3), False),
    ("kcompactd_cpu_s", "kcompactd CPU in the compaction step (s)",
     lambda m: dig(m, "kcompactd_cpu_s"), fmt_fixed(3), False),
    ("early_stop", "compact_memory stopped early (1 = yes)", early_stop, fmt_fixed(2), False),
    # pages_migrated: a count, or analyze.py's {"compaction", "compaction_and_allocation"}.
    ("pages_migrated", "pages migrated", lambda m: dig(m, "pages_migrated"), fmt_int, False),
    ("pages_migrated_compaction", "pages migrated, compaction step",
     lambda m: dig(m, "pages_migrated", "compaction"), fmt_int, False),
    ("pages_migrated_compaction_and_allocation", "pages migrated, compaction + allocations",
     lambda m: dig(m, "pages_migrated", "compaction_and_allocation"), fmt_int, False),
    ("pages_migrated_per_hugepage", "pages migrated per hugepage gained",
     lambda m: dig(m, "pages_migrated_per_hugepage"), fmt_fixed(1), False),
    ("migrated_over_floor", "migrated / floor (targeted)",
     lambda m: dig(m, "migrated_over_floor"), fmt_fixed(2), False),
    # mmtests' two: direct compactions that succeeded, and pages the
    # migration scanner looked at per page the free scanner did.
    ("compaction_efficiency", "compaction efficiency (compact_success / compact_stall)",
     lambda m: quotient(m, "compact_success", "compact_stall"), fmt_fixed(3), False),
    ("scan_efficiency", "scan efficiency (migrate_scanned / free_scanned)",
     lambda m: quotient(m, "compact_migrate_scanned", "compact_free_scanned"),
     fmt_fixed(3), False),
    # The background work: what defrag_mode and proactive compaction cost.
    ("free_pageblocks_after", "free pageblocks after the wait (defrag-mode)",
     lambda m: dig(m, "compaction", "params", "free_pageblocks_after"), fmt_int, False),
    ("pgscan_kswapd", "kswapd: pages scanned",
     lambda m: dig(m, "vmstat_delta", "pgscan_kswapd"), fmt_int, False),
    ("compact_daemon_migrate_scanned", "kcompactd: pages scanned (migrate scanner)",
     lambda m: dig(m, "vmstat_delta", "compact_daemon_migrate_scanned"), fmt_int, False),
    ("pgmigrate_success", "delta pgmigrate_success",
     lambda m: dig(m, "vmstat_delta", "pgmigrate_success"), fmt_int, False),
]
KEYS = [key for key, *_ in METRICS]
LABEL = {key: text for key, text, *_ in METRICS}
FORMAT = {key: fmt for key, _, _, fmt, _ in METRICS}

# Timings: an instrumented kernel's (KASAN, lockdep...) are compared with
# nothing, its ratios and the baseline's against it are left out.
TIMINGS = {"p50_us", "p90_us", "p99_us", "compaction_s", "time_to_target_s",
           "compaction_cpu_s", "kcompactd_cpu_s"}

# A row left out of a table when the row it names has values: the same
# counter over the same span (the JSON keeps both).
SAME_AS = {"pgmigrate_success": "pages_migrated_compaction_and_allocation"}


def values_of(mode):
    """{key: value} of one mode's summary.json entry."""
    return {key: (get(mode) if mode is not None else None) for key, _, get, _, _ in METRICS}

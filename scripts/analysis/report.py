# SPDX-License-Identifier: GPL-2.0
"""report.md: the run, mode by mode and side by side."""

import numpy as np

from .fmt import fmt_opt, fmt_us, table_markdown
from .kinds import METHOD_MANUAL, METHOD_MODULE, METHOD_NONE
from .model import (ARTICLE_P90_US, FLOOR_AIM, PERCENTILES, VMSTAT_COUNTERS, order_blocks,
                    p90_ratios, targeted_vs_manual)
from .plots import SCORE_LINEAR_S
from .rundir import PAGE_KIB, PAGEMAP_STAGES, REGION_PAGES

def timer_overhead_cell(r):
    ns = r.timer_overhead_ns
    if ns is None:
        return "n/a"
    p50 = r.stats["percentiles"]["p50"]
    if not p50:
        return f"{ns}"
    return f"{ns} ({ns / (p50 * 1000) * 100:.2g}% of p50)"


def main_table(results):
    """[(row label, [cell per mode])]: the article-style table."""
    rows = [("attempts", [str(r.attempts) for r in results]),
            ("count (successful)", [str(r.stats["count"]) for r in results])]
    for key in ("min", "max", "mean", "sd"):
        rows.append((f"{key} (us)", [fmt_us(r.stats[key]) for r in results]))
    for _, label in PERCENTILES:
        rows.append((f"{label} (us)",
                     [fmt_us(r.stats["percentiles"][label]) for r in results]))
    rows += [
        ("failures", [str(r.failures) for r in results]),
        ("run ended by", [r.stop_reason or "n/a" for r in results]),
    ]
    if any(r.rate for r in results):
        rows += [("rate (attempts a second)", [fmt_opt(r.rate, "d") for r in results]),
                 ("attempts begun late", [fmt_opt(r.late, "d") for r in results])]
    rows += [
        ("hugepages obtained", [str(r.stats["count"]) for r in results]),
        ("obtained (GiB)", [f"{r.obtained_kib / 2**20:.3f}" for r in results]),
        ("free before (MiB)",
         [fmt_opt(None if r.free_kib_before is None else r.free_kib_before / 1024,
                  ".0f") for r in results]),
        ("% of free memory before", [fmt_opt(r.pct_of_free, ".1f") for r in results]),
        ("compaction step (s)", [fmt_opt(r.compaction_s, ".3f") for r in results]),
        ("timer overhead (ns)", [timer_overhead_cell(r) for r in results]),
    ]
    for c in VMSTAT_COUNTERS:
        rows.append((f"delta {c}", [fmt_opt(r.vmstat_delta[c], "d") for r in results]))
    return rows


def ratio_sentences(results):
    out = []
    for base, other, value in p90_ratios(results):
        b = base.stats["percentiles"]["p90"]
        o = other.stats["percentiles"]["p90"]
        ratio = "n/a" if value is None else f"{value:.1f}"
        out.append(f"p90 {base.mode}/{other.mode} = {ratio} "
                   f"({base.mode} p90 = {fmt_us(b)} us, "
                   f"{other.mode} p90 = {fmt_us(o)} us).")
    return out

def failure_sentence(r):
    failed = r.failed_rows
    if not failed:
        return f"- {r.mode}: no failed attempts."
    us = [row[1] / 1000 for row in failed]
    if len(failed) == 1:
        return (f"- {r.mode}: 1 failed attempt (index {failed[0][0]}); "
                f"the failing attempt took {fmt_us(us[0])} us.")
    if len(failed) <= 5:
        parts = ", ".join(f"{fmt_us(u)} us (index {row[0]})" for u, row in zip(us, failed))
        return f"- {r.mode}: {len(failed)} failed attempts; they took {parts}."
    return (f"- {r.mode}: {len(failed)} failed attempts (first at index "
            f"{failed[0][0]}); they took min {fmt_us(min(us))} us, median "
            f"{fmt_us(float(np.median(us)))} us, max {fmt_us(max(us))} us.")


def pagemap_table(r):
    rows = []
    for stage, title in PAGEMAP_STAGES:
        pm = r.pagemaps.get(stage)
        if pm is None:
            continue
        touched = sum(1 for p in pm.values() if p > 0)
        full = sum(1 for p in pm.values() if p == REGION_PAGES)
        mib = sum(pm.values()) * PAGE_KIB / 1024
        rows.append((f"{stage}: {title}", [str(touched), str(full), f"{mib:.0f}"]))
    return rows


def snapshot_table(r):
    """Rows per phase: MemFree, free >=order blocks, unusable/extfrag index."""
    order = r.order
    zones = []
    for snap in r.snaps.values():
        for name in ("unusable_index", "extfrag_index"):
            for z in snap[name] or {}:
                if z not in zones:
                    zones.append(z)
    scored = any(snap.get("node_scores") for snap in r.snaps.values())
    header = ["phase", "MemFree (MiB)", f"free order>={order} blocks (as order-{order})"]
    header += ["node score"] if scored else []
    header += [f"unusable_index[{order}] {z}" for z in zones]
    header += [f"extfrag_index[{order}] {z}" for z in zones]
    rows = []
    for phase, snap in r.snaps.items():
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
    c = r.compaction
    if r.compaction_s is not None or r.method != METHOD_MODULE:
        return fmt_s(r.compaction_s)
    if r.concurrent:
        return "during run"
    waited = c["params"].get("waited_s")
    return f"{fmt_s(waited)} (timeout)" if isinstance(waited, (int, float)) else "n/a"


def target_cell(r):
    c = r.compaction
    if c["reached"] is False:
        return "not reached"
    return fmt_s(c["time_to_target_s"])


def score_cell(r):
    c = r.compaction
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
        pct = r.stats["percentiles"]
        mig = r.pages_migrated
        during = (mig["compaction_and_allocation"] - mig["compaction"]
                  if mig["compaction"] is not None
                  and mig["compaction_and_allocation"] is not None else None)
        rows.append((r.mode, [
            str(r.stats["count"]), fmt_opt(r.pct_of_free, ".1f"),
            fmt_us(pct["p50"]), fmt_us(pct["p90"]), fmt_us(pct["p99"]),
            fmt_us(r.stats["max"]), compaction_cell(r), target_cell(r),
            score_cell(r), fmt_opt(mig["compaction"], "d"), fmt_opt(during, "d"),
            fmt_opt(r.hugepages_gained, "d"),
            fmt_opt(r.pages_migrated_per_hugepage, ".1f")]))
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
        if not r.is_targeted:
            continue
        c = r.floor
        if c is None:
            out.append(f"- {r.mode}: no compactor_status.txt: not computed.")
            continue
        floor, kern, own = c.pages_floor, c.pgmigrate_success, c.pages_migrated
        ratio = r.migrated_over_floor
        if ratio is None:
            out.append(f"- {r.mode}: the floor is {fmt_opt(floor, 'd')} pages: no ratio "
                       f"(pgmigrate_success {fmt_opt(kern, 'd')}).")
            continue
        text = (f"- {r.mode}: the compactor emptied {fmt_opt(c.blocks_emptied, 'd')} "
                f"blocks ({fmt_opt(c.blocks_busy, 'd')} busy) that held "
                f"{floor} in-use pages when chosen: the floor. The kernel counted "
                f"{fmt_opt(kern, 'd')} pages migrated over the session (pgmigrate_success), "
                f"**{ratio:.2f}x** the floor; the compactor's own count is "
                f"{fmt_opt(own, 'd')}"
                + (f" ({r.own_migrated_over_floor:.2f}x)" if r.own_migrated_over_floor
                   is not None else "")
                + f", and it soaked {fmt_opt(c.pages_soaked, 'd')} pages to steer "
                f"migration targets. ")
        if ratio <= FLOOR_AIM:
            text += f"That is within the aim of <= {FLOOR_AIM}x."
        else:
            text += (f"That is above the aim of <= {FLOOR_AIM}x: {(ratio - 1) * 100:.0f}% more "
                     f"migrations than the floor.")
        if r.concurrent:
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
        return (f"{fmt_opt(r.pages_migrated['compaction'], 'd')} pages migrated for "
                f"{fmt_opt(r.hugepages_gained, 'd')} free 2 MiB blocks gained "
                f"({fmt_opt(r.pages_migrated_per_hugepage, '.1f')} per hugepage)")

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


# The compactor's time, by where it went: (compactor_status key, row label).
COMPACTOR_TIME_KEYS = [("plan_ns", "scanning and planning (s)"),
                       ("soak_ns", "soaking free pages (s)"),
                       ("contig_ns", "inside alloc_contig_range() (s)"),
                       ("drain_ns", "draining per-CPU lists (s)"),
                       ("compact_ns", "in passes, all told (s)"),
                       ("sleep_ns", "sleeping between checks (s)")]


def cost_section(results):
    """What each mode's compaction cost: its time, its CPU (compact_memory's
    writer, the compactor's kthread, kcompactd), and for the module's
    compactor where its time went."""
    comp = [r for r in results if r.method != METHOD_NONE]
    if not comp:
        return []

    def secs(r, key):
        ns = (r.compactor or {}).get(key)
        return fmt_s(ns / 1e9) if isinstance(ns, int) else "-"

    rows = [("compaction time (s)", [compaction_cell(r) for r in comp]),
            ("time to target (s)", [target_cell(r) if r.method != METHOD_MANUAL else "-"
                                    for r in comp]),
            ("compaction CPU (s)", [fmt_s(r.compaction_cpu_s) for r in comp]),
            ("kcompactd CPU (s)", [fmt_s(r.kcompactd_cpu_s) for r in comp])]
    if any(r.compactor for r in comp):
        rows += [(label, [secs(r, key) for r in comp]) for key, label in COMPACTOR_TIME_KEYS]
        rows.append(("zone scans (plans)", [fmt_opt((r.compactor or {}).get("plans"), "d")
                                            if r.compactor else "-" for r in comp]))
    return ["## What compaction cost", "",
            "Compaction CPU: the CPU time of the write to compact_memory (manual; it "
            "compacts in the writer's context), of the module's compactor kthread (its "
            "cpu_ns), or of kcompactd (the kernel's proactive compaction, defrag_mode). "
            "kcompactd CPU: its CPU time over the compaction step, whatever the mode "
            "(snap/*/kthreads_cpu), and for a -concurrent mode through its allocations. The module's rows: where its session's time went "
            "(compactor_status); a -concurrent mode's span the allocations.", "",
            table_markdown(["", *[r.mode for r in comp]], rows), ""]


def compactor_table(results):
    mods = [r for r in results if r.compactor is not None]
    if not mods:
        return []
    keys = list(dict.fromkeys(k for r in mods for k in r.compactor))
    rows = [("strategy", [str(r.compaction["params"].get("strategy", "n/a")) for r in mods]),
            ("target reached", [{True: "yes", False: "no", None: "n/a"}[r.compaction["reached"]]
                                for r in mods])]
    for k in keys:
        if any(k in r.compactor for r in mods):
            rows.append((k, [fmt_opt(r.compactor.get(k), "d") for r in mods]))
    return ["## The compactor", "",
            "From each mode's compactor_status.txt, copied when its compaction step ended "
            "(a -concurrent mode's: when its allocations did).", "",
            table_markdown(["counter"] + [r.mode for r in mods], rows), ""]


def figure_section(run_info, results, plots):
    kernel = run_info["kernel"]
    if plots is None:
        return ["## Figures", "", "Not generated (`--no-plots`)."]
    out = ["## Figures", ""]
    for r in results:
        scale = plots["latency_scale"][r.mode]
        out += [f"### Latency of each attempt: {r.mode}", "",
                f"![order-{r.order} allocation latency, {r.mode}, kernel {kernel}]"
                f"(plots/latency-{r.mode}.png)", "",
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
        if not r.pagemaps:
            continue
        out += [f"### Physical memory map: {r.mode}", "",
                f"![pages of the fragmenting process per 2 MiB region, {r.mode}]"
                f"(plots/pagemap-{r.mode}.png)", "",
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
        e = r.compaction_early_stop
        if e:
            out += ["", f"**{r.mode}: compact_memory stopped early.** In the largest zone "
                    f"(pfn {e['zone_start']:#x}-{e['zone_end']:#x}) its scanners met at pfn "
                    f"{e['migrate_pfn']:#x}, {100 * e['met_at_fraction']:.1f}% of the way up "
                    f"(status {e['status']}): the free scanner found no free page on its way "
                    "down. With frag's stride pattern this is the kernel's free-scanner stride "
                    "(isolate_freepages() doubles it up to 32 pages over blocks it isolates "
                    "nothing from, then samples only kept pages); see the README. The "
                    "mode's latencies measure that, not a full compaction."]
    return out


def skipped_section(skipped):
    if not skipped:
        return []
    return ["## Skipped modes", ""] + [f"- **{m}**: not run on this kernel: {why}."
                                       for m, why in skipped.items()] + [""]


def write_report(path, setup, results, plots, skipped=None):
    kernel = setup.get("kernel", "unknown kernel")
    date = setup.get("date", "undated")
    orders = sorted({r.order for r in results})
    order_txt = ", ".join(f"order-{o} ({(1 << o) * PAGE_KIB // 1024} MiB)"
                          if o >= 8 else f"order-{o}" for o in orders)
    header = ["statistic"] + [r.mode for r in results]
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
    if "jiffies" in setup.get("clocksource", ""):
        out += ["", f"**The clock was {setup['clocksource']}: every time here is a multiple "
                "of a jiffy, and the latencies say nothing.** The TSC's calibration failed "
                "at boot (see dmesg); the guest runner boots again in that case."]
    out += early_stop_warnings(results)
    out += [""] + skipped_section(skipped)
    methods = {r.method for r in results}
    if all(m in methods for m in ARTICLE_P90_US):
        out += ["", "The article this benchmark reproduces reported p90 = "
                f"{ARTICLE_P90_US[METHOD_NONE]} us with on-demand compaction and "
                f"{ARTICLE_P90_US[METHOD_MANUAL]} us after a manual compact_memory write."]
    floor = floor_paragraphs(results)
    if floor:
        out += ["", "## Targeted vs floor", "",
                "The floor of the targeted compactor is the in-use pages of the blocks it "
                "emptied, counted when it chose them: no compaction that empties those "
                f"blocks can migrate fewer. The aim is at most {FLOOR_AIM}x the floor.", ""]
        out += floor
    out += [""] + targeted_vs_manual_section(setup, results)
    out += cost_section(results)
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
                out += [f"### {r.mode}", "", table_markdown(
                    ["stage", "regions touched", "regions full (512 pages)",
                     "mapped (MiB)"], rows), ""]
    if any(r.snaps for r in results):
        out += ["## Memory state per phase", "",
                "From the raw snapshots in <mode>/snap/: MemFree from /proc/meminfo, "
                "free blocks from /proc/buddyinfo (all zones), indices from "
                "/sys/kernel/debug/extfrag/ (-1.000: the allocation would succeed).", ""]
        for r in results:
            if r.snaps:
                h, rows = snapshot_table(r)
                out += [f"### {r.mode}", "", table_markdown(h, rows), ""]
    out += figure_section({"kernel": kernel}, results, plots)
    out += ["", "## Module summaries", ""]
    for r in results:
        out += [f"<details><summary>{r.mode}/summary.txt</summary>", "", "```"]
        out += [f"{k} {v}" for k, v in r.module_summary.items()]
        out += ["```", "", "</details>", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip() + "\n")

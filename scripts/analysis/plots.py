# SPDX-License-Identifier: GPL-2.0
"""The plots: latency per allocation, CDFs, pagemaps, score over time."""

import os

import numpy as np

from .fmt import fmt_us
from .rundir import PAGE_KIB, PAGEMAP_STAGES, REGION_PAGES

SCORE_LINEAR_S = 10  # score-over-time: linear time axis up to here when runs are long

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
    stats = r.stats
    log = use_log_scale(stats)
    fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    ok, failed = r.ok_rows, r.failed_rows
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
    ax.set_title(f"order-{r.order} allocation latency, mode {r.mode}\n"
                 f"{run_label(run_info)}")
    ax.grid(True, which="major", alpha=0.3)
    if ok or failed:
        ax.legend(loc="best", fontsize=9)
    save_figure(plt, fig, plots_dir, f"latency-{r.mode}")
    return "log" if log else "linear"


def plot_cdf(plt, plots_dir, run_info, results):
    fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
    drawn = 0
    for r in results:
        us = np.sort(np.asarray([x[1] for x in r.ok_rows], dtype=np.float64) / 1000)
        if us.size == 0:
            continue
        us = np.maximum(us, 1e-3)  # log axis: a 0 ns reading would vanish
        y = np.arange(1, us.size + 1) / us.size
        ax.step(np.concatenate([[us[0]], us]), np.concatenate([[0], y]), where="post",
                lw=1.5, label=f"{r.mode} (n={us.size}, p90 = "
                              f"{fmt_us(r.stats['percentiles']['p90'])} us)")
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
    orders = sorted({r.order for r in results})
    ax.set_title(f"CDF of order-{'/'.join(map(str, orders))} allocation latency, "
                 f"all modes\n{run_label(run_info)}")
    ax.grid(True, which="both", alpha=0.3)
    save_figure(plt, fig, plots_dir, "cdf")


def plot_pagemap(plt, plots_dir, run_info, r):
    stages = [(s, t) for s, t in PAGEMAP_STAGES if s in r.pagemaps]
    if not stages:
        return False
    huge_regions = sorted({row[3] >> 9 for row in r.ok_rows if row[3]})
    all_regions = [reg for s, _ in stages for reg in r.pagemaps[s]] + huge_regions
    xmax = (max(all_regions) + 1) * 2 / 1024 if all_regions else 1
    fig, axes = plt.subplots(len(stages), 1, sharex=True, squeeze=False,
                             figsize=(10, 1.2 + 2.2 * len(stages)), layout="constrained")
    for ax, (stage, title) in zip(axes[:, 0], stages):
        pm = r.pagemaps[stage]
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
                 f"mode {r.mode}\n{run_label(run_info)}")
    save_figure(plt, fig, plots_dir, f"pagemap-{r.mode}")
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
    series = [(r, score_series(r.score_timeline)) for r in results
              if r.score_timeline and r.score_timeline["samples"]]
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
        ax_s.plot(t, sc, ls, color=color, lw=1.5, marker=".", ms=3, label=r.mode)
        ax_f.plot(t, [p[2] for p in pts], ls, color=color, lw=1.5, marker=".", ms=3,
                  label=r.mode)
        start = r.score_timeline["phases"].get("allocation")
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
    scales = {r.mode: plot_latency(plt, plots_dir, run_info, r) for r in results}
    plot_cdf(plt, plots_dir, run_info, results)
    for r in results:
        plot_pagemap(plt, plots_dir, run_info, r)
    return {"latency_scale": scales, "score": plot_score(plt, plots_dir, run_info, results)}

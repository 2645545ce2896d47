# SPDX-License-Identifier: GPL-2.0
"""A repeated run: RUN/run-1/, RUN/run-2/... each a run directory of its
own (analyzed as one), pooled into RUN/summary.json, RUN/report.md and
RUN/plots/ (scripts/host/demo.sh --repeat N lays a run out that way).

The pooled summary.json (see README, "summary.json of a repeated run"):
    {"kernel", "cmdline", "mem_total_kib", "init_on_alloc", "accel",
     "runner", "instrumented",          as in one run's, from run-1
     "repeats": N, "runs": ["run-1", ...],
     "statistics": {"figure": ..., "comparison": ...},   the methods
     "modes": [{"mode", "runs": runs with the mode,
                "metrics": {KEY: {"n", "values" (one per run, null where
                           a run lacks it), "median", "min", "max",
                           "ci": [lo, hi] or null, "ci_level": its coverage}}}],
     "ratios": {"p90_A_over_B": estimate},
     "ratio_comparisons": {"p90_A_over_B": stats.compare()'s dict},
     "skipped_modes": {mode: [runs it was skipped in, why]}}
"""

import os
import re

from .fmt import table_markdown
from .metrics import FORMAT, KEYS, LABEL, METRICS, SAME_AS
from .rundir import InputError, read_summary
from .stats import CI_METHOD, TEST_METHOD, compare, describe, p_text, verdict_text

RUN_DIR = re.compile(r"run-(\d+)$")
HEADER_KEYS = ("kernel", "cmdline", "mem_total_kib", "init_on_alloc", "accel", "runner",
               "instrumented")


def run_dirs(directory):
    """The run-N subdirectories of `directory`, in N order; [] when it is
    not a repeated run."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = [(int(m.group(1)), n) for n in names
             if (m := RUN_DIR.match(n)) and os.path.isdir(os.path.join(directory, n))]
    return [n for _, n in sorted(found)]


def mode_names(summaries):
    """Every mode any run has, in the first run's order, then the others'."""
    names = []
    for s in summaries:
        for m in s.get("modes") or []:
            if isinstance(m, dict) and isinstance(m.get("mode"), str) and m["mode"] not in names:
                names.append(m["mode"])
    return names


def mode_of(summary, name):
    return next((m for m in summary.get("modes") or []
                 if isinstance(m, dict) and m.get("mode") == name), None)


def p90_ratio_keys(summaries):
    """The within-run ratios (p90 of on-demand over each other mode): their
    keys, in the first run's order."""
    keys = []
    for s in summaries:
        for k in (s.get("ratios") or {}):
            if k.startswith("p90_") and "_over_" in k and k not in keys:
                keys.append(k)
    return keys


def pool(runs):
    """The pooled summary of [(name, summary dict)]."""
    names = [n for n, _ in runs]
    summaries = [s for _, s in runs]
    first = summaries[0]
    modes = []
    for name in mode_names(summaries):
        entries = [mode_of(s, name) for s in summaries]
        metrics = {}
        for key, _, get, _, _ in METRICS:
            values = [get(m) if m is not None else None for m in entries]
            if any(v is not None for v in values):
                metrics[key] = describe(values)
        modes.append({"mode": name, "runs": sum(m is not None for m in entries),
                      "metrics": metrics})
    ratios, comparisons = {}, {}
    for key in p90_ratio_keys(summaries):
        a, b = key[len("p90_"):].split("_over_", 1)
        top = [(mode_of(s, a) or {}).get("latency_us", {}).get("p90") for s in summaries]
        bottom = [(mode_of(s, b) or {}).get("latency_us", {}).get("p90") for s in summaries]
        c = compare(bottom, top)
        comparisons[key] = c
        ratios[key] = c.get("estimate") if c.get("kind") == "ratio" else None
    out = {k: first.get(k) for k in HEADER_KEYS}
    out.update({"repeats": len(runs), "runs": names,
                "statistics": {"figure": f"median; min-max; CI: {CI_METHOD}",
                               "comparison": TEST_METHOD},
                "modes": modes, "ratios": ratios, "ratio_comparisons": comparisons})
    skipped = {}
    for s in summaries:
        for m, why in (s.get("skipped_modes") or {}).items():
            skipped[m] = [skipped.get(m, [0])[0] + 1, why]
    out["skipped_modes"] = skipped
    return out


def load_runs(directory):
    """[(name, summary dict)] of the analyzed runs of a repeated run."""
    runs = []
    for name in run_dirs(directory):
        path = os.path.join(directory, name, "summary.json")
        runs.append((name, read_summary(path)))
    if not runs:
        raise InputError(f"{directory}: no run-N/ below it")
    return runs


def cell(d, fmt):
    """"median [lo, hi]" of a described metric, the interval's level
    after it when it is not 95%."""
    if d is None or d["median"] is None:
        return "n/a"
    ci = d["ci"]
    if not ci:
        return fmt(d["median"])
    level = "" if d["ci_level"] >= 0.95 else f" ({100 * d['ci_level']:.1f}%)"
    return fmt(d["median"]) + f" [{fmt(ci[0])}, {fmt(ci[1])}]{level}"


def spread(d, fmt):
    if d is None or d["median"] is None:
        return "n/a"
    return f"{fmt(d['min'])} - {fmt(d['max'])}"


def mode_table(m, n_runs):
    """metric | median [95% CI] | min - max | run-1 ... run-N."""
    header = ["metric", "median [CI]", "min - max"] + \
             [f"run {i + 1}" for i in range(n_runs)]
    rows = []
    for key in KEYS:
        d = m["metrics"].get(key)
        if d is None:
            continue
        if key in SAME_AS and SAME_AS[key] in m["metrics"]:
            continue
        fmt = FORMAT[key]
        rows.append((LABEL[key], [cell(d, fmt), spread(d, fmt)]
                     + [fmt(v) if v is not None else "n/a" for v in d["values"]]))
    return table_markdown(header, rows)


def early_stop_lines(pooled):
    out = []
    for m in pooled["modes"]:
        d = m["metrics"].get("early_stop")
        if d and d["n"]:
            k = sum(1 for v in d["values"] if v)
            text = f"{m['mode']}: compact_memory stopped early in {k} of {d['n']} runs"
            out.append(f"- **{text}** (its scanners met in the largest zone's first quarter; "
                       "each run's report.md says where)." if k else f"- {text}.")
    return out


def render_md(pooled, plotted):
    n = pooled["repeats"]
    out = [f"# khugehog: {n} runs pooled — kernel {pooled.get('kernel') or 'unknown'}", "",
           f"Each of {', '.join(f'[{r}]({r}/report.md)' for r in pooled['runs'])} is a "
           "complete run, every mode in a fresh guest; this report pools them.", "",
           f"- A figure: the median over the runs, with its confidence interval "
           f"({CI_METHOD}; the level in brackets when it is not 95%), and the spread "
           "(min - max).",
           f"- Between modes: {TEST_METHOD}. A bold entry is a difference at 5% "
           "(its interval excludes 1x).", ""]
    if pooled.get("instrumented"):
        out += ["Note: an instrumented kernel (sanitizers, lockdep): its timings say "
                "nothing about a released kernel's.", ""]
    for m, (k, why) in pooled.get("skipped_modes", {}).items():
        out += [f"**{m}**: not run on this kernel in {k} of {n} runs: {why}.", ""]
    stops = early_stop_lines(pooled)
    if stops:
        out += ["## Early stops", ""] + stops + [""]
    if pooled["ratio_comparisons"]:
        rows = [(k, [verdict_text(c), p_text(c) if c.get("kind") else "n/a"])
                for k, c in pooled["ratio_comparisons"].items()]
        out += ["## Between modes", "",
                "p90 of one mode over another's, as the ratio of their geometric means "
                "over the runs (a difference, + or -, where a p90 read 0), with its 95% "
                "interval; bold when it excludes no change.", "",
                table_markdown(["p90 of", "estimate [95% CI]", "test"], rows), ""]
    if plotted:
        out += ["## Plots", "", "![latency CDFs, every run](plots/cdf-runs.png)", "",
                "How to read this: one colour per mode. Each thin line is one run's CDF of "
                "its successful allocations' latency (log x axis); the thick line pools "
                "every run's allocations. Where the thin lines spread, the runs disagree.", "",
                "![p90 per run](plots/p90-runs.png)", "",
                "How to read this: one column per mode; each dot is one run's p90 (log "
                "scale), the bar its median and the whisker the median's interval (the "
                "table gives its level).", ""]
    for m in pooled["modes"]:
        out += [f"## {m['mode']}", ""]
        if m["runs"] < n:
            out += [f"In {m['runs']} of {n} runs.", ""]
        out += [mode_table(m, n), ""]
    return "\n".join(out).rstrip() + "\n"


def plot_runs(plots_dir, pooled, per_run_results):
    """cdf-runs.png and p90-runs.png.  per_run_results: one list of
    model.ModeResult per run."""
    import numpy as np

    from .plots import pyplot, save_figure

    plt = pyplot()
    names = [m["mode"] for m in pooled["modes"]]
    # Many modes: the legend beside the axes, not over the curves.
    wide = len(names) > 4
    fig, ax = plt.subplots(figsize=(11.5 if wide else 8, 4.8), layout="constrained")
    for i, name in enumerate(names):
        colour = f"C{i % 10}"
        pooled_us = []
        for results in per_run_results:
            r = next((x for x in results if x.mode == name), None)
            if r is None or not r.ok_rows:
                continue
            us = np.sort(np.maximum(np.asarray([x[1] for x in r.ok_rows], float) / 1000, 1e-3))
            pooled_us.append(us)
            ax.step(us, np.arange(1, us.size + 1) / us.size, where="post", lw=0.7,
                    alpha=0.35, color=colour)
        if pooled_us:
            us = np.sort(np.concatenate(pooled_us))
            ax.step(us, np.arange(1, us.size + 1) / us.size, where="post", lw=2.2,
                    color=colour, label=f"{name} ({len(pooled_us)} runs, {us.size} pages)")
    ax.axhline(0.9, ls=":", lw=1, color="0.4")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (us, log scale)")
    ax.set_ylabel("fraction of successful allocations")
    ax.set_title(f"Latency CDF per mode: {pooled['repeats']} runs (thin), pooled (thick)\n"
                 f"kernel {pooled.get('kernel')}")
    ax.grid(True, which="both", alpha=0.3)
    if names and wide:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    elif names:
        ax.legend(loc="lower right", fontsize=9)
    save_figure(plt, fig, plots_dir, "cdf-runs")

    fig, ax = plt.subplots(figsize=(max(6.0, 1.5 + 1.3 * len(names)), 4.8),
                           layout="constrained")
    for i, m in enumerate(pooled["modes"]):
        d = m["metrics"].get("p90_us")
        if not d or d["median"] is None:
            continue
        vals = [v for v in d["values"] if v is not None and v > 0]
        xs = i + np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else [i]
        ax.plot(xs, vals, "o", color=f"C{i % 10}", ms=6, alpha=0.8)
        ax.hlines(d["median"], i - 0.3, i + 0.3, color="0.2", lw=2)
        if d["ci"]:
            lo, hi = d["ci"]
            ax.vlines(i + 0.3, lo, hi, color="0.2", lw=1.2)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20 if len(names) > 4 else 0)
    ax.set_xlim(-0.6, max(len(names), 1) - 0.4)
    ax.set_ylabel("p90 latency (us, log scale)")
    ax.set_title(f"p90 per run (dots), median (bar), its interval (whisker)\n"
                 f"kernel {pooled.get('kernel')}")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    save_figure(plt, fig, plots_dir, "p90-runs")

# SPDX-License-Identifier: GPL-2.0
"""Several kernels' runs side by side, from each one's summary.json:
compare.md, compare.json and the p90 chart (scripts/compare.py).

A kernel's summary.json is one run's, or a repeated run's pooled one
(repeats.py).  Each metric then has one value per run: a kernel's figure
is their median, and where both kernels have 2 runs or more the ratio
comes with its 95% interval and a verdict (stats.compare)."""

import math
import os
import re
import sys

from .fmt import fmt_int, fmt_ratio, fmt_us, table_markdown
from .metrics import METRICS, SAME_AS, TIMINGS, number
from .rundir import InputError, read_summary
from .stats import (CI_METHOD, TEST_METHOD, compare as compare_samples, describe, informative,
                    p_text, verdict_text)

SUMMARY = "summary.json"


def ratio(value, base):
    if value is None or base is None or base == 0:
        return None
    r = value / base
    return round(r, 3) if math.isfinite(r) else None


def natural_key(s):
    return [(0, int(t), "") if t.isdigit() else (1, 0, t)
            for t in re.split(r"(\d+)", s) if t]


def mode_entries(summary, path):
    """{mode name: mode dict} in summary order; malformed entries skipped."""
    modes = summary.get("modes")
    out = {}
    if modes is None:
        return out
    if not isinstance(modes, list):
        print(f"compare.py: warning: {path}: 'modes' is not a list; ignored",
              file=sys.stderr)
        return out
    for m in modes:
        if isinstance(m, dict) and isinstance(m.get("mode"), str) and m["mode"]:
            out.setdefault(m["mode"], m)
        else:
            print(f"compare.py: warning: {path}: a modes entry without a name; ignored",
                  file=sys.stderr)
    return out


def load(directory, labels, allow_missing):
    """[(label, summary)] of the kernels with results, [labels without]."""
    if not os.path.isdir(directory):
        raise InputError(f"{directory}: no such directory")
    if not labels:
        labels = sorted((d for d in os.listdir(directory)
                         if os.path.isfile(os.path.join(directory, d, SUMMARY))),
                        key=natural_key)
        if not labels:
            raise InputError(f"{directory}: no <kernel>/{SUMMARY} below it")
    runs, missing = [], []
    for label in labels:
        path = os.path.join(directory, label, SUMMARY)
        if not os.path.exists(path) and allow_missing:
            missing.append(label)
            continue
        runs.append((label, read_summary(path)))
    if not runs:
        raise InputError(f"{directory}: none of {', '.join(labels)} has a {SUMMARY}")
    return runs, missing


def samples(summary, mode):
    """{metric key: [one value per run]} of a mode in a summary.json,
    one run's or a repeated run's."""
    if "repeats" in summary:
        metrics = mode.get("metrics") if isinstance(mode, dict) else None
        metrics = metrics if isinstance(metrics, dict) else {}
        out = {}
        for key, *_ in METRICS:
            d = metrics.get(key)
            vals = d.get("values") if isinstance(d, dict) else None
            out[key] = [number(v) for v in vals] if isinstance(vals, list) else []
        return out
    return {key: [get(mode)] for key, _, get, _, _ in METRICS}


def figure(values):
    """A kernel's figure: its one run's value as it is, or the median of
    its runs."""
    v = [x for x in values if x is not None]
    if len(v) == 1:
        return v[0]
    return describe(v)["median"]


def compare(runs, missing, baseline):
    labels = [label for label, _ in runs]
    summaries = dict(runs)
    per_kernel = {label: mode_entries(s, label + "/" + SUMMARY) for label, s in runs}
    instrumented = {label: s.get("instrumented") is True for label, s in runs}
    repeats = {label: s.get("repeats") if isinstance(s.get("repeats"), int) else 1
               for label, s in runs}
    mode_names = []
    for label in labels:
        for name in per_kernel[label]:
            if name not in mode_names:
                mode_names.append(name)
    modes = []
    marked = compared = 0
    for name in mode_names:
        per_run = {}
        for label in labels:
            m = per_kernel[label].get(name)
            per_run[label] = (samples(summaries[label], m) if m is not None
                              else {key: [] for key, *_ in METRICS})
        values = {label: {key: figure(per_run[label][key]) for key, *_ in METRICS}
                  for label in labels}
        ratios, comparisons = {}, {}
        for label in labels:
            if label == baseline:
                continue
            ratios[label], comparisons[label] = {}, {}
            for key, *_ in METRICS:
                if key in TIMINGS and (instrumented[label] or instrumented[baseline]):
                    ratios[label][key] = comparisons[label][key] = None
                    continue
                ratios[label][key] = ratio(values[label][key], values[baseline][key])
                c = compare_samples(per_run[baseline][key], per_run[label][key])
                comparisons[label][key] = c if c["kind"] is not None else None
                # Counted once per counter, and only where it could differ.
                if informative(c) and key not in SAME_AS:
                    compared += 1
                    marked += c["marked"]
        modes.append({"mode": name,
                      "kernels_with_mode": [la for la in labels if name in per_kernel[la]],
                      "values": values, "runs": {la: per_run[la] for la in labels},
                      "ratios": ratios, "comparisons": comparisons})
    kernels = []
    for label, s in runs:
        kernels.append({
            "label": label,
            "kernel": s.get("kernel") if isinstance(s.get("kernel"), str) else None,
            "cmdline": s.get("cmdline") if isinstance(s.get("cmdline"), str) else None,
            "mem_total_kib": number(s.get("mem_total_kib")),
            "init_on_alloc": number(s.get("init_on_alloc")),
            "accel": s.get("accel") if isinstance(s.get("accel"), str) else None,
            "runner": s.get("runner") if isinstance(s.get("runner"), str) else None,
            "instrumented": instrumented[label],
            "repeats": repeats[label],
        })
    within = {}
    for label, s in runs:
        r = s.get("ratios")
        within[label] = ({k: number(v) for k, v in r.items()}
                         if isinstance(r, dict) else {})
    return {
        "baseline": baseline,
        "kernels": kernels,
        "missing": missing,
        "metrics": [{"key": key, "label": text} for key, text, *_ in METRICS],
        "statistics": {"figure": f"median of the runs; CI: {CI_METHOD}",
                       "comparison": TEST_METHOD,
                       "compared": compared, "marked": marked},
        "modes": modes,
        "ratios_within_kernel": within,
    }


def differing_settings(kernels):
    notes = []
    for key, what in (("init_on_alloc", "init_on_alloc"), ("mem_total_kib", "MemTotal (KiB)"),
                      ("accel", "accelerator"), ("runner", "runner")):
        seen = [k[key] for k in kernels]
        if key == "mem_total_kib" and None not in seen and seen:
            # Kernels reserve different amounts: only another guest size counts.
            differs = max(seen) > 1.05 * min(seen)
        else:
            differs = len(set(map(str, seen))) > 1
        if differs:
            pairs = ", ".join(f"{k['label']}: {'n/a' if k[key] is None else k[key]}"
                              for k in kernels)
            notes.append(f"Note: {what} differs between the kernels ({pairs}); "
                         f"the runs are not like for like.")
    return notes


def mode_table(cmp, mode):
    labels = [k["label"] for k in cmp["kernels"]]
    base = cmp["baseline"]
    others = [la for la in labels if la != base]
    header = ["metric"] + labels + [f"{la} vs {base}" for la in others]
    rows = []
    for key, text, _, fmt, always in METRICS:
        vals = [mode["values"][la][key] for la in labels]
        if not always and all(v is None for v in vals):
            continue
        if key in SAME_AS and any(mode["values"][la][SAME_AS[key]] is not None
                                  for la in labels):
            continue
        rows.append((text, [fmt(v) for v in vals]
                     + [comparison_cell(mode, la, key, fmt) for la in others]))
    return table_markdown(header, rows)


def comparison_cell(mode, label, key, fmt):
    """The verdict where there is one, else the plain ratio."""
    c = mode["comparisons"][label][key]
    if c is not None:
        return verdict_text(c)
    return fmt_ratio(mode["ratios"][label][key])


def verdict_lines(cmp):
    """One line per marked difference, and the count over all."""
    st = cmp["statistics"]
    if not st["compared"]:
        return ["No verdict: a verdict needs 2 runs or more of each kernel "
                "(demo.sh --repeat N, make demo REPEAT=N); the ratios below are of "
                "single runs.", ""]
    base = cmp["baseline"]
    out = [f"{st['marked']} of {st['compared']} comparisons differ at 5% "
           f"({st['comparison']}; a counter that stayed the same in every run, and "
           f"a second name of one, not counted). Each is a kernel / {base}, the ratio "
           f"with its 95% interval, or kernel - {base}, the difference of the means, "
           "where a value is 0 or negative.", ""]
    for m in cmp["modes"]:
        for la, per_key in m["comparisons"].items():
            for key, text, _, fmt, _ in METRICS:
                c = per_key.get(key)
                if c is None or not c["marked"] or key in SAME_AS:
                    continue
                n = c["n"]
                op = "/" if c["kind"] == "ratio" else "-"
                out.append(f"- {m['mode']}, {text}: {la} {op} {base} = "
                           f"{verdict_text(c)}, {p_text(c)} "
                           f"({n[1]} vs {n[0]} runs)")
    if st["marked"]:
        out.append("")
    return out


def p90_overview(cmp):
    labels = [k["label"] for k in cmp["kernels"]]
    base = cmp["baseline"]
    others = [la for la in labels if la != base]
    header = ["mode"] + [f"{la} p90 (us)" for la in labels] + [f"{la} vs {base}" for la in others]
    rows = [(m["mode"], [fmt_us(m["values"][la]["p90_us"]) for la in labels]
             + [comparison_cell(m, la, "p90_us", fmt_us) for la in others])
            for m in cmp["modes"]]
    return table_markdown(header, rows)


def render_md(cmp, plotted):
    labels = [k["label"] for k in cmp["kernels"]]
    base = cmp["baseline"]
    out = [f"# khugehog: {' vs '.join(labels)}", ""]
    out += ["Each kernel's numbers come from its own run directory, `<kernel>/summary.json` "
            "(see `<kernel>/report.md`). Latencies are over successful allocations, in "
            "microseconds. Ratios are kernel / baseline: the baseline is "
            f"**{base}**; for a latency, below 1x means faster than on the baseline. "
            "A kernel run several times (`runs` below) shows the median of its runs; "
            "a ratio between two such kernels is the ratio of geometric means with its "
            "95% interval in brackets, **bold** when the interval excludes 1x.", ""]
    if cmp["missing"]:
        out += [f"No results (no summary.json; the run failed?): "
                f"{', '.join(cmp['missing'])}.", ""]
    out += ["## Kernels", "", table_markdown(
        ["label", "runs", "kernel", "init_on_alloc", "MemTotal (MiB)", "accel", "cmdline"],
        [(k["label"], [str(k["repeats"]), k["kernel"] or "n/a", fmt_int(k["init_on_alloc"]),
                       "n/a" if k["mem_total_kib"] is None else f"{k['mem_total_kib'] / 1024:.0f}",
                       k["accel"] or "n/a", f"`{k['cmdline']}`" if k["cmdline"] else "n/a"])
         for k in cmp["kernels"]], align="---"), ""]
    notes = differing_settings(cmp["kernels"])
    slow = [k["label"] for k in cmp["kernels"] if k.get("instrumented")]
    if slow:
        notes.append(f"Note: {', '.join(slow)} ran with sanitizers or lock debugging; "
                     "its timings are compared with nothing (no ratio).")
    if notes:
        out += notes + [""]
    if not cmp["modes"]:
        out += ["No modes in any summary.json.", ""]
    else:
        out += ["## Verdict", ""] + verdict_lines(cmp)
        out += ["## p90 per mode", "", p90_overview(cmp), ""]
        if plotted:
            out += ["![p90 per mode and kernel](compare-p90.png)", "",
                    "How to read this: one group of bars per mode, one bar per kernel, "
                    "height = that mode's p90 allocation latency on that kernel "
                    "(us, log scale; the median of its runs, each run a dot, when it ran "
                    "several times); a missing bar is a mode the kernel did not run "
                    "or that got no page.", ""]
        for m in cmp["modes"]:
            lacking = [la for la in labels if la not in m["kernels_with_mode"]]
            out += [f"## {m['mode']}", ""]
            if lacking:
                out += [f"Not run on {', '.join(lacking)}.", ""]
            out += [mode_table(cmp, m), ""]
    keys = []
    for la in labels:
        for k in cmp["ratios_within_kernel"][la]:
            if k not in keys:
                keys.append(k)
    if keys:
        out += ["## Ratios between modes, per kernel", "",
                "From each summary.json's `ratios` (e.g. p90 on-demand / p90 manual).", "",
                table_markdown(["ratio"] + labels,
                               [(k, [fmt_ratio(cmp["ratios_within_kernel"][la].get(k))
                                     for la in labels]) for k in keys]), ""]
    return "\n".join(out).rstrip() + "\n"


def plot_p90(cmp, directory):
    from .plots import pyplot, save_figure  # only with plots: it needs numpy

    plt = pyplot()
    labels = [k["label"] for k in cmp["kernels"]]
    modes = [m["mode"] for m in cmp["modes"]]
    n = max(len(labels), 1)
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 + len(modes) * (0.5 + 0.45 * n)), 4.8),
                           layout="constrained")
    drawn = []
    for i, la in enumerate(labels):
        xs, ys, missing_x = [], [], []
        for j, m in enumerate(cmp["modes"]):
            x = j - 0.4 + width * (i + 0.5)
            v = m["values"][la]["p90_us"]
            if v is not None and v > 0:
                xs.append(x)
                ys.append(v)
            else:
                missing_x.append(x)
        bars = ax.bar(xs, ys, width * 0.95, label=la, color=f"C{i % 10}",
                      alpha=0.55 if cmp["kernels"][i]["repeats"] > 1 else 1.0)
        # A repeated run: each run's p90 as a dot on its bar (the median).
        for j, m in enumerate(cmp["modes"]):
            pts = [v for v in m["runs"][la]["p90_us"] if v is not None and v > 0]
            if len(pts) > 1:
                x = j - 0.4 + width * (i + 0.5)
                ax.plot([x] * len(pts), pts, "o", ms=3.5, color=f"C{i % 10}",
                        markeredgecolor="0.15", markeredgewidth=0.5, zorder=3)
                drawn += pts
        for b, v in zip(bars, ys):
            ax.annotate(fmt_us(v), (b.get_x() + b.get_width() / 2, v), ha="center",
                        va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
        drawn += ys
        for x in missing_x:
            ax.annotate("n/a", (x, 0), xycoords=("data", "axes fraction"), ha="center",
                        va="bottom", fontsize=7, color="0.4", xytext=(0, 2),
                        textcoords="offset points")
    if drawn:
        ax.set_yscale("log")
        lo, hi = min(drawn), max(drawn)
        ax.set_ylim(lo / 3, hi * 4)
        ax.set_ylabel("p90 latency (us, log scale)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, title="kernel")
    else:
        ax.text(0.5, 0.5, "no p90 values", transform=ax.transAxes, ha="center")
        ax.set_ylabel("p90 latency (us)")
    ax.set_xticks(range(len(modes)))
    ax.set_xticklabels(modes, rotation=20 if len(modes) > 4 else 0)
    ax.set_xlim(-0.6, max(len(modes), 1) - 0.4)
    ax.set_xlabel("mode")
    ax.set_title("p90 of the allocation latency per mode and kernel")
    ax.grid(True, axis="y", which="major", alpha=0.3)
    save_figure(plt, fig, directory, "compare-p90")

# SPDX-License-Identifier: GPL-2.0
"""Several kernels' runs side by side, from each one's summary.json:
compare.md, compare.json and the p90 chart (scripts/compare.py)."""

import math
import os
import re
import sys

from .fmt import fmt_fixed, fmt_int, fmt_ratio, fmt_us, table_markdown
from .rundir import InputError, read_summary

SUMMARY = "summary.json"


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


# (key in compare.json, row label, getter(mode dict), formatter, always shown).
# Rows not always shown appear in a mode's table when a kernel has a value.
METRICS = [
    ("count", "hugepages obtained", lambda m: dig(m, "count"), fmt_int, True),
    ("pct_of_free", "% of free memory", lambda m: dig(m, "pct_of_free"), fmt_fixed(1), True),
    ("hugepages_gained", "hugepages gained", lambda m: dig(m, "hugepages_gained"),
     fmt_int, False),
    ("p50_us", "p50 (us)", lambda m: dig(m, "latency_us", "p50"), fmt_us, True),
    ("p90_us", "p90 (us)", lambda m: dig(m, "latency_us", "p90"), fmt_us, True),
    ("p99_us", "p99 (us)", lambda m: dig(m, "latency_us", "p99"), fmt_us, True),
    ("compaction_s", "compaction time (s)", lambda m: dig(m, "compaction_s"),
     fmt_fixed(3), True),
    ("time_to_target_s", "time to target (s)",
     lambda m: dig(m, "compaction", "time_to_target_s"), fmt_fixed(3), False),
    # pages_migrated: a count, or analyze.py's {"compaction", "compaction_and_allocation"}.
    ("pages_migrated", "pages migrated", lambda m: dig(m, "pages_migrated"), fmt_int, False),
    ("pages_migrated_compaction", "pages migrated, compaction step",
     lambda m: dig(m, "pages_migrated", "compaction"), fmt_int, False),
    ("pages_migrated_compaction_and_allocation", "pages migrated, compaction + allocations",
     lambda m: dig(m, "pages_migrated", "compaction_and_allocation"), fmt_int, False),
    ("pages_migrated_per_hugepage", "pages migrated per hugepage gained",
     lambda m: dig(m, "pages_migrated_per_hugepage"), fmt_fixed(1), False),
    ("pgmigrate_success", "delta pgmigrate_success",
     lambda m: dig(m, "vmstat_delta", "pgmigrate_success"), fmt_int, False),
]
# Timings: an instrumented kernel's (KASAN, lockdep...) are compared with
# nothing, its ratios and the baseline's against it are left out.
TIMINGS = {"p50_us", "p90_us", "p99_us", "compaction_s", "time_to_target_s"}

# A row left out of compare.md when the row it names has values: the same
# counter over the same span (compare.json keeps both).
SAME_AS = {"pgmigrate_success": "pages_migrated_compaction_and_allocation"}


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


def compare(runs, missing, baseline):
    labels = [label for label, _ in runs]
    per_kernel = {label: mode_entries(s, label + "/" + SUMMARY) for label, s in runs}
    instrumented = {label: s.get("instrumented") is True for label, s in runs}
    mode_names = []
    for label in labels:
        for name in per_kernel[label]:
            if name not in mode_names:
                mode_names.append(name)
    modes = []
    for name in mode_names:
        values = {}
        for label in labels:
            m = per_kernel[label].get(name)
            values[label] = {key: (get(m) if m is not None else None)
                             for key, _, get, _, _ in METRICS}
        ratios = {label: {key: (None if key in TIMINGS and
                                (instrumented[label] or instrumented[baseline])
                                else ratio(values[label][key], values[baseline][key]))
                          for key, *_ in METRICS}
                  for label in labels if label != baseline}
        modes.append({"mode": name,
                      "kernels_with_mode": [la for la in labels if name in per_kernel[la]],
                      "values": values, "ratios": ratios})
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
    header = ["metric"] + labels + [f"{la} / {base}" for la in others]
    rows = []
    for key, text, _, fmt, always in METRICS:
        vals = [mode["values"][la][key] for la in labels]
        if not always and all(v is None for v in vals):
            continue
        if key in SAME_AS and any(mode["values"][la][SAME_AS[key]] is not None
                                  for la in labels):
            continue
        rows.append((text, [fmt(v) for v in vals]
                     + [fmt_ratio(mode["ratios"][la][key]) for la in others]))
    return table_markdown(header, rows)


def p90_overview(cmp):
    labels = [k["label"] for k in cmp["kernels"]]
    base = cmp["baseline"]
    others = [la for la in labels if la != base]
    header = ["mode"] + [f"{la} p90 (us)" for la in labels] + [f"{la} / {base}" for la in others]
    rows = [(m["mode"], [fmt_us(m["values"][la]["p90_us"]) for la in labels]
             + [fmt_ratio(m["ratios"][la]["p90_us"]) for la in others]) for m in cmp["modes"]]
    return table_markdown(header, rows)


def render_md(cmp, plotted):
    labels = [k["label"] for k in cmp["kernels"]]
    base = cmp["baseline"]
    out = [f"# khugehog: {' vs '.join(labels)}", ""]
    out += ["Each kernel's numbers come from its own run directory, `<kernel>/summary.json` "
            "(see `<kernel>/report.md`). Latencies are over successful allocations, in "
            "microseconds. Ratios are kernel / baseline: the baseline is "
            f"**{base}**; for a latency, below 1x means faster than on the baseline.", ""]
    if cmp["missing"]:
        out += [f"No results (no summary.json; the run failed?): "
                f"{', '.join(cmp['missing'])}.", ""]
    out += ["## Kernels", "", table_markdown(
        ["label", "kernel", "init_on_alloc", "MemTotal (MiB)", "accel", "cmdline"],
        [(k["label"], [k["kernel"] or "n/a", fmt_int(k["init_on_alloc"]),
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
        out += ["## p90 per mode", "", p90_overview(cmp), ""]
        if plotted:
            out += ["![p90 per mode and kernel](compare-p90.png)", "",
                    "How to read this: one group of bars per mode, one bar per kernel, "
                    "height = that mode's p90 allocation latency on that kernel "
                    "(us, log scale); a missing bar is a mode the kernel did not run "
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
        bars = ax.bar(xs, ys, width * 0.95, label=la, color=f"C{i % 10}")
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

# SPDX-License-Identifier: GPL-2.0
"""How each way of compacting scales with memory: one repeated run per
guest size (scripts/host/scaling.sh), each mode's time to reach its
target, hugepages, compaction CPU and migrations over the floor, as a
table and a plot of time against memory."""

import math
import os

from .fmt import fmt_fixed, fmt_int, table_markdown
from .metrics import number
from .rundir import InputError, read_summary

# The plot, as the markdown names it.
FIGURE = "time to target against memory"

# (key in a pooled summary's metrics, column label, formatter).  The time
# is time_to_target_s where the mode has one (the proactive modes), else
# compaction_s (manual: the compact_memory write).
COLUMNS = [("time_s", "time to target (s)", fmt_fixed(2)),
           ("count", "hugepages", fmt_int),
           ("compaction_cpu_s", "compaction CPU (s)", fmt_fixed(2)),
           ("migrated_over_floor", "migrated / floor", fmt_fixed(2))]


def mode_time(metrics):
    """The mode's time to its target: time_to_target_s, else compaction_s."""
    for key in ("time_to_target_s", "compaction_s"):
        m = metrics.get(key)
        if isinstance(m, dict) and number(m.get("median")) is not None:
            return m
    return None


def load(directory):
    """[(size label, GiB, pooled summary)] for each DIR/<size>/summary.json
    of a repeated run, smallest first."""
    sizes = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name, "summary.json")
        if not os.path.isfile(path):
            continue
        s = read_summary(path)
        if "repeats" not in s:
            raise InputError(f"{path}: not a repeated run (demo.sh --repeat)")
        kib = number(s.get("mem_total_kib"))
        if kib is None:
            raise InputError(f"{path}: no mem_total_kib")
        sizes.append((name, kib / 2**20, s))
    if not sizes:
        raise InputError(f"{directory}: no <size>/summary.json below it")
    return sorted(sizes, key=lambda x: x[1])


def cell(metric, fmt, runs):
    """'median [lo, hi]' of a pooled metric, with how many of the size's
    runs had a value when some had none (a target not reached); or n/a."""
    if not isinstance(metric, dict) or number(metric.get("median")) is None:
        return "n/a"
    ci = metric.get("ci")
    n = metric.get("n", 0)
    text = fmt(metric["median"])
    if isinstance(ci, list) and len(ci) == 2 and None not in ci and n > 1:
        text += f" [{fmt(ci[0])}, {fmt(ci[1])}]"
    if isinstance(runs, int) and n < runs:
        text += f" ({n} of {runs} runs)"
    return text


def scaling(sizes):
    """{"sizes": [...], "modes": {mode: {size: {key: pooled metric}}}}."""
    out = {"sizes": [{"label": label, "mem_gib": round(gib, 2),
                      "repeats": s.get("repeats"), "kernel": s.get("kernel")}
                     for label, gib, s in sizes], "modes": {}}
    for label, _, s in sizes:
        for m in s.get("modes", []):
            metrics = m.get("metrics", {})
            row = {"time_s": mode_time(metrics)}
            for key, _, _ in COLUMNS[1:]:
                row[key] = metrics.get(key)
            out["modes"].setdefault(m["mode"], {})[label] = row
    return out


def render_md(sc):
    sizes = [z["label"] for z in sc["sizes"]]
    lines = ["# Scaling: time to target against memory", "",
             "One repeated run per guest size (scripts/host/scaling.sh); each cell the "
             "median of its runs with the interval analyze.py gives (exact, distribution-"
             "free: [min, max] below 6 runs). Time: the proactive modes' time to reach "
             "their target (the module's low watermark; kcompactd's score settling), "
             "manual's compact_memory write.", ""]
    lines += [f"- {z['label']}: MemTotal {z['mem_gib']:.1f} GiB, {z['repeats']} runs, "
              f"kernel {z['kernel']}" for z in sc["sizes"]]
    runs = {z["label"]: z["repeats"] for z in sc["sizes"]}
    for key, label, fmt in COLUMNS:
        rows = [(mode, [cell(sc["modes"][mode].get(size, {}).get(key), fmt, runs[size])
                        for size in sizes]) for mode in sc["modes"]]
        lines += ["", f"## {label}", "", table_markdown(["mode"] + sizes, rows)]
    return "\n".join(lines) + "\n"


def plot(sc, directory):
    from .plots import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    gib = {z["label"]: z["mem_gib"] for z in sc["sizes"]}
    drawn = False
    for i, (mode, by_size) in enumerate(sc["modes"].items()):
        xs, ys, lo, hi = [], [], [], []
        for size, row in by_size.items():
            t = row.get("time_s")
            if not t or number(t.get("median")) is None or t["median"] <= 0:
                continue
            ci = t.get("ci") or [t["median"], t["median"]]
            xs.append(gib[size])
            ys.append(t["median"])
            lo.append(t["median"] - ci[0])
            hi.append(ci[1] - t["median"])
        if not xs:
            continue
        order = sorted(range(len(xs)), key=xs.__getitem__)
        ax.errorbar([xs[j] for j in order], [ys[j] for j in order],
                    yerr=[[lo[j] for j in order], [hi[j] for j in order]], marker="o",
                    capsize=3, color=f"C{i % 10}", label=mode)
        drawn = True
    if drawn:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="mode")
    xt = sorted(gib.values())
    ax.set_xticks(xt)
    ax.set_xticklabels([f"{x:.1f}" if not math.isclose(x, round(x)) else f"{round(x)}"
                        for x in xt])
    ax.set_xlabel("guest memory (GiB, MemTotal; log scale)")
    ax.set_ylabel("time to target (s, log scale)")
    ax.set_title("Time to target against memory: median and interval of the runs")
    ax.grid(True, which="major", alpha=0.3)
    save_figure(plt, fig, directory, "scaling")


def build(directory):
    """scaling.py's figures of DIR."""
    return scaling(load(directory))

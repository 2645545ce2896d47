# SPDX-License-Identifier: GPL-2.0
"""Sustained demand: one repeated run per rate (scripts/host/sustained.sh),
each way's latency at each rate against the free-list latency of the same
run (manual mode's p50: compact_memory first, then the same demand), and
the highest rate each way serves within SERVED_FACTOR of it."""

import os

from .fmt import fmt_fixed, fmt_int, fmt_us, table_markdown
from .metrics import number
from .rundir import InputError, read_summary

# The plot, as the markdown names it.
FIGURE = "p90 against the free-list latency, by rate"

REFERENCE = "manual"
# A rate is served when the way's p90 is within this factor of the
# free-list latency (the reference's p50) in the same repeat.
SERVED_FACTOR = 2.0
COLUMNS = [("p50_us", "p50 (us)", fmt_us), ("p90_us", "p90 (us)", fmt_us),
           ("p99_us", "p99 (us)", fmt_us), ("count", "hugepages", fmt_int),
           ("late", "attempts begun late", fmt_int)]


def load(directory):
    """[(rate, pooled summary)] for each DIR/<rate>/summary.json, by rate."""
    rates = []
    for name in os.listdir(directory):
        path = os.path.join(directory, name, "summary.json")
        if not name.isdigit() or not os.path.isfile(path):
            continue
        s = read_summary(path)
        if "repeats" not in s:
            raise InputError(f"{path}: not a repeated run (demo.sh --repeat)")
        rates.append((int(name), s))
    if not rates:
        raise InputError(f"{directory}: no <rate>/summary.json below it")
    return sorted(rates, key=lambda x: x[0])


def values(summary, mode, key):
    """The per-run values of a mode's metric, [] when absent."""
    for m in summary.get("modes", []):
        if m.get("mode") == mode:
            return list(m.get("metrics", {}).get(key, {}).get("values", []))
    return []


def spread(xs):
    """{"median", "min", "max", "n"} of the numbers among xs, or None."""
    v = sorted(x for x in xs if number(x) is not None)
    if not v:
        return None
    mid = len(v) // 2
    med = v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2
    return {"median": med, "min": v[0], "max": v[-1], "n": len(v)}


def sustained(rates):
    """{"rates", "modes": {mode: {"by_rate": {rate: {...}}, "served": spread}}}."""
    modes = []
    for _, s in rates:
        for m in s.get("modes", []):
            if m["mode"] not in modes:
                modes.append(m["mode"])
    if REFERENCE not in modes:
        raise InputError(f"no {REFERENCE} mode: it gives the free-list latency")
    out = {"rates": [r for r, _ in rates], "reference": REFERENCE,
           "served_factor": SERVED_FACTOR, "modes": {}}
    for mode in modes:
        by_rate, served_by_run = {}, {}
        for rate, s in rates:
            ref = values(s, REFERENCE, "p50_us")
            p90 = values(s, mode, "p90_us")
            ratios = [p / r if number(p) is not None and number(r) else None
                      for p, r in zip(p90, ref)]
            row = {key: spread(values(s, mode, key)) for key, _, _ in COLUMNS}
            row["p90_over_free_list"] = spread(ratios)
            by_rate[rate] = row
            for k, x in enumerate(ratios):
                served_by_run.setdefault(k, []).append((rate, x))
        # Per repeat: the highest rate served with every rate below it.
        highest = []
        for runs in served_by_run.values():
            best = 0
            for rate, x in sorted(runs):
                if x is None or x > SERVED_FACTOR:
                    break
                best = rate
            highest.append(best)
        out["modes"][mode] = {"by_rate": by_rate, "served": spread(highest)}
    return out


def cell(sp, fmt):
    if not sp:
        return "n/a"
    text = fmt(sp["median"])
    return text + (f" [{fmt(sp['min'])}, {fmt(sp['max'])}]" if sp["n"] > 1 else "")


def render_md(su):
    rates = su["rates"]
    lines = ["# Sustained demand", "",
             f"One repeated run per rate (scripts/host/sustained.sh): the module allocates "
             f"at that rate, each late attempt recorded as late. Each cell: the median of the "
             f"runs [min, max]. Free-list latency: {su['reference']} mode's p50 in the same "
             f"repeat (compact_memory first, then the same demand). A rate is served when "
             f"p90 is within {su['served_factor']:g}x of it; a way's highest served rate is, "
             f"in each repeat, the highest rate served with every rate below it.", "",
             "## Highest rate served (a second)", "",
             table_markdown(["mode", "median [min, max]"],
                            [(m, [cell(v["served"], fmt_int)]) for m, v in su["modes"].items()]),
             "", "## p90 / free-list latency", "",
             table_markdown(["mode"] + [f"{r}/s" for r in rates],
                            [(m, [cell(v["by_rate"][r]["p90_over_free_list"], fmt_fixed(2))
                                  for r in rates]) for m, v in su["modes"].items()])]
    for key, label, fmt in COLUMNS:
        lines += ["", f"## {label}", "",
                  table_markdown(["mode"] + [f"{r}/s" for r in rates],
                                 [(m, [cell(v["by_rate"][r][key], fmt) for r in rates])
                                  for m, v in su["modes"].items()])]
    return "\n".join(lines) + "\n"


def plot(su, directory):
    from .plots import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    for i, (mode, v) in enumerate(su["modes"].items()):
        pts = [(r, v["by_rate"][r]["p90_over_free_list"]) for r in su["rates"]]
        pts = [(r, sp) for r, sp in pts if sp and sp["median"] > 0]
        if not pts:
            continue
        ax.errorbar([r for r, _ in pts], [sp["median"] for _, sp in pts],
                    yerr=[[sp["median"] - sp["min"] for _, sp in pts],
                          [sp["max"] - sp["median"] for _, sp in pts]],
                    marker="o", capsize=3, color=f"C{i % 10}", label=mode)
    ax.axhline(su["served_factor"], color="0.3", linestyle="--", linewidth=1,
               label=f"served: p90 <= {su['served_factor']:g}x free-list")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(su["rates"])
    ax.set_xticklabels([str(r) for r in su["rates"]])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("demand (hugepages a second, log scale)")
    ax.set_ylabel("p90 / free-list latency (log scale)")
    ax.set_title("p90 / free-list latency at each demand (median, range)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    save_figure(plt, fig, directory, "sustained")


def build(directory):
    """sustained.py's figures of DIR."""
    return sustained(load(directory))

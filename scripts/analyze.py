#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Analyze one khugehog run directory.

usage: analyze.py RUN [--no-plots] [--quiet]

A repeated run (scripts/host/demo.sh --repeat N): each RUN/run-N/ is
analyzed as below, then the runs are pooled into RUN/summary.json,
RUN/report.md and RUN/plots/{cdf,p90}-runs.png: each figure's median,
spread and 95% confidence interval (analysis/repeats.py, analysis/stats.py).

One run: reads RUN/setup.txt and one RUN/<mode>/ directory per mode (latencies.txt,
summary.txt; optional: compaction.txt, pagemap-{0,1,2}.txt, snap/<phase>/,
score-timeline.txt, compactor_status.txt, compactor_timeline.txt), and
writes RUN/summary.json, RUN/report.md and RUN/plots/*.{png,svg}.  Any
optional file may be missing (runs from before it existed still analyze).
The report's main tables are printed to stdout as plain text.

Modes are reported in a fixed order, from what the run recorded of each
(compaction.txt's method): on-demand, manual, the kernel's proactive
compaction by proactiveness, the module's compactor by strategy, its
concurrent variants.  The work is the analysis package's (scripts/analysis/):
rundir (reading), model (the per-mode result), summary, report, plots.

Latency statistics are over successful allocations only, in microseconds,
with numpy's default (linear) percentile method, the one kmod/percentile.h
implements in the module.

Exit status: 0 on success, 1 on missing or garbled input, 2 on bad arguments.
"""

import argparse
import os
import sys

import debian_python

REEXEC_GUARD = "KHUGEHOG_ANALYZE_REEXEC"


def ensure_numpy():
    debian_python.require("numpy", __file__, REEXEC_GUARD,
                          f"analyze.py: error: numpy not found for {sys.executable}"
                          " (apt-get install python3-numpy python3-matplotlib)")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="analyze.py",
        description="Analyze a khugehog run directory: writes RUN/summary.json, "
                    "RUN/report.md and RUN/plots/.")
    p.add_argument("run", metavar="RUN", help="run directory")
    p.add_argument("--no-plots", action="store_true", help="do not draw plots")
    p.add_argument("--quiet", action="store_true",
                   help="print nothing on success")
    return p.parse_args(argv)


def analyze_one(run, args):
    """Analyze one run directory; returns its ModeResults, or None after
    printing why it could not be."""
    from analysis import model, output, plots, report, rundir, summary
    from analysis.fmt import table_text

    try:
        setup, files = rundir.parse_run(run)
    except rundir.InputError as e:
        print(f"analyze.py: error: {e}", file=sys.stderr)
        return None
    results = [model.mode_result(f) for f in model.report_order(setup, files)]
    skipped = rundir.skipped_modes(run, setup)
    if not results and not skipped:
        print(f"analyze.py: error: {run}: no mode ran", file=sys.stderr)
        return None
    if not args.quiet:
        header = ["statistic"] + [r.mode for r in results]
        print(table_text(header, report.main_table(results)))
        for line in report.ratio_sentences(results):
            print(line)
        print()
        print(table_text(*report.side_by_side(results)))
        for line in report.floor_paragraphs(results):
            print(line.replace("**", ""))
        for line in report.targeted_vs_manual_section(setup, results)[2:3]:
            print(line.replace("**", ""))
        sys.stdout.flush()
    for m, why in skipped.items():
        if not args.quiet:
            print(f"{m}: skipped: {why}")
    output.write_json(os.path.join(run, "summary.json"),
                      summary.build_summary(setup, results, skipped))
    drawn = None if args.no_plots or not results else plots.make_plots(run, setup, results)
    report.write_report(os.path.join(run, "report.md"), setup, results, drawn, skipped)
    if not args.quiet:
        print(f"wrote {os.path.join(run, 'summary.json')}, "
              f"{os.path.join(run, 'report.md')}"
              + ("" if args.no_plots else f", {os.path.join(run, 'plots')}/"))
    return results


def analyze_repeated(run, names, args):
    """Each RUN/run-N/ analyzed, then pooled into RUN/."""
    from analysis import output, repeats, rundir

    per_run = []
    for name in names:
        if not args.quiet:
            print(f"=== {name} ===")
        results = analyze_one(os.path.join(run, name), args)
        if results is None:
            return 1
        per_run.append(results)
    try:
        pooled = repeats.pool(repeats.load_runs(run))
    except rundir.InputError as e:
        print(f"analyze.py: error: {e}", file=sys.stderr)
        return 1
    output.write_json(os.path.join(run, "summary.json"), pooled)
    plotted = False
    if not args.no_plots:
        os.makedirs(os.path.join(run, "plots"), exist_ok=True)
        repeats.plot_runs(os.path.join(run, "plots"), pooled, per_run)
        plotted = True
    md = repeats.render_md(pooled, plotted)
    output.write_text_atomic(os.path.join(run, "report.md"), md)
    if not args.quiet:
        print(md, end="")
        print(f"wrote {os.path.join(run, 'summary.json')}, {os.path.join(run, 'report.md')}")
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ensure_numpy()
    # After ensure_numpy(): the package imports numpy.
    from analysis import repeats

    names = repeats.run_dirs(args.run)
    if names:
        debian_python.require("scipy", __file__, REEXEC_GUARD + "_SCIPY",
                              f"analyze.py: error: scipy not found for {sys.executable}"
                              " (apt-get install python3-scipy): a repeated run's intervals")
        return analyze_repeated(args.run, names, args)
    return 0 if analyze_one(args.run, args) is not None else 1


if __name__ == "__main__":
    sys.exit(main())

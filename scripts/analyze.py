#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Analyze one khugehog run directory.

usage: analyze.py RUN [--no-plots] [--quiet]

Reads RUN/setup.txt and one RUN/<mode>/ directory per mode (latencies.txt,
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


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ensure_numpy()
    # After ensure_numpy(): the package imports numpy.
    from analysis import model, output, plots, report, rundir, summary
    from analysis.fmt import table_text

    try:
        setup, files = rundir.parse_run(args.run)
    except rundir.InputError as e:
        print(f"analyze.py: error: {e}", file=sys.stderr)
        return 1
    results = [model.mode_result(f) for f in model.report_order(setup, files)]
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
    output.write_json(os.path.join(args.run, "summary.json"),
                      summary.build_summary(setup, results))
    drawn = None if args.no_plots else plots.make_plots(args.run, setup, results)
    report.write_report(os.path.join(args.run, "report.md"), setup, results, drawn)
    if not args.quiet:
        print(f"wrote {os.path.join(args.run, 'summary.json')}, "
              f"{os.path.join(args.run, 'report.md')}"
              + ("" if args.no_plots else f", {os.path.join(args.run, 'plots')}/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

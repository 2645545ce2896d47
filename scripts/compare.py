#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare khugehog runs of several kernels.

usage: compare.py DIR [LABEL...] [--baseline LABEL] [--allow-missing]
                  [--no-plots] [--quiet]

DIR holds one run directory per kernel, DIR/<LABEL>/, each with the
summary.json that scripts/analyze.py writes (scripts/host/demo.sh -k K1 -k K2
lays a run out that way).  LABELs choose the kernels and their order; without
them, every subdirectory holding a summary.json is compared, in natural sort
order.  Ratios are kernel / baseline; the baseline is the first kernel, or
--baseline LABEL.

Writes DIR/compare.md (a table per mode, one column per kernel, then the
ratios), DIR/compare.json (the same numbers) and DIR/compare-p90.{png,svg}
(p90 per mode, grouped by kernel, log scale).  A mode or a key that one
kernel's summary.json lacks is "n/a" (null in the JSON).

--allow-missing: a LABEL without a summary.json (its run failed) is listed as
such instead of being an error; a missing baseline falls back to the first
kernel that has results.

Exit status: 0 on success, 1 on missing or garbled input, 2 on bad arguments.
"""

import argparse
import json
import os
import sys

import debian_python

REEXEC_GUARD = "KHUGEHOG_COMPARE_REEXEC"


def ensure(module, why):
    debian_python.require(module, __file__, REEXEC_GUARD,
                          f"compare.py: error: {module} not found for {sys.executable}"
                          f" (apt-get install python3-{module}): {why}")


def ensure_matplotlib():
    debian_python.require("matplotlib", __file__, REEXEC_GUARD,
                          f"compare.py: error: matplotlib not found for {sys.executable}"
                          " (apt-get install python3-matplotlib), or pass --no-plots")


def parser():
    p = argparse.ArgumentParser(
        prog="compare.py",
        description="Compare khugehog runs of several kernels: DIR/<LABEL>/summary.json "
                    "-> DIR/compare.md, DIR/compare.json, DIR/compare-p90.{png,svg}.")
    p.add_argument("dir", metavar="DIR", help="directory of per-kernel run directories")
    p.add_argument("labels", metavar="LABEL", nargs="*",
                   help="kernels to compare, in order (default: every DIR/*/summary.json)")
    p.add_argument("--baseline", metavar="LABEL",
                   help="the kernel ratios divide by (default: the first)")
    p.add_argument("--allow-missing", action="store_true",
                   help="list a LABEL without summary.json instead of failing")
    p.add_argument("--no-plots", action="store_true", help="do not draw the chart")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_intermixed_args(sys.argv[1:] if argv is None else argv)
    if len(set(args.labels)) != len(args.labels):
        p.error("a LABEL is given twice")
    for la in args.labels:
        if not la or "/" in la or la in (".", ".."):
            p.error(f"bad LABEL {la!r}: the name of a subdirectory of DIR")
    if args.labels and args.baseline is not None and args.baseline not in args.labels:
        p.error(f"--baseline {args.baseline} is not one of the LABELs")
    ensure("numpy", "a kernel's figures")
    if not args.no_plots:
        ensure_matplotlib()
    # After ensure(): the package imports numpy.
    from analysis.compare import compare, load, plot_p90, render_md
    from analysis.output import write_text_atomic
    from analysis.rundir import InputError

    try:
        runs, missing = load(args.dir, args.labels, args.allow_missing)
    except InputError as e:
        print(f"compare.py: error: {e}", file=sys.stderr)
        return 1
    if any("repeats" in summary for _, summary in runs):
        ensure("scipy", "the verdicts between repeated runs")
    labels = [la for la, _ in runs]
    baseline = labels[0]
    if args.baseline is not None:
        if args.baseline in labels:
            baseline = args.baseline
        elif args.baseline in missing:
            print(f"compare.py: warning: baseline {args.baseline} has no results; "
                  f"using {baseline}", file=sys.stderr)
        else:
            p.error(f"--baseline {args.baseline}: no such kernel in {args.dir} "
                    f"(have: {', '.join(labels)})")
    cmp = compare(runs, missing, baseline)
    md_path = os.path.join(args.dir, "compare.md")
    json_path = os.path.join(args.dir, "compare.json")
    write_text_atomic(json_path, json.dumps(cmp, indent=2, allow_nan=False) + "\n")
    plotted = False
    if not args.no_plots and cmp["modes"]:
        plot_p90(cmp, args.dir)
        plotted = True
    md = render_md(cmp, plotted)
    write_text_atomic(md_path, md)
    if not args.quiet:
        print(md, end="")
        print(f"wrote {md_path}, {json_path}"
              + (f", {os.path.join(args.dir, 'compare-p90')}.{{png,svg}}" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

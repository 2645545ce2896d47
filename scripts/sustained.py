#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sustained demand: each way's latency at each rate, against the
free-list latency.

usage: sustained.py DIR [--no-plots] [--quiet]

DIR holds one repeated run per rate, DIR/<rate>/ (demo.sh --rate R
--repeat N, as scripts/host/sustained.sh lays them out), each with its
pooled summary.json and a manual mode, whose p50 is the free-list latency.
Writes DIR/sustained.md (per mode and rate: p50, p90, p99, hugepages, late
attempts, p90 over the free-list latency, and the highest rate served),
DIR/sustained.json and DIR/sustained.{png,svg}.

Exit status: 0 on success, 1 on missing or garbled input, 2 on bad arguments.
"""

import argparse
import json
import os
import sys

import debian_python

REEXEC_GUARD = "KHUGEHOG_SUSTAINED_REEXEC"


def main(argv=None):
    p = argparse.ArgumentParser(prog="sustained.py",
                                description="Sustained demand: DIR/<rate>/summary.json -> "
                                            "DIR/sustained.{md,json,png,svg}.")
    p.add_argument("dir", metavar="DIR", help="directory of one repeated run per rate")
    p.add_argument("--no-plots", action="store_true", help="write no plot")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isdir(args.dir):
        print(f"sustained.py: error: {args.dir}: no such directory", file=sys.stderr)
        return 1
    if not args.no_plots:
        debian_python.require("matplotlib", __file__, REEXEC_GUARD,
                              "sustained.py: error: matplotlib not found (apt-get install "
                              "python3-matplotlib), or pass --no-plots")
    from analysis.output import write_text_atomic
    from analysis.rundir import InputError
    from analysis.sustained import load, plot, render_md, sustained

    try:
        sc = sustained(load(args.dir))
    except InputError as e:
        print(f"sustained.py: error: {e}", file=sys.stderr)
        return 1
    write_text_atomic(os.path.join(args.dir, "sustained.json"),
                      json.dumps(sc, indent=2, allow_nan=False) + "\n")
    md = render_md(sc)
    if not args.no_plots:
        plot(sc, args.dir)
        md += "\n![p90 against the free-list latency, by rate](sustained.png)\n"
    write_text_atomic(os.path.join(args.dir, "sustained.md"), md)
    if not args.quiet:
        print(md, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

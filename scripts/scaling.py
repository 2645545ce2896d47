#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""How each mode's compaction scales with memory.

usage: scaling.py DIR [--no-plots] [--quiet]

DIR holds one repeated run per guest size, DIR/<size>/ (demo.sh --repeat,
as scripts/host/scaling.sh lays them out), each with its pooled
summary.json.  Writes DIR/scaling.md (per mode and size: time to target,
hugepages, compaction CPU, migrations over the floor, each a median with
its interval), DIR/scaling.json and DIR/scaling.{png,svg} (time to target
against memory, log-log).

Exit status: 0 on success, 1 on missing or garbled input, 2 on bad arguments.
"""

import argparse
import json
import os
import sys

import debian_python

REEXEC_GUARD = "KHUGEHOG_SCALING_REEXEC"


def main(argv=None):
    p = argparse.ArgumentParser(prog="scaling.py",
                                description="Time to target against memory: "
                                            "DIR/<size>/summary.json -> DIR/scaling.{md,json,png,svg}.")
    p.add_argument("dir", metavar="DIR", help="directory of one repeated run per size")
    p.add_argument("--no-plots", action="store_true", help="write no plot")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isdir(args.dir):
        print(f"scaling.py: error: {args.dir}: no such directory", file=sys.stderr)
        return 1
    if not args.no_plots:
        debian_python.require("matplotlib", __file__, REEXEC_GUARD,
                              "scaling.py: error: matplotlib not found (apt-get install "
                              "python3-matplotlib), or pass --no-plots")
    from analysis.output import write_text_atomic
    from analysis.rundir import InputError
    from analysis.scaling import load, plot, render_md, scaling

    try:
        sc = scaling(load(args.dir))
    except InputError as e:
        print(f"scaling.py: error: {e}", file=sys.stderr)
        return 1
    write_text_atomic(os.path.join(args.dir, "scaling.json"),
                      json.dumps(sc, indent=2, allow_nan=False) + "\n")
    md = render_md(sc)
    if not args.no_plots:
        plot(sc, args.dir)
        md += "\n![time to target against memory](scaling.png)\n"
    write_text_atomic(os.path.join(args.dir, "scaling.md"), md)
    if not args.quiet:
        print(md, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

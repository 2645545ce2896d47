# SPDX-License-Identifier: GPL-2.0
"""What the sweep front ends share (scaling.py: one repeated run per guest
size; sustained.py: one per demand rate): read DIR, write DIR/NAME.json
and DIR/NAME.md, plot DIR/NAME.{png,svg}.  NAME is the analysis module
that does the work (analysis/NAME.py: build(DIR), render_md(), plot(),
FIGURE)."""

import argparse
import importlib
import json
import os
import sys

import debian_python


def main(name, script, description, dir_help, argv=None):
    """The front end of analysis/NAME.py; script: the caller's __file__,
    run again under Debian's python3 when matplotlib is missing."""
    prog = f"{name}.py"
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("dir", metavar="DIR", help=dir_help)
    p.add_argument("--no-plots", action="store_true", help="write no plot")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isdir(args.dir):
        print(f"{prog}: error: {args.dir}: no such directory", file=sys.stderr)
        return 1
    if not args.no_plots:
        debian_python.require("matplotlib", script, f"KHUGEHOG_{name.upper()}_REEXEC",
                              f"{prog}: error: matplotlib not found (apt-get install "
                              "python3-matplotlib), or pass --no-plots")
    from analysis.output import write_text_atomic
    from analysis.rundir import InputError
    sweep = importlib.import_module(f"analysis.{name}")

    try:
        data = sweep.build(args.dir)
    except InputError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    write_text_atomic(os.path.join(args.dir, f"{name}.json"),
                      json.dumps(data, indent=2, allow_nan=False) + "\n")
    md = sweep.render_md(data)
    if not args.no_plots:
        sweep.plot(data, args.dir)
        md += f"\n![{sweep.FIGURE}]({name}.png)\n"
    write_text_atomic(os.path.join(args.dir, f"{name}.md"), md)
    if not args.quiet:
        print(md, end="")
    return 0

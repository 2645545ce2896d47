#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The verdicts' false-alarm rate on real runs of one kernel.

usage: aa-rate.py [--n N] [--json FILE] RUN...

Each RUN is a repeated run directory (demo.sh --repeat: RUN/run-N/, each
with its summary.json), all of the same kernel; an A/A run of demo.sh
(the same kernel under two labels) gives its two label directories.  The
runs are pooled, and every way of splitting them into two groups of N
(default: half of them) is compared as compare.py compares two kernels.
No difference is there to find: the share of metric comparisons marked is
the false-alarm rate at N runs a side, and the share of splits with any
mark how often an A/A compare.md shows one.  Printed, and with --json
written.

Exit status: 0, 1 on missing input, 2 on bad arguments.
"""

import argparse
import json
import os
import sys

import debian_python

REEXEC_GUARD = "KHUGEHOG_AA_RATE_REEXEC"


def main(argv=None):
    p = argparse.ArgumentParser(prog="aa-rate.py",
                                description="The verdicts' A/A false-alarm rate on real runs.")
    p.add_argument("runs", metavar="RUN", nargs="+", help="repeated run directories")
    p.add_argument("--n", type=int, help="runs a side (default: half of them)")
    p.add_argument("--json", metavar="FILE", help="write the result here too")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    for module in ("numpy", "scipy"):
        debian_python.require(module, __file__, REEXEC_GUARD,
                              f"aa-rate.py: error: {module} not found (apt-get install "
                              f"python3-{module})")
    from analysis import false_alarms, repeats, rundir

    summaries, kernels = [], set()
    for d in args.runs:
        names = repeats.run_dirs(d)
        if not names:
            print(f"aa-rate.py: error: {d}: no run-N/ below it", file=sys.stderr)
            return 1
        for name in names:
            try:
                s = rundir.read_summary(os.path.join(d, name, "summary.json"))
            except rundir.InputError as e:
                print(f"aa-rate.py: error: {e}", file=sys.stderr)
                return 1
            summaries.append(s)
            kernels.add(s.get("kernel"))
    if len(kernels) > 1:
        print(f"aa-rate.py: error: runs of several kernels ({', '.join(map(str, kernels))}): "
              "an A/A comparison is of one", file=sys.stderr)
        return 1
    n = args.n or len(summaries) // 2
    if n < 2 or 2 * n > len(summaries):
        p.error(f"--n {n}: needs 2 <= N <= {len(summaries) // 2} ({len(summaries)} runs)")
    r = false_alarms.rate(summaries, n)
    if not r["compared"]:
        print("aa-rate.py: error: no metric varies between the runs: nothing to compare",
              file=sys.stderr)
        return 1
    print(f"{r['runs']} runs of {kernels.pop()}, {r['splits']} splits of {n} vs {n}: "
          f"{r['marked']} of {r['compared']} metric comparisons marked, "
          f"false-alarm rate {100 * r['rate']:.1f}%; {r['splits_with_a_mark']} of "
          f"{r['splits']} splits marked at least one")
    worst = sorted(r["by_metric"].items(), key=lambda kv: -kv[1][0] / kv[1][1])[:5]
    for name, (m, c) in worst:
        print(f"  {name}: {m} of {c} ({100 * m / c:.1f}%)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(r, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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

import sys

import sweep


def main(argv=None):
    return sweep.main("scaling", __file__,
                      "Time to target against memory: DIR/<size>/summary.json -> DIR/scaling.{md,json,png,svg}.",
                      "directory of one repeated run per size", argv)


if __name__ == "__main__":
    sys.exit(main())

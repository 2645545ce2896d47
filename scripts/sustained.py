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

import sys

import sweep


def main(argv=None):
    return sweep.main("sustained", __file__,
                      "Sustained demand: DIR/<rate>/summary.json -> DIR/sustained.{md,json,png,svg}.",
                      "directory of one repeated run per rate", argv)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for the readers of scripts/lib.sh that the guest tests and
experiment-checks.sh share; prints KTAP, exits 1 if any test fails.

usage: python3 scripts/tests/analysis/test_lib_sh.py
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))         # ktap_harness
import ktap_harness  # noqa: E402
from ktap_harness import TempDir, eq, exited_ok, test  # noqa: E402

LIB = REPO / "scripts" / "lib.sh"
MEMFREE_KB = 1993472


def zoneinfo(pcp_counts):
    """A /proc/zoneinfo reduced to what pcp_pages reads: one "count:"
    line per CPU."""
    return "".join(f"Node 0, zone    DMA32\n  pagesets\n    cpu: {c}\n"
                   f"              count: {n}\n" for c, n in enumerate(pcp_counts))


def free_kib(shell, meminfo, zone, prelude="", arg0=None):
    """free_kib MEMINFO ZONEINFO in `shell`, after lib.sh and `prelude`
    (which sees `arg0` as $0)."""
    return subprocess.run([shell, "-c", f'. "{LIB}"; {prelude}\nfree_kib "$1" "$2"',
                           str(arg0 or shell), str(meminfo), str(zone)],
                          capture_output=True, text=True, timeout=30)


@test("free_kib counts a page the per-CPU lists drain between its reads once")
def t_free_kib_drain_between_reads():
    # 8,800 pages (about 17 order-9 pages) sit on the per-CPU lists at the
    # first read, and are in MemFree by the time meminfo is read: a CI run
    # counted them twice (35 MB more free before a test than after it, a
    # leak that was not one).  The drain is played by pcp_pages itself: its
    # first reading counts them, every later one does not.
    drain = ('pcp_pages() { n=$(cat "$0.calls" 2>/dev/null || echo 0); '
             'echo $((n + 1)) >"$0.calls"; '
             'if [ "$n" = 0 ]; then echo 8800; else echo 0; fi; }')
    for shell in ("sh", "bash"):
        with TempDir() as tmp:
            (tmp / "meminfo").write_text(f"MemTotal: 2030000 kB\nMemFree: {MEMFREE_KB} kB\n")
            proc = free_kib(shell, tmp / "meminfo", tmp / "zoneinfo", drain, tmp / "pcp")
            exited_ok(proc, f"{shell}: exit status")
            eq(proc.stdout.strip(), str(MEMFREE_KB), f"{shell}: free_kib")


@test("free_kib of a snapshot: MemFree plus its per-CPU pages; nothing without MemFree")
def t_free_kib_snapshot():
    with TempDir() as tmp:
        (tmp / "zoneinfo").write_text(zoneinfo([100, 28]))
        (tmp / "meminfo").write_text(f"MemFree: {MEMFREE_KB} kB\n")
        (tmp / "empty").write_text("")
        proc = free_kib("sh", tmp / "meminfo", tmp / "zoneinfo")
        exited_ok(proc)
        eq(proc.stdout.strip(), str(MEMFREE_KB + 128 * 4), "free_kib")
        proc = free_kib("sh", tmp / "empty", tmp / "zoneinfo")
        eq(proc.stdout.strip(), "", "free_kib without MemFree")


if __name__ == "__main__":
    sys.exit(ktap_harness.run())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for the helpers of scripts/host/common.sh that the host scripts
share; prints KTAP, exits 1 if any test fails.

usage: python3 scripts/tests/analysis/test_host_common.py
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))         # ktap_harness
import ktap_harness  # noqa: E402
from ktap_harness import TempDir, eq, test  # noqa: E402

COMMON = REPO / "scripts" / "host" / "common.sh"

# A busybox that lists its applets as the real one does, a write(2) each,
# slowly enough that a reader stopping at "tar" has gone before the rest:
# the next write then kills it with SIGPIPE.
SLOW_BUSYBOX = """#!/bin/bash
[ "$1" = --list ] || exit 1
for a in sh tar tee zcat; do echo "$a"; sleep 0.2; done
"""


def has_applet(busybox, applet):
    """has_applet BUSYBOX APPLET, under vm-run.sh's set -euo pipefail."""
    return subprocess.run(["bash", "-c", f'set -euo pipefail; . "{COMMON}"; '
                           'if has_applet "$1" "$2"; then echo yes; else echo no; fi',
                           "bash", str(busybox), applet],
                          capture_output=True, text=True, timeout=30)


@test("has_applet: a busybox killed by SIGPIPE after listing the applet still has it")
def t_has_applet_early_reader():
    # vm-run.sh's check was `busybox --list | grep -qx tar` under pipefail:
    # in a sustained run, one boot of 24 was refused ("a static busybox is
    # needed") with /bin/busybox in place.
    with TempDir() as tmp:
        bb = tmp / "busybox"
        bb.write_text(SLOW_BUSYBOX)
        bb.chmod(0o755)
        for applet, want in (("tar", "yes"), ("zcat", "yes"), ("ta", "no"), ("gzip", "no")):
            proc = has_applet(bb, applet)
            eq(proc.stdout.strip(), want, f"{applet}: {proc.stderr.strip()!r}")


def main():
    return ktap_harness.run()


if __name__ == "__main__":
    sys.exit(main())

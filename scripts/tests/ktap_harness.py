# SPDX-License-Identifier: GPL-2.0
"""The little harness the Python test files share: register tests with
@test, fail them with check/eq/exited_ok, skip them with Skip, and run() prints KTAP
(TAP 13 with a "# Totals:" line, as the kselftest harness does)."""

import shutil
import sys
import tempfile
import traceback
from pathlib import Path

TESTS = []


class Skip(Exception):
    pass


def test(name):
    def register(fn):
        TESTS.append((name, fn))
        return fn
    return register


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def exited_ok(proc, what="exit status"):
    """A finished subprocess exited 0; its stderr says why if not."""
    eq(proc.returncode, 0, f"{what} ({proc.stderr.strip()})")


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) of a PNG file; fails the test if it is not one."""
    data = path.read_bytes()
    check(data[:8] == PNG_MAGIC, f"{path.name}: not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


class TempDir:
    def __enter__(self):
        self.path = Path(tempfile.mkdtemp(prefix="khugehog-test-"))
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def run(cleanup=None):
    """Run every registered test; the exit status: 1 if any failed."""
    print("TAP version 13")
    print(f"1..{len(TESTS)}")
    counts = {"pass": 0, "fail": 0, "skip": 0}
    try:
        for n, (name, fn) in enumerate(TESTS, 1):
            try:
                fn()
            except Skip as e:
                print(f"ok {n} - {name} # SKIP {e}")
                counts["skip"] += 1
            except Exception as e:  # AssertionError or an unexpected error
                print(f"not ok {n} - {name}")
                detail = str(e) if isinstance(e, AssertionError) else (
                    traceback.format_exc().strip())
                for line in detail.splitlines() or ["failed"]:
                    print(f"# {line}")
                counts["fail"] += 1
            else:
                print(f"ok {n} - {name}")
                counts["pass"] += 1
            sys.stdout.flush()
    finally:
        if cleanup:
            cleanup()
    print(f"# Totals: pass:{counts['pass']} fail:{counts['fail']} skip:{counts['skip']}")
    return 1 if counts["fail"] else 0

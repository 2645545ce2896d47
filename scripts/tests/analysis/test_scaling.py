#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for scripts/scaling.py and the argument checks of
scripts/host/scaling.sh; prints KTAP, exits 1 if any test fails.

usage: python3 scripts/tests/analysis/test_scaling.py
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))         # ktap_harness
sys.path.insert(0, str(REPO / "scripts"))    # debian_python, analysis
import ktap_harness  # noqa: E402
from ktap_harness import TempDir, check, eq, exited_ok, png_size, test  # noqa: E402
import debian_python  # noqa: E402

SCALING = REPO / "scripts" / "scaling.py"
DRIVER = REPO / "scripts" / "host" / "scaling.sh"
REEXEC_GUARD = "KHUGEHOG_TEST_SCALING_REEXEC"


def pooled(values):
    """A pooled metric in repeats.py's shape, [min, max] as its interval."""
    v = sorted(values)
    return {"n": len(v), "values": values, "median": v[len(v) // 2], "min": v[0],
            "max": v[-1], "ci": [v[0], v[-1]], "ci_level": 0.75}


def size_summary(kib, manual_s, targeted_s):
    """A repeated run's summary.json: manual (compaction_s) and targeted
    (time_to_target_s, migrated_over_floor)."""
    return {"kernel": "6.12.0", "mem_total_kib": kib, "repeats": 3, "modes": [
        {"mode": "manual", "runs": 3,
         "metrics": {"compaction_s": pooled(manual_s), "count": pooled([700, 710, 705]),
                     "time_to_target_s": {"n": 0, "values": [None] * 3, "median": None}}},
        {"mode": "proactive-module-targeted", "runs": 3,
         "metrics": {"time_to_target_s": pooled(targeted_s), "compaction_s": pooled([9, 9, 9]),
                     "count": pooled([700, 712, 706]),
                     "migrated_over_floor": pooled([1.02, 1.05, 1.04]),
                     "compaction_cpu_s": pooled([2.0, 2.5, 2.2])}}]}


def run_scaling(*args):
    return subprocess.run([sys.executable, str(SCALING)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=300)


@test("sizes in memory order; the time is time_to_target_s, else compaction_s; table and plot")
def t_scaling_table():
    with TempDir() as tmp:
        for name, kib, man, tgt in (("8G", 8_000_000, [5.0, 6.0, 5.5], [9.0, 8.0, 10.0]),
                                    ("2G", 2_000_000, [1.3, 1.6, 1.4], [3.9, 4.2, 5.0])):
            (tmp / name).mkdir()
            (tmp / name / "summary.json").write_text(json.dumps(size_summary(kib, man, tgt)))
        proc = run_scaling(tmp, "--quiet")
        exited_ok(proc)
        sc = json.loads((tmp / "scaling.json").read_text())
        eq([z["label"] for z in sc["sizes"]], ["2G", "8G"], "sizes, smallest first")
        eq(sc["modes"]["manual"]["8G"]["time_s"]["median"], 5.5, "manual: compaction_s")
        eq(sc["modes"]["proactive-module-targeted"]["2G"]["time_s"]["median"], 4.2,
           "targeted: time_to_target_s, not compaction_s")
        md = (tmp / "scaling.md").read_text()
        row = next((l for l in md.splitlines() if l.startswith("| proactive-module-targeted")), "")
        eq(row, "| proactive-module-targeted | 4.20 [3.90, 5.00] | 9.00 [8.00, 10.00] |",
           "the first table's targeted row")
        check("| manual | n/a | n/a |" in md, "manual's migrated / floor is not n/a")
        check("- 8G: MemTotal 7.6 GiB, 3 runs, kernel 6.12.0" in md, "no line for 8G")
        check(png_size(tmp / "scaling.png")[0] > 0, "no scaling.png")


@test("a time some runs lack (a target not reached) says how many runs had one")
def t_scaling_partial():
    with TempDir() as tmp:
        s = size_summary(2_000_000, [1.3, 1.6, 1.4], [3.9, 4.2, 5.0])
        s["modes"][1]["metrics"]["time_to_target_s"] = {"n": 1, "values": [None, 2.5, None],
                                                        "median": 2.5, "ci": [2.5, 2.5]}
        (tmp / "2G").mkdir()
        (tmp / "2G" / "summary.json").write_text(json.dumps(s))
        exited_ok(run_scaling(tmp, "--quiet", "--no-plots"))
        md = (tmp / "scaling.md").read_text()
        check("| proactive-module-targeted | 2.50 (1 of 3 runs) |" in md,
              "the partial time does not say 1 of 3 runs")


@test("a size that is not a repeated run, or no size at all: exit 1 naming it")
def t_scaling_bad_input():
    with TempDir() as tmp:
        proc = run_scaling(tmp, "--no-plots")
        eq(proc.returncode, 1, "empty DIR: exit status")
        check("no <size>/summary.json" in proc.stderr, f"stderr: {proc.stderr!r}")
        (tmp / "2G").mkdir()
        (tmp / "2G" / "summary.json").write_text(json.dumps({"kernel": "x", "modes": []}))
        proc = run_scaling(tmp, "--no-plots")
        eq(proc.returncode, 1, "single run: exit status")
        check("not a repeated run" in proc.stderr, f"stderr: {proc.stderr!r}")


@test("scaling.sh: bad sizes, repeats and options exit 2 with usage before any guest")
def t_driver_arguments():
    # --mem is the driver's to give: demo.sh refuses it twice, and the
    # driver stops at that usage error instead of trying the next size.
    for args in (["-s", "2X"], ["-r", "1"], ["-r", "100"], ["-s", "2G 4G", "--mem", "2G"],
                 ["-s"], ["-s", "2G 4G", "-k", "debian-6.1", "-m", "1G", "manual"]):
        proc = subprocess.run(["bash", str(DRIVER)] + args, capture_output=True, text=True,
                              timeout=60)
        eq(proc.returncode, 2, f"{args}: exit status")
        check("usage:" in proc.stderr, f"{args}: no usage")
        if "2G 4G" in args:
            check("--mem given twice" in proc.stderr, f"{args}: {proc.stderr[:200]!r}")
            eq(proc.stderr.count("usage:"), 1, f"{args}: usage errors (one per size tried)")


def main():
    debian_python.require("matplotlib", __file__, REEXEC_GUARD,
                          "test_scaling.py: matplotlib not found (apt-get install "
                          "python3-matplotlib)")
    return ktap_harness.run()


if __name__ == "__main__":
    sys.exit(main())

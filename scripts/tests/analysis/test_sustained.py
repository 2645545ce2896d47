#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for scripts/sustained.py and the argument checks of
scripts/host/sustained.sh; prints KTAP, exits 1 if any test fails.

usage: python3 scripts/tests/analysis/test_sustained.py
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

SUSTAINED = REPO / "scripts" / "sustained.py"
DRIVER = REPO / "scripts" / "host" / "sustained.sh"
EXPERIMENT = REPO / "scripts" / "guest" / "experiment.sh"
REEXEC_GUARD = "KHUGEHOG_TEST_SUSTAINED_REEXEC"


def metric(values):
    return {"n": len(values), "values": values}


def rate_summary(modes):
    """A repeated run's summary.json: {mode: {key: [per-run values]}}."""
    return {"kernel": "6.12.0", "repeats": 3,
            "modes": [{"mode": m, "runs": 3,
                       "metrics": {k: metric(v) for k, v in keys.items()}}
                      for m, keys in modes.items()]}


def run_sustained(*args):
    return subprocess.run([sys.executable, str(SUSTAINED)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=300)


@test("served rates per repeat against the same repeat's free-list p50; gaps stop the climb")
def t_served_rates():
    # manual p50 is 10 us in every repeat.  mod's p90: 15, 18, 30 at 50/s
    # (repeat 3 not served), 19 at 100/s, 50, 15, 15 at 200/s (repeat 1 not
    # served).  The highest rate served with every rate below it, per
    # repeat: 100, 200 and 0.
    ref = {"p50_us": [10.0, 10.0, 10.0], "p90_us": [12.0, 12.0, 12.0]}
    data = {50: {"manual": ref, "mod": {"p90_us": [15.0, 18.0, 30.0], "late": [0, 0, 1]}},
            100: {"manual": ref, "mod": {"p90_us": [19.0, 19.0, 19.0], "late": [0, 1, 2]}},
            200: {"manual": ref, "mod": {"p90_us": [50.0, 15.0, 15.0], "late": [9, 3, 3]}}}
    with TempDir() as tmp:
        for rate, modes in data.items():
            (tmp / str(rate)).mkdir()
            (tmp / str(rate) / "summary.json").write_text(json.dumps(rate_summary(modes)))
        (tmp / "notes").mkdir()
        proc = run_sustained(tmp, "--quiet")
        exited_ok(proc)
        su = json.loads((tmp / "sustained.json").read_text())
        eq(su["rates"], [50, 100, 200], "rates in order, other directories ignored")
        eq(su["modes"]["mod"]["served"], {"median": 100, "min": 0, "max": 200, "n": 3},
           "highest served rate per repeat")
        eq(su["modes"]["manual"]["served"]["median"], 200, "manual serves every rate")
        eq(su["modes"]["mod"]["by_rate"]["100"]["p90_over_free_list"]["median"], 1.9,
           "p90 / free-list at 100/s")
        md = (tmp / "sustained.md").read_text()
        check("| mod | 100 [0, 200] |" in md, "no served row for mod")
        check(png_size(tmp / "sustained.png")[0] > 0, "no sustained.png")


@test("no manual mode, or no rate directory: exit 1 saying why")
def t_bad_input():
    with TempDir() as tmp:
        proc = run_sustained(tmp, "--no-plots")
        eq(proc.returncode, 1, "empty DIR: exit status")
        check("no <rate>/summary.json" in proc.stderr, f"stderr: {proc.stderr!r}")
        (tmp / "50").mkdir()
        (tmp / "50" / "summary.json").write_text(json.dumps(
            rate_summary({"ondemand": {"p90_us": [1.0, 2.0, 3.0]}})))
        proc = run_sustained(tmp, "--no-plots")
        eq(proc.returncode, 1, "no manual: exit status")
        check("no manual mode" in proc.stderr, f"stderr: {proc.stderr!r}")


@test("sustained.sh: bad rates, counts and repeats exit 2 with usage before any guest")
def t_driver_arguments():
    for args in (["--rates", "0"], ["--rates", "5x"], ["--count", "0"], ["-r", "1"],
                 ["--rates"]):
        proc = subprocess.run(["bash", str(DRIVER)] + args, capture_output=True, text=True,
                              timeout=60)
        eq(proc.returncode, 2, f"{args}: exit status")
        check("usage:" in proc.stderr, f"{args}: no usage")


def list_modes(*args):
    """The modes experiment.sh makes of ARGS (those sustained.sh passes on)."""
    return subprocess.run(["sh", str(EXPERIMENT), "--module", "/nonexistent", "--list-modes"]
                          + list(args), capture_output=True, text=True, timeout=60)


@test("sustained.sh's modes: the reference first, whatever the modes; a --rate of the "
      "user's is refused, not overridden")
def t_driver_modes():
    defaults = ["--default-modes", "ondemand defrag-mode", "--reference-mode", "manual"]
    for given, want in (([], "manual ondemand defrag-mode"),
                        (["ondemand"], "manual ondemand"),
                        (["ondemand", "manual"], "manual ondemand")):
        proc = list_modes(*given, *defaults)
        exited_ok(proc, f"modes {given}")
        eq(" ".join(proc.stdout.split()), want, f"modes {given}")
    # what sustained.sh passes after the user's arguments: --rate R --count C
    proc = list_modes("--rate", "5", "manual", *defaults, "--rate", "50", "--count", "400")
    eq(proc.returncode, 2, "--rate twice: exit status")
    check("--rate given twice" in proc.stderr, f"--rate twice: {proc.stderr[:200]!r}")


def main():
    debian_python.require("matplotlib", __file__, REEXEC_GUARD,
                          "test_sustained.py: matplotlib not found (apt-get install "
                          "python3-matplotlib)")
    return ktap_harness.run()


if __name__ == "__main__":
    sys.exit(main())

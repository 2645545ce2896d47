#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for repeated runs: analyze.py pooling RUN/run-N/, the statistics
(analysis/stats.py) and compare.py's verdicts; prints KTAP, exits 1 if
any test fails.

usage: python3 scripts/tests/analysis/test_repeats.py
"""

import json
import shutil
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
from run_fixtures import MAN_US, build_run  # noqa: E402

ANALYZE = REPO / "scripts" / "analyze.py"
COMPARE = REPO / "scripts" / "compare.py"
DEMO = REPO / "scripts" / "host" / "demo.sh"
REEXEC_GUARD = "KHUGEHOG_TEST_REPEATS_REEXEC"


def ensure_modules():
    for module in ("numpy", "scipy", "matplotlib"):
        debian_python.require(module, __file__, REEXEC_GUARD,
                              f"test_repeats.py: {module} not found "
                              f"(apt-get install python3-{module})")


def run(script, *args):
    return subprocess.run([sys.executable, str(script)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=300)


def repeated_run(root, n=3):
    """root/rep/run-1..n: build_run()'s run, manual's latencies times i in run i."""
    rep = Path(root) / "rep"
    for i in range(1, n + 1):
        one = build_run(Path(root) / f"tmp{i}")
        lat = one / "manual" / "latencies.txt"
        rows = []
        for line in lat.read_text().splitlines():
            f = line.split()
            if len(f) == 4 and not line.startswith("#") and f[2] == "1":
                f[1] = str(int(f[1]) * i)
            rows.append(" ".join(f))
        lat.write_text("\n".join(rows) + "\n")
        shutil.move(str(one), str(rep / f"run-{i}"))
    return rep


def pooled_summary(kernel, p90s, counts, early):
    """A repeated run's summary.json, in repeats.pool()'s shape, for compare.py."""
    from analysis.stats import describe
    return {"kernel": kernel, "cmdline": "console=ttyS0", "mem_total_kib": 2000000,
            "init_on_alloc": 0, "accel": "tcg", "runner": "vm", "instrumented": False,
            "repeats": len(p90s), "runs": [f"run-{i + 1}" for i in range(len(p90s))],
            "modes": [{"mode": "manual", "runs": len(p90s),
                       "metrics": {"p90_us": describe(p90s), "count": describe(counts),
                                   "early_stop": describe(early)}}],
            "ratios": {}}


# ---------------------------------------------------------------- tests

@test("analyze.py pools RUN/run-N/: per-run values, median, min-max, the median's interval")
def t_pooled():
    with TempDir() as root:
        rep = repeated_run(root)
        proc = run(ANALYZE, rep, "--quiet")
        exited_ok(proc)
        for i in (1, 2, 3):
            check((rep / f"run-{i}" / "summary.json").exists(), f"run-{i} not analyzed")
        d = json.loads((rep / "summary.json").read_text())
        eq((d["repeats"], d["runs"]), (3, ["run-1", "run-2", "run-3"]), "runs")
        eq(d["kernel"], "6.1.0-56-amd64", "kernel, from run-1")
        modes = {m["mode"]: m for m in d["modes"]}
        eq(list(modes), ["ondemand", "manual"], "modes")
        p90 = modes["manual"]["metrics"]["p90_us"]
        # build_run's manual mode: 2..12 us; its p90 by numpy's linear method.
        import numpy as np
        base = float(np.percentile(MAN_US, 90))
        eq(p90["n"], 3, "runs with a p90")
        for got, want in zip(p90["values"], [base, 2 * base, 3 * base]):
            check(abs(got - want) < 1e-3 * want, f"per-run p90 {got}, want {want}")
        check(abs(p90["median"] - 2 * base) < 1e-3 * base, f"median {p90['median']}")
        eq((p90["min"], p90["max"]), (base, 3 * base), "spread")
        # 3 runs: the exact interval is [min, max], at 75%.
        eq((p90["ci"], p90["ci_level"]), ([base, 3 * base], 0.75), "the median's interval")
        count = modes["ondemand"]["metrics"]["count"]
        eq((count["values"], count["ci"]), ([2001, 2001, 2001], [2001, 2001]),
           "a figure every run agrees on")
        c = d["ratio_comparisons"]["p90_ondemand_over_manual"]
        eq(c["kind"], "ratio", "p90 on-demand / manual: a ratio")
        check(c["ci95"][0] <= c["estimate"] <= c["ci95"][1], f"estimate in its CI: {c}")
        eq(d["ratios"]["p90_ondemand_over_manual"], c["estimate"], "ratios: the estimate")
        check("exact distribution-free" in d["statistics"]["figure"], "CI method not named")
        check("Welch" in d["statistics"]["comparison"], "test not named")
        text = (rep / "report.md").read_text()
        check("3 runs pooled" in text, "report title")
        check("[run-2](run-2/report.md)" in text, "runs not linked")
        check("| p90 (us) |" in text and "| run 3 |" in text, "per-run table")
        check(" (75.0%) |" in text, "an interval below 95% without its level")
        for name in ("cdf-runs", "p90-runs"):
            w, h = png_size(rep / "plots" / f"{name}.png")
            check(w > 300 and h > 200, f"{name}.png {w}x{h}")
            check(f"plots/{name}.png" in text, f"{name} not embedded")


@test("a repeated run with a run missing its summary: exit 1 naming it")
def t_pooled_broken():
    with TempDir() as root:
        rep = repeated_run(root, 2)
        (rep / "run-2" / "manual" / "latencies.txt").write_text("garbage\n")
        proc = run(ANALYZE, rep, "--quiet", "--no-plots")
        eq(proc.returncode, 1, "exit status")
        check("run-2" in proc.stderr, f"stderr does not name run-2: {proc.stderr!r}")


@test("the median's exact interval: its level from the binomial, 95% from 6 runs")
def t_median_interval():
    from analysis.stats import coverage, describe
    eq(round(coverage(5, 1), 4), 0.9375, "5 runs, [min, max]")
    eq(round(coverage(6, 1), 4), 0.9688, "6 runs, [min, max]")
    d = describe([5, 1, 4, 2, 3, 9, 7, 8, 6, 10])
    # 10 runs: [x(2), x(9)] covers 97.9%, [x(3), x(8)] only 89.1%.
    eq((d["median"], d["ci"], d["ci_level"]), (5.5, [2.0, 9.0], 0.9785), "10 runs")
    d = describe([3, None, 1])
    eq((d["n"], d["values"], d["ci"], d["ci_level"]), (2, [3, None, 1], [1.0, 3.0], 0.5),
       "a run without the figure")
    eq(describe([None])["ci"], None, "no run")


@test("Welch's test: A/A false alarms <= 5%, a 2x difference found at n=5")
def t_calibration():
    import numpy as np
    from analysis.stats import compare
    rng = np.random.default_rng(7)
    trials = 4000
    for n, sigma in ((3, 0.5), (5, 0.5), (5, 1.2), (10, 0.3)):
        alarms = sum(compare(rng.lognormal(0, sigma, n), rng.lognormal(0, sigma, n))["marked"]
                     for _ in range(trials))
        # 4000 trials: the rate's standard error is 0.35%.
        check(alarms / trials <= 0.055, f"n={n} sigma={sigma}: {alarms / trials:.3f} false alarms")
    found = sum(compare(rng.lognormal(0, 0.3, 5), rng.lognormal(np.log(2), 0.3, 5))["marked"]
                for _ in range(1000))
    # Its power there is about 0.88 (an effect of 2.3 sd at 4 degrees of freedom).
    check(found >= 800, f"a 2x difference at n=5, sigma 0.3: found {found} of 1000")
    eq(compare([5, 5, 5], [5, 5, 5])["marked"], False, "identical constants")
    eq(compare([5, 5, 5], [6, 6, 6])["marked"], True, "different constants")
    c = compare([0, 1, 0, 0, 1], [1, 1, 1, 1, 1])
    eq(c["kind"], "difference", "a 0 among the values: a difference, not a ratio")
    eq(compare([3], [4, 5])["kind"], None, "one run: no comparison")


@test("compare.py: a verdict with its interval between repeated kernels, none for single runs")
def t_verdicts():
    with TempDir() as root:
        for label, p90s, counts, early in (
                ("base", [100, 110, 90, 105, 95], [700, 702, 699, 701, 700], [1] * 5),
                ("patched", [30, 33, 29, 31, 35], [700, 701, 700, 699, 702], [0] * 5)):
            (root / label).mkdir()
            (root / label / "summary.json").write_text(
                json.dumps(pooled_summary(label, p90s, counts, early)))
        proc = run(COMPARE, root, "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((root / "compare.json").read_text())
        m = d["modes"][0]
        p90 = m["comparisons"]["patched"]["p90_us"]
        check(p90["marked"] and p90["ci95"][1] < 1, f"p90 not marked faster: {p90}")
        cnt = m["comparisons"]["patched"]["count"]
        check(not cnt["marked"], f"equal counts marked: {cnt}")
        eq(m["values"]["base"]["p90_us"], 100, "a kernel's figure: its median")
        eq(m["runs"]["patched"]["p90_us"], [30, 33, 29, 31, 35], "per-run values kept")
        eq((d["statistics"]["compared"], d["statistics"]["marked"]), (3, 2), "counts")
        text = (root / "compare.md").read_text()
        check("2 of 3 comparisons differ at 5%" in text, "verdict count")
        # A 0/1 flag: a difference, said with "-", and no p where nothing varies.
        check("- manual, compact_memory stopped early (1 = yes): patched - base = "
              "**-1 [-1, -1]**, every run gave one value on each side (5 vs 5 runs)" in text,
              f"a difference's verdict line: {text}")
        check("| base | 5 |" in text, "runs column")
        check("- manual, p90 (us): patched / base = **0.32x [0.28x, 0.35x]**, p = " in text,
              f"verdict line: {text}")
        check("| base | 5 |" in text, "runs column")
        # Single runs: the ratio, no verdict, and said so.
        for label in ("base", "patched"):
            s = {"kernel": label, "modes": [{"mode": "manual", "count": 700,
                                             "latency_us": {"p90": 50.0}}]}
            (root / label / "summary.json").write_text(json.dumps(s))
        exited_ok(run(COMPARE, root, "--no-plots", "--quiet"))
        text = (root / "compare.md").read_text()
        check("No verdict: a verdict needs 2 runs or more" in text, "single runs: no verdict said")


@test("aa-rate.py: every 5-vs-5 split of 10 exchangeable runs; its rate near 5%, 0 when all agree")
def t_aa_rate():
    import numpy as np
    rng = np.random.default_rng(3)
    with TempDir() as root:
        for i in range(10):
            d = root / "aa" / f"run-{i + 1}"
            d.mkdir(parents=True)
            p90 = float(rng.lognormal(3, 0.4))
            s = {"kernel": "k", "modes": [{"mode": "manual", "count": 700,
                                           "latency_us": {"p50": p90 / 2, "p90": p90}}]}
            (d / "summary.json").write_text(json.dumps(s))
        proc = run(REPO / "scripts" / "aa-rate.py", root / "aa", "--json", root / "aa.json")
        exited_ok(proc)
        r = json.loads((root / "aa.json").read_text())
        eq((r["runs"], r["n"], r["splits"]), (10, 5, 126), "runs, N, splits (C(10,5) / 2)")
        # count: every run 700, no comparison at all; p50 and p90 move together.
        check("manual count" not in r["by_metric"], "a figure all runs agree on is counted")
        eq(r["compared"], 2 * 126, "p50 and p90, in every split")
        check(0 < r["rate"] < 0.1, f"rate {r['rate']}")
        check(r["marked"] <= 2 * r["splits_with_a_mark"], "splits with a mark")
        check("false-alarm rate" in proc.stdout, proc.stdout)
        proc = run(REPO / "scripts" / "aa-rate.py", root / "aa", "--n", "6")
        eq(proc.returncode, 2, "--n above half the runs")


@test("demo.sh --repeat: 1..99, else exit 2 with usage, before any guest")
def t_demo_repeat_args():
    for bad in ("0", "100", "x", "-1", ""):
        proc = subprocess.run(["bash", str(DEMO), "--repeat", bad, "manual"],
                              capture_output=True, text=True, timeout=60)
        eq(proc.returncode, 2, f"--repeat {bad!r}")
        check("usage:" in proc.stderr, f"--repeat {bad!r}: no usage")


def main():
    ensure_modules()
    return ktap_harness.run()


if __name__ == "__main__":
    sys.exit(main())

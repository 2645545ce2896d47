#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for scripts/compare.py; prints KTAP, exits 1 if any test fails.

usage: python3 scripts/tests/analysis/test_compare.py
"""

import json
import os
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

COMPARE = REPO / "scripts" / "compare.py"
DEMO = REPO / "scripts" / "host" / "demo.sh"
REEXEC_GUARD = "KHUGEHOG_TEST_COMPARE_REEXEC"


# ---------------------------------------------------------------- helpers

def ensure_matplotlib():
    debian_python.require("matplotlib", __file__, REEXEC_GUARD,
                          "test_compare.py: matplotlib not found"
                          " (apt-get install python3-matplotlib)")


def run_compare(*args, direct=False):
    cmd = [str(COMPARE)] if direct else [sys.executable, str(COMPARE)]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True,
                          text=True, timeout=300)


def mode(name, count, p50, p90, p99, pct=95.0, compaction_s=None, pgmigrate=1000, **extra):
    """A summary.json mode entry in analyze.py's shape."""
    m = {"mode": name, "count": count, "failures": 16, "free_kib_before": 1500000,
         "pct_of_free": pct,
         "latency_us": {"min": 1.0, "mean": p50, "sd": 1.0, "max": p99 * 2, "p50": p50,
                        "p90": p90, "p99": p99, "p99.9": p99 * 1.5},
         "compaction_s": compaction_s,
         "vmstat_delta": {"compact_stall": 10, "compact_success": 5, "compact_fail": 5,
                          "compact_migrate_scanned": 100, "compact_free_scanned": 200,
                          "pgmigrate_success": pgmigrate},
         "timer_overhead_ns": 80}
    m.update(extra)
    return m


def summary(kernel, modes, **extra):
    s = {"kernel": kernel, "cmdline": "console=ttyS0 init_on_alloc=0", "mem_total_kib": 2012132,
         "init_on_alloc": 0, "accel": "tcg", "runner": "vm", "modes": modes}
    s.update(extra)
    return s


def put(root, label, data):
    d = root / label
    d.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data, indent=2)
    (d / "summary.json").write_text(text)


def two_kernels(root):
    """debian-6.1 (the baseline) and debian-6.12 with known ratios."""
    put(root, "debian-6.1", summary("6.1.0-56-amd64", [
        mode("ondemand", 700, 1600.0, 4000.0, 5000.0, pct=95.5, pgmigrate=114000),
        mode("manual", 712, 11.4, 18.0, 38.0, pct=95.1, compaction_s=1.0, pgmigrate=82000),
    ], ratios={"p90_ondemand_over_manual": 222.222}))
    put(root, "debian-6.12", summary("6.12.117+deb12-amd64", [
        mode("ondemand", 720, 2000.0, 2000.0, 10000.0, pct=96.5, pgmigrate=57000),
        mode("manual", 720, 2.2, 3.6, 19.0, pct=96.0, compaction_s=2.5, pgmigrate=82000),
    ], ratios={"p90_ondemand_over_manual": 555.556}))


def section(text, title):
    """The lines of compare.md's '## title' section."""
    lines = text.splitlines()
    check(f"## {title}" in lines, f"compare.md has no section '## {title}'")
    start = lines.index(f"## {title}") + 1
    out = []
    for line in lines[start:]:
        if line.startswith("## "):
            break
        out.append(line)
    return out



# ---------------------------------------------------------------- tests

@test("two kernels: compare.md tables, one column per kernel, ratios to the first")
def t_markdown():
    with TempDir() as root:
        two_kernels(root)
        proc = run_compare(root, "debian-6.1", "debian-6.12", "--no-plots", "--quiet")
        exited_ok(proc)
        eq(proc.stdout, "", "--quiet stdout")
        text = (root / "compare.md").read_text()
        check(text.startswith("# khugehog: debian-6.1 vs debian-6.12\n"), "title")
        check("the baseline is **debian-6.1**" in text, "baseline not named")
        od = section(text, "ondemand")
        for row in ["| metric | debian-6.1 | debian-6.12 | debian-6.12 vs debian-6.1 |",
                    "| hugepages obtained | 700 | 720 | 1.03x |",
                    "| % of free memory | 95.5 | 96.5 | 1.01x |",
                    "| p50 (us) | 1600 | 2000 | 1.25x |",
                    "| p90 (us) | 4000 | 2000 | 0.50x |",
                    "| p99 (us) | 5000 | 10000 | 2.00x |",
                    "| compaction time (s) | n/a | n/a | n/a |",
                    "| delta pgmigrate_success | 114000 | 57000 | 0.50x |"]:
            check(row in od, f"ondemand table lacks {row!r}")
        man = section(text, "manual")
        for row in ["| p90 (us) | 18.00 | 3.600 | 0.20x |",
                    "| compaction time (s) | 1.000 | 2.500 | 2.50x |"]:
            check(row in man, f"manual table lacks {row!r}")
        for absent in ("time to target", "pages migrated", "hugepages gained"):
            check(not any(absent in line for line in od + man),
                  f"row {absent!r} shown though no kernel has it")
        p90 = section(text, "p90 per mode")
        check("| ondemand | 4000 | 2000 | 0.50x |" in p90, "p90 overview: ondemand")
        check("| manual | 18.00 | 3.600 | 0.20x |" in p90, "p90 overview: manual")
        within = section(text, "Ratios between modes, per kernel")
        check("| p90_ondemand_over_manual | 222x | 556x |" in within, "within-kernel ratios")
        check("compare-p90.png" not in text, "--no-plots, yet the chart is embedded")
        check(not (root / "compare-p90.png").exists(), "--no-plots, yet a chart was drawn")


@test("two kernels: compare.json holds the same numbers")
def t_json():
    with TempDir() as root:
        two_kernels(root)
        proc = run_compare(root, "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((root / "compare.json").read_text())
        eq(d["baseline"], "debian-6.1", "baseline")
        eq([k["label"] for k in d["kernels"]], ["debian-6.1", "debian-6.12"], "kernels")
        eq(d["kernels"][1]["kernel"], "6.12.117+deb12-amd64", "kernel release")
        eq(d["missing"], [], "missing")
        eq([m["mode"] for m in d["modes"]], ["ondemand", "manual"], "modes")
        od = d["modes"][0]
        eq(od["values"]["debian-6.1"], {
            "count": 700, "pct_of_free": 95.5, "hugepages_gained": None, "p50_us": 1600.0,
            "p90_us": 4000.0, "p99_us": 5000.0, "late": None, "compaction_s": None,
            "time_to_target_s": None, "compaction_cpu_s": None,
            "kcompactd_cpu_s": None, "early_stop": None, "pages_migrated": None,
            "pages_migrated_compaction": None,
            "pages_migrated_compaction_and_allocation": None, "pages_migrated_per_hugepage": None,
            "migrated_over_floor": None,
            # mode()'s vmstat_delta: 5 of 10 stalls succeeded, 100 / 200 scanned
            "compaction_efficiency": 0.5, "scan_efficiency": 0.5,
            "free_pageblocks_after": None, "pgscan_kswapd": None,
            "compact_daemon_migrate_scanned": None,
            "pgmigrate_success": 114000}, "ondemand values, debian-6.1")
        eq(set(od["ratios"]), {"debian-6.12"}, "ratio columns")
        r = od["ratios"]["debian-6.12"]
        eq((r["count"], r["p50_us"], r["p90_us"], r["p99_us"], r["compaction_s"]),
           (round(720 / 700, 3), 1.25, 0.5, 2.0, None), "ondemand ratios")
        eq(d["modes"][1]["ratios"]["debian-6.12"]["compaction_s"], 2.5, "manual compaction")
        eq(d["ratios_within_kernel"]["debian-6.12"], {"p90_ondemand_over_manual": 555.556},
           "ratios within a kernel")


@test("missing keys and modes in one kernel: n/a and null, newer keys shown")
def t_missing_keys():
    with TempDir() as root:
        put(root, "a", summary("6.1", [
            mode("ondemand", 700, 1600.0, 4000.0, 5000.0, pages_migrated=1234,
                 hugepages_gained=650, compaction={"time_to_target_s": 1.5}),
            mode("proactive-kernel-20", 500, 3.0, 30.0, 300.0),
        ]))
        b = summary("6.12", [
            {"mode": "ondemand", "count": 720},                       # no latency at all
            {"mode": "manual", "count": 10, "latency_us": None,        # nulls and junk
             "pct_of_free": "lots", "compaction_s": None, "vmstat_delta": [],
             "compaction": "fast"},
        ])
        del b["cmdline"], b["init_on_alloc"]
        b["mem_total_kib"] = None
        put(root, "b", b)
        proc = run_compare(root, "a", "b", "--quiet")
        exited_ok(proc)
        text = (root / "compare.md").read_text()
        od = section(text, "ondemand")
        for row in ["| p90 (us) | 4000 | n/a | n/a |",
                    "| % of free memory | 95.0 | n/a | n/a |",
                    "| hugepages obtained | 700 | 720 | 1.03x |",
                    "| hugepages gained | 650 | n/a | n/a |",
                    "| time to target (s) | 1.500 | n/a | n/a |",
                    "| pages migrated | 1234 | n/a | n/a |"]:
            check(row in od, f"ondemand table lacks {row!r}")
        pk = section(text, "proactive-kernel-20")
        check("Not run on b." in pk, "mode absent from b not said")
        check("| p90 (us) | 30.00 | n/a | n/a |" in pk, "proactive-kernel-20 p90 row")
        man = section(text, "manual")
        check("Not run on a." in man, "mode absent from a not said")
        check("| hugepages obtained | n/a | 10 | n/a |" in man, "manual count row")
        check("| % of free memory | n/a | n/a | n/a |" in man, "a string is not a number")
        kern = section(text, "Kernels")
        check(any(line.startswith("| b | 1 | 6.12 | n/a | n/a | tcg | n/a |") for line in kern),
              "kernel row of b with its missing keys")
        d = json.loads((root / "compare.json").read_text())
        eq([m["mode"] for m in d["modes"]], ["ondemand", "proactive-kernel-20", "manual"],
           "modes: the baseline's order, then the others'")
        vals = {m["mode"]: m["values"]["b"] for m in d["modes"]}
        check(all(v is None for v in vals["proactive-kernel-20"].values()),
              "an absent mode's values are not all null")
        eq((vals["ondemand"]["count"], vals["ondemand"]["p90_us"]), (720, None), "b ondemand")
        eq(vals["manual"]["pct_of_free"], None, "b manual pct_of_free")
        check((root / "compare-p90.png").exists(), "chart not drawn")


@test("analyze.py's per-step migrations: pages_migrated as a dict, per hugepage")
def t_migrated_dict():
    with TempDir() as root:
        for label, comp, total, gained in (("a", 80000, 81000, 600), ("b", 40000, 90000, 500)):
            put(root, label, summary(label, [mode(
                "manual", 700, 11.0, 18.0, 40.0, compaction_s=1.0, pgmigrate=total,
                pages_migrated={"compaction": comp, "compaction_and_allocation": total},
                hugepages_gained=gained, pages_migrated_per_hugepage=comp / gained,
                compaction={"method": "compact_memory", "time_to_target_s": None})]))
        proc = run_compare(root, "--no-plots", "--quiet")
        exited_ok(proc)
        man = section((root / "compare.md").read_text(), "manual")
        for row in ["| hugepages gained | 600 | 500 | 0.83x |",
                    "| pages migrated, compaction step | 80000 | 40000 | 0.50x |",
                    "| pages migrated, compaction + allocations | 81000 | 90000 | 1.11x |",
                    "| pages migrated per hugepage gained | 133.3 | 80.0 | 0.60x |"]:
            check(row in man, f"manual table lacks {row!r}")
        for absent in ("| pages migrated |", "| delta pgmigrate_success |",
                       "| time to target (s) |"):
            check(not any(line.startswith(absent) for line in man), f"row {absent!r} shown")
        d = json.loads((root / "compare.json").read_text())
        v = d["modes"][0]["values"]["b"]
        eq((v["pages_migrated"], v["pages_migrated_compaction"], v["pgmigrate_success"]),
           (None, 40000, 90000), "b's migrations in compare.json")


@test("--baseline chooses the kernel the ratios divide by")
def t_baseline():
    with TempDir() as root:
        two_kernels(root)
        proc = run_compare(root, "--baseline", "debian-6.12", "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((root / "compare.json").read_text())
        eq(d["baseline"], "debian-6.12", "baseline")
        eq(set(d["modes"][0]["ratios"]), {"debian-6.1"}, "ratio columns")
        eq(d["modes"][0]["ratios"]["debian-6.1"]["p90_us"], 2.0, "p90 ratio")
        text = (root / "compare.md").read_text()
        check("| p90 (us) | 4000 | 2000 | 2.00x |" in section(text, "ondemand"),
              "ratio column against debian-6.12")
        check("debian-6.1 vs debian-6.12" in text, "ratio header")


@test("kernels: LABELs choose and order them; default: natural order of DIR/*/summary.json")
def t_order():
    with TempDir() as root:
        for label, p90 in (("k10", 10.0), ("k9", 9.0), ("k9-rc1", 8.0)):
            put(root, label, summary(label, [mode("ondemand", 1, 1.0, p90, 100.0)]))
        (root / "plots").mkdir()                     # not a kernel
        (root / "failed").mkdir()                    # a run without summary.json
        (root / "failed" / "setup.txt").write_text("kernel=x\n")
        proc = run_compare(root, "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((root / "compare.json").read_text())
        eq([k["label"] for k in d["kernels"]], ["k9", "k9-rc1", "k10"], "default order")
        proc = run_compare(root, "k10", "k9", "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((root / "compare.json").read_text())
        eq([k["label"] for k in d["kernels"]], ["k10", "k9"], "LABEL order")
        eq((d["baseline"], d["modes"][0]["ratios"]["k9"]["p90_us"]), ("k10", 0.9),
           "baseline = first LABEL")


@test("a LABEL without summary.json: exit 1, or listed with --allow-missing")
def t_allow_missing():
    with TempDir() as root:
        two_kernels(root)
        (root / "mine").mkdir()
        proc = run_compare(root, "mine", "debian-6.1", "debian-6.12", "--no-plots")
        eq(proc.returncode, 1, "exit status without --allow-missing")
        check("mine/summary.json: missing" in proc.stderr, f"stderr: {proc.stderr.strip()!r}")
        check(not (root / "compare.md").exists(), "compare.md written despite the error")
        proc = run_compare(root, "mine", "debian-6.1", "debian-6.12", "--allow-missing",
                           "--baseline", "mine", "--no-plots", "--quiet")
        exited_ok(proc)
        check("baseline mine has no results" in proc.stderr, "no warning about the baseline")
        d = json.loads((root / "compare.json").read_text())
        eq((d["missing"], d["baseline"]), (["mine"], "debian-6.1"), "missing, baseline")
        check("No results (no summary.json; the run failed?): mine."
              in (root / "compare.md").read_text(), "compare.md does not list mine")
        proc = run_compare(root, "mine", "--allow-missing", "--no-plots")
        eq(proc.returncode, 1, "exit status when no LABEL has results")


@test("garbled input: exit 1 naming the file; missing DIR: exit 1")
def t_garbled():
    with TempDir() as root:
        two_kernels(root)
        put(root, "debian-6.12", '{"kernel": "6.12", "modes": [')
        proc = run_compare(root, "--no-plots")
        eq(proc.returncode, 1, "exit status, truncated JSON")
        check("debian-6.12/summary.json: not valid JSON" in proc.stderr,
              f"stderr: {proc.stderr.strip()!r}")
        put(root, "debian-6.12", "[1, 2]")
        proc = run_compare(root, "--no-plots")
        eq(proc.returncode, 1, "exit status, a JSON list")
        check("expected a JSON object" in proc.stderr, f"stderr: {proc.stderr.strip()!r}")
        # Odd shapes inside a valid object are n/a, not errors.
        put(root, "debian-6.12", json.dumps({"kernel": 612, "modes": {"ondemand": 1},
                                             "ratios": [1], "mem_total_kib": True}))
        proc = run_compare(root, "--no-plots", "--quiet")
        exited_ok(proc, "exit status, odd shapes")
        check("'modes' is not a list" in proc.stderr, "no warning about modes")
        put(root, "debian-6.12", json.dumps({"modes": [3, {"mode": ""},
                                                       mode("manual", 1, 1.0, 2.0, 3.0)]}))
        proc = run_compare(root, "--no-plots", "--quiet")
        exited_ok(proc, "exit status, bad modes entries")
        d = json.loads((root / "compare.json").read_text())
        eq(d["modes"][1]["values"]["debian-6.12"]["p90_us"], 2.0, "the good entry is kept")
        proc = run_compare(root / "nope")
        eq(proc.returncode, 1, "exit status, no DIR")
        check("no such directory" in proc.stderr, f"stderr: {proc.stderr.strip()!r}")
        empty = root / "empty"
        empty.mkdir()
        proc = run_compare(empty)
        eq(proc.returncode, 1, "exit status, DIR without summaries")
        check("no <kernel>/summary.json" in proc.stderr, f"stderr: {proc.stderr.strip()!r}")


@test("bad arguments -> exit 2 with usage")
def t_bad_args():
    with TempDir() as root:
        two_kernels(root)
        for args in ([], ["--bogus", root], [root, "debian-6.1", "debian-6.1"],
                     [root, "debian-6.1", "--baseline", "debian-6.12"],
                     [root, "--baseline", "nope"], [root, "../x"]):
            proc = run_compare(*args, "--no-plots")
            eq(proc.returncode, 2, f"exit status for {args}")
            check("usage:" in proc.stderr, f"no usage for {args}: {proc.stderr.strip()!r}")
        check(not (root / "compare.md").exists(), "compare.md written on bad arguments")


@test("chart: compare-p90 PNG and SVG, embedded in compare.md")
def t_chart():
    with TempDir() as root:
        two_kernels(root)
        put(root, "debian-6.12-b", summary("6.12", [mode("manual", 1, 1.0, 0.0, 2.0)]))
        proc = run_compare(root)
        exited_ok(proc)
        check("p90 per mode" in proc.stdout and "wrote " in proc.stdout, "stdout")
        w, h = png_size(root / "compare-p90.png")
        check(w >= 900 and h >= 600, f"compare-p90.png is only {w}x{h}")
        svg = (root / "compare-p90.svg").read_text()
        check(svg.lstrip().startswith("<?xml") and "<svg" in svg and
              svg.rstrip().endswith("</svg>"), "compare-p90.svg is not a complete SVG")
        for label in ("debian-6.1", "debian-6.12", "debian-6.12-b"):
            check(label in svg, f"legend lacks {label}")
        check("](compare-p90.png)" in (root / "compare.md").read_text(), "chart not embedded")


@test("compare.py runs through its shebang")
def t_shebang():
    check(os.access(COMPARE, os.X_OK), "scripts/compare.py is not executable")
    eq(COMPARE.read_text().splitlines()[0], "#!/usr/bin/env python3", "shebang")
    with TempDir() as root:
        two_kernels(root)
        proc = run_compare(root, "--quiet", direct=True)
        exited_ok(proc)
        check((root / "compare-p90.png").exists(), "chart not drawn")


@test("an instrumented kernel: counts compared, timings not (no ratio), and said")
def t_instrumented():
    with TempDir() as root:
        two_kernels(root)
        data = json.loads((root / "debian-6.12" / "summary.json").read_text())
        data["instrumented"] = True
        put(root, "debian-6.12", data)
        proc = run_compare(root)
        exited_ok(proc)
        cmp = json.loads((root / "compare.json").read_text())
        od = next(m for m in cmp["modes"] if m["mode"] == "ondemand")
        r = od["ratios"]["debian-6.12"]
        eq(r["p90_us"], None, "p90 ratio against an instrumented kernel")
        eq(r["compaction_s"], None, "compaction time ratio against an instrumented kernel")
        eq(r["count"], round(720 / 700, 3), "hugepages ratio still given")
        eq([k["instrumented"] for k in cmp["kernels"]], [False, True], "kernels' instrumented")
        md = (root / "compare.md").read_text()
        check("debian-6.12 ran with sanitizers or lock debugging" in md,
              "compare.md does not say which kernel is instrumented")


@test("demo.sh: malformed kernel lists -> exit 2 with usage, before any guest")
def t_demo_args():
    for args in (["--label", "x", "ondemand"],
                 ["-k", "debian-6.1,,debian-6.12", "ondemand"],
                 ["-k", "debian-6.1,", "ondemand"],
                 ["-k", "debian-6.1", "-k", "debian-6.12", "--label"]):
        proc = subprocess.run(["bash", str(DEMO)] + args, capture_output=True, text=True,
                              timeout=60)
        eq(proc.returncode, 2, f"exit status for {args} ({proc.stderr.strip()[:200]})")
        check("usage:" in proc.stderr, f"no usage for {args}")


# ---------------------------------------------------------------- KTAP

def main():
    ensure_matplotlib()
    return ktap_harness.run()


if __name__ == "__main__":
    sys.exit(main())

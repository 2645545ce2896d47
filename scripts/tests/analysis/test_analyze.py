#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for scripts/analyze.py; prints KTAP, exits 1 if any test fails.

usage: python3 scripts/tests/analysis/test_analyze.py
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))         # ktap_harness
sys.path.insert(0, str(REPO / "scripts"))    # debian_python, analysis
import ktap_harness  # noqa: E402
from ktap_harness import Skip, TempDir, check, eq, exited_ok, png_size, test  # noqa: E402
import debian_python  # noqa: E402
from run_fixtures import (  # noqa: E402
    write, write_mode, vmstat, build_run, NEW_MODE_KEYS, SCORE_TIMELINE, COMPACTOR_STATUS,
    build_proactive_run)

ANALYZE = REPO / "scripts" / "analyze.py"
VECTORS = REPO / "userspace" / "tests" / "percentile-vectors.txt"
REEXEC_GUARD = "KHUGEHOG_TEST_ANALYZE_REEXEC"


def close(got, want, what, tol=1e-9):
    check(got is not None and abs(got - want) <= tol, f"{what}: got {got!r}, want {want!r}")


# ---------------------------------------------------------------- helpers

def ensure_numpy():
    debian_python.require("numpy", __file__, REEXEC_GUARD,
                          "test_analyze.py: numpy not found (apt-get install python3-numpy "
                          "python3-matplotlib)")


def analysis():
    """The analysis package's modules (they need numpy)."""
    ensure_numpy()
    from analysis import model, plots, rundir
    return model, plots, rundir


def run_analyze(*args, direct=False):
    cmd = [str(ANALYZE)] if direct else [sys.executable, str(ANALYZE)]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True,
                          text=True, timeout=300)


_analyzed = {}


def analyze_targeted_status(root, old, new):
    """A proactive run whose targeted compactor_status has OLD replaced by
    NEW, analyzed (no plots): its directory."""
    run = build_proactive_run(root)
    p = run / "proactive-module-targeted" / "compactor_status.txt"
    text = p.read_text()
    check(old in text, f"compactor_status has no {old!r}")
    p.write_text(text.replace(old, new))
    exited_ok(run_analyze(run, "--no-plots", "--quiet"))
    return run


def analyzed_once(build):
    """build(root)'s run, analyzed once with plots; shared by several tests."""
    if build not in _analyzed:
        root = tempfile.mkdtemp(prefix="khugehog-test-")
        run = build(root)
        _analyzed[build] = {"root": root, "run": run, "proc": run_analyze(run)}
    r = _analyzed[build]
    proc = r["proc"]
    check(proc.returncode == 0, f"analyze.py exited {proc.returncode}: {proc.stderr.strip()}")
    return r["run"], proc


def proactive_run():
    run, _ = analyzed_once(build_proactive_run)
    return run, json.loads((run / "summary.json").read_text())


def main_run():
    return analyzed_once(build_run)


def cleanup():
    for r in _analyzed.values():
        shutil.rmtree(r["root"], ignore_errors=True)


# ---------------------------------------------------------------- tests

@test("percentile function matches userspace/tests/percentile-vectors.txt")
def t_vectors():
    model, _, _ = analysis()
    check(VECTORS.exists(), f"{VECTORS.relative_to(REPO)} does not exist")
    n = 0
    for lineno, line in enumerate(VECTORS.read_text().splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        fields = s.split()
        check(len(fields) >= 3, f"line {lineno}: need '<permille> <expected> <v1> ...'")
        permille, expected = int(fields[0]), int(fields[1])
        values = sorted(int(x) for x in fields[2:])
        got = model.percentile(values, permille / 10)
        check(math.floor(got) == expected,
              f"line {lineno}: permille {permille}: floor({got!r}) != {expected}")
        n += 1
    check(n > 0, "no vectors in the file")


@test("latency_stats: hand-computed mean, population sd and linear percentiles")
def t_stats():
    model, _, _ = analysis()
    s = model.latency_stats([4000, 1000, 3000, 2000])
    eq(s["count"], 4, "count")
    close(s["min"], 1.0, "min")
    close(s["max"], 4.0, "max")
    close(s["mean"], 2.5, "mean")
    close(s["sd"], math.sqrt(1.25), "sd (population)")
    close(s["percentiles"]["p50"], 2.5, "p50")
    close(s["percentiles"]["p90"], 3.7, "p90")
    close(s["percentiles"]["p5"], 1.15, "p5")
    close(s["percentiles"]["p99.9"], 3.997, "p99.9")
    eq(list(s["percentiles"]), ["p5", "p10", "p25", "p30", "p40", "p50", "p60", "p75",
                                "p80", "p90", "p95", "p99", "p99.9"], "percentile labels")
    e = model.latency_stats([])
    eq((e["count"], e["min"], e["percentiles"]["p90"]), (0, None, None), "empty input")


@test("synthetic run: exit 0, table on stdout")
def t_run_stdout():
    _, proc = main_run()
    out = proc.stdout
    check(out.startswith("statistic"), f"stdout does not start with the table: {out[:80]!r}")
    row = next((l for l in out.splitlines() if l.startswith("p90 (us)")), None)
    check(row is not None, "no 'p90 (us)' row on stdout")
    eq(row.split()[2:], ["2800", "11.00"], "stdout p90 row cells")
    check("p90 ondemand/manual = 254.5" in out, "no p90 ratio line on stdout")


@test("synthetic run: summary.json shape")
def t_json_shape():
    run, _ = main_run()
    d = json.loads((run / "summary.json").read_text())
    required = {"kernel", "cmdline", "mem_total_kib", "init_on_alloc", "modes"}
    extra = set(d) - required
    check(required <= set(d), f"missing top-level keys {required - set(d)}")
    check(extra <= {"accel", "runner", "ratios", "instrumented", "skipped_modes"},
          f"unexpected top-level keys {extra}")
    eq([m["mode"] for m in d["modes"]], ["ondemand", "manual"], "modes in setup.txt order")
    mreq = {"mode", "count", "failures", "free_kib_before", "pct_of_free", "latency_us",
            "compaction_s", "vmstat_delta"}
    for m in d["modes"]:
        check(mreq <= set(m), f"{m['mode']}: missing keys {mreq - set(m)}")
        check(set(m) - mreq <= NEW_MODE_KEYS | {"timer_overhead_ns", "percentiles_us"},
              f"{m['mode']}: unexpected keys {set(m) - mreq}")
        check(NEW_MODE_KEYS <= set(m), f"{m['mode']}: missing keys {NEW_MODE_KEYS - set(m)}")
        eq(set(m["compaction"]), {"method", "time_to_target_s", "reached", "params",
                                  "score_before", "score_after"}, "compaction keys")
        eq(set(m["pages_migrated"]), {"compaction", "compaction_and_allocation"},
           "pages_migrated keys")
        eq(set(m["latency_us"]), {"min", "mean", "sd", "max", "p50", "p90", "p99", "p99.9"},
           "latency_us keys")
        eq(set(m["vmstat_delta"]), {"compact_stall", "compact_success", "compact_fail",
                                    "compact_migrate_scanned", "compact_free_scanned",
                                    "pgmigrate_success", "pgscan_kswapd", "pgsteal_kswapd",
                                    "compact_daemon_wake", "compact_daemon_migrate_scanned",
                                    "compact_daemon_free_scanned"}, "vmstat_delta keys")
        eq(len(m["percentiles_us"]), 13, "percentiles_us entries")
        for k, v in m["latency_us"].items():
            check(isinstance(v, (int, float)) and round(v, 3) == v,
                  f"{m['mode']} latency_us.{k} = {v!r}: not a number rounded to 3 decimals")


@test("synthetic run: summary.json values")
def t_json_values():
    run, _ = main_run()
    d = json.loads((run / "summary.json").read_text())
    eq(d["kernel"], "6.1.0-56-amd64", "kernel")
    eq(d["cmdline"], "BOOT_IMAGE=/vmlinuz root=/dev/vda1 a=b=c", "cmdline (after first '=')")
    eq(d["mem_total_kib"], 2014292, "mem_total_kib")
    eq(d["init_on_alloc"], 0, "init_on_alloc")
    eq((d["accel"], d["runner"]), ("tcg", "vm"), "accel, runner")
    od, man = d["modes"]
    eq((od["count"], od["failures"]), (2001, 1), "ondemand count, failures")
    eq(od["stop_reason"], "count", "ondemand stop_reason, from summary.txt")
    eq((man["count"], man["failures"]), (11, 1), "manual count, failures")
    lat = od["latency_us"]
    eq((lat["min"], lat["max"], lat["mean"], lat["p50"], lat["p90"], lat["p99"], lat["p99.9"]),
       (1000.0, 3000.0, 2000.0, 2000.0, 2800.0, 2980.0, 2998.0), "ondemand latency_us")
    eq(lat["sd"], round(math.sqrt((2001 ** 2 - 1) / 12), 3), "ondemand sd (population)")
    lat = man["latency_us"]
    eq((lat["min"], lat["max"], lat["mean"], lat["p50"], lat["p90"], lat["p99"], lat["p99.9"]),
       (2.0, 12.0, 7.0, 7.0, 11.0, 11.9, 11.99), "manual latency_us")
    eq(lat["sd"], round(math.sqrt(10.0), 3), "manual sd (population)")
    eq((od["percentiles_us"]["p5"], od["percentiles_us"]["p25"]), (1100.0, 1500.0),
       "ondemand p5, p25")
    # MemFree + per-CPU pages from snap/compacted wins over summary.txt; manual falls back.
    eq((od["free_kib_before"], od["pct_of_free"]), (8196096, 50.0), "ondemand free/pct")
    eq((man["free_kib_before"], man["pct_of_free"]), (90112, 25.0), "manual free/pct")
    eq((od["compaction_s"], man["compaction_s"]), (None, 0.512), "compaction_s")
    eq(od["vmstat_delta"], {"compact_stall": 25, "compact_success": 16, "compact_fail": 9,
                            "compact_migrate_scanned": 50000, "compact_free_scanned": 120000,
                            "pgmigrate_success": 0, "pgscan_kswapd": 0,
                            "pgsteal_kswapd": 0, "compact_daemon_wake": 0,
                            "compact_daemon_migrate_scanned": 0,
                            "compact_daemon_free_scanned": 0}, "ondemand vmstat_delta")
    eq(man["vmstat_delta"], {"compact_stall": 0, "compact_success": 1, "compact_fail": 0,
                             "compact_migrate_scanned": 40000, "compact_free_scanned": 80000,
                             "pgmigrate_success": 5000, "pgscan_kswapd": 0,
                             "pgsteal_kswapd": 0, "compact_daemon_wake": 0,
                             "compact_daemon_migrate_scanned": 0,
                             "compact_daemon_free_scanned": 0}, "manual vmstat_delta")
    eq((od["timer_overhead_ns"], man["timer_overhead_ns"]), (40, 35), "timer_overhead_ns")
    eq(d["ratios"], {"p90_ondemand_over_manual": round(2800 / 11, 3)}, "ratios")


@test("synthetic run: report.md tables, sentences and figures")
def t_report():
    run, _ = main_run()
    text = (run / "report.md").read_text()
    check(text.startswith("# ") and "6.1.0-56-amd64" in text.splitlines()[0]
          and "2026-11-21T20:00:00Z" in text.splitlines()[0], "title lacks kernel/date")
    for row in ["| statistic | ondemand | manual |",
                "| count (successful) | 2001 | 11 |",
                "| min (us) | 1000 | 2.000 |",
                "| max (us) | 3000 | 12.00 |",
                "| mean (us) | 2000 | 7.000 |",
                "| p5 (us) | 1100 | 2.500 |",
                "| p50 (us) | 2000 | 7.000 |",
                "| p90 (us) | 2800 | 11.00 |",
                "| p99.9 (us) | 2998 | 11.99 |",
                "| failures | 1 | 1 |",
                "| hugepages obtained | 2001 | 11 |",
                "| obtained (GiB) | 3.908 | 0.021 |",
                "| % of free memory before | 50.0 | 25.0 |",
                "| compaction step (s) | n/a | 0.512 |",
                "| delta compact_stall | 25 | 0 |",
                "| delta pgmigrate_success | 0 | 5000 |",
                "| cmdline | `BOOT_IMAGE=/vmlinuz root=/dev/vda1 a=b=c` |",
                "| some_future_key | `x` |"]:
        check(row in text, f"report.md lacks row {row!r}")
    check("timer overhead (ns) | 40 (0.002% of p50) | 35 (0.5% of p50) |" in text,
          "timer overhead row")
    check("p90 ondemand/manual = 254.5" in text, "no p90 ratio sentence")
    check("the failing attempt took 5000 us" in text, "ondemand failing attempt sentence")
    check("the failing attempt took 40.00 us" in text, "manual failing attempt sentence")
    for img in ["plots/latency-ondemand.png", "plots/latency-manual.png", "plots/cdf.png",
                "plots/pagemap-ondemand.png", "plots/pagemap-manual.png"]:
        check(f"]({img})" in text, f"report.md does not embed {img}")
    eq(text.count("How to read this"), 5, "'How to read this' notes")
    check("unusable_index[9] 0/DMA32" in text and "| punched | 1465 | 8 |" in text,
          "memory state table (buddyinfo/unusable_index)")



@test("synthetic run: plots are valid PNG and SVG")
def t_plots():
    run, _ = main_run()
    plots = run / "plots"
    names = ["latency-ondemand", "latency-manual", "cdf", "pagemap-ondemand",
             "pagemap-manual"]
    eq(sorted(p.name for p in plots.iterdir()),
       sorted(n + ext for n in names for ext in (".png", ".svg")), "plot files")
    for n in names:
        w, h = png_size(plots / f"{n}.png")
        check(w >= 1000 and h >= 600, f"{n}.png is only {w}x{h}")
        svg = (plots / f"{n}.svg").read_text()
        check(svg.lstrip().startswith("<?xml") and "<svg" in svg and
              svg.rstrip().endswith("</svg>"), f"{n}.svg is not a complete SVG")
    # three stages for ondemand, two for manual (only the files that exist)
    _, h3 = png_size(plots / "pagemap-ondemand.png")
    _, h2 = png_size(plots / "pagemap-manual.png")
    check(h3 > h2, f"pagemap-ondemand ({h3}px) should be taller than pagemap-manual ({h2}px)")


@test("modes fall back to the directories without modes=")
def t_modes_fallback():
    with TempDir() as root:
        run = build_run(root, with_modes_line=False)
        proc = run_analyze(run, "--no-plots", "--quiet")
        exited_ok(proc)
        eq(proc.stdout, "", "--quiet stdout")
        d = json.loads((run / "summary.json").read_text())
        eq([m["mode"] for m in d["modes"]], ["ondemand", "manual"], "modes (fixed order)")
        eq(d["ratios"], {"p90_ondemand_over_manual": round(2800 / 11, 3)}, "ratios")


@test("mode with only failed attempts and no snapshots: nulls, plots still drawn")
def t_all_failed():
    with TempDir() as root:
        run = root / "run"
        write(run / "setup.txt", "kernel=6.12.0\nmodes=ondemand proactive-kernel-20\n")
        write_mode(run, "ondemand", [(0, 1500_000, 1, 512), (1, 2500_000, 1, 1024)])
        write_mode(run, "proactive-kernel-20", [(0, 70_000, 0, 0), (1, 90_000, 0, 0)])
        proc = run_analyze(run)
        exited_ok(proc)
        d = json.loads((run / "summary.json").read_text())
        eq((d["cmdline"], d["mem_total_kib"], d["init_on_alloc"]), (None, None, None),
           "absent setup keys")
        m = d["modes"][1]
        eq((m["count"], m["failures"], m["free_kib_before"], m["pct_of_free"],
            m["compaction_s"]), (0, 2, None, None, None), "proactive-kernel-20 scalars")
        check(all(v is None for v in m["latency_us"].values()), "latency_us not all null")
        check(all(v is None for v in m["vmstat_delta"].values()), "vmstat_delta not all null")
        eq(d["ratios"], {"p90_ondemand_over_proactive-kernel-20": None}, "ratios")
        eq(d["modes"][0]["latency_us"]["p90"], 2400.0, "ondemand p90")
        check((run / "plots" / "latency-proactive-kernel-20.png").exists(),
              "latency plot for the all-failed mode")
        check(not (run / "plots" / "pagemap-ondemand.png").exists(),
              "pagemap plot drawn without pagemap files")
        text = (run / "report.md").read_text()
        check("they took 70.00 us (index 0), 90.00 us (index 1)" in text,
              "failed attempts sentence")


@test("latencies.txt line count != summary attempts -> exit 1 naming the mode")
def t_mismatch():
    with TempDir() as root:
        run = build_run(root)
        p = run / "manual" / "summary.txt"
        p.write_text(p.read_text().replace("attempts 12", "attempts 13"))
        proc = run_analyze(run, "--no-plots")
        eq(proc.returncode, 1, "exit status")
        err = proc.stderr
        check("mode manual" in err and "12 attempt lines" in err and "attempts 13" in err,
              f"stderr: {err.strip()!r}")
        check(not (run / "summary.json").exists(), "summary.json written despite error")


@test("garbled input -> exit 1 with file and line")
def t_garbled():
    with TempDir() as root:
        run = build_run(root)
        with open(run / "ondemand" / "latencies.txt", "a") as f:
            f.write("2002 12x 1 0\n")
        p = run / "ondemand" / "summary.txt"
        p.write_text(p.read_text().replace("attempts 2002", "attempts 2003"))
        proc = run_analyze(run, "--no-plots")
        eq(proc.returncode, 1, "exit status")
        check("latencies.txt:2005" in proc.stderr and "'12x'" in proc.stderr,
              f"stderr: {proc.stderr.strip()!r}")
        (run / "ondemand" / "latencies.txt").unlink()
        proc = run_analyze(run, "--no-plots")
        eq(proc.returncode, 1, "exit status, missing latencies.txt")
        check("latencies.txt: missing" in proc.stderr, f"stderr: {proc.stderr.strip()!r}")


@test("bad arguments -> exit 2 with usage")
def t_bad_args():
    for args in ([], ["--bogus", "x"], ["a", "b"]):
        proc = run_analyze(*args)
        eq(proc.returncode, 2, f"exit status for {args}")
        check("usage:" in proc.stderr, f"no usage for {args}: {proc.stderr.strip()!r}")


@test("missing run dir -> exit 1")
def t_missing_run():
    with TempDir() as root:
        proc = run_analyze(root / "nope")
        eq(proc.returncode, 1, "exit status")
        check("no such run directory" in proc.stderr, f"stderr: {proc.stderr.strip()!r}")
        (root / "empty").mkdir()
        proc = run_analyze(root / "empty")
        eq(proc.returncode, 1, "exit status without setup.txt")
        check("setup.txt: missing" in proc.stderr, f"stderr: {proc.stderr.strip()!r}")


@test("--no-plots writes no plots dir")
def t_no_plots():
    with TempDir() as root:
        run = build_run(root)
        proc = run_analyze(run, "--no-plots")
        exited_ok(proc)
        check(not (run / "plots").exists(), "plots/ exists")
        check((run / "summary.json").exists() and (run / "report.md").exists(),
              "summary.json/report.md missing")
        check("](plots/" not in (run / "report.md").read_text(),
              "report embeds plots that were not drawn")


@test("analyze.py runs through its shebang")
def t_shebang():
    check(os.access(ANALYZE, os.X_OK), "scripts/analyze.py is not executable")
    eq(ANALYZE.read_text().splitlines()[0], "#!/usr/bin/env python3", "shebang")
    with TempDir() as root:
        run = build_run(root)
        proc = run_analyze(run, "--no-plots", "--quiet", direct=True)
        exited_ok(proc)


@test("modes in report order from what each recorded (method, proactiveness, strategy), "
      "not from their names")
def t_mode_order():
    # name: the compaction.txt the driver would write; names say nothing.
    kinds = {
        "a": "method=proactive-module\nstrategy=alloc\nconcurrent=0\n",
        "b": "method=proactive-kernel\nproactiveness=100\n",
        "c": "method=proactive-module\nstrategy=node\nconcurrent=0\n",
        "d": "method=proactive-module\nstrategy=targeted\nconcurrent=1\n",
        "e": "method=compact_memory\n",
        "f": "method=proactive-kernel\nproactiveness=5\n",
        "g": "method=proactive-module\nstrategy=targeted\nconcurrent=0\n",
        "h": "method=something-new\n",
        "i": "method=proactive-kernel\nproactiveness=20\n",
        "j": "method=none\n",
    }
    with TempDir() as root:
        run = root / "run"
        write(run / "setup.txt", "kernel=6.12.0\ncompactor_strategies=targeted node alloc\n"
              f"modes={' '.join(kinds)}\n")
        for name, text in kinds.items():
            write_mode(run, name, [(0, 1000, 1, 512)])
            write(run / name / "compaction.txt", "compaction_s=none\n" + text)
        exited_ok(run_analyze(run, "--no-plots", "--quiet"))
        d = json.loads((run / "summary.json").read_text())
        eq([m["mode"] for m in d["modes"]], list("jefibgcadh"), "report order")
        eq(list(d["ratios"])[0], "p90_j_over_e", "the baseline is the mode with method none")
    _, d = proactive_run()
    eq([m["mode"] for m in d["modes"]],
       ["ondemand", "manual", "proactive-kernel-20", "proactive-module-targeted"],
       "summary.json modes")


@test("hugepages_gained and pages migrated from buddyinfo and vmstat snapshots")
def t_hugepages_gained():
    _, d = proactive_run()
    m = {x["mode"]: x for x in d["modes"]}
    # punched: 2 + 2*1 + 2*3 = 10 blocks; compacted: 10 + 2*45 + 2*3 = 106
    eq(m["manual"]["hugepages_gained"], 96, "manual hugepages_gained")
    eq(m["manual"]["pages_migrated"], {"compaction": 19200, "compaction_and_allocation": 19300},
       "manual pages_migrated")
    eq(m["manual"]["pages_migrated_per_hugepage"], 200.0, "manual migrated per hugepage")
    eq(m["manual"]["pages_migrated_per_hugepage_obtained"], 386.0,
       "manual migrated per hugepage obtained (19300 / 50)")
    eq(m["proactive-module-targeted"]["pages_migrated_per_hugepage"], 100.0,
       "targeted migrated per hugepage")
    eq((m["ondemand"]["hugepages_gained"], m["ondemand"]["pages_migrated_per_hugepage"]),
       (0, None), "ondemand: nothing gained, no ratio")
    eq(d["ratios"]["migrated_per_hugepage_manual_over_proactive-module-targeted"], 2.0,
       "manual / targeted ratio")


@test("migrated_over_floor and the compactor's counters from compactor_status")
def t_floor():
    run, d = proactive_run()
    m = {x["mode"]: x for x in d["modes"]}["proactive-module-targeted"]
    eq(m["compactor"]["pages_floor"], 9000, "pages_floor")
    eq({k: m["compactor"][k] for k in ("pages_migrated", "pgmigrate_success", "blocks_emptied",
                                       "blocks_busy", "pages_soaked")},
       {"pages_migrated": 9100, "pgmigrate_success": 9600, "blocks_emptied": 96,
        "blocks_busy": 4, "pages_soaked": 50}, "compactor counters")
    eq(m["migrated_over_floor"], round(9600 / 9000, 3), "migrated_over_floor")
    eq(m["own_migrated_over_floor"], round(9100 / 9000, 3), "own_migrated_over_floor")
    eq({x["mode"]: x["compactor"] for x in d["modes"] if x["mode"] != m["mode"]},
       {"ondemand": None, "manual": None, "proactive-kernel-20": None}, "no compactor elsewhere")
    text = (run / "report.md").read_text()
    check("**1.07x** the floor" in text and "within the aim of <= 1.1x" in text,
          "targeted vs floor paragraph")
    with TempDir() as root:
        run2 = analyze_targeted_status(root, "pgmigrate_success 9600", "pgmigrate_success 13500")
        text = (run2 / "report.md").read_text()
        check("**1.50x** the floor" in text and
              "above the aim of <= 1.1x: 50% more migrations than the floor" in text,
              "above-the-aim sentence")


@test("time to target: compactor_status, and proactive-kernel's compaction.txt")
def t_time_to_target():
    _, d = proactive_run()
    m = {x["mode"]: x for x in d["modes"]}
    c = m["proactive-module-targeted"]["compaction"]
    eq((c["method"], c["time_to_target_s"], c["reached"]), ("proactive-module", 2.5, True),
       "targeted compaction")
    eq((c["params"]["strategy"], c["params"]["compactor_interval_ms"], c["params"]["concurrent"]),
       ("targeted", 500, 0), "targeted params")
    eq((c["score_before"], c["score_after"]), (87, 4), "targeted scores")
    c = m["proactive-kernel-20"]["compaction"]
    eq((c["method"], c["time_to_target_s"], c["reached"], c["params"]["proactiveness"],
        c["params"]["wmark_high"]), ("proactive-kernel", None, False, 20, 90),
       "proactive-kernel-20 compaction")
    c = m["manual"]["compaction"]
    eq((c["method"], c["time_to_target_s"], c["reached"], c["score_before"]),
       ("compact_memory", None, None, 87), "manual compaction (score from the snapshot)")
    with TempDir() as root:
        run = analyze_targeted_status(root, "target_reached_ns 2500000000", "target_reached_ns -1")
        d = json.loads((run / "summary.json").read_text())
        c = {x["mode"]: x for x in d["modes"]}["proactive-module-targeted"]["compaction"]
        eq((c["time_to_target_s"], c["reached"]), (None, False), "target not reached")
        check("| not reached |" in (run / "report.md").read_text(), "'not reached' cell")


@test("score-timeline.txt: samples, '-' scores, phase markers, plot")
def t_score_timeline():
    _, plots, rundir = analysis()
    with TempDir() as root:
        p = root / "score-timeline.txt"
        p.write_text(SCORE_TIMELINE)
        tl = rundir.parse_score_timeline(str(p))
        eq(len(tl["samples"]), 8, "samples")
        eq(tl["samples"][3], (0.51, 1, None, 7), "a '-' score")
        eq(tl["phases"], {"compaction": 0.01, "allocation": 1.2, "end": 1.9}, "phases")
        eq(plots.score_series(tl), [(0.01, 87, 13), (0.51, 40, 57), (1.01, 4, 108), (1.21, 4, 114)],
           "highest score and summed free blocks per time")
        p.write_text(SCORE_TIMELINE + "2.0 0 x 5\n")
        try:
            rundir.parse_score_timeline(str(p))
            check(False, "garbled line accepted")
        except rundir.InputError as e:
            check("score-timeline.txt:13" in str(e), f"error: {e}")
        eq(rundir.parse_score_timeline(str(root / "nope.txt")), None, "missing file")
    run, d = proactive_run()
    eq({x["mode"]: x["score_samples"] for x in d["modes"]},
       {"ondemand": None, "manual": None, "proactive-kernel-20": None,
        "proactive-module-targeted": 8}, "score_samples")
    w, h = png_size(run / "plots" / "score-over-time.png")
    check(w >= 1000 and h >= 600, f"score-over-time.png is only {w}x{h}")
    check((run / "plots" / "score-over-time.svg").exists(), "no score-over-time.svg")
    check("](plots/score-over-time.png)" in (run / "report.md").read_text(),
          "report does not embed score-over-time.png")


@test("report.md: side-by-side table of every mode, targeted vs compact_memory")
def t_side_by_side():
    run, _ = proactive_run()
    text = (run / "report.md").read_text()
    header = ("| mode | hugepages | % of free | p50 (us) | p90 (us) | p99 (us) | max (us) | "
              "compaction (s) | time to target (s) | node score | pages migrated | "
              "+ during allocation | hugepages gained | migrated per hugepage |")
    check(header in text, "no side-by-side header")
    for row in ["| manual | 50 | n/a | 10.02 | 10.04 | 10.05 | 10.05 | 1.500 | n/a | 87 -> n/a "
                "| 19200 | 100 | 96 | 200.0 |",
                "| proactive-module-targeted | 50 | n/a | 10.02 | 10.04 | 10.05 | 10.05 | 2.500 "
                "| 2.500 | 87 -> 4 | 9600 | 0 | 96 | 100.0 |",
                "| proactive-kernel-20 | 50 | n/a | 10.02 | 10.04 | 10.05 | 10.05 | 0.000 "
                "| not reached | 87 -> 87 | 0 | 0 | 0 | n/a |"]:
        check(row in text, f"no side-by-side row {row!r}")
    check(text.index("| ondemand | 50 |") < text.index("| manual | 50 |")
          < text.index("| proactive-kernel-20 |") < text.index("| proactive-module-targeted | 50"),
          "side-by-side rows out of order")
    check("## Random pattern: targeted vs compact_memory" in text, "no pattern section")
    check("manual / targeted = **2.00**: the targeted compactor migrated fewer" in text,
          "no manual/targeted ratio sentence")
    check("| statistic | ondemand | manual | proactive-kernel-20 | proactive-module-targeted |"
          in text, "no per-mode percentile table")
    check("| pages_floor | 9000 |" in text, "no compactor table")


@test("an old run without the new files (results/reference-debian-6.1) still analyzes")
def t_old_run():
    ref = REPO / "results" / "reference-debian-6.1"
    if not ref.is_dir():
        raise Skip("results/reference-debian-6.1 is not there")
    with TempDir() as root:
        run = root / "ref"
        shutil.copytree(ref, run)
        for p in list(run.glob("*/score-timeline.txt")) + list(run.glob("*/compactor_*")):
            p.unlink()
        shutil.rmtree(run / "plots", ignore_errors=True)
        proc = run_analyze(run)
        exited_ok(proc)
        d = json.loads((run / "summary.json").read_text())
        eq([m["mode"] for m in d["modes"]], ["ondemand", "manual"], "modes")
        od, man = d["modes"]
        eq((od["compaction"]["method"], man["compaction"]["method"]), ("none", "compact_memory"),
           "methods")
        eq((od["compactor"], od["score_samples"], od["migrated_over_floor"]), (None, None, None),
           "no compactor or timeline")
        check(isinstance(man["hugepages_gained"], int) and man["hugepages_gained"] > 0,
              f"manual hugepages_gained {man['hugepages_gained']!r}")
        eq(man["pages_migrated"]["compaction_and_allocation"],
           man["vmstat_delta"]["pgmigrate_success"], "pages migrated over both = vmstat_delta")
        check(not (run / "plots" / "score-over-time.png").exists(),
              "score plot drawn without timelines")
        text = (run / "report.md").read_text()
        check("### All modes side by side" in text and "targeted vs compact_memory" not in text
              and "## Targeted vs floor" not in text, "report sections of an old run")
    with TempDir() as root:
        run = build_run(root)  # no snap/compacted, no buddyinfo in one mode
        proc = run_analyze(run, "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((run / "summary.json").read_text())
        m = d["modes"][1]
        eq((m["mode"], m["hugepages_gained"], m["pages_migrated"]["compaction"],
            m["pages_migrated_per_hugepage"]), ("manual", None, None, None), "manual nulls")
        eq(m["pages_migrated"]["compaction_and_allocation"], 5000, "manual punched->allocated")


@test("compaction-trace.txt: an early stop of compact_memory is detected and reported")
def t_early_stop():
    model, _, rundir = analysis()
    early = ("  sh-1 [000] ..... 1.0: mm_compaction_end: zone_start=0x1 migrate_pfn=0xe00 "
             "free_pfn=0xe00 zone_end=0x1000, mode=sync status=complete\n"
             "  sh-1 [000] ..... 1.1: mm_compaction_end: zone_start=0x1000 "
             "migrate_pfn=0x2c40 free_pfn=0x2c00 zone_end=0x7ffe0, mode=sync status=complete\n")
    full = early.replace("migrate_pfn=0x2c40 free_pfn=0x2c00", "migrate_pfn=0x51e00 free_pfn=0x51f14")
    with TempDir() as root:
        p = Path(root) / "t.txt"
        write(p, early)
        e = model.early_stop(rundir.parse_compaction_trace(str(p)))
        check(e is not None, "the early stop is not detected")
        eq((e["migrate_pfn"], e["zone_end"], e["met_at_fraction"]),
           (0x2c40, 0x7ffe0, round((0x2c40 - 0x1000) / (0x7ffe0 - 0x1000), 4)), "early stop")
        write(p, full)
        eq(model.early_stop(rundir.parse_compaction_trace(str(p))), None, "a full compaction")
        eq(model.early_stop(rundir.parse_compaction_trace(str(Path(root) / "none.txt"))), None,
           "no trace")
        run = build_run(root)
        write(run / "manual" / "compaction-trace.txt", early)
        proc = run_analyze(run, "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((run / "summary.json").read_text())
        m = {x["mode"]: x for x in d["modes"]}
        eq(m["manual"]["compaction_early_stop"]["migrate_pfn"], 0x2c40, "summary.json")
        eq(m["ondemand"]["compaction_early_stop"], None, "ondemand")
        from analysis.metrics import early_stop
        eq((early_stop(m["manual"]), m["manual"]["compaction_traced"]), (1, True),
           "the early-stop metric, traced")
        check("manual: compact_memory stopped early" in (run / "report.md").read_text(),
              "report does not say it")
        # Without the kernel's events nothing says how far it got: no 0.
        (run / "manual" / "compaction-trace.txt").unlink()
        exited_ok(run_analyze(run, "--no-plots", "--quiet"))
        d = json.loads((run / "summary.json").read_text())
        m = {x["mode"]: x for x in d["modes"]}
        eq((early_stop(m["manual"]), m["manual"]["compaction_traced"]), (None, False),
           "the early-stop metric without a trace")



@test("defrag-mode: ordered last, its pageblocks kept; a skipped mode: reason in JSON and report")
def t_defrag_and_skipped():
    with TempDir() as root:
        run = build_run(root)
        setup = (run / "setup.txt").read_text().replace(
            "modes=ondemand manual", "modes=defrag-mode-proactive-100 ondemand manual dm-old")
        write(run / "setup.txt", setup)
        rows = [(i, 10_000 + i, 1, (1000 + i) << 9) for i in range(20)]
        write_mode(run, "defrag-mode-proactive-100", rows)
        write(run / "defrag-mode-proactive-100" / "compaction.txt",
              "method=defrag-mode\ncompaction_s=12.5\ndefrag_mode=1\nproactiveness=100\n"
              "waited_s=27.5\nsettle_s=15\ntimeout_s=90\nfree_pageblocks_before=3\n"
              "free_pageblocks_after=250\n")
        write(run / "dm-old" / "skipped.txt", "this kernel has no vm.defrag_mode (added in 6.15)\n")
        proc = run_analyze(run, "--no-plots", "--quiet")
        exited_ok(proc)
        d = json.loads((run / "summary.json").read_text())
        eq([m["mode"] for m in d["modes"]], ["ondemand", "manual", "defrag-mode-proactive-100"],
           "report order")
        dm = d["modes"][2]["compaction"]
        eq((dm["method"], dm["params"]["free_pageblocks_after"], dm["params"]["proactiveness"]),
           ("defrag-mode", 250, 100), "defrag-mode's compaction")
        eq(d["skipped_modes"], {"dm-old": "this kernel has no vm.defrag_mode (added in 6.15)"},
           "skipped_modes")
        text = (run / "report.md").read_text()
        check("- **dm-old**: not run on this kernel: this kernel has no vm.defrag_mode" in text,
              "the report does not say why dm-old did not run")


@test("compaction cost: the writer's CPU, the compactor's cpu_ns and its time split, "
      "kcompactd's from kthreads_cpu")
def t_compaction_cost():
    with tempfile.TemporaryDirectory() as tmp:
        run = build_proactive_run(tmp)
        kt = {"punched": "kcompactd0 31 1000000000\nkswapd0 30 5\n",
              "compacted": "kcompactd0 31 1750000000\nkswapd0 30 9\n"}
        for mode in ("manual", "proactive-kernel-20"):
            for phase, text in kt.items():
                write(run / mode / "snap" / phase / "kthreads_cpu", text)
        write(run / "manual" / "compaction.txt",
              "method=compact_memory\ncompaction_s=1.5\ncompaction_cpu_s=1.25\n")
        d = run / "proactive-module-targeted"
        write(d / "compactor_status.txt", COMPACTOR_STATUS +
              "plans 3\nplan_ns 400000000\nsoak_ns 100000000\ncontig_ns 1200000000\n"
              "drain_ns 50000000\nsleep_ns 500000000\ncpu_ns 1900000000\n")
        proc = run_analyze(run, "--no-plots", "--quiet")
        exited_ok(proc)
        modes = {m["mode"]: m for m in json.loads((run / "summary.json").read_text())["modes"]}
        eq(modes["manual"]["compaction_cpu_s"], 1.25, "manual: the writer's CPU")
        eq(modes["manual"]["kcompactd_cpu_s"], 0.75, "manual: kcompactd over the step")
        eq(modes["proactive-kernel-20"]["compaction_cpu_s"], 0.75,
           "proactive-kernel: kcompactd's CPU")
        eq(modes["proactive-module-targeted"]["compaction_cpu_s"], 1.9,
           "module: its kthread's cpu_ns")
        eq(modes["proactive-module-targeted"]["kcompactd_cpu_s"], None,
           "no kthreads_cpu recorded: none")
        eq(modes["ondemand"]["compaction_cpu_s"], None, "ondemand: nothing to cost")
        text = (run / "report.md").read_text()
        check("## What compaction cost" in text, "no cost section")
        row = next((l for l in text.splitlines()
                    if l.startswith("| inside alloc_contig_range() (s)")), "")
        check(row.endswith("| 1.200 |"), f"alloc_contig_range row: {row!r}")
        row = next((l for l in text.splitlines() if l.startswith("| compaction CPU (s)")), "")
        eq([c.strip() for c in row.strip("|").split("|")][1:],
           ["1.250", "0.750", "1.900"], "compaction CPU row (manual, kernel, module)")
        # kcompactd during the allocations: a -concurrent mode counts them.
        write(run / "proactive-kernel-20" / "snap" / "allocated" / "kthreads_cpu",
              "kcompactd0 31 3000000000\n")
        write(run / "proactive-kernel-20" / "compaction.txt",
              "method=proactive-kernel\ncompaction_s=none\nproactiveness=20\nconcurrent=1\n")
        exited_ok(run_analyze(run, "--no-plots", "--quiet"))
        modes = {m["mode"]: m for m in json.loads((run / "summary.json").read_text())["modes"]}
        eq(modes["proactive-kernel-20"]["compaction_cpu_s"], 2.0,
           "a -concurrent mode: kcompactd through its allocations")


@test("a run at a rate: start_ns and late_ns read, rate and late in summary.json and the report")
def t_rate_and_late():
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "r"
        write(run / "setup.txt", "kernel=6.12.0\ninit_on_alloc=0\nmodes=ondemand manual\n")
        # 100 a second: attempt 2 began 3 ms late, after a slow attempt 1.
        rows = [(0, 2000, 1, 4096, 1000, 0), (1, 13_000_000, 1, 4608, 10_001_000, 0),
                (2, 2000, 1, 5120, 23_001_000, 3_001_000), (3, 2000, 1, 5632, 30_002_000, 0)]
        write_mode(run, "ondemand", rows, compaction="none", method="none",
                   summary_extra="rate 100\nlate 1\n")
        write_mode(run, "manual", [r[:4] for r in rows], compaction="1.0",
                   method="compact_memory")
        proc = run_analyze(run, "--no-plots", "--quiet")
        exited_ok(proc)
        modes = {m["mode"]: m for m in json.loads((run / "summary.json").read_text())["modes"]}
        eq((modes["ondemand"]["rate"], modes["ondemand"]["late"]), (100, 1), "ondemand")
        eq((modes["manual"]["rate"], modes["manual"]["late"]), (None, None),
           "a run recorded before rates: null")
        text = (run / "report.md").read_text()
        row = next((l for l in text.splitlines() if l.startswith("| attempts begun late")), "")
        eq([c.strip() for c in row.strip("|").split("|")][1:], ["1", "n/a"], "late row")


# ---------------------------------------------------------------- KTAP

def main():
    ensure_numpy()
    return ktap_harness.run(cleanup)


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0
"""Synthetic run directories, in the layout scripts/guest/experiment.sh
writes, whose every derived number is known in advance: what the analysis
tests (test_analyze.py, test_repeats.py) feed scripts/analyze.py."""

import random
from pathlib import Path


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_mode(run, mode, lat_rows, attempts=None, summary_extra="",
               compaction=None, method=None, snaps=None, pagemaps=None):
    d = run / mode
    lines = ["# index latency_ns success pfn"]
    lines += [" ".join(str(x) for x in row) for row in lat_rows]
    write(d / "latencies.txt", "\n".join(lines) + "\n\n")
    attempts = len(lat_rows) if attempts is None else attempts
    ok = sum(r[2] for r in lat_rows)
    write(d / "summary.txt",
          f"order 9\ngfp 0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)\nstate done\n"
          f"attempts {attempts}\nallocated {ok}\nfailed {attempts - ok}\n"
          f"stop_reason count\n{summary_extra}")
    if compaction is not None:
        write(d / "compaction.txt", f"compaction_s={compaction}\n"
              + (f"method={method}\n" if method else ""))
    for phase, files in (snaps or {}).items():
        for name, text in files.items():
            write(d / "snap" / phase / name, text)
    for stage, regions in (pagemaps or {}).items():
        text = f"# stage {stage}\n# region pages\n"
        text += "".join(f"{reg} {pages}\n" for reg, pages in regions.items())
        write(d / f"pagemap-{stage}.txt", text)


def vmstat(**counters):
    base = {"nr_free_pages": 123456, "pgfault": 999}
    base.update(counters)
    return "".join(f"{k} {v}\n" for k, v in base.items())


ZONEINFO_PCP = """Node 0, zone    DMA32
  pages free     1000
        min      5000
  pagesets
    cpu: 0
              count: 1000
              high:  6000
              batch: 63
    cpu: 1
              count: 24
              high:  6000
              batch: 63
"""


def meminfo(free_kib):
    return (f"MemTotal:        2014292 kB\nMemFree:         {free_kib} kB\n"
            f"MemAvailable:    {free_kib + 1000} kB\nHugePages_Total:       0\n")


BUDDY = ("Node 0, zone      DMA      1      1      0      0      2      1      1"
         "      0      1      1      3\n"
         "Node 0, zone    DMA32    970    800    600    300    120     40     10"
         "      4      2      1      0\n")
EXTFRAG = ("Node 0, zone      DMA -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000"
           " -1.000 -1.000 -1.000 -1.000\n"
           "Node 0, zone    DMA32 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000"
           " -1.000 -1.000 0.969 0.985\n")
UNUSABLE = ("Node 0, zone      DMA 0.000 0.000 0.001 0.001 0.001 0.002 0.006 0.013"
            " 0.013 0.033 0.073\n"
            "Node 0, zone    DMA32 0.000 0.010 0.020 0.040 0.080 0.160 0.320 0.640"
            " 0.900 0.990 1.000\n")

# Known values of the synthetic run.
OD_US = list(range(1000, 3001))          # ondemand: 2001 successes, 1000..3000 us
OD_FAIL = (1000, 5_000_000)              # (index, ns) of its failed attempt
MAN_US = list(range(2, 13))              # manual: 11 successes, 2..12 us
MAN_FAIL = (11, 40_000)


def ondemand_rows():
    us = OD_US[:]
    random.Random(1).shuffle(us)
    rows, it = [], iter(us)
    for i in range(len(OD_US) + 1):
        if i == OD_FAIL[0]:
            rows.append((i, OD_FAIL[1], 0, 0))
        else:
            rows.append((i, next(it) * 1000, 1, (4096 + i) << 9))
    return rows


def manual_rows():
    rows = [(i, us * 1000, 1, (100 + 2 * i) << 9) for i, us in enumerate(MAN_US)]
    rows.append((MAN_FAIL[0], MAN_FAIL[1], 0, 0))
    return rows


def build_run(root, with_modes_line=True):
    """A run dir whose every derived number is known in advance."""
    run = Path(root) / "run"
    setup = ["kernel=6.1.0-56-amd64", "cmdline=BOOT_IMAGE=/vmlinuz root=/dev/vda1 a=b=c",
             "init_on_alloc=0", "thp_enabled=always [madvise] never",
             "thp_defrag=always defer defer+madvise [madvise] never",
             "compaction_proactiveness=20", "extfrag_threshold=500",
             "mem_total_kib=2014292", "cpus=2", "runner=vm", "accel=tcg",
             "date=2026-11-21T20:00:00Z", "some_future_key=x"]
    if with_modes_line:
        setup.append("modes=ondemand manual")
    write(run / "setup.txt", "# khugehog setup\n" + "\n".join(setup) + "\n")
    frag = {
        0: {r: 512 for r in range(0, 900)},
        1: {r: 128 for r in range(0, 900)},
        2: {r: 128 for r in range(0, 900, 3)},
    }
    write_mode(run, "ondemand", ondemand_rows(), compaction="none", method="none",
               summary_extra="free_kib_before 9999999\ntimer_overhead_ns 40\n",
               snaps={
                   "punched": {"vmstat": vmstat(compact_stall=10, compact_success=4,
                                                compact_fail=6, compact_migrate_scanned=1000,
                                                compact_free_scanned=2000),
                               "meminfo": meminfo(1500000), "buddyinfo": BUDDY,
                               "extfrag_index": EXTFRAG, "unusable_index": UNUSABLE},
                   # MemFree leaves out per-CPU list pages: 1000 + 24 pages = 4096 kB.
                   "compacted": {"meminfo": meminfo(8196096 - 4096), "zoneinfo": ZONEINFO_PCP},
                   "allocated": {"vmstat": vmstat(compact_stall=35, compact_success=20,
                                                  compact_fail=15,
                                                  compact_migrate_scanned=51000,
                                                  compact_free_scanned=122000),
                                 "meminfo": meminfo(100000)},
               },
               pagemaps=frag)
    write_mode(run, "manual", manual_rows(), compaction="0.512", method="compact_memory",
               summary_extra="free_kib_before 90112\ntimer_overhead_ns 35\n",
               snaps={
                   "punched": {"vmstat": vmstat(compact_stall=7, compact_success=7,
                                                compact_fail=0, compact_migrate_scanned=10,
                                                compact_free_scanned=20,
                                                pgmigrate_success=100)},
                   "allocated": {"vmstat": vmstat(compact_stall=7, compact_success=8,
                                                  compact_fail=0,
                                                  compact_migrate_scanned=40010,
                                                  compact_free_scanned=80020,
                                                  pgmigrate_success=5100)},
               },
               pagemaps={0: frag[0], 1: frag[1]})
    return run


NEW_MODE_KEYS = {"compaction", "pages_migrated", "hugepages_gained", "compaction_traced",
                 "pages_migrated_per_hugepage", "pages_migrated_per_hugepage_obtained",
                 "compactor", "compaction_early_stop", "migrated_over_floor", "own_migrated_over_floor",
                 "score_samples", "stop_reason", "compaction_cpu_s", "kcompactd_cpu_s",
                 "rate", "late"}


def buddy(o9, o10, dma_o10=3):
    """buddyinfo with free blocks of order 9 and 10 as given in DMA32; the
    DMA zone adds dma_o10 order-10 blocks: 2 MiB units = o9 + 2*o10 + 2*dma_o10."""
    return (f"Node 0, zone      DMA      1      1      0      0      2      1      1"
            f"      0      1      0      {dma_o10}\n"
            f"Node 0, zone    DMA32    970    800    600    300    120     40     10"
            f"      4      2      {o9}      {o10}\n")


COMPACTOR_STATUS = """enabled 1
strategy targeted
state idle
session_ns 3000000000
passes 12
passes_no_progress 1
blocks_emptied 96
blocks_busy 4
blocks_failed 0
pages_floor 9000
pages_migrated 9100
pgmigrate_success 9600
pages_soaked 50
hugepages_allocated 0
compact_ns 2000000000
target_reached_ns 2500000000
node0_score 4
node0_free_blocks 106
"""

SCORE_TIMELINE = """# t_s node score free_blocks (t from the start of the compaction phase)
0.01 0 87 10
0.01 1 60 3
# phase compaction 0.01
0.51 0 40 50
0.51 1 - 7
1.01 0 4 100
1.01 1 2 8
# phase allocation 1.20
1.21 0 4 106
1.21 1 2 8
# phase end 1.90
"""


def build_proactive_run(root, frag_pattern="random"):
    """ondemand, manual, proactive-kernel-20 and proactive-module-targeted,
    with the files the proactive modes write; modes= in no particular order."""
    run = Path(root) / "prun"
    write(run / "setup.txt", "kernel=6.12.0\ninit_on_alloc=0\nmem_total_kib=2000000\n"
          f"frag_args=-S 7\nfrag_pattern={frag_pattern}\nfrag_keep=128\nfrag_seed=7\n"
          "modes=proactive-module-targeted proactive-kernel-20 manual ondemand\n")
    rows = [(i, 10_000 + i, 1, (1000 + i) << 9) for i in range(50)]

    def snaps(mig, gained=True):
        return {"punched": {"vmstat": vmstat(pgmigrate_success=mig[0]),
                            "buddyinfo": buddy(2, 1),
                            "fragmentation_score": "Node 0 score 87\nNode 0, zone DMA32 "
                                                   "score 87 weighted 87\n"},
                "compacted": {"vmstat": vmstat(pgmigrate_success=mig[1]),
                              "buddyinfo": buddy(10, 45) if gained else buddy(2, 1)},
                "allocated": {"vmstat": vmstat(pgmigrate_success=mig[2])}}

    write_mode(run, "ondemand", rows, compaction="none", method="none",
               snaps=snaps((0, 0, 500), False))
    write_mode(run, "manual", rows, compaction="1.5", method="compact_memory",
               snaps=snaps((1000, 20200, 20300)))
    write_mode(run, "proactive-kernel-20", rows, snaps=snaps((0, 0, 0), False))
    write(run / "proactive-kernel-20" / "compaction.txt",
          "compaction_s=0.00\nmethod=proactive-kernel\nproactiveness=20\nwaited_s=15.20\n"
          "settle_s=15\ntimeout_s=90\nwmark_low=80\nwmark_high=90\ntarget_reached_s=none\n"
          "reached=0\nscore_before=87\nscore_after=87\nscore_before_node0=87\n")
    write_mode(run, "proactive-module-targeted", rows, snaps=snaps((500, 10100, 10100)))
    d = run / "proactive-module-targeted"
    write(d / "compaction.txt",
          "compaction_s=2.500\nmethod=proactive-module\nstrategy=targeted\nconcurrent=0\n"
          "reached=1\ntarget_reached_ns=2500000000\nwaited_s=2.71\ntimeout_s=90\n"
          "score_before=87\nscore_after=4\nparam_compactor_interval_ms=500\n"
          "param_compactor_strategy=targeted\nparam_compactor_wmark_low=5\n")
    write(d / "compactor_status.txt", COMPACTOR_STATUS)
    write(d / "compactor_timeline.txt", "# time_ns node score free_blocks action (0 dropped)\n"
          "0 0 87 10 start\n2500000000 0 4 106 target\n")
    write(d / "score-timeline.txt", SCORE_TIMELINE)
    return run

# SPDX-License-Identifier: GPL-2.0
"""The false-alarm rate of the verdicts, measured on real runs: runs of
one kernel are exchangeable, so every way of splitting 2N of them into two
groups of N is an A/A comparison, and the share of metric comparisons the
verdict marks is its false-alarm rate at N runs a side (scripts/aa-rate.py)."""

import itertools
import math
import random

from .metrics import METRICS, SAME_AS
from .stats import compare, informative

SPLITS_SEED = 0


def per_run_values(summaries):
    """{(mode, metric key): [value per run]} of single-run summary.json dicts."""
    out = {}
    for i, s in enumerate(summaries):
        for m in s.get("modes") or []:
            if not isinstance(m, dict) or not isinstance(m.get("mode"), str):
                continue
            for key, _, get, _, _ in METRICS:
                out.setdefault((m["mode"], key), [None] * len(summaries))[i] = get(m)
    return out


def splits(total, n, limit):
    """Distinct splits of range(total) into two groups of n (a split and
    its mirror are one): all of them, or `limit` drawn at random with a
    fixed seed when there are more."""
    count = math.comb(total, n) // (2 if 2 * n == total else 1)
    if count <= limit:
        seen, out = set(), []
        for a in itertools.combinations(range(total), n):
            b = tuple(i for i in range(total) if i not in a)[:n]
            key = frozenset((a, b))
            if key not in seen:
                seen.add(key)
                out.append((a, b))
        return out
    rng = random.Random(SPLITS_SEED)
    seen, out = set(), []
    while len(out) < limit:
        idx = rng.sample(range(total), 2 * n)
        a, b = tuple(sorted(idx[:n])), tuple(sorted(idx[n:]))
        key = frozenset((a, b))
        if key not in seen:
            seen.add(key)
            out.append((a, b))
    return out


def rate(summaries, n, limit=200):
    """{"n", "runs", "splits", "compared", "marked", "rate",
    "splits_with_a_mark", "by_metric": {"mode key": [marked, compared]}}
    over the A/A splits of the runs, N a side.  As compare.py counts: a
    counter that stayed the same in every run, and a second name of one
    (SAME_AS), are not comparisons."""
    values = per_run_values(summaries)
    groups = splits(len(summaries), n, limit)
    compared = marked = with_mark = 0
    by_metric = {}
    for a, b in groups:
        split_marked = 0
        for (mode, key), vals in values.items():
            if key in SAME_AS:
                continue
            c = compare([vals[i] for i in a], [vals[i] for i in b])
            if not informative(c):
                continue
            compared += 1
            marked += c["marked"]
            split_marked += c["marked"]
            row = by_metric.setdefault(f"{mode} {key}", [0, 0])
            row[0] += c["marked"]
            row[1] += 1
        with_mark += split_marked > 0
    return {"n": n, "runs": len(summaries), "splits": len(groups), "compared": compared,
            "marked": marked, "rate": marked / compared if compared else None,
            "splits_with_a_mark": with_mark, "by_metric": by_metric}

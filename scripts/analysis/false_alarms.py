# SPDX-License-Identifier: GPL-2.0
"""The false-alarm rate of the verdicts, measured on real runs: runs of
one kernel are exchangeable, so every way of splitting 2N of them into two
groups of N is an A/A comparison, and the share of metric comparisons the
verdict marks is its false-alarm rate at N runs a side (scripts/aa-rate.py)."""

import itertools

from .metrics import METRICS
from .stats import compare


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
    """Up to `limit` distinct splits of range(total) into two groups of n
    (the complement of a split is the same split), in a fixed order."""
    seen, out = set(), []
    for a in itertools.combinations(range(total), n):
        b = tuple(i for i in range(total) if i not in a)[:n]
        key = frozenset((a, b))
        if key in seen:
            continue
        seen.add(key)
        out.append((a, b))
        if len(out) >= limit:
            break
    return out


def rate(summaries, n, limit=200):
    """{"n", "splits", "compared", "marked", "rate", "by_metric": {key:
    [marked, compared]}} over the A/A splits of the runs, N a side."""
    values = per_run_values(summaries)
    groups = splits(len(summaries), n, limit)
    compared = marked = 0
    by_metric = {}
    for a, b in groups:
        for (mode, key), vals in values.items():
            c = compare([vals[i] for i in a], [vals[i] for i in b])
            if c["kind"] is None:
                continue
            compared += 1
            marked += c["marked"]
            row = by_metric.setdefault(f"{mode} {key}", [0, 0])
            row[0] += c["marked"]
            row[1] += 1
    return {"n": n, "runs": len(summaries), "splits": len(groups), "compared": compared,
            "marked": marked, "rate": marked / compared if compared else None,
            "by_metric": by_metric}

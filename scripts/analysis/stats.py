# SPDX-License-Identifier: GPL-2.0
"""Statistics over repeated runs: a figure's median with its spread and
confidence interval, and the verdict of a comparison.

- One side's figure: the median of its runs, their min and max, and a 95%
  confidence interval of the median by the percentile bootstrap (10,000
  resamples of the runs, a fixed seed, so a report is reproducible).
- A comparison of two sides (kernels, or modes): Welch's t-test, as
  mmtests' compare-kernels uses, at 5%.  On the logarithms of the values
  when all are positive: the ratio of geometric means with its 95%
  interval, exp() of the interval of the difference of the mean logs.
  Otherwise (a 0 or a negative value: an early-stop flag, hugepages
  gained) on the values themselves: the difference of the means with its
  interval.  A difference is marked exactly when its interval excludes
  no change (1x, or 0), that is when p < 0.05.
"""

import math

import numpy as np

from .fmt import fmt_ratio

LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 10000
BOOTSTRAP_SEED = 0
CI_METHOD = (f"percentile bootstrap of the median, {BOOTSTRAP_RESAMPLES} resamples, "
             f"seed {BOOTSTRAP_SEED}")
TEST_METHOD = ("Welch's t-test at 5%, on the logarithms (ratio of geometric means) "
               "when every value is positive, else on the values (difference of means)")


def clean(values):
    """The finite numbers of `values` (a run without the figure is left out)."""
    return [float(v) for v in values
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]


def describe(values):
    """{"n", "values", "median", "min", "max", "ci95"} of one side's runs;
    ci95 is None below 2 runs, median and the rest None with none."""
    v = clean(values)
    out = {"n": len(v), "values": [rounded(x) for x in values],
           "median": None, "min": None, "max": None, "ci95": None}
    if not v:
        return out
    a = np.asarray(v)
    out.update(median=rounded(float(np.median(a))), min=rounded(float(a.min())),
               max=rounded(float(a.max())))
    if len(v) >= 2:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        meds = np.median(rng.choice(a, size=(BOOTSTRAP_RESAMPLES, a.size)), axis=1)
        lo, hi = np.percentile(meds, [50 * (1 - LEVEL), 50 * (1 + LEVEL)])
        out["ci95"] = [rounded(float(lo)), rounded(float(hi))]
    return out


def rounded(x):
    """4 significant digits for the JSON; ints and None kept, a float
    that is not finite None."""
    if not isinstance(x, float):
        return x
    return float(f"{x:.4g}") if math.isfinite(x) else None


def t_quantile(p, df):
    from scipy.stats import t  # scipy only where a verdict is made
    return float(t.ppf(p, df))


def t_two_sided_p(t_value, df):
    from scipy.stats import t
    return float(2 * t.sf(abs(t_value), df))


def compare(base, other):
    """The comparison of `other` with `base` (lists of per-run values):
    {"kind": "ratio" | "difference", "estimate", "ci95", "p", "marked",
    "n": [n_base, n_other]}, or {"kind": None, "reason"} when it cannot
    be made (fewer than 2 runs on a side)."""
    a, b = clean(base), clean(other)
    if len(a) < 2 or len(b) < 2:
        return {"kind": None, "n": [len(a), len(b)],
                "reason": "needs 2 runs or more on each side"}
    logs = all(x > 0 for x in a + b)
    xa = np.log(a) if logs else np.asarray(a)
    xb = np.log(b) if logs else np.asarray(b)
    d = float(xb.mean() - xa.mean())
    va, vb = float(xa.var(ddof=1)) / xa.size, float(xb.var(ddof=1)) / xb.size
    se = math.sqrt(va + vb)
    # Below rounding noise: every run of each side gave one value.
    if se <= 1e-12 * (abs(float(xa.mean())) + abs(float(xb.mean())) + 1):
        p, lo, hi = (1.0 if d == 0 else 0.0), d, d
    else:
        df = (va + vb) ** 2 / (va ** 2 / (xa.size - 1) + vb ** 2 / (xb.size - 1))
        half = t_quantile(0.5 + LEVEL / 2, df) * se
        p, lo, hi = t_two_sided_p(d / se, df), d - half, d + half
    if logs:
        est, lo, hi = math.exp(d), math.exp(lo), math.exp(hi)
        marked = lo > 1 or hi < 1
    else:
        est = d
        marked = lo > 0 or hi < 0
    return {"kind": "ratio" if logs else "difference", "estimate": rounded(est),
            "ci95": [rounded(lo), rounded(hi)], "p": rounded(p), "marked": bool(marked),
            "n": [len(a), len(b)]}


def verdict_text(c, fmt):
    """"0.31x [0.22x, 0.44x]" or "+3.0 [+1.2, +4.8]", in bold when marked;
    "n/a" without a comparison.  fmt formats a difference in the metric's
    units."""
    if c is None or c.get("kind") is None:
        return "n/a"
    lo, hi = c["ci95"]
    if c["kind"] == "ratio":
        text = f"{fmt_ratio(c['estimate'])} [{fmt_ratio(lo)}, {fmt_ratio(hi)}]"
    else:
        text = f"{signed(c['estimate'], fmt)} [{signed(lo, fmt)}, {signed(hi, fmt)}]"
    return f"**{text}**" if c["marked"] else text


def signed(v, fmt):
    s = fmt(v)
    return s if s.startswith("-") else "+" + s

# SPDX-License-Identifier: GPL-2.0
"""Statistics over repeated runs: a figure's median with its spread and
confidence interval, and the verdict of a comparison.

- One side's figure: the median of its runs, their min and max, and the
  exact, distribution-free interval of the median: [x(k), x(n+1-k)] of
  the sorted runs, the narrowest whose coverage, 1 - 2 P(Bin(n, 1/2) < k),
  is at least 95%.  That needs 6 runs; below, [min, max], at the level it
  reaches (93.8% at 5 runs, 87.5% at 4, 75% at 3, 50% at 2), which the
  JSON and the report give with it.
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
CI_METHOD = ("exact distribution-free interval of the median, [x(k), x(n+1-k)], 95% from "
             "6 runs; below 6 runs [min, max] at the level it reaches")
TEST_METHOD = ("Welch's t-test at 5%, on the logarithms (ratio of geometric means) "
               "when every value is positive, else on the values (difference of means)")


def median_interval(sorted_values):
    """(lo, hi, level) of the median of n >= 2 sorted values."""
    n = len(sorted_values)
    best = (sorted_values[0], sorted_values[-1], coverage(n, 1))
    for k in range(2, n // 2 + 1):
        c = coverage(n, k)
        if c < LEVEL:
            break
        best = (sorted_values[k - 1], sorted_values[n - k], c)
    return best


def coverage(n, k):
    """P(x(k) <= median <= x(n+1-k)) = 1 - 2 P(Bin(n, 1/2) <= k - 1)."""
    tail = sum(math.comb(n, i) for i in range(k)) / 2 ** n
    return 1 - 2 * tail


def clean(values):
    """The finite numbers of `values` (a run without the figure is left out)."""
    return [float(v) for v in values
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]


def describe(values):
    """{"n", "values", "median", "min", "max", "ci", "ci_level"} of one
    side's runs; ci is None below 2 runs, median and the rest None with
    none."""
    v = clean(values)
    out = {"n": len(v), "values": [rounded(x) for x in values],
           "median": None, "min": None, "max": None, "ci": None, "ci_level": None}
    if not v:
        return out
    a = np.sort(np.asarray(v))
    out.update(median=rounded(float(np.median(a))), min=rounded(float(a[0])),
               max=rounded(float(a[-1])))
    if len(v) >= 2:
        lo, hi, level = median_interval([float(x) for x in a])
        out["ci"] = [rounded(lo), rounded(hi)]
        out["ci_level"] = round(level, 4)
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
    "no_spread": every run of each side gave one value,
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
    no_spread = se <= 1e-12 * (abs(float(xa.mean())) + abs(float(xb.mean())) + 1)
    if no_spread:
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
            "no_spread": bool(no_spread), "n": [len(a), len(b)]}


def informative(c):
    """A comparison that could have gone either way: not two sides whose
    every run gave one and the same value (a counter that stayed 0)."""
    return c is not None and c.get("kind") is not None and \
        not (c["no_spread"] and not c["marked"])


def verdict_text(c, fmt=None):
    """"0.31x [0.22x, 0.44x]" or "+3.2 [+1.2, +4.8]", in bold when marked;
    "n/a" without a comparison."""
    if c is None or c.get("kind") is None:
        return "n/a"
    lo, hi = c["ci95"]
    if c["kind"] == "ratio":
        r = ratio_text
        text = f"{r(c['estimate'])} [{r(lo)}, {r(hi)}]"
    else:
        text = f"{signed(c['estimate'])} [{signed(lo)}, {signed(hi)}]"
    return f"**{text}**" if c["marked"] else text


def ratio_text(r):
    """fmt_ratio(), with a digit more near 1x, where an interval's end
    must not read 1.00x when it excludes 1."""
    if r is not None and 0.9 <= abs(r) < 1.1 and r != 1:
        for decimals in (3, 4, 5):
            text = f"{r:.{decimals}f}"
            if text.rstrip("0") != "1.":
                break
        return text + "x"
    return fmt_ratio(r)


def signed(v):
    """A difference, 3 significant digits and its sign."""
    return f"{v:+.3g}"


def p_text(c):
    """"p = 0.013"; a difference with no spread on either side has no p."""
    if c.get("no_spread"):
        return "every run gave one value on each side"
    return f"p = {c['p']:.2g}"

# SPDX-License-Identifier: GPL-2.0
"""Formatting: numbers, and tables in Markdown and plain text."""


def fmt_us(v):
    """Microseconds to at least 4 significant digits (1436, 143.6, 14.36,
    1.436); the module measures in ns, so 3 decimals is its resolution."""
    if v is None:
        return "n/a"
    for limit, decimals in ((1000, 0), (100, 1), (10, 2)):
        if abs(v) >= limit:
            return f"{v:.{decimals}f}"
    return f"{v:.3f}"


def fmt_opt(v, spec):
    return "n/a" if v is None else format(v, spec)


def table_markdown(header, rows, align="---:"):
    """Markdown table; first column left-aligned, the others by `align`."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    out = [line(header), "|" + "|".join(["---"] + [align] * (len(header) - 1)) + "|"]
    out += [line([label] + cells) for label, cells in rows]
    return "\n".join(out)


def table_text(header, rows):
    all_rows = [header] + [[label] + cells for label, cells in rows]
    widths = [max(len(str(r[i])) for r in all_rows) for i in range(len(header))]
    lines = []
    for n, r in enumerate(all_rows):
        cells = [str(r[0]).ljust(widths[0])]
        cells += [str(c).rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_int(v):
    if v is None:
        return "n/a"
    return f"{v:d}" if isinstance(v, int) else f"{v:.0f}"


def fmt_fixed(decimals):
    return lambda v: "n/a" if v is None else f"{v:.{decimals}f}"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    for limit, decimals in ((100, 0), (10, 1)):
        if abs(r) >= limit:
            return f"{r:.{decimals}f}x"
    if r and abs(r) < 0.1:
        return f"{r:.2g}x"	# 0.0021x, not 0.00x
    return f"{r:.2f}x"

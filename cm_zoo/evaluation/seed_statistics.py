"""Means over seeds with 95% confidence intervals, and their tables."""

import numpy as np

# Two-sided 95% quantiles of Student's t, t_{0.975}(df), df = 1..30.
_T_975 = (
    12.7062,
    4.3027,
    3.1824,
    2.7764,
    2.5706,
    2.4469,
    2.3646,
    2.3060,
    2.2622,
    2.2281,
    2.2010,
    2.1788,
    2.1604,
    2.1448,
    2.1314,
    2.1199,
    2.1098,
    2.1009,
    2.0930,
    2.0860,
    2.0796,
    2.0739,
    2.0687,
    2.0639,
    2.0595,
    2.0555,
    2.0518,
    2.0484,
    2.0452,
    2.0423,
)


def t_quantile_975(df):
    """Student's t 97.5% quantile for `df` degrees of freedom.

    Exact (4 decimals) up to 30, then the Cornish-Fisher expansion around
    the normal quantile, which is within 1e-4 beyond.

    Example:
    >>> from cm_zoo.evaluation import t_quantile_975
    >>> t_quantile_975(4), round(t_quantile_975(1000), 3)
    (2.7764, 1.962)
    """
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise ValueError(f"`df` must be a positive int. Received: df={df!r}")
    if df <= len(_T_975):
        return _T_975[df - 1]
    z = 1.959964
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    )


def mean_confidence_interval(values):
    """Mean of per-seed values with a two-sided 95% t interval.

    `half_width = t_{0.975}(n - 1) * std / sqrt(n)`, `std` with `n - 1`
    degrees of freedom: the interval of the mean over seeds, each seed one
    independent draw of the whole training run.

    Args:
        values: sequence of floats, one per seed (at least 2).

    Returns:
        dict with `"mean"`, `"std"`, `"half_width"`, `"low"`, `"high"` and
        `"n"`.

    Raises:
        ValueError: for fewer than 2 values or a non-finite one.

    Example:
    >>> from cm_zoo.evaluation import mean_confidence_interval
    >>> ci = mean_confidence_interval([1.0, 2.0, 3.0])
    >>> ci["mean"], round(ci["half_width"], 4), ci["n"]
    (2.0, 2.4842, 3)
    """
    x = np.asarray(values, dtype="float64")
    if x.ndim != 1 or x.size < 2 or not np.isfinite(x).all():
        raise ValueError(
            "`values` must be at least 2 finite numbers, one per seed. "
            f"Received: values={list(values)!r}"
        )
    std = float(x.std(ddof=1))
    half = t_quantile_975(x.size - 1) * std / np.sqrt(x.size)
    mean = float(x.mean())
    return {
        "mean": mean,
        "std": std,
        "half_width": float(half),
        "low": mean - float(half),
        "high": mean + float(half),
        "n": int(x.size),
    }


def intervals_disjoint(a, b):
    """Whether two `mean_confidence_interval` results do not overlap.

    Example:
    >>> from cm_zoo.evaluation import intervals_disjoint
    >>> intervals_disjoint({"low": 1, "high": 2}, {"low": 2.5, "high": 3})
    True
    """
    return a["high"] < b["low"] or b["high"] < a["low"]


def seed_table(columns, *, scale=100.0, digits=1):
    """A markdown table of `mean ± half-width (n)` per row and column.

    Args:
        columns: dict `{column name: {row name: list of per-seed values}}`;
            rows follow the first column's order. A cell with fewer than 2
            values shows the value alone, or `-` when missing.
        scale: float. Multiplies every value (100: fractions to percent).
            Defaults to `100.`.
        digits: int. Decimals shown. Defaults to `1`.

    Returns:
        A markdown string.

    Example:
    >>> from cm_zoo.evaluation import seed_table
    >>> print(seed_table({"mAP": {"C": [0.1, 0.12, 0.14], "BL": [0.05]}}))
    | Method | mAP |
    |---|---:|
    | C | 12.0 ± 5.0 (n=3) |
    | BL | 5.0 (n=1) |
    """
    if not columns:
        raise ValueError("`columns` must hold at least one column.")
    names = list(columns)
    rows = list(next(iter(columns.values())))
    lines = [
        "| Method | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for row in rows:
        cells = [_cell(columns[n].get(row, []), scale, digits) for n in names]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(values, scale, digits):
    values = [scale * float(v) for v in values]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f} (n=1)"
    ci = mean_confidence_interval(values)
    return (
        f"{ci['mean']:.{digits}f} ± {ci['half_width']:.{digits}f} (n={ci['n']})"
    )

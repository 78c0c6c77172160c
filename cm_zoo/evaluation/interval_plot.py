"""Bar chart of retrieval scores as multiples of chance, with intervals."""

import numpy as np

from cm_zoo.evaluation.png_palette import quantize_png


def plot_times_chance(scores, path, *, goal=None, title=None):
    """Writes a PNG: x chance per model and split, with 95% intervals.

    One group of bars per model, one bar per split, each with its interval
    as an error bar; a dotted line at chance (1x) and, if given, a dashed
    line at `goal`. The PNG is palette-quantized (small enough to commit).

    Args:
        scores: dict `{model: {split: summary}}`, each summary as
            `cm_zoo.runs.generalisation_metrics` returns it: `"times_chance"`
            and `"interval": {"times_chance": [low, high]}`. Splits a model
            lacks are left out of its group.
        path: str or path-like. The PNG to write.
        goal: optional float. A target multiple of chance to draw.
            Defaults to `None`.
        title: optional str. Defaults to `None`.

    Returns:
        The list of splits drawn, in legend order.

    Raises:
        ValueError: if `scores` is empty or a summary lacks its interval.

    Example:
    >>> import os, tempfile
    >>> from cm_zoo.evaluation import plot_times_chance
    >>> summary = {"times_chance": 3.2,
    ...            "interval": {"times_chance": [2.8, 3.6]}}
    >>> path = os.path.join(tempfile.mkdtemp(), "bars.png")
    >>> plot_times_chance({"model": {"test": summary, "ood": summary}},
    ...                   path, goal=4.0)
    ['test', 'ood']
    >>> os.path.getsize(path) > 0
    True
    """
    if not scores:
        raise ValueError("`scores` is empty: nothing to plot.")
    splits = list(
        dict.fromkeys(s for by_split in scores.values() for s in by_split)
    )
    values, lows, highs = _bars(scores, splits)
    _draw(path, list(scores), splits, (values, lows, highs), goal, title)
    quantize_png(path)
    return splits


def _bars(scores, splits):
    """`[models, splits]` arrays of x chance and interval ends (NaN: none)."""
    shape = (len(scores), len(splits))
    values, lows, highs = (np.full(shape, np.nan) for _ in range(3))
    for row, (model, by_split) in enumerate(scores.items()):
        for column, split in enumerate(splits):
            if split not in by_split:
                continue
            summary = by_split[split]
            interval = summary.get("interval", {}).get("times_chance")
            if interval is None:
                raise ValueError(
                    f"{model!r} {split!r}: no `interval` to draw. Score it "
                    "with `cm_zoo.runs.generalisation_metrics` (which adds "
                    "`retrieval_interval`'s bootstrap)."
                )
            values[row, column] = summary["times_chance"]
            lows[row, column], highs[row, column] = interval
    return values, lows, highs


def _draw(path, models, splits, bars, goal, title):
    from matplotlib import figure
    from matplotlib.backends import backend_agg

    values, lows, highs = bars
    fig = figure.Figure(figsize=(2.2 + 1.4 * values.size / 2, 4), dpi=100)
    backend_agg.FigureCanvasAgg(fig)
    axis = fig.subplots()
    width = 0.8 / len(splits)
    centers = np.arange(len(models))
    for column, split in enumerate(splits):
        x = centers - 0.4 + width * (column + 0.5)
        errors = np.stack(
            [
                values[:, column] - lows[:, column],
                highs[:, column] - values[:, column],
            ]
        )
        axis.bar(
            x, values[:, column], width, yerr=errors, capsize=3, label=split
        )
    axis.axhline(1.0, color="grey", linestyle=":", linewidth=1, label="chance")
    if goal is not None:
        axis.axhline(
            goal,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"{goal:g}x goal",
        )
    axis.set_xticks(centers, models)
    axis.set_ylabel("mean cross-modal mAP / chance")
    axis.set_ylim(0, max(np.nanmax(highs), goal or 0) * 1.1)
    axis.legend(fontsize=8, loc="upper right")
    if title:
        axis.set_title(title)
    fig.tight_layout()
    fig.savefig(path, format="png")

"""Choosing an alignment method's settings on a validation split.

The issue-17 demonstration (`recipes/run_alignment_demo.py --select`)
tries each method at every point of a small grid fixed in advance
(`selection_grid`), scores each run on validation items (never on test),
keeps the best (`best_setting`) and reports all (`selection_table`).
"""

import numpy as np

from cm_zoo.runs.modality_alignment import ALIGNMENT_METHODS

# The selection grid, fixed before any run: each method's learning rate,
# and for the StatReg methods (B, C) its weight too. The first round had
# three of each (up to 0.003 and 0.1); B and C chose that corner on both
# demo modalities, so 0.01 and 1.0 were added, before any of their runs.
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01)
STATREG_WEIGHTS = (0.001, 0.01, 0.1, 1.0)


def selection_grid(method):
    """The settings tried for `method` (a key of `ALIGNMENT_METHODS`).

    Example:
    >>> from cm_zoo.runs.alignment_selection import selection_grid
    >>> len(selection_grid("A")), len(selection_grid("C"))
    (4, 16)
    >>> selection_grid("C")[0]
    {'learning_rate': 0.0003, 'statreg_weight': 0.001}
    """
    if not ALIGNMENT_METHODS[method].statreg:
        return [{"learning_rate": rate} for rate in LEARNING_RATES]
    return [
        {"learning_rate": rate, "statreg_weight": weight}
        for rate in LEARNING_RATES
        for weight in STATREG_WEIGHTS
    ]


def setting_name(setting):
    """A setting as a run-name suffix.

    Example:
    >>> from cm_zoo.runs.alignment_selection import setting_name
    >>> setting_name({"learning_rate": 0.0003, "statreg_weight": 0.01})
    'lr0.0003_sr0.01'
    """
    short = {"learning_rate": "lr", "statreg_weight": "sr"}
    return "_".join(f"{short[key]}{value:g}" for key, value in setting.items())


def setting_flags(setting):
    """A setting as `recipes/align_modality.py` flags.

    Example:
    >>> from cm_zoo.runs.alignment_selection import setting_flags
    >>> setting_flags({"learning_rate": 0.003, "statreg_weight": 0.1})
    ['--learning-rate', '0.003', '--statreg-weight', '0.1']
    """
    return [
        flag
        for key, value in setting.items()
        for flag in (f"--{key.replace('_', '-')}", str(value))
    ]


def best_setting(points):
    """The setting of the highest mean validation score; the first in grid
    order on a tie.

    Args:
        points: list of dict, in grid order: `setting` and `val_mean_map`
            (`{seed: mean mAP}`).

    Example:
    >>> from cm_zoo.runs.alignment_selection import best_setting
    >>> best_setting([
    ...     {"setting": {"learning_rate": 0.1}, "val_mean_map": {"0": 0.2}},
    ...     {"setting": {"learning_rate": 0.2}, "val_mean_map": {"0": 0.3}}])
    {'learning_rate': 0.2}
    """
    scores = [np.mean(list(p["val_mean_map"].values())) for p in points]
    return points[int(np.argmax(scores))]["setting"]


def _setting_cells(setting):
    weight = setting.get("statreg_weight")
    return f"{setting['learning_rate']:g} | " + (
        "-" if weight is None else f"{weight:g}"
    )


def selection_table(selection):
    """Markdown: the validation score of every grid point (mean over
    seeds, per seed), then the chosen setting per modality and method.

    Args:
        selection: dict `{modality: {method key: {"chosen": setting,
            "grid": points}}}`, `points` as in `best_setting`.

    Example:
    >>> from cm_zoo.runs.alignment_selection import selection_table
    >>> point = {"setting": {"learning_rate": 0.001},
    ...          "val_mean_map": {"0": 0.25, "1": 0.35}}
    >>> table = selection_table({"chalk": {"A": {"chosen": point["setting"],
    ...     "grid": [point]}}})
    >>> table.splitlines()[2].split(" | ")[-2:]
    ['0.300 (0.250, 0.350)', 'yes |']
    >>> table.splitlines()[-1]
    '| chalk | A: Tune (frozen shared layers) | 0.001 | - | 0.300 |'
    """
    chosen, grid = [], []
    for modality, methods in sorted(selection.items()):
        for method, entry in methods.items():
            label = f"| {modality} | {ALIGNMENT_METHODS[method].label} | "
            for point in entry["grid"]:
                values = list(point["val_mean_map"].values())
                seeds = ", ".join(f"{value:.3f}" for value in values)
                mark = "yes" if point["setting"] == entry["chosen"] else ""
                cells = _setting_cells(point["setting"])
                grid.append(
                    f"{label}{cells} | {np.mean(values):.3f} ({seeds}) "
                    f"| {mark} |"
                )
                if mark:
                    chosen.append(f"{label}{cells} | {np.mean(values):.3f} |")
    header = (
        "| modality | method | learning rate | StatReg weight | val mean mAP"
    )
    return "\n".join(
        [
            f"{header} (per seed) | chosen |",
            "|---|---|--:|--:|---|---|",
            *grid,
            "",
            f"{header} |",
            "|---|---|--:|--:|--:|",
            *chosen,
            "",
        ]
    )

"""The See-Hear-Read regime's result files: summary over splits, markdown.

`summarize` gives every score's mean +- 95% CI over the splits, as JSON;
`regime_markdown` writes its tables.
"""

import numpy as np

from cm_zoo.evaluation import mean_confidence_interval
from cm_zoo.runs import see_hear_read_training as training
from cm_zoo.runs.see_hear_read_scores import DIRECTIONS
from cm_zoo.runs.see_hear_read_splits import SOUND
from cm_zoo.runs.see_hear_read_splits import TEXT

# Issue 15's goal for sound <-> text: median rank <= 0.2x chance.
SOUND_TEXT_GOAL = 0.2


def summarize(result, *, command, settings, layer="fc7"):
    """Mean +- 95% CI over splits of every score, for the result files.

    Args:
        result: dict. `run_regime`'s.
        command: str. The command that regenerates the files.
        settings: dict. The settings the command ran with.
        layer: str. Layer of the median ranks. Defaults to `"fc7"`.

    Returns:
        A JSON-safe dict: `command`, `metrics_file` (per split),
        `metrics_key`, `splits`, `settings`, `teacher`, `median_rank`
        (per direction: `values`, CI fields, `chance`, `ratio_to_chance`),
        `sound_text` (mean ratio of the two directions and the goal),
        `classifier_transfer` (per `train->test`: `values`, CI fields;
        `chance`), `best_epochs`, `train_seconds`.

    Example:
    >>> from cm_zoo.runs import see_hear_read_summary as summary_files
    >>> def split(rank):
    ...     cell = {"median_rank": rank, "chance": 50.5}
    ...     return {"median_rank": {"fc7": {
    ...         f"{a}->{b}": cell for a, b in summary_files.DIRECTIONS}},
    ...         "classifier_transfer": {"accuracy": {"sound->sound": .5},
    ...                                 "chance": .25, "num_test": {}},
    ...         "num_test_triplets": 100, "best_epoch": 3,
    ...         "train_seconds": 1.}
    >>> summary = summary_files.summarize(
    ...     {"teacher": {}, "splits": [split(9.), split(11.)]},
    ...     command="python x.py", settings={})
    >>> summary["median_rank"]["sound->description"]["mean"]
    10.0
    >>> summary["sound_text"]["goal_met"]
    True
    """
    splits = result["splits"]
    ranks = {}
    for direction in splits[0]["median_rank"][layer]:
        cells = [s["median_rank"][layer][direction] for s in splits]
        ci = _interval([c["median_rank"] for c in cells])
        chance = float(np.mean([c["chance"] for c in cells]))
        ranks[direction] = {
            **ci,
            "chance": chance,
            "ratio_to_chance": ci["mean"] / chance,
        }
    sound_text = [
        ranks[f"{a}->{b}"]["ratio_to_chance"]
        for a, b in ((SOUND, TEXT), (TEXT, SOUND))
    ]
    transfer = {
        pair: _interval(
            [s["classifier_transfer"]["accuracy"][pair] for s in splits]
        )
        for pair in splits[0]["classifier_transfer"]["accuracy"]
    }
    return {
        "command": command,
        "metrics_file": "split{split}/metrics.json",
        "metrics_key": f"median_rank.{layer}",
        "splits": list(range(len(splits))),
        "settings": settings,
        "teacher": result["teacher"],
        "layer": layer,
        "median_rank": ranks,
        "sound_text": {
            "ratio_to_chance": float(np.mean(sound_text)),
            "goal_ratio": SOUND_TEXT_GOAL,
            "goal_met": bool(max(sound_text) <= SOUND_TEXT_GOAL),
        },
        "classifier_transfer": {
            "accuracy": transfer,
            "chance": splits[0]["classifier_transfer"]["chance"],
            "num_test": splits[0]["classifier_transfer"]["num_test"],
        },
        "num_test_triplets": splits[0]["num_test_triplets"],
        "best_epochs": [s["best_epoch"] for s in splits],
        "train_seconds": [s["train_seconds"] for s in splits],
    }


def _interval(values):
    """`values` with their mean +- 95% CI (a single value: no interval)."""
    values = [float(v) for v in values]
    if len(values) < 2:
        return {"values": values, "mean": values[0], "half_width": None}
    ci = mean_confidence_interval(values)
    return {"values": values, **ci}


def regime_markdown(summary):
    """The result file's markdown: median ranks and classifier transfer.

    Example:
    >>> from cm_zoo.runs import see_hear_read_summary as summary_files
    >>> cell = {"mean": 3.0, "half_width": 1.0, "chance": 10.5,
    ...         "ratio_to_chance": 3 / 10.5}
    >>> text = summary_files.regime_markdown({
    ...     "command": "python x.py", "splits": [0, 1], "layer": "fc7",
    ...     "teacher": {"num_classes": 4, "val_accuracy": .5},
    ...     "num_test_triplets": 20,
    ...     "median_rank": {"sound->description": cell},
    ...     "sound_text": {"ratio_to_chance": .3, "goal_ratio": .2,
    ...                    "goal_met": False},
    ...     "classifier_transfer": {"chance": .25, "accuracy": {
    ...         "sound->sound": {"mean": .5, "half_width": .1}}}})
    >>> print(text.splitlines()[8])
    | sound->description | 3.0 +- 1.0 | 10.5 | 0.29x |
    """
    teacher = summary["teacher"]
    lines = [
        "# See, Hear, and Read in its regime",
        "",
        f"Generated by `{summary['command']}` (do not edit by hand). "
        f"{len(summary['splits'])} splits of the paired items; mean +- 95% "
        f"CI over splits. Teacher: {teacher['num_classes']} openclipart "
        f"sub-folder classes, val accuracy {teacher['val_accuracy']:.3f}.",
        "",
        f"## Median rank ({summary['layer']}, "
        f"{summary['num_test_triplets']} test triplets), lower is better",
        "",
        "| direction | median rank | chance | ratio to chance |",
        "|---|---:|---:|---:|",
    ]
    for direction in _ordered(summary["median_rank"], DIRECTIONS):
        cell = summary["median_rank"][direction]
        lines.append(
            f"| {direction} | {_cell(cell, 1)} | {cell['chance']:.1f} | "
            f"{cell['ratio_to_chance']:.2f}x |"
        )
    sound_text = summary["sound_text"]
    verdict = "met" if sound_text["goal_met"] else "not met"
    lines += [
        "",
        f"Sound <-> text (never paired in training): "
        f"{sound_text['ratio_to_chance']:.2f}x chance; goal <= "
        f"{sound_text['goal_ratio']}x chance: {verdict}.",
        "",
        "## Classifier transfer, linear SVM, held-apart class set (accuracy)",
        "",
        "| train -> test | accuracy |",
        "|---|---:|",
    ]
    transfer = summary["classifier_transfer"]
    pairs = [(a, b) for a in training.ENCODERS for b in training.ENCODERS]
    for pair in _ordered(transfer["accuracy"], pairs):
        lines.append(f"| {pair} | {_cell(transfer['accuracy'][pair], 3)} |")
    lines += ["", f"Chance: {transfer['chance']:.3f}.", ""]
    return "\n".join(lines)


def _ordered(cells, pairs):
    """The `"a->b"` keys of `cells` in the order of `pairs`, then the rest
    sorted (a JSON round trip sorts keys; the tables keep this order)."""
    first = [f"{a}->{b}" for a, b in pairs if f"{a}->{b}" in cells]
    return first + sorted(set(cells) - set(first))


def _cell(cell, digits):
    """`mean +- half width` with `digits` decimals."""
    if cell["half_width"] is None:
        return f"{cell['mean']:.{digits}f}"
    return f"{cell['mean']:.{digits}f} +- {cell['half_width']:.{digits}f}"

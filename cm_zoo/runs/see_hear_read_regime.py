"""See, Hear, and Read in its regime, over five splits of the paired data.

The paper's regime on the clip-art benchmark: the teacher predicts a label
space other than the evaluation categories (openclipart sub-folders of the
source pool, `cm_zoo.data.teacher_labels`; the paper's is ImageNet), the
student learns from image-sound and image-text pairs only, its epoch is
chosen on the validation triplets, and it is scored on the test triplets
by median rank in six directions (sound <-> text never paired) and by
classifier transfer with a linear SVM on a class set held apart from all
training (the weakly aligned items, labelled by category). Five splits of
the paired items give mean +- 95% CI; each split is its own resumable run
directory, skipped once its `metrics.json` exists.
"""

import time

import keras
import numpy as np

from cm_zoo.evaluation import RETRIEVAL_LAYERS
from cm_zoo.evaluation import classifier_transfer_accuracy
from cm_zoo.evaluation import cross_modal_median_rank
from cm_zoo.evaluation import mean_confidence_interval
from cm_zoo.models import extract_features
from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs import see_hear_read_training as training
from cm_zoo.runs.best_on_validation import BestOnValidation
from cm_zoo.runs.run_directory import RunDirectory

IMAGE, SOUND, TEXT = training.ENCODERS
DIRECTIONS = tuple(
    (query, target)
    for pair in ((IMAGE, SOUND), (IMAGE, TEXT), (SOUND, TEXT))
    for query, target in (pair, pair[::-1])
)
# Candidate SVM weight decays, chosen per training modality by two-fold
# cross-validation on its training items (See-Hear-Read section 4.4).
SVM_L2 = (1e-4, 1e-3, 1e-2, 1e-1)
# Issue 15's goal for sound <-> text: median rank <= 0.2x chance.
SOUND_TEXT_GOAL = 0.2


def paired_split(bench, index, triplets=None):
    """Split `index` of the benchmark's paired items.

    Split 0 is the stored one (`bench.paired`); split `k > 0` deals each
    category's paired items anew (seeded by `k`) into as many test, val
    and train items as the stored split gives it, training items going
    alternately to the image-sound and the image-text set (so no item
    links sound to text in training).

    Args:
        bench: `ClipartBenchmark`.
        index: int >= 0.
        triplets: optional `bench.paired_triplets()`, to reuse.

    Returns:
        `{"train": {"image_sound": ..., "image_text": ...}, "val":
        triplets, "test": triplets}` shaped like `bench.paired`'s.

    Example:
    >>> from cm_zoo.runs import see_hear_read_regime as regime
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> split = regime.paired_split(bench, 1)
    >>> [len(split[s]["label"]) for s in ("val", "test")]
    [43, 100]
    """
    if index == 0:
        return {
            "train": bench.paired("train"),
            "val": bench.paired("val"),
            "test": bench.paired("test"),
        }
    items = bench.paired_triplets() if triplets is None else triplets
    rng = np.random.default_rng(index)
    rows = {"val": [], "test": [], "image_sound": [], "image_text": []}
    for label in np.unique(items["label"]):
        mine = np.flatnonzero(items["label"] == label)
        drawn = rng.permutation(mine)
        stored = items["split"][mine]
        cut = np.cumsum([np.sum(stored == s) for s in ("test", "val")])
        rows["test"] += drawn[: cut[0]].tolist()
        rows["val"] += drawn[cut[0] : cut[1]].tolist()
        rows["image_sound"] += drawn[cut[1] :: 2].tolist()
        rows["image_text"] += drawn[cut[1] + 1 :: 2].tolist()
    keys = {
        "val": (IMAGE, TEXT, SOUND),
        "test": (IMAGE, TEXT, SOUND),
        "image_sound": (IMAGE, SOUND),
        "image_text": (IMAGE, TEXT),
    }
    bundles = {
        name: {key: items[key][rows[name]] for key in keys[name] + ("label",)}
        for name in rows
    }
    return {
        "train": {k: bundles[k] for k in ("image_sound", "image_text")},
        "val": bundles["val"],
        "test": bundles["test"],
    }


def median_ranks(backbone, triplets, layers=RETRIEVAL_LAYERS):
    """`{layer: {"query->target": average_median_rank result}}` of paired
    retrieval among `triplets` in the six `DIRECTIONS`."""
    features = extract_features(
        backbone, {m: triplets[m] for m in training.ENCODERS}, layers=layers
    )
    return {
        layer: {
            f"{query}->{target}": result
            for (query, target), result in cross_modal_median_rank(
                by_modality, pairs=DIRECTIONS
            ).items()
        }
        for layer, by_modality in features.items()
    }


def validation_score(triplets):
    """`score(model)` for `BestOnValidation`: minus the mean over the six
    directions of fc7 median rank / chance on the val `triplets`."""

    def score(model):
        ranks = median_ranks(model.backbone, triplets, layers=["fc7"])["fc7"]
        ratios = [r["median_rank"] / r["chance"] for r in ranks.values()]
        return -float(np.mean(ratios))

    return score


def held_apart_transfer(backbone, bench):
    """Classifier transfer with a linear SVM on the held-apart class set.

    The categories of the weakly aligned items (in no See-Hear-Read
    training role; the teacher's classes are folders): an SVM is fitted
    on one modality's fc7 of the train split (its `l2` by two-fold
    cross-validation among `SVM_L2`) and scored on every modality's test
    split; `classifier_transfer_accuracy`'s result, keys `"train->test"`.
    """
    features = {}
    for split in ("train", "test"):
        arrays = {m: bench.arrays(m, split) for m in training.ENCODERS}
        fc7 = extract_features(
            backbone, {m: x for m, (x, _) in arrays.items()}, layers=["fc7"]
        )["fc7"]
        features[split] = {m: (fc7[m], arrays[m][1]) for m in arrays}
    result = classifier_transfer_accuracy(
        features["train"], features["test"], classifier="svm", l2=SVM_L2
    )
    result["accuracy"] = {
        f"{a}->{b}": value for (a, b), value in result["accuracy"].items()
    }
    return result


def run_split(job, bench, index, *, teacher, strategy, output, patience):
    """Trains and scores the student of split `index` in `output/split<k>`.

    Resumable; a split whose `metrics.json` exists is read, not rerun.
    The student trains on the split's pairs for at most
    `job.training.epochs` epochs, stopping after `patience` epochs without
    a better `validation_score`; the best epoch's weights are scored.

    Returns:
        The split's metrics dict (`median_rank`, `classifier_transfer`,
        `best_epoch`, `val_scores`, `train_seconds`).
    """
    run = RunDirectory(output).child(f"split{index}")
    if run.has_metrics():
        return run.read_metrics()
    split = paired_split(bench, index)
    keras.utils.set_random_seed(job.seed + index)
    task = training.build_task(job, teacher, strategy)
    best = BestOnValidation(
        validation_score(split["val"]),
        run.path,
        name="val_score",
        patience=patience,
    )
    started = time.time()
    training.train_stage(
        job,
        task,
        training.student_dataset(job, bench, pairs=split["train"]),
        job.training.epochs,
        strategy=strategy,
        run_dir=run.path,
        callbacks=[best],
    )
    metrics = {
        "median_rank": median_ranks(task.backbone, split["test"]),
        "classifier_transfer": held_apart_transfer(task.backbone, bench),
        "best_epoch": best.best_epoch,
        "val_scores": best.scores,
        "num_test_triplets": int(len(split["test"]["label"])),
        "train_seconds": time.time() - started,
    }
    run.write_metrics(metrics)
    return metrics


def teacher_accuracy(teacher, bench, job):
    """The teacher's accuracy on the source pool's val drawings, in its
    own label space (`job.teacher_labels`)."""
    x, y = experiment.teacher_items(
        bench, job.teacher_data, "val", labels=job.teacher_labels
    )
    logits = teacher.predict(x, batch_size=64, verbose=0)
    logits = logits["logits"] if isinstance(logits, dict) else logits
    return float(np.mean(np.argmax(logits, axis=-1) == y))


def run_regime(job, bench, *, num_splits, strategy, output, patience):
    """The teacher (trained once, in `output/teacher`) and the students of
    splits `0 .. num_splits - 1` (`run_split`).

    Returns:
        `{"teacher": {"label_space", "num_classes", "val_accuracy"},
        "splits": [metrics of each split]}`.
    """
    root = RunDirectory(output)
    keras.utils.set_random_seed(job.seed)
    teacher = training.load_or_train_teacher(job, bench, strategy, (root, root))
    teacher_info = {
        "label_space": job.teacher_labels,
        "num_classes": len(
            experiment.teacher_class_names(bench, job.teacher_labels)
        ),
        "val_accuracy": teacher_accuracy(teacher, bench, job),
    }
    splits = [
        run_split(
            job,
            bench,
            index,
            teacher=teacher,
            strategy=strategy,
            output=output,
            patience=patience,
        )
        for index in range(num_splits)
    ]
    return {"teacher": teacher_info, "splits": splits}


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
    >>> from cm_zoo.runs import see_hear_read_regime as regime
    >>> def split(rank):
    ...     cell = {"median_rank": rank, "chance": 50.5}
    ...     return {"median_rank": {"fc7": {
    ...         f"{a}->{b}": cell for a, b in regime.DIRECTIONS}},
    ...         "classifier_transfer": {"accuracy": {"sound->sound": .5},
    ...                                 "chance": .25, "num_test": {}},
    ...         "num_test_triplets": 100, "best_epoch": 3,
    ...         "train_seconds": 1.}
    >>> summary = regime.summarize(
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
    >>> from cm_zoo.runs import see_hear_read_regime as regime
    >>> cell = {"mean": 3.0, "half_width": 1.0, "chance": 10.5,
    ...         "ratio_to_chance": 3 / 10.5}
    >>> text = regime.regime_markdown({
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

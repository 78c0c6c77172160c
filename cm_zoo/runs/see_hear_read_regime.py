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

This module runs the regime; the splits are `see_hear_read_splits`', the
scores `see_hear_read_scores`' and the result files
`see_hear_read_summary`'. Their public names are importable from here too.
"""

import time

import keras

from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs import see_hear_read_student_data as student_data
from cm_zoo.runs import see_hear_read_training as training
from cm_zoo.runs.best_on_validation import BestOnValidation
from cm_zoo.runs.run_directory import RunDirectory
from cm_zoo.runs.see_hear_read_scores import DIRECTIONS
from cm_zoo.runs.see_hear_read_scores import SVM_L2
from cm_zoo.runs.see_hear_read_scores import held_apart_transfer
from cm_zoo.runs.see_hear_read_scores import median_ranks
from cm_zoo.runs.see_hear_read_scores import teacher_accuracy
from cm_zoo.runs.see_hear_read_scores import validation_score
from cm_zoo.runs.see_hear_read_splits import IMAGE
from cm_zoo.runs.see_hear_read_splits import SOUND
from cm_zoo.runs.see_hear_read_splits import TEXT
from cm_zoo.runs.see_hear_read_splits import paired_split
from cm_zoo.runs.see_hear_read_summary import SOUND_TEXT_GOAL
from cm_zoo.runs.see_hear_read_summary import regime_markdown
from cm_zoo.runs.see_hear_read_summary import summarize

__all__ = [
    "DIRECTIONS",
    "IMAGE",
    "SOUND",
    "SOUND_TEXT_GOAL",
    "SVM_L2",
    "TEXT",
    "held_apart_transfer",
    "median_ranks",
    "paired_split",
    "regime_markdown",
    "run_regime",
    "run_split",
    "summarize",
    "teacher_accuracy",
    "validation_score",
]


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
        student_data.student_dataset(job, bench, pairs=split["train"]),
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

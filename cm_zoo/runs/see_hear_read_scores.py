"""Scores of a See-Hear-Read student and teacher, as the regime reports.

A student is scored by paired median rank in six directions (sound <->
text never paired in training), on validation triplets to choose its
epoch and on test triplets for the result, and by classifier transfer with
a linear SVM on a class set held apart from all training; the teacher by
its accuracy in its own label space.
"""

import numpy as np

from cm_zoo.evaluation import RETRIEVAL_LAYERS
from cm_zoo.evaluation import classifier_transfer_accuracy
from cm_zoo.evaluation import cross_modal_median_rank
from cm_zoo.models import extract_features
from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs import see_hear_read_training as training
from cm_zoo.runs.see_hear_read_splits import IMAGE
from cm_zoo.runs.see_hear_read_splits import SOUND
from cm_zoo.runs.see_hear_read_splits import TEXT

DIRECTIONS = tuple(
    (query, target)
    for pair in ((IMAGE, SOUND), (IMAGE, TEXT), (SOUND, TEXT))
    for query, target in (pair, pair[::-1])
)
# Candidate SVM weight decays, chosen per training modality by two-fold
# cross-validation on its training items (See-Hear-Read section 4.4).
SVM_L2 = (1e-4, 1e-3, 1e-2, 1e-1)


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


def teacher_accuracy(teacher, bench, job):
    """The teacher's accuracy on the source pool's val drawings, in its
    own label space (`job.teacher_labels`)."""
    x, y = experiment.teacher_items(
        bench, job.teacher_data, "val", labels=job.teacher_labels
    )
    logits = teacher.predict(x, batch_size=64, verbose=0)
    logits = logits["logits"] if isinstance(logits, dict) else logits
    return float(np.mean(np.argmax(logits, axis=-1) == y))

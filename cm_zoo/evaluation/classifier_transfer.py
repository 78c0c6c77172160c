"""Classifier transfer: train a linear classifier in one modality, test in all.

See-Hear-Read Table 3 (and the train-on-source, test-on-targets reading of
CMPlaces Table 4): if the representation is aligned, a classifier fitted
on one modality's embeddings recognises the same categories in another
modality without any labelled example there.
"""

import numpy as np

from cm_zoo.evaluation import _checks
from cm_zoo.evaluation import linear_probe

# The classifiers `classifier_transfer_accuracy` fits: softmax regression,
# or See-Hear-Read's one-vs-all linear SVM.
CLASSIFIERS = {
    "softmax": linear_probe.fit_linear_probe,
    "svm": linear_probe.fit_linear_svm,
}


def classifier_transfer_accuracy(
    train_features,
    test_features,
    *,
    train_modalities=None,
    classes=None,
    classifier="softmax",
    l2=1e-3,
    num_iterations=300,
):
    """Accuracy of a linear classifier for every (train, test) modality pair.

    One linear classifier (L2-normalised features) is fitted per training
    modality and scored on every test modality: multinomial logistic
    regression (`linear_probe.fit_linear_probe`) or, as See-Hear-Read's
    Table 3, a one-vs-all linear SVM (`linear_probe.fit_linear_svm`). With
    several `l2` values, each training modality picks its own by two-fold
    cross-validation on its training items (the paper's choice of
    hyper-parameters), then refits on all of them.

    Args:
        train_features: dict `{modality: (embeddings [N_m, D], labels)}`.
        test_features: dict of the same form (held-out items); may hold
            other modalities than `train_features`.
        train_modalities: optional list of keys of `train_features` to train
            on. Defaults to all of them.
        classes: optional iterable of int labels. If given, only test items
            of these categories are scored (e.g. the held-out categories of
            a zero-shot run); the classifier still chooses among all the
            classes it was trained on. Defaults to `None`.
        classifier: str. `"softmax"` or `"svm"`. Defaults to `"softmax"`.
        l2: float, or a sequence of candidate floats. Weight decay of the
            classifier. Defaults to `1e-3`.
        num_iterations: int. Gradient steps of the classifier. Defaults to
            `300`.

    Returns:
        A dict: `"accuracy"` `{(train, test): float}`, `"chance"` (float,
        `1 / number of distinct scored test labels`, the paper's chance for
        balanced test sets), `"majority"` `{test: float}` (accuracy of always
        predicting the most frequent scored test label) and `"num_test"`
        `{test: int}`, and `"l2"` `{train: float}` (the value used).

    Raises:
        ValueError: on malformed features, dimension mismatch between train
            and test, unknown `train_modalities`, or a test modality left
            empty by `classes`.

    Example:
    >>> from cm_zoo.evaluation import classifier_transfer
    >>> x = np.repeat(np.eye(3), 4, axis=0)
    >>> labels = np.repeat(np.arange(3), 4)
    >>> out = classifier_transfer.classifier_transfer_accuracy(
    ...     {"natural": (x, labels)},
    ...     {"natural": (x, labels), "sound": (x[:, ::-1], labels)})
    >>> out["accuracy"][("natural", "natural")], round(out["chance"], 3)
    (1.0, 0.333)
    """
    train_features, test_features, train_modalities = _checked_features(
        train_features, test_features, train_modalities, classes
    )
    scored_labels = np.unique(
        np.concatenate([labels for _, labels in test_features.values()])
    )
    if classifier not in CLASSIFIERS:
        raise ValueError(
            f"`classifier` must be one of {list(CLASSIFIERS)}. Received: "
            f"classifier={classifier!r}"
        )
    fit = CLASSIFIERS[classifier]
    accuracy = {}
    chosen = {}
    for train_modality in train_modalities:
        x, y = train_features[train_modality]
        chosen[train_modality] = choose_l2(
            fit, x, y, l2, num_iterations=num_iterations
        )
        probe = fit(
            x, y, l2=chosen[train_modality], num_iterations=num_iterations
        )
        for test_modality, (embeddings, labels) in test_features.items():
            predicted = linear_probe.predict_linear_probe(probe, embeddings)
            accuracy[(train_modality, test_modality)] = float(
                np.mean(predicted == labels)
            )
    return {
        "accuracy": accuracy,
        "chance": 1.0 / scored_labels.shape[0],
        "majority": {
            m: float(
                np.bincount(np.unique(labels, return_inverse=True)[1]).max()
                / labels.shape[0]
            )
            for m, (_, labels) in test_features.items()
        },
        "num_test": {
            m: int(labels.shape[0]) for m, (_, labels) in test_features.items()
        },
        "l2": chosen,
    }


def _checked_features(train_features, test_features, train_modalities, classes):
    """Checked features, test items of `classes` only, and the list of
    training modalities (all by default)."""
    train_features = _checks.check_features(train_features, "train_features")
    test_features = _checks.check_features(test_features, "test_features")
    _checks.check_same_dim(
        {
            "train_features": next(iter(train_features.values()))[0],
            "test_features": next(iter(test_features.values()))[0],
        },
        "train_features/test_features",
    )
    if train_modalities is None:
        train_modalities = list(train_features)
    for modality in train_modalities:
        if modality not in train_features:
            raise ValueError(
                f"`train_modalities` names {modality!r}, which is not in "
                f"`train_features`. Found: {list(train_features)}"
            )
    if classes is not None:
        classes = sorted({int(c) for c in classes})
        test_features = _checks.keep_classes(
            test_features, classes, "test_features"
        )
    return train_features, test_features, train_modalities


def choose_l2(fit, embeddings, labels, candidates, *, num_iterations=300):
    """The `l2` of `candidates` with the best two-fold validation accuracy.

    Items are dealt class by class to two folds; `fit` (a
    `linear_probe.fit_*`) trains on each fold and is scored on the other.
    Ties go to the larger `l2` (the simpler classifier). A single float is
    returned as it is.

    Args:
        fit: callable. `fit(x, y, l2=..., num_iterations=...)`.
        embeddings: float array `[N, D]`.
        labels: int array `[N]`.
        candidates: float or sequence of floats.
        num_iterations: int. Gradient steps. Defaults to `300`.

    Returns:
        A float.

    Example:
    >>> from cm_zoo.evaluation import classifier_transfer, linear_probe
    >>> x = np.repeat(np.eye(3), 4, axis=0)
    >>> classifier_transfer.choose_l2(
    ...     linear_probe.fit_linear_svm, x, np.repeat(np.arange(3), 4),
    ...     [1e-3, 1e-1])
    0.1
    """
    if np.ndim(candidates) == 0:
        return float(candidates)
    labels = np.asarray(labels)
    fold = np.zeros(labels.shape[0], np.int64)
    for label in np.unique(labels):
        fold[np.flatnonzero(labels == label)[1::2]] = 1
    scores = []
    for l2 in sorted(candidates, reverse=True):
        correct = 0
        for held in (0, 1):
            train, test = fold != held, fold == held
            if np.unique(labels[train]).shape[0] < 2 or not test.any():
                continue
            model = fit(
                embeddings[train],
                labels[train],
                l2=l2,
                num_iterations=num_iterations,
            )
            predicted = linear_probe.predict_linear_probe(
                model, embeddings[test]
            )
            correct += int(np.sum(predicted == labels[test]))
        scores.append((correct, float(l2)))
    return max(scores, key=lambda score: score[0])[1]

"""Classifier transfer: train a linear classifier in one modality, test in all.

See-Hear-Read Table 3 (and the train-on-source, test-on-targets reading of
CMPlaces Table 4): if the representation is aligned, a classifier fitted
on one modality's embeddings recognises the same categories in another
modality without any labelled example there.
"""

import numpy as np

from cm_zoo.evaluation import _checks
from cm_zoo.evaluation import linear_probe


def classifier_transfer_accuracy(
    train_features,
    test_features,
    *,
    train_modalities=None,
    classes=None,
    l2=1e-3,
    num_iterations=300,
):
    """Accuracy of a linear classifier for every (train, test) modality pair.

    One multinomial logistic regression (`linear_probe.fit_linear_probe`,
    L2-normalised features) is fitted per training modality and scored on
    every test modality.

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
        l2: float. Weight decay of the probe. Defaults to `1e-3`.
        num_iterations: int. Gradient steps of the probe. Defaults to `300`.

    Returns:
        A dict: `"accuracy"` `{(train, test): float}`, `"chance"` (float,
        `1 / number of distinct scored test labels`, the paper's chance for
        balanced test sets), `"majority"` `{test: float}` (accuracy of always
        predicting the most frequent scored test label) and `"num_test"`
        `{test: int}`.

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
    scored_labels = np.unique(
        np.concatenate([labels for _, labels in test_features.values()])
    )
    accuracy = {}
    for train_modality in train_modalities:
        probe = linear_probe.fit_linear_probe(
            *train_features[train_modality],
            l2=l2,
            num_iterations=num_iterations,
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
    }

import numpy as np
import pytest

from cm_zoo.evaluation import cmplaces_metrics

MODALITIES = ("clipart", "sketch", "description")


def features_and_labels(num_classes=4, per_class=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = {
        m: np.repeat(np.arange(num_classes), per_class) for m in MODALITIES
    }
    layers = ("pool5", "fc6", "fc7")
    features = {
        layer: {m: rng.normal(size=(len(y), 5)) for m, y in labels.items()}
        for layer in layers
    }
    # Logits: every item's strongest class is 0 (a seen class), its
    # strongest held-out class is its own label.
    features["logits"] = {}
    for m, y in labels.items():
        logits = np.zeros((len(y), num_classes))
        logits[:, 0] = 10.0
        logits[np.arange(len(y)), y] += 5.0
        features["logits"][m] = logits
    return features, labels


def test_table_4_among_held_out_classes_is_not_zero_by_construction():
    features, labels = features_and_labels()
    result = cmplaces_metrics(
        features, labels, holdout=[2, 3], source_modality="clipart"
    )
    assert result["zero_shot_accuracy"] == {m: 0.0 for m in MODALITIES}
    assert result["zero_shot_accuracy_among_held_out"] == {
        m: 1.0 for m in MODALITIES
    }


def test_table_5_without_source_has_only_target_pairs():
    features, labels = features_and_labels()
    result = cmplaces_metrics(
        features, labels, holdout=[2, 3], source_modality="clipart"
    )
    without = result["zero_shot_retrieval_without_source"]
    assert set(without["pairs"]) == {
        ("sketch", "description"),
        ("description", "sketch"),
    }
    both = result["zero_shot_retrieval"]["pairs"]
    for pair, leaf in without["pairs"].items():
        assert leaf["map"] == pytest.approx(both[pair]["map"])


def test_no_zero_shot_keys_without_holdout():
    features, labels = features_and_labels()
    result = cmplaces_metrics(features, labels)
    assert set(result) == {"retrieval", "retrieval_full", "accuracy"}
    assert set(result["retrieval"]) == {"pool5", "fc6", "fc7"}

"""Fake CMPlaces table cells: `metrics.json` files of the schema
`cm_zoo.runs.cmplaces_table` reads."""

import json


def fake_metrics(value):
    """A cell's `metrics.json`: best epoch 1 of 3, fc7 mAP `value`."""
    leaf = {"map": value, "chance_map": 0.05}
    return {
        "retrieval": {
            layer: {"mean": leaf} for layer in ("pool5", "fc6", "fc7")
        },
        "history": {
            "drift_fc7_description": [0.1, 0.2, 0.3],
            "statreg_fc7_sketch": [0.5, 0.4, 0.3],
            "loss": [3.0, 2.0, 1.0],
        },
        "early_stopping": {"best_epoch": 1, "scores": [0.1, 0.3, 0.2]},
        "source": {"val_balanced_accuracy": 0.4},
        "modality_probe_fc7": {"accuracy": 0.9},
        "description_split_fc7": {
            "with_description": value - 0.1,
            "other_pairs": value + 0.1,
        },
        "train_seconds": 12.0,
        "eval_split": "test",
    }


def write_cell(root, method, seed, value):
    path = root / f"seed{seed}" / method / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(fake_metrics(value)))

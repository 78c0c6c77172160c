import importlib.util
import json
import pathlib

import keras
import pytest

RECIPE = (
    pathlib.Path(__file__).parents[2] / "recipes" / "train_see_hear_read.py"
)


def _recipe():
    spec = importlib.util.spec_from_file_location("train_see_hear_read", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.large
def test_two_steps_write_backbone_and_metrics(tmp_path):
    recipe = _recipe()
    out = tmp_path / "run"
    metrics = recipe.main(
        [
            "--output",
            str(out),
            "--epochs",
            "1",
            "--steps-per-epoch",
            "2",
            "--teacher-epochs",
            "1",
            "--batch-size",
            "8",
            "--verbose",
            "0",
        ]
    )
    saved = json.loads((out / "metrics.json").read_text())
    fc7 = saved["median_rank"]["fc7"]
    assert set(fc7) == {
        "clipart->sound",
        "sound->clipart",
        "clipart->description",
        "description->clipart",
        "sound->description",
        "description->sound",
    }
    for result in fc7.values():
        assert 1 <= result["median_rank"] <= 2 * result["chance"]
    assert ("sound", "description") in metrics["classifier_transfer"][
        "accuracy"
    ]
    backbone = keras.saving.load_model(out / "backbone.keras")
    assert backbone.modalities == ("clipart", "sound", "description")
    assert (out / "teacher" / "backbone.keras").exists()
    assert (out / "logs").is_dir()
    config = json.loads((out / "run_config.json").read_text())
    assert config["args"]["loss"] == "both"


def test_loss_flag_and_unknown_teacher(tmp_path):
    recipe = _recipe()
    args = recipe.parse_args(["--loss", "ranking"])
    assert recipe.LOSS_WEIGHTS[args.loss] == (0.0, 1.0)
    with pytest.raises(SystemExit):
        recipe.parse_args(["--loss", "nope"])
    with pytest.raises(SystemExit, match="no such file"):
        recipe.main(
            [
                "--output",
                str(tmp_path),
                "--teacher",
                str(tmp_path / "missing.keras"),
            ]
        )

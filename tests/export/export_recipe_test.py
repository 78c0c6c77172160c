"""`recipes/export.py` on a tiny run directory written in tmp_path."""

import json
import pathlib
import runpy

import keras
import pytest

from cm_zoo.export import read_alignment_state
from cm_zoo.export import recover_backbone
from cm_zoo.models import CrossModalBackbone
from cm_zoo.towers import ImageTower
from tests.export.export_fixtures import CLASS_NAMES
from tests.export.export_fixtures import build_tiny_backbone

RECIPE = pathlib.Path(__file__).parents[2] / "recipes" / "export.py"


def _write_run(run_dir, **config):
    run_dir.mkdir()
    build_tiny_backbone().save(run_dir / "backbone.keras")
    (run_dir / "run_config.json").write_text(json.dumps(config))
    (run_dir / "metrics.json").write_text(
        json.dumps(
            {
                "median_rank": {"sketch->description": 2.0},
                "history": {"loss": [3.0, 2.0]},
            }
        )
    )


def test_recipe_exports_run_with_manifest_from_run_files(tmp_path):
    _write_run(
        tmp_path / "run",
        model_name="tiny_run",
        method="CMPlaces Method C",
        class_names=CLASS_NAMES,
        data_manifest_sha256="cd" * 32,
        preset="cmplaces_alexnet_tiny",
    )
    main = runpy.run_path(str(RECIPE))["main"]
    model_dir = main([str(tmp_path / "run"), "--output", str(tmp_path / "out")])

    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert model_dir == tmp_path / "out" / "tiny_run"
    assert manifest["method"] == "CMPlaces Method C"
    assert manifest["training_data"]["data_manifest_sha256"] == "cd" * 32
    assert manifest["metrics"] == {"median_rank": {"sketch->description": 2.0}}
    assert sorted(manifest["files"]) == ["description", "sketch", "sound"]


@pytest.mark.large
def test_recipe_exports_shared_layers_and_priors_with_the_source(tmp_path):
    keras.utils.set_random_seed(0)
    tower = ImageTower(
        image_size=32, conv_filters=[4] * 5, conv1_kernel_size=3,
        conv1_strides=1, use_batch_norm=True, name="clipart_tower",
    )  # fmt: skip
    backbone = CrossModalBackbone(
        {"clipart": tower}, num_classes=len(CLASS_NAMES), hidden_dim=8
    )
    (tmp_path / "run").mkdir()
    backbone.save(tmp_path / "run" / "backbone.keras")
    (tmp_path / "run" / "run_config.json").write_text(
        json.dumps(
            {
                "model_name": "m",
                "method": "C",
                "class_names": CLASS_NAMES,
                "preset": "cmplaces_alexnet_tiny",
                "args": {"architecture": {"text_wordnet_concepts": True}},
            }
        )
    )
    (tmp_path / "run" / "metrics.json").write_text("{}")
    main = runpy.run_path(str(RECIPE))["main"]
    model_dir = main(
        [str(tmp_path / "run"), "--output", str(tmp_path / "out")]
        + ["--num-components", "2"]
    )
    state = read_alignment_state(model_dir)
    assert state.source_modality == "clipart"
    assert state.config["image_size"] == 32  # the model's, not the preset's
    assert state.config["text_wordnet_concepts"]  # the run's change
    assert state.priors["fc7"].num_components == 2
    recovered = recover_backbone(model_dir, "clipart", state.config)
    assert recovered.layer_widths == backbone.layer_widths


def test_recipe_needs_a_method(tmp_path):
    _write_run(tmp_path / "run", model_name="m", class_names=CLASS_NAMES)
    main = runpy.run_path(str(RECIPE))["main"]
    with pytest.raises(SystemExit, match="lacks `model_name` or `method`"):
        main([str(tmp_path / "run"), "--output", str(tmp_path / "out")])

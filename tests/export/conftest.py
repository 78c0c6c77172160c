"""A tiny three-modality backbone, exported once per session."""

import pytest

from cm_zoo.export import export_encoders
from tests.export.export_fixtures import CLASS_NAMES
from tests.export.export_fixtures import build_tiny_backbone


@pytest.fixture(scope="session")
def backbone():
    return build_tiny_backbone()


@pytest.fixture(scope="session")
def exported(backbone, tmp_path_factory):
    """`(export_dir, model_dir)` of the tiny backbone."""
    export_dir = tmp_path_factory.mktemp("saved_models")
    model_dir = export_encoders(
        backbone,
        export_dir,
        model_name="tiny_method_c",
        method="CMPlaces Method C (tiny test model)",
        class_names=CLASS_NAMES,
        training_data={"name": "synthetic", "data_manifest_sha256": "ab" * 32},
        metrics={"sketch->description mAP": 0.25},
    )
    return export_dir, model_dir

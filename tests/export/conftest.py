"""A tiny three-modality backbone, exported once per session."""

import pytest

from tests.export.export_fixtures import build_tiny_backbone
from tests.export.export_fixtures import export_tiny


@pytest.fixture(scope="session")
def backbone():
    return build_tiny_backbone()


@pytest.fixture(scope="session")
def exported(backbone, tmp_path_factory):
    """`(export_dir, model_dir)` of the tiny backbone."""
    export_dir = tmp_path_factory.mktemp("saved_models")
    return export_dir, export_tiny(backbone, export_dir)

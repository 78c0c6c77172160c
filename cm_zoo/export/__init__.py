"""Per-modality SavedModel export (Reusable SavedModels) and reload checks."""

from cm_zoo.export import contract
from cm_zoo.export.encoder_module import EncoderModule
from cm_zoo.export.export_encoders import export_encoders
from cm_zoo.export.exported_encoder import ExportedEncoder
from cm_zoo.export.hub_encoder_layer import HubEncoderLayer
from cm_zoo.export.load_encoder import load_encoder
from cm_zoo.export.manifest import read_manifest
from cm_zoo.export.model_card import render_model_card

__all__ = [
    "EncoderModule",
    "ExportedEncoder",
    "HubEncoderLayer",
    "contract",
    "export_encoders",
    "load_encoder",
    "read_manifest",
    "render_model_card",
]

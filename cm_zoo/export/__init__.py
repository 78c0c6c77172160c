"""Per-modality SavedModel export (Reusable SavedModels) and reload checks."""

from cm_zoo.export import alignment_state
from cm_zoo.export import contract
from cm_zoo.export import shipped_encoders
from cm_zoo.export.add_modality import add_alignment_state
from cm_zoo.export.add_modality import add_modality
from cm_zoo.export.add_modality import copy_export
from cm_zoo.export.add_modality import record_metrics
from cm_zoo.export.alignment_state import read_alignment_state
from cm_zoo.export.alignment_state import restore_upper_layers
from cm_zoo.export.encoder_module import EncoderModule
from cm_zoo.export.export_encoders import export_encoders
from cm_zoo.export.exported_encoder import ExportedEncoder
from cm_zoo.export.hub_encoder_layer import HubEncoderLayer
from cm_zoo.export.load_encoder import load_encoder
from cm_zoo.export.manifest import read_manifest
from cm_zoo.export.model_card import render_model_card
from cm_zoo.export.recover_backbone import recover_backbone
from cm_zoo.export.shipped_encoders import available_models

__all__ = [
    "EncoderModule",
    "ExportedEncoder",
    "HubEncoderLayer",
    "add_alignment_state",
    "add_modality",
    "alignment_state",
    "available_models",
    "contract",
    "copy_export",
    "export_encoders",
    "load_encoder",
    "read_alignment_state",
    "read_manifest",
    "record_metrics",
    "recover_backbone",
    "render_model_card",
    "restore_upper_layers",
    "shipped_encoders",
]

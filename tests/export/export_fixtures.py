"""A tiny three-modality backbone and contract inputs for the export tests."""

import keras
import numpy as np

from cm_zoo.export import export_encoders
from cm_zoo.models import CrossModalBackbone
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from cm_zoo.towers import SoundTower

CLASS_NAMES = ["beach", "library", "forest"]
TEXTS = [
    "a red bird on a branch",
    "",
    "SAXOPHONE!!",
    "quiet library, tall shelves",
    "waves on the beach",
    "ünïcode café",
    "forest",
]


def tiny_sound_tower():
    """A SoundTower with a 16-d pool5 over short clips (~0.03 s windows)."""
    return SoundTower(
        output_dim=16,
        num_frames=27,
        frame_length=32,
        frame_step=16,
        conv_filters=[4, 4, 4],
        pool_size=3,
        name="sound_tower",
    )


def build_tiny_backbone(*, fit_drawing=False, wordnet_concepts=False):
    """sketch (batch-norm AlexNet), description and sound towers; pool5 16.

    `fit_drawing` and `wordnet_concepts` go to the sketch and description
    towers."""
    keras.utils.set_random_seed(0)
    towers = {
        "sketch": ImageTower(
            image_size=32,
            conv_filters=[4] * 5,
            conv1_kernel_size=3,
            conv1_strides=1,
            use_batch_norm=True,
            fit_drawing=fit_drawing,
            name="sketch_tower",
        ),
        "description": DescriptionTower(
            output_dim=16,
            hidden_dim=8,
            num_buckets=64,
            embedding_dim=5,
            wordnet_concepts=wordnet_concepts,
            name="description_tower",
        ),
        "sound": tiny_sound_tower(),
    }
    return CrossModalBackbone(
        towers, num_classes=len(CLASS_NAMES), hidden_dim=8, dropout=0.5
    )


def sample_inputs(modality, batch_size, seed=0):
    """Contract inputs of `modality`: odd-sized images, texts, waveforms."""
    rng = np.random.default_rng(seed)
    if modality == "sketch":
        return rng.integers(0, 256, (batch_size, 41, 53, 3)).astype("uint8")
    if modality == "description":
        return np.array((TEXTS * batch_size)[:batch_size])
    return rng.uniform(-1.0, 1.0, (batch_size, 900)).astype("float32")


def export_tiny(backbone, export_dir):
    """Exports `backbone` as `tiny_method_c`; returns the model directory."""
    return export_encoders(
        backbone,
        export_dir,
        model_name="tiny_method_c",
        method="CMPlaces Method C (tiny test model)",
        class_names=CLASS_NAMES,
        training_data={"name": "synthetic", "data_manifest_sha256": "ab" * 32},
        metrics={"sketch->description mAP": 0.25},
    )

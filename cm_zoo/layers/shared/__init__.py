"""Modality-agnostic building blocks shared by towers and upper layers."""

from cm_zoo.layers.shared.drawing_augmentation import DrawingAugmentation
from cm_zoo.layers.shared.fully_connected_block import FullyConnectedBlock
from cm_zoo.layers.shared.hashed_word_embedding import HashedWordEmbedding
from cm_zoo.layers.shared.image_augmentation import ImageAugmentation
from cm_zoo.layers.shared.image_preprocessing import ImagePreprocessing
from cm_zoo.layers.shared.spectrogram import Spectrogram
from cm_zoo.layers.shared.text_augmentation import TextAugmentation
from cm_zoo.layers.shared.waveform_augmentation import WaveformAugmentation

__all__ = [
    "DrawingAugmentation",
    "FullyConnectedBlock",
    "HashedWordEmbedding",
    "ImageAugmentation",
    "ImagePreprocessing",
    "Spectrogram",
    "TextAugmentation",
    "WaveformAugmentation",
]

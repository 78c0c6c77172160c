"""Modality-agnostic building blocks shared by towers and upper layers."""

from cm_zoo.layers.shared.fully_connected_block import FullyConnectedBlock
from cm_zoo.layers.shared.hashed_word_embedding import HashedWordEmbedding
from cm_zoo.layers.shared.image_augmentation import ImageAugmentation
from cm_zoo.layers.shared.image_preprocessing import ImagePreprocessing
from cm_zoo.layers.shared.spectrogram import Spectrogram

__all__ = [
    "FullyConnectedBlock",
    "HashedWordEmbedding",
    "ImageAugmentation",
    "ImagePreprocessing",
    "Spectrogram",
]

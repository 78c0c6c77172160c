"""Modality towers: raw input of one modality to the shared pool5 space."""

from cm_zoo.towers import registry
from cm_zoo.towers.description_tower import DescriptionTower
from cm_zoo.towers.image_tower import ImageTower
from cm_zoo.towers.registry import build_tower
from cm_zoo.towers.registry import register_tower
from cm_zoo.towers.registry import registered_modalities
from cm_zoo.towers.sound_tower import SoundTower
from cm_zoo.towers.text_tower import TextTower
from cm_zoo.towers.tower import Tower

__all__ = [
    "DescriptionTower",
    "ImageTower",
    "SoundTower",
    "TextTower",
    "Tower",
    "build_tower",
    "register_tower",
    "registered_modalities",
    "registry",
]

"""The shipped encoders in saved_models/ load by name."""

import numpy as np
import pytest

from cm_zoo.export import load_encoder
from cm_zoo.export import shipped_encoders

SHIPPED = ("cmplaces_method_c", "see_hear_read_both")


def test_shipped_models_are_listed_and_load_by_name():
    available = shipped_encoders.available_models()
    assert set(SHIPPED) <= set(available)
    encoder = load_encoder("cmplaces_method_c", "sketch")
    assert encoder.path == str(available["cmplaces_method_c"] / "sketch")
    embedding = encoder(np.zeros((2, 50, 70, 3), "uint8"))["embedding"]
    assert tuple(embedding.shape) == (2, encoder.manifest["embedding"]["width"])


def test_unknown_name_lists_the_shipped_models():
    with pytest.raises(ValueError, match="cmplaces_method_c.*see_hear_read"):
        load_encoder("cmplaces_method_x", "sketch")
    with pytest.raises(ValueError, match="load_encoder\\('cmplaces_method_c'"):
        load_encoder("cmplaces_method_c")

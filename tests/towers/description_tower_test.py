import numpy as np
import pytest

from cm_zoo.towers import DescriptionTower
from tests import test_case

SMALL = dict(output_dim=12, hidden_dim=8, num_buckets=64, embedding_dim=6)


def test_raw_text_to_pool5_space_including_empty_text():
    tower = DescriptionTower(**SMALL)
    out = tower(np.array(["A red bird on a branch", "", "SAXOPHONE!!"]))
    assert out.shape == (3, 12)
    assert np.isfinite(out.numpy()).all()


def test_vector_input_takes_precomputed_sentence_vectors():
    tower = DescriptionTower(**SMALL, input_kind="vector")
    assert tower(np.ones((2, 6), "float32")).shape == (2, 12)
    with pytest.raises(ValueError, match=r"'description'.*\(None, 6\)"):
        tower.check_input(np.ones((2, 4800), "float32"), "description")


def test_round_trip_keeps_hashed_table(tmp_path):
    tower = DescriptionTower(**SMALL, kernel_init_stddev=None)
    text = np.array(["yellow boat", "a dog barks loudly"])
    restored = test_case.run_model_saving_test(tower, text, tmp_path)
    assert restored.get_config() == tower.get_config()


def test_wordnet_concepts_round_trip(tmp_path):
    tower = DescriptionTower(**SMALL, wordnet_concepts=True)
    assert tower.get_layer("words").wordnet_concepts
    text = np.array(["two kestrels", "ice cream", ""])
    restored = test_case.run_model_saving_test(tower, text, tmp_path)
    assert restored.get_config()["wordnet_concepts"] is True


def test_paper_init_uses_gaussian_with_given_std():
    tower = DescriptionTower(
        output_dim=400,
        hidden_dim=400,
        num_buckets=8,
        embedding_dim=400,
        kernel_init_stddev=0.1,
    )
    kernel = tower.get_layer("mlp1").kernel.numpy()
    assert abs(kernel.std() - 0.1) < 0.005


def test_unknown_input_kind_is_rejected():
    with pytest.raises(ValueError, match="input_kind"):
        DescriptionTower(**SMALL, input_kind="skipthought")

import numpy as np
import pytest

from cm_zoo import data


def _arrays():
    rng = np.random.default_rng(0)
    return {
        "clipart": (
            rng.integers(0, 255, (30, 4, 4, 3), dtype=np.uint8),
            np.r_[np.zeros(27), np.ones(3)].astype(int),
        ),
        "description": (
            np.array([f"text {i}" for i in range(7)], object),
            np.arange(7) % 2,
        ),
    }


def _take(dataset, steps):
    out = []
    for x, y in dataset.take(steps):
        out.append(
            (
                {k: v.numpy() for k, v in x.items()},
                {k: v.numpy() for k, v in y.items()},
            )
        )
    return out


def test_batches_are_dicts_and_rows_keep_their_labels():
    arrays = _arrays()
    ((x, y),) = _take(data.make_multimodal_dataset(arrays, 5, seed=1), 1)
    assert x["clipart"].shape == (5, 4, 4, 3) and x["clipart"].dtype == np.uint8
    images, labels = arrays["clipart"]
    for image, label in zip(x["clipart"], y["clipart"]):
        row = np.flatnonzero((images == image).all(axis=(1, 2, 3)))[0]
        assert labels[row] == label
    texts = [t.decode() for t in x["description"]]
    assert [int(t.split()[1]) % 2 for t in texts] == y["description"].tolist()


def test_same_seed_same_stream_and_modalities_independent():
    arrays = _arrays()
    first = _take(data.make_multimodal_dataset(arrays, 4, seed=3), 6)
    again = _take(data.make_multimodal_dataset(arrays, 4, seed=3), 6)
    other = _take(data.make_multimodal_dataset(arrays, 4, seed=4), 6)
    for (x1, _), (x2, _) in zip(first, again):
        np.testing.assert_array_equal(x1["clipart"], x2["clipart"])
        np.testing.assert_array_equal(x1["description"], x2["description"])
    assert any(
        (a["clipart"] != b["clipart"]).any()
        for (a, _), (b, _) in zip(first, other)
    )
    # Infinite and weakly aligned: 6 batches of 4 > 7 descriptions.
    seen = np.concatenate([x["description"] for x, _ in first])
    assert len(seen) == 24 and len(set(seen)) == 7


def test_unshuffled_stream_repeats_in_order():
    arrays = {"sound": (np.arange(5, dtype="float32")[:, None], np.arange(5))}
    batches = _take(data.make_multimodal_dataset(arrays, 2, shuffle=False), 3)
    order = np.concatenate([y["sound"] for _, y in batches]).tolist()
    assert order == [0, 1, 2, 3, 4, 0]


def test_balance_classes_evens_out_a_skewed_modality():
    arrays = _arrays()
    plain = _take(data.make_multimodal_dataset(arrays, 10, seed=0), 40)
    balanced = _take(
        data.make_multimodal_dataset(arrays, 10, seed=0, balance_classes=True),
        40,
    )
    plain_ones = np.mean(np.concatenate([y["clipart"] for _, y in plain]))
    balanced_ones = np.mean(np.concatenate([y["clipart"] for _, y in balanced]))
    assert plain_ones < 0.2
    assert 0.4 < balanced_ones < 0.6


def test_eval_dataset_is_finite_and_ordered():
    texts = np.array(["a", "b", "c"], object)
    batches = [b.numpy().tolist() for b in data.make_eval_dataset(texts, 2)]
    assert batches == [[b"a", b"b"], [b"c"]]


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="batch_size"):
        data.make_multimodal_dataset(_arrays(), 0)
    with pytest.raises(ValueError, match="Unknown modality"):
        data.make_multimodal_dataset({"smell": _arrays()["clipart"]}, 2)
    with pytest.raises(ValueError, match="len\\(x\\)=2, len\\(y\\)=3"):
        data.make_multimodal_dataset(
            {"clipart": (np.zeros((2, 4, 4, 3)), np.zeros(3))}, 2
        )


def test_pipelines_run_without_the_autotune_thread():
    # Deleting an iterator can wait out that thread's current tuning
    # interval (bench/input_pipeline_bench.py measures the wait); the
    # user's options still merge on top.
    pipelines = {
        "multimodal": data.make_multimodal_dataset(_arrays(), 2, seed=0),
        "eval": data.make_eval_dataset(np.arange(5), 2),
    }
    for name, dataset in pipelines.items():
        assert dataset.options().autotune.enabled is False, name
        assert dataset.options().deterministic is not False, name
    unordered = data.make_multimodal_dataset(_arrays(), 2, deterministic=False)
    assert unordered.options().deterministic is False
    assert unordered.options().autotune.enabled is False

import numpy as np
import pytest

from cm_zoo.data import clipart_benchmark
from cm_zoo.runs import generalisation
from cm_zoo.runs import see_hear_read_experiment


class _LabelsAsInputs:
    """A benchmark whose inputs are their labels (4 classes)."""

    def arrays(self, modality, split):
        size = {"test": 24, "ood": 16}[split] + len(modality)
        labels = np.arange(size) % 4
        return labels, labels


@pytest.fixture(scope="module")
def bench():
    return clipart_benchmark.load()


def test_label_encoder_scores_one_and_random_encoder_near_chance():
    names = ["clipart", "sketch"]
    out = generalisation.generalisation_metrics(
        lambda m, x: np.eye(4)[x], _LabelsAsInputs(), names, splits=["test"]
    )
    assert out["test"]["map"] == pytest.approx(1.0)
    assert out["test"]["times_chance"] == pytest.approx(
        1.0 / out["test"]["chance_map"]
    )
    assert set(out["test"]["pairs"]) == {"clipart->sketch", "sketch->clipart"}
    assert out["test"]["num_items"] == {"clipart": 31, "sketch": 30}

    rng = np.random.default_rng(0)
    scores = [
        generalisation.generalisation_metrics(
            lambda m, x: rng.normal(size=(len(x), 16)),
            _LabelsAsInputs(),
            names,
        )
        for _ in range(20)
    ]
    ratios = [s["ood"]["times_chance"] for s in scores]
    assert 0.85 < np.mean(ratios) < 1.15
    assert scores[0]["ood_over_test"] == pytest.approx(
        scores[0]["ood"]["map"] / scores[0]["test"]["map"]
    )


def test_transcript_ceiling_encodes_each_sound_item_as_its_transcript(bench):
    calls = []

    def by_label(modality, x):
        calls.append((modality, list(x) if modality == "description" else x))
        assert modality != "sound", "the ceiling never listens"
        if modality == "description":
            label = dict(zip(transcripts, labels))
            label.update(zip(*bench.arrays("description", "val")))
            return np.eye(28)[[label[text] for text in x]]
        return np.eye(28)[bench.arrays(modality, "val")[1]]

    transcripts = generalisation.spoken_transcripts(bench, "val")
    _, labels = bench.arrays("sound", "val")
    out = generalisation.transcript_ceiling(
        by_label, bench, ["clipart", "description"], splits=["val"]
    )
    assert ("description", list(transcripts)) in calls
    assert set(out["val"]["pairs"]) >= {"sound->clipart", "clipart->sound"}
    assert out["val"]["num_items"]["sound"] == len(labels)
    assert out["val"]["pairs"]["sound->clipart"] == pytest.approx(1.0)


def test_train_and_val_pairs_keep_sound_and_text_items_apart(bench):
    train = see_hear_read_experiment.training_pairs(bench, "train")
    both = see_hear_read_experiment.training_pairs(bench, "train+val")
    val = bench.paired("val")
    added = {
        name: len(both[name]["label"]) - len(train[name]["label"])
        for name in both
    }
    assert sum(added.values()) == len(val["label"])
    assert abs(added["image_sound"] - added["image_text"]) <= 1
    sound_images = both["image_sound"]["clipart"][-added["image_sound"] :]
    text_images = both["image_text"]["clipart"][-added["image_text"] :]
    for image in sound_images:
        assert not any(np.array_equal(image, t) for t in text_images)
    with pytest.raises(ValueError, match="`splits` must be one of"):
        see_hear_read_experiment.training_pairs(bench, "val")


def test_teacher_items_from_the_pool_or_the_target(bench):
    x, y = see_hear_read_experiment.teacher_items(bench, "clipart", "train")
    assert len(x) == len(bench.arrays("clipart", "train")[1])
    x, y = see_hear_read_experiment.teacher_items(bench, "clipart", "train+val")
    assert len(y) == sum(
        len(bench.arrays("clipart", s)[1]) for s in ("train", "val")
    )
    with pytest.raises(ValueError, match="`data` must be one of"):
        see_hear_read_experiment.teacher_items(bench, "sketch")


def test_class_pairs_pair_each_item_with_a_pool_drawing_of_its_class(bench):
    pairs = see_hear_read_experiment.class_pairs(bench, "train", seed=0)
    pool, pool_labels = bench.source_pool("train")
    texts, _ = bench.lexicon()
    sounds, _ = bench.arrays("sound", "train")
    assert len(pairs["image_sound"]["label"]) == len(sounds)
    assert len(pairs["image_text"]["label"]) > len(texts)
    for bundle in pairs.values():
        for image, label in zip(bundle["clipart"][:20], bundle["label"][:20]):
            matches = np.flatnonzero((pool == image).all(axis=(1, 2, 3)))
            assert label in pool_labels[matches]
    joined = see_hear_read_experiment.joined_pairs(
        see_hear_read_experiment.training_pairs(bench), pairs
    )
    assert len(joined["image_text"]["description"]) == len(
        bench.paired("train")["image_text"]["label"]
    ) + len(pairs["image_text"]["label"])


def test_include_val_trains_cmplaces_on_train_and_val(bench):
    from cm_zoo.presets import get
    from cm_zoo.runs import CMPlacesJob
    from cm_zoo.runs import training_items

    training = get("cmplaces_alexnet_tiny").training
    job = CMPlacesJob(preset="cmplaces_alexnet_tiny", training=training)
    both = CMPlacesJob(
        preset="cmplaces_alexnet_tiny", training=training, include_val=True
    )
    _, y = training_items(bench, "sketch", job)
    _, y_both = training_items(bench, "sketch", both)
    assert len(y_both) == len(y) + len(bench.arrays("sketch", "val")[1])


def test_debian_pngs_are_read_as_users_read_them(bench, tmp_path):
    from PIL import Image

    sources = bench.sources("clipart", "ood")
    _, labels = bench.arrays("clipart", "ood")
    for svg, label in list(zip(sources, labels))[:3]:
        path = tmp_path / (svg[: -len(".svg")] + ".png")
        path.parent.mkdir(parents=True, exist_ok=True)
        page = np.zeros((30 + label, 50, 4), "uint8")  # transparent page
        page[5:15, 5:15] = (255, 0, 0, 255)
        Image.fromarray(page, "RGBA").save(path)
    seen = []

    def encode(modality, x):
        if modality == "clipart":
            seen.append(x)
            return np.eye(28)[[len(x[0]) - 30]]  # the label, from the size
        return np.eye(28)[bench.arrays(modality, "ood")[1]]

    out = generalisation.debian_png_metrics(
        encode, bench, ["clipart", "description"], root=str(tmp_path)
    )
    assert out["num_items"]["clipart"] == 3  # the others have no PNG
    assert [x.shape[1:] for x in seen] == [
        (30 + label, 50, 3) for label in labels[:3]
    ]
    assert all((x[0, 0, 0] == 0).all() for x in seen)  # alpha dropped
    assert out["pairs"]["clipart->description"] == pytest.approx(1.0)
    empty = tmp_path / "empty"
    assert (
        generalisation.debian_png_metrics(
            encode, bench, ["clipart", "description"], root=str(empty)
        )
        is None
    )

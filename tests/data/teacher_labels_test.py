"""The teacher's folder label space and the paired triplets of every split."""

import collections
import posixpath

import numpy as np
import pytest

from cm_zoo import modalities
from cm_zoo.data import clipart_benchmark
from cm_zoo.data import teacher_labels


@pytest.fixture(scope="module")
def bench():
    return clipart_benchmark.load()


def test_folder_labels_follow_the_pool_rows(bench):
    for split in ("train", "val"):
        labels, names = teacher_labels.folder_labels(bench, split, views=2)
        _, categories = bench.source_pool(split, views=2)
        assert labels.shape == categories.shape
        assert (labels[::2] == labels[1::2]).all()
        # A folder lies inside one category (tools/ also holds weapons).
        for label in np.unique(labels[labels >= 0]):
            found = {bench.class_names[c] for c in categories[labels == label]}
            assert len(found) == 1 or names[label] == "tools", names[label]


def test_label_space_differs_from_the_categories(bench):
    labels, names = teacher_labels.folder_labels(bench)
    _, categories = bench.source_pool("train")
    assert len(names) > len(bench.class_names)
    # Some categories are cut finer, and at least one is no class at all.
    per_category = collections.defaultdict(set)
    for label, category in zip(labels.tolist(), categories.tolist()):
        if label >= 0:
            per_category[bench.class_names[category]].add(label)
    assert len(per_category["flag"]) > 5
    assert len(per_category["playing card"]) > 1
    assert "boat" not in per_category


def test_small_folders_join_their_parent(bench):
    min_items = 10
    classes = teacher_labels.folder_classes(bench, min_items=min_items)
    labels, names = teacher_labels.folder_labels(bench, min_items=min_items)
    counts = np.bincount(labels[labels >= 0], minlength=len(names))
    assert counts.min() >= min_items
    assert classes["animals/mammals/big_cats"] == "animals/mammals"
    assert classes["recreation/games/cards/ornamental"] == (
        "recreation/games/cards/ornamental"
    )
    for folder, owner in classes.items():
        assert owner is None or folder.startswith(owner)
    fewer = teacher_labels.folder_labels(bench, min_items=40)[1]
    assert len(fewer) < len(names)


def test_every_pool_drawing_keeps_its_folder_order(bench):
    labels, names = teacher_labels.folder_labels(bench, "val")
    items = [
        i
        for i in bench.manifest["items"]
        if i["role"] == "source" and i["split"] == "val"
    ]
    classes = teacher_labels.folder_classes(bench)
    for item, label in zip(items, labels.tolist()):
        owner = classes[posixpath.dirname(item["source"])]
        assert (names[label] if label >= 0 else None) == owner


def test_bad_arguments_are_refused(bench):
    with pytest.raises(ValueError, match="`min_items` must be a positive"):
        teacher_labels.folder_classes(bench, min_items=0)
    with pytest.raises(ValueError, match="Unknown split 'test'"):
        teacher_labels.folder_labels(bench, "test")


def test_paired_triplets_hold_every_pair_with_all_modalities(bench):
    items = bench.paired_triplets()
    for split in ("val", "test"):
        stored = bench.paired(split)
        mine = items["split"] == split
        for key in (modalities.CLIPART, modalities.SOUND, "label"):
            np.testing.assert_array_equal(items[key][mine], stored[key])
        assert list(items[modalities.DESCRIPTION][mine]) == list(
            stored[modalities.DESCRIPTION]
        )
    train = bench.paired("train")
    in_train = items["split"] == "train"
    assert in_train.sum() == sum(len(p["label"]) for p in train.values())
    sounds = items[modalities.SOUND][in_train]
    for row in train["image_sound"][modalities.SOUND]:
        assert (sounds == row).all(axis=1).any()
    texts = set(items[modalities.DESCRIPTION][in_train])
    assert set(train["image_text"][modalities.DESCRIPTION]) <= texts

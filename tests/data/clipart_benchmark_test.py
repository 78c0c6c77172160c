import hashlib
import json
import os
import re
import shutil

import numpy as np
import pytest

from cm_zoo.data import clipart_benchmark


@pytest.fixture(scope="module")
def bench():
    return clipart_benchmark.load()


def _sha(value):
    raw = value.encode() if isinstance(value, str) else value.tobytes()
    return hashlib.sha256(raw).hexdigest()


def test_metadata(bench):
    assert bench.source_modality == "clipart"
    assert bench.modalities == ("clipart", "sketch", "description", "sound")
    assert 20 <= len(bench.class_names) <= 30
    assert len(set(bench.class_names)) == len(bench.class_names)
    assert set(bench.holdout_categories) <= set(bench.class_names)
    assert len(bench.holdout_categories) == 5
    assert bench.image_size == 96
    path = os.path.join(clipart_benchmark.EMBEDDED_PATH, "manifest.json")
    with open(path, "rb") as f:
        assert bench.manifest_sha256 == hashlib.sha256(f.read()).hexdigest()


@pytest.mark.parametrize("modality", ["clipart", "sketch"])
def test_images_every_class_in_train(bench, modality):
    x, y = bench.arrays(modality, "train")
    assert x.dtype == np.uint8 and x.shape[1:] == (96, 96, 3)
    assert len(x) == len(y) and set(y) == set(range(len(bench.class_names)))
    # Real drawings: white background with ink, not constant images.
    assert (x[:, 0, 0] > 240).mean() > 0.5
    spread = x.reshape(len(x), -1).std(axis=1)
    assert (spread > 1.0).all() and spread.mean() > 40.0
    assert len({_sha(image) for image in x}) == len(x)


def test_sound_is_16khz_float_in_range(bench):
    x, y = bench.arrays("sound", "test")
    assert x.dtype == np.float32 and x.ndim == 2 and len(x) == len(y)
    assert x.shape[1] == 32000
    assert -1.0 <= x.min() and x.max() <= 1.0
    assert (np.abs(x).max(axis=1) > 0.05).all()


def test_descriptions_are_item_texts_not_labels(bench):
    x, y = bench.arrays("description", "train")
    assert x.dtype == object and all(isinstance(t, str) for t in x)
    assert len(set(x)) > 0.75 * len(x)
    names = np.array(bench.class_names)[y]
    assert not any(t.strip(" .").lower() == n for t, n in zip(x, names))


def test_weak_modalities_come_from_different_files(bench):
    items = bench.manifest["items"]
    sources = [item["source"] for item in items]
    assert len(set(sources)) == len(sources)
    assert len({item["svg_sha256"] for item in items}) == len(items)
    assert {item["role"] for item in items} == {
        "clipart",
        "sketch",
        "description",
        "sound",
        "paired",
        "source",
    }
    for item in items:
        assert item["licence"].startswith("public domain")


def test_paired_train_sets_are_disjoint(bench):
    train = bench.paired("train")
    assert set(train) == {"image_sound", "image_text"}
    assert set(train["image_sound"]) == {"clipart", "sound", "label"}
    assert set(train["image_text"]) == {"clipart", "description", "label"}
    sound_images = {_sha(x) for x in train["image_sound"]["clipart"]}
    text_images = {_sha(x) for x in train["image_text"]["clipart"]}
    assert sound_images.isdisjoint(text_images)
    weak = {_sha(x) for x in bench.arrays("clipart", "train")[0]}
    assert weak.isdisjoint(sound_images | text_images)


@pytest.mark.parametrize("split", ["val", "test"])
def test_paired_triplets_are_the_same_item(bench, split):
    triplets = bench.paired(split)
    assert set(triplets) == {"clipart", "description", "sound", "label"}
    by_image = {
        item["sha256"].get("clipart"): item for item in bench.manifest["items"]
    }
    for image, text, label in zip(
        triplets["clipart"], triplets["description"], triplets["label"]
    ):
        item = by_image[_sha(image)]
        assert item["sha256"]["description"] == _sha(text)
        assert item["label"] == label and item["split"] == split


def test_unknown_modality_or_split_lists_options(bench):
    with pytest.raises(ValueError, match=r"'natural'.*\['clipart', 'sketch'"):
        bench.arrays("natural", "train")
    with pytest.raises(ValueError, match=r"'dev'.*\['train', 'val', 'test'"):
        bench.arrays("clipart", "dev")
    with pytest.raises(ValueError, match=r"'ood'.*\['train', 'val', 'test'\]"):
        bench.paired("ood")
    with pytest.raises(ValueError, match=r"'test'.*\['train', 'val'\]"):
        bench.source_pool("test")
    with pytest.raises(ValueError, match="count"):
        bench.source_pool("val", views=0)


def test_tampered_or_missing_build_is_rejected(tmp_path):
    copy = tmp_path / "bench"
    shutil.copytree(clipart_benchmark.EMBEDDED_PATH, copy)
    with open(copy / "sound.npz", "r+b") as f:
        f.seek(100)
        f.write(b"\x00\x01")
    with pytest.raises(ValueError, match="sound.npz.*expected sha256"):
        clipart_benchmark.load(str(copy))
    os.remove(copy / "sketch.npz")
    with pytest.raises(ValueError, match="sketch.npz.*found no such file"):
        clipart_benchmark.load(str(copy))
    with pytest.raises(ValueError, match="manifest.json"):
        clipart_benchmark.load(str(tmp_path))


def test_lexicon_covers_every_category(bench):
    texts, labels = bench.lexicon()
    assert texts.dtype == object and labels.dtype == np.int64
    assert len(texts) == len(labels) > 0
    assert all(isinstance(t, str) and t.strip() for t in texts)
    assert labels.min() >= 0 and labels.max() < len(bench.class_names)
    # Categories whose synset has no hyponyms lose their one (giveaway)
    # entry; the others keep their members.
    assert len(set(labels)) >= 20
    # "<lemmas>: <gloss>", sorted by (label, text), no duplicates.
    assert all(": " in t and t.split(": ", 1)[1].strip() for t in texts)
    pairs = list(zip(labels.tolist(), texts.tolist()))
    assert pairs == sorted(set(pairs))
    names = dict(zip(texts.tolist(), labels.tolist()))
    bird = bench.class_names.index("bird")
    music = bench.class_names.index("music")
    assert names[next(t for t in names if t.startswith("eagle:"))] == bird
    assert any(t.startswith("parrot") and y == bird for t, y in names.items())
    assert any(
        "saxophone" in t.split(":")[0] and y == music for t, y in names.items()
    )


def test_lexicon_words_point_at_one_category(bench):
    texts, labels = bench.lexicon()
    owners = {}
    for text, label in zip(texts, labels):
        for lemma in text.split(": ", 1)[0].split(", "):
            owners.setdefault(lemma.lower(), set()).add(int(label))
    # Only the category synsets themselves may share a word with another.
    shared = {w for w, o in owners.items() if len(o) > 1}
    assert len(shared) <= 2, shared


def test_lexicon_is_deterministic_and_listed(bench):
    again = clipart_benchmark.load()
    for a, b in zip(bench.lexicon(), again.lexicon()):
        np.testing.assert_array_equal(a, b)
    assert "lexicon.json" in bench.manifest["files"]
    path = os.path.join(clipart_benchmark.EMBEDDED_PATH, "lexicon.json")
    assert os.path.getsize(path) < 1_000_000


def test_lexicon_missing_from_older_build(tmp_path):
    copy = tmp_path / "bench"
    shutil.copytree(clipart_benchmark.EMBEDDED_PATH, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["files"]["lexicon.json"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    os.remove(copy / "lexicon.json")
    old = clipart_benchmark.load(str(copy))
    assert len(old.arrays("clipart", "train")[0]) > 0
    with pytest.raises(ValueError, match="no lexicon.*'lexicon.json'"):
        old.lexicon()


def test_tampered_lexicon_is_rejected(tmp_path):
    copy = tmp_path / "bench"
    shutil.copytree(clipart_benchmark.EMBEDDED_PATH, copy)
    with open(copy / "lexicon.json", "a") as f:
        f.write(" ")
    with pytest.raises(ValueError, match="lexicon.json.*expected sha256"):
        clipart_benchmark.load(str(copy))


def _giveaway_hits(text, banned):
    """Banned words/phrases in `text`, found independently of the builder."""
    words = re.findall(
        r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'")
    )
    bases = [re.sub(r"'s$|s'$|'$", "", w) for w in words]
    hits = [
        w
        for w, b in zip(words, bases)
        if w in banned["words"]
        or b in banned["words"]
        or any(stem in w for stem in banned["stems"])
    ]
    joined = f" {' '.join(bases)} "
    return hits + [p for p in banned["phrases"] if f" {p} " in joined]


def _every_text(bench):
    """(category, what, text) of every text a model can read or hear."""
    names = bench.class_names
    by_id = {item["id"]: item for item in bench.manifest["items"]}
    for item in bench.manifest["items"]:
        if item["spoken_text"] is not None:
            yield item["category"], "spoken", item["spoken_text"]
    rows = bench._rows["description"]
    for row, text in zip(rows, bench._values["description"]):
        yield by_id[int(row)]["category"], "description", text
    for text, label in zip(*bench.lexicon()):
        yield names[label], "lexicon", text


def test_giveaway_lists_hold_names_synonyms_hypernyms(bench):
    banned = bench.manifest["giveaway"]
    assert set(banned) == set(bench.class_names)
    expected = {
        "bird": {"bird", "birds", "vertebrate", "animal", "animals"},
        "insect": {"insect", "insects", "arthropod", "invertebrate"},
        "person": {"person", "people", "individual", "someone", "organism"},
        "computer hardware": {"computer", "hardware", "component"},
        "dessert": {"dessert", "sweet", "afters", "food"},
        "boat": {"boat", "vessel", "watercraft", "craft", "vehicle"},
    }
    for name, words in expected.items():
        assert words <= set(banned[name]["words"]), name
    assert "living thing" in banned["bird"]["phrases"]
    assert {"bird"} <= set(banned["bird"]["stems"])


def test_no_text_gives_its_category_away(bench):
    banned = bench.manifest["giveaway"]
    checked = {"spoken": 0, "description": 0, "lexicon": 0}
    leaks = []
    for category, what, text in _every_text(bench):
        checked[what] += 1
        hits = _giveaway_hits(text, banned[category])
        if hits:
            leaks.append((category, what, text, hits))
    assert not leaks, leaks[:5]
    # Every split of every text-bearing role is covered.
    items = bench.manifest["items"]
    with_text = [i for i in items if "description" in i["sha256"]]
    assert checked["description"] == len(with_text)
    assert {(i["role"], i["split"]) for i in with_text} >= {
        ("description", s) for s in ("train", "val", "test", "ood")
    } | {("paired", s) for s in ("train", "val", "test")}
    assert checked["spoken"] == sum(1 for i in items if "sound" in i["sha256"])
    assert checked["lexicon"] > 1000


def test_texts_are_never_empty_and_spoken_text_is_stored(bench):
    for item in bench.manifest["items"]:
        has_sound = "sound" in item["sha256"]
        assert (item["spoken_text"] is not None) == has_sound, item
        if has_sound:
            assert re.search(r"[A-Za-z]{3}", item["spoken_text"]), item
    for text in bench._values["description"]:
        assert re.search(r"[A-Za-z]{3}", text.split(". in ")[0]), text


def test_source_pool_is_large_and_disjoint_from_every_target(bench):
    items = bench.manifest["items"]
    pool = [i for i in items if i["role"] == "source"]
    targets = [i for i in items if i["role"] != "source"]
    for key in ("source", "svg_sha256"):
        assert {i[key] for i in pool}.isdisjoint(i[key] for i in targets)
    x, y = bench.source_pool("train")
    val_x, val_y = bench.source_pool("val")
    assert len(x) + len(val_x) == len(pool)
    assert set(y) == set(range(len(bench.class_names)))
    assert len(x) > 5 * len(bench.arrays("clipart", "train")[1])
    for label in range(len(bench.class_names)):
        assert (y == label).sum() >= 5, bench.class_names[label]
    assert x.dtype == np.uint8 and x.shape[1:] == (96, 96, 3)
    target_images = {
        _sha(image)
        for modality in ("clipart",)
        for split in ("train", "val", "test")
        for image in bench.arrays(modality, split)[0]
    }
    assert target_images.isdisjoint(_sha(image) for image in x)


def test_source_pool_views_are_deterministic_and_varied(bench):
    plain, labels = bench.source_pool("val")
    x, y = bench.source_pool("val", views=3, seed=7)
    again, _ = bench.source_pool("val", views=3, seed=7)
    other, _ = bench.source_pool("val", views=3, seed=8)
    np.testing.assert_array_equal(x, again)
    np.testing.assert_array_equal(x[::3], plain)
    np.testing.assert_array_equal(y, np.repeat(labels, 3))
    assert not np.array_equal(x[1::3], other[1::3])
    # Varied views leave the white background: mean corner brightness.
    assert x[1::3, :4, :4].mean() < plain[:, :4, :4].mean() - 30


@pytest.mark.parametrize(
    "modality", ["clipart", "sketch", "description", "sound"]
)
def test_ood_split_is_small_disjoint_and_differs(bench, modality):
    x, y = bench.arrays(modality, "ood")
    assert 0 < len(x) <= 5 * len(bench.class_names)
    assert len(set(y)) == len(bench.class_names)
    items = bench.manifest["items"]
    ood = {i["svg_sha256"] for i in items if i["split"] == "ood"}
    rest = {i["svg_sha256"] for i in items if i["split"] != "ood"}
    assert ood.isdisjoint(rest)
    if modality == "clipart":  # not on white, unlike every target render
        test_x = bench.arrays("clipart", "test")[0]
        assert (x[:, 0, 0] > 240).all(axis=-1).mean() < 0.5
        assert (test_x[:, 0, 0] > 240).all(axis=-1).mean() > 0.9


def test_manifest_lists_input_package_versions(bench):
    packages = bench.manifest["packages"]
    for name in (
        "openclipart-svg",
        "wordnet-base",
        "librsvg2-bin",
        "espeak-ng",
    ):
        assert re.match(r"\d", packages[name]), (name, packages[name])
    assert "source.npz" in bench.manifest["files"]

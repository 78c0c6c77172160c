"""A tiny clip-art benchmark written into a test's `tmp_path`.

Same files and manifest schema as the embedded build (see
`cm_zoo.data.clipart_benchmark`), with a few generated items per category:
images are a category colour plus noise, descriptions draw from a
category's words, sounds are a category tone. Deterministic for a seed.
"""

import hashlib
import io
import json

import numpy as np

CLASS_NAMES = ("bird", "boat", "tree", "house")
# Items per (role, split); "paired" items form the See-Hear-Read pairs.
COUNTS = {"train": 6, "val": 2, "test": 3}
ROLES = ("clipart", "sketch", "description", "sound")
WORDS = (
    ("feather", "wing", "beak", "nest"),
    ("sail", "hull", "mast", "harbour"),
    ("leaf", "branch", "trunk", "forest"),
    ("roof", "door", "window", "chimney"),
)
IMAGE_SIZE = 32
SOUND_RATE = 8000


def write_benchmark(path, seed=0):
    """Writes the benchmark to directory `path`; returns `path`."""
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    items = _items()
    payloads = {
        "clipart.npz": _images(items, "clipart", rng),
        "sketch.npz": _images(items, "sketch", rng),
        "sound.npz": _sounds(items, rng),
        "description.json": _descriptions(items, rng),
    }
    for name, data in payloads.items():
        (path / name).write_bytes(data)
    manifest = {
        "name": "synthetic_benchmark",
        "class_names": list(CLASS_NAMES),
        "holdout_categories": ["boat"],
        "source_modality": "clipart",
        "modalities": list(ROLES),
        "image_size": IMAGE_SIZE,
        "sound_storage": {"rate": SOUND_RATE},
        "files": {
            name: hashlib.sha256(data).hexdigest()
            for name, data in payloads.items()
        },
        "items": items,
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def _items():
    items = []
    for label, _ in enumerate(CLASS_NAMES):
        for split, count in COUNTS.items():
            for role in ROLES:
                items += [(label, role, split, None)] * count
            pairings = ("image_sound", "image_text")
            if split != "train":
                pairings = ("triplet",)
            for pairing in pairings:
                items += [(label, "paired", split, pairing)] * count
    return [
        {"id": n, "label": label, "role": role, "split": split, "pairing": p}
        for n, (label, role, split, p) in enumerate(items)
    ]


def _rows(items, modality):
    """Ids of the items that have `modality`: its role, or a pair using it."""
    pair_keys = {
        "image_sound": ("clipart", "sound"),
        "image_text": ("clipart", "description"),
    }
    rows = []
    for item in items:
        pairing = item["pairing"]
        keys = pair_keys.get(pairing, ROLES) if pairing else (item["role"],)
        if modality in keys:
            rows.append(item)
    return rows


def _images(items, modality, rng):
    rows = _rows(items, modality)
    colours = np.array(
        [[220, 40, 40], [40, 40, 220], [40, 200, 40], [200, 200, 40]]
    )
    images = np.empty((len(rows), IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    for image, item in zip(images, rows):
        noise = rng.integers(0, 60, image.shape)
        image[...] = np.clip(colours[item["label"]] + noise - 30, 0, 255)
    return _npz(images=images, item=np.array([i["id"] for i in rows]))


def _descriptions(items, rng):
    rows = _rows(items, "description")
    texts = [
        " ".join(rng.choice(WORDS[item["label"]], size=3)) for item in rows
    ]
    return json.dumps([[i["id"], t] for i, t in zip(rows, texts)]).encode()


def _sounds(items, rng):
    rows = _rows(items, "sound")
    times = np.arange(SOUND_RATE // 4) / SOUND_RATE
    clips = [
        0.5 * np.sin(2 * np.pi * 200 * (item["label"] + 1) * times)
        + 0.05 * rng.standard_normal(times.size)
        for item in rows
    ]
    mu = 255.0
    audio = np.clip(np.concatenate(clips), -1.0, 1.0)
    encoded = np.sign(audio) * np.log1p(mu * np.abs(audio)) / np.log1p(mu)
    mulaw = np.round((encoded + 1.0) / 2.0 * mu).astype(np.uint8)
    offsets = np.arange(len(clips) + 1) * times.size
    ids = np.array([i["id"] for i in rows])
    return _npz(mulaw=mulaw, offsets=offsets, item=ids)


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()

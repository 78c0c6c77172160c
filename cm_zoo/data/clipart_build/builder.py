"""Builds the clip-art benchmark files from the planned items."""

import hashlib
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import numpy as np

from cm_zoo import modalities
from cm_zoo.data.clipart_build import catalog
from cm_zoo.data.clipart_build import lexicon
from cm_zoo.data.clipart_build import render
from cm_zoo.data.clipart_build import speech

NEEDS = {
    "clipart": ("clipart",),
    "sketch": ("sketch",),
    "description": ("description",),
    "sound": ("sound",),
    "paired": ("clipart", "description", "sound"),
}


def _check_inputs():
    needed = [
        (os.path.isdir(catalog.SVG_ROOT), "openclipart-svg"),
        (os.path.isdir(catalog.WORDNET_ROOT), "wordnet-base"),
        (shutil.which("rsvg-convert"), "librsvg2-bin"),
        (shutil.which("espeak-ng"), "espeak-ng"),
    ]
    missing = [package for found, package in needed if not found]
    if missing:
        raise FileNotFoundError(
            "Building the clip-art benchmark needs the Debian packages "
            f"{missing}: `apt-get install {' '.join(missing)}`."
        )


def process(job):
    """Worker: renders/synthesizes what one item's role needs."""
    path, needs, text = job
    with open(path, "rb") as f:
        data = f.read()
    out = {}
    if "clipart" in needs or "sketch" in needs:
        try:
            clipart, sketch = render.render_images(data, "sketch" in needs)
        except (ET.ParseError, ValueError, subprocess.TimeoutExpired):
            return None
        if clipart is None or ("sketch" in needs and sketch is None):
            return None
        if "clipart" in needs:
            out["clipart"] = clipart
        if "sketch" in needs:
            out["sketch"] = sketch
    if "sound" in needs:
        audio = speech.speak(text)
        if audio is None:
            return None
        out["sound"] = speech.mulaw_encode(audio)
    return out


def write_npz(path, arrays):
    """np.savez_compressed without timestamps, so rebuilds are identical."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(
                buffer, np.asarray(value), allow_pickle=False
            )
            info = zipfile.ZipInfo(
                key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def build(out_dir, jobs=2):
    """Builds the benchmark into `out_dir` (see the recipe for inputs).

    Args:
        out_dir: str. Output directory (created if needed).
        jobs: int. Worker processes for rendering and speech. Defaults to 2.

    Returns:
        dict with the number of `items` kept and of items dropped because
        rendering/speech `failed` or their image was a `duplicates`.

    Raises:
        FileNotFoundError: when a Debian input is missing, naming the
            `apt-get install` command.
    """
    _check_inputs()
    wordnet = catalog.WordNet(catalog.WORDNET_ROOT)
    planned = catalog.plan_items(wordnet)
    work = [
        (
            item["path"],
            NEEDS[item["role"]],
            catalog.spoken_text(item["title"], item["keywords"]),
        )
        for item in planned
    ]
    # spawn: the parent has imported TensorFlow (via cm_zoo), unsafe to fork.
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        results = pool.map(process, work, chunksize=4)
    stored = {"clipart": [], "sketch": [], "sound": [], "description": []}
    manifest_items = []
    dropped = duplicates = 0
    seen_images = set()
    for item, result in zip(planned, results):
        if result is None:
            dropped += 1
            continue
        image_digests = {
            sha256(result[key].tobytes())
            for key in ("clipart", "sketch")
            if key in result
        }
        if image_digests & seen_images:
            duplicates += 1
            continue
        seen_images |= image_digests
        index = len(manifest_items)
        needs = NEEDS[item["role"]]
        digests = {}
        for key in needs:
            value = item["description"] if key == "description" else result[key]
            stored[key].append((index, value))
            raw = value.encode() if isinstance(value, str) else value.tobytes()
            digests[key] = sha256(raw)
        pairing = None
        split = item["split"]
        if item["role"] == "paired":
            pairing = (
                split if split in ("image_sound", "image_text") else ("triplet")
            )
            split = "train" if pairing != "triplet" else split
        manifest_items.append(
            {
                "id": index,
                "category": item["category"],
                "label": item["label"],
                "role": item["role"],
                "split": split,
                "pairing": pairing,
                "source": os.path.relpath(item["path"], catalog.SVG_ROOT),
                "source_package": "openclipart-svg",
                "licence": catalog.LICENCE,
                "title": item["title"],
                "spoken_text": (
                    catalog.spoken_text(item["title"], item["keywords"])
                    if "sound" in needs
                    else None
                ),
                "sha256": digests,
            }
        )
    os.makedirs(out_dir, exist_ok=True)
    write_npz(
        os.path.join(out_dir, "clipart.npz"),
        {
            "item": np.array([i for i, _ in stored["clipart"]], np.int32),
            "images": np.stack([v for _, v in stored["clipart"]]),
        },
    )
    write_npz(
        os.path.join(out_dir, "sketch.npz"),
        {
            "item": np.array([i for i, _ in stored["sketch"]], np.int32),
            "images": np.stack([v for _, v in stored["sketch"]]),
        },
    )
    lengths = [v.size for _, v in stored["sound"]]
    write_npz(
        os.path.join(out_dir, "sound.npz"),
        {
            "item": np.array([i for i, _ in stored["sound"]], np.int32),
            "offsets": np.r_[0, np.cumsum(lengths)].astype(np.int64),
            "mulaw": np.concatenate([v for _, v in stored["sound"]]),
        },
    )
    with open(os.path.join(out_dir, "description.json"), "w") as f:
        json.dump(
            [[i, v] for i, v in stored["description"]],
            f,
            indent=0,
            ensure_ascii=False,
        )
        f.write("\n")
    with open(os.path.join(out_dir, "lexicon.json"), "w") as f:
        json.dump(
            lexicon.build_lexicon(wordnet), f, indent=0, ensure_ascii=False
        )
        f.write("\n")
    manifest = {
        "name": "clipart_benchmark",
        "class_names": list(catalog.CATEGORIES),
        "holdout_categories": catalog.HOLDOUT_CATEGORIES,
        "source_modality": modalities.CLIPART,
        "modalities": [
            modalities.CLIPART,
            modalities.SKETCH,
            modalities.DESCRIPTION,
            modalities.SOUND,
        ],
        "image_size": render.IMAGE_SIZE,
        "sound_storage": {
            "rate": speech.SOUND_RATE,
            "encoding": "mu-law 8-bit",
            "max_seconds": speech.SOUND_SECONDS,
            "load_rate": 16000,
        },
        "files": {
            name: sha256(open(os.path.join(out_dir, name), "rb").read())
            for name in (
                "clipart.npz",
                "sketch.npz",
                "sound.npz",
                "description.json",
                "lexicon.json",
            )
        },
        "items": manifest_items,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return {
        "items": len(manifest_items),
        "failed": dropped,
        "duplicates": duplicates,
    }

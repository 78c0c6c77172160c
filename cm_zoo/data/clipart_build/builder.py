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
from importlib import metadata

import numpy as np
from PIL import Image

from cm_zoo import modalities
from cm_zoo.data import clipart_views
from cm_zoo.data.clipart_build import catalog
from cm_zoo.data.clipart_build import lexicon
from cm_zoo.data.clipart_build import render
from cm_zoo.data.clipart_build import speech
from cm_zoo.data.clipart_build import wordnet as wordnet_lib

DEBIAN_PACKAGES = {
    "openclipart-svg": lambda: os.path.isdir(catalog.SVG_ROOT),
    "wordnet-base": lambda: os.path.isdir(catalog.WORDNET_ROOT),
    "librsvg2-bin": lambda: shutil.which("rsvg-convert"),
    "espeak-ng": lambda: shutil.which("espeak-ng"),
}
PYTHON_PACKAGES = ("numpy", "pillow", "scipy")
INSTALL_COMMAND = "apt-get install -y " + " ".join(DEBIAN_PACKAGES)
# What each role stores (a description is the planned text itself).
STORED = {
    "clipart": ("clipart",),
    "sketch": ("sketch",),
    "description": ("description",),
    "sound": ("sound",),
    "paired": ("clipart", "description", "sound"),
    "source": ("source",),
}
OOD_STROKES_PX = (1.0, 4.0, 6.0)
DATA_FILES = (
    "clipart.npz",
    "sketch.npz",
    "sound.npz",
    "source.npz",
    "description.json",
    "lexicon.json",
)


def missing_packages():
    """Debian packages the build needs that are not installed."""
    return [name for name, found in DEBIAN_PACKAGES.items() if not found()]


def package_versions():
    """Versions of every input package (Debian, then Python)."""
    versions = {}
    for name in DEBIAN_PACKAGES:
        versions[name] = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", name],
            capture_output=True,
            text=True,
        ).stdout.strip()
    for name in PYTHON_PACKAGES:
        versions[name] = metadata.version(name)
    return versions


def _images(data, role, split, variant):
    """Images one item stores, plus sha256 of their plain (unvaried) form."""
    rng = np.random.default_rng(variant)
    if role == "sketch":
        stroke = OOD_STROKES_PX[variant % 3] if split == "ood" else 2.4
        sketch = render.render_sketch(data, stroke)
        if sketch is None:
            return None
        plain = sketch
        if split == "ood":
            ink = np.zeros(sketch.shape + (4,), np.uint8)
            ink[..., 3] = 255 - sketch
            sketch = clipart_views.on_white(clipart_views.place(ink, rng))
            sketch = sketch[..., 0]
        return {"sketch": sketch}, plain
    rgba = render.render_clipart(data, background=None)
    if rgba is None:
        return None
    plain = clipart_views.on_white(rgba)
    if role == "source":
        return {"source": rgba}, plain
    if split == "ood":
        return {"clipart": clipart_views.vary(rgba, rng)}, plain
    return {"clipart": plain}, plain


def process(job):
    """Worker: renders/synthesizes what one item stores; None on failure.

    Returns a dict of arrays (keys of `STORED`) and `"plain"`, the sha256
    of its image rendered plainly (for spotting duplicate drawings).
    """
    path, role, split, text, variant = job
    out = {"plain": None}
    if any(k in STORED[role] for k in ("clipart", "sketch", "source")):
        with open(path, "rb") as f:
            data = f.read()
        try:
            rendered = _images(data, role, split, variant)
        except (ET.ParseError, ValueError, subprocess.TimeoutExpired):
            return None
        if rendered is None:
            return None
        out.update(rendered[0])
        out["plain"] = sha256(rendered[1].tobytes())
    if "sound" in STORED[role]:
        ood = split == "ood"
        voice = speech.ood_voice(variant) if ood else speech.VOICE
        audio = speech.speak(text, voice)
        if audio is None:
            return None
        out["sound"] = speech.mulaw_encode(
            speech.with_room(audio, variant) if ood else audio
        )
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


def png_bytes(rgba):
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG", compress_level=9)
    return np.frombuffer(buffer.getvalue(), np.uint8)


def _render_all(planned, jobs):
    work = [
        (
            item["path"],
            item["role"],
            item["split"],
            item["spoken_text"],
            item["variant"],
        )
        for item in planned
    ]
    # spawn: the parent has imported TensorFlow (via cm_zoo), unsafe to fork.
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        return pool.map(process, work, chunksize=4)


def manifest_item(item, index, digests):
    """The manifest entry of one kept item."""
    pairing = None
    split = item["split"]
    if item["role"] == "paired":
        pairing = split if split in ("image_sound", "image_text") else "triplet"
        split = "train" if pairing != "triplet" else split
    return {
        "id": index,
        "category": item["category"],
        "label": item["label"],
        "role": item["role"],
        "split": split,
        "pairing": pairing,
        "source": os.path.relpath(item["path"], catalog.SVG_ROOT),
        "source_package": "openclipart-svg",
        "licence": catalog.LICENCE,
        "svg_sha256": item["svg_sha256"],
        "title": item["title"],
        "spoken_text": (
            item["spoken_text"] if "sound" in STORED[item["role"]] else None
        ),
        "sha256": digests,
    }


def collect(planned, results):
    """Keeps rendered items once per drawing: stored values and manifest.

    Returns `(stored, items, counts)`: `{key: [(item id, value)]}`, the
    manifest items, and counts of the items `failed` (render or speech) and
    of the `duplicates` (a drawing whose plain render was already used).
    """
    stored = {key: [] for key in ("clipart", "sketch", "sound", "source")}
    stored["description"] = []
    items = []
    counts = {"failed": 0, "duplicates": 0}
    seen = set()
    for item, result in zip(planned, results):
        if result is None:
            counts["failed"] += 1
            continue
        if result["plain"] is not None:
            if result["plain"] in seen:
                counts["duplicates"] += 1
                continue
            seen.add(result["plain"])
        digests = {}
        for key in STORED[item["role"]]:
            value = item["description"] if key == "description" else result[key]
            stored[key].append((len(items), value))
            raw = value.encode() if isinstance(value, str) else value.tobytes()
            digests[key] = sha256(raw)
        items.append(manifest_item(item, len(items), digests))
    return stored, items, counts


def _ids(pairs):
    return np.array([i for i, _ in pairs], np.int32)


def _concatenated(pairs, key):
    lengths = [v.size for _, v in pairs]
    return {
        "item": _ids(pairs),
        "offsets": np.r_[0, np.cumsum(lengths)].astype(np.int64),
        key: np.concatenate([v for _, v in pairs]),
    }


def write_data(out_dir, stored, lexicon_entries):
    """Writes every data file of `DATA_FILES` into `out_dir`."""
    for key in ("clipart", "sketch"):
        write_npz(
            os.path.join(out_dir, f"{key}.npz"),
            {
                "item": _ids(stored[key]),
                "images": np.stack([v for _, v in stored[key]]),
            },
        )
    write_npz(
        os.path.join(out_dir, "sound.npz"),
        _concatenated(stored["sound"], "mulaw"),
    )
    pngs = [(i, png_bytes(v)) for i, v in stored["source"]]
    write_npz(os.path.join(out_dir, "source.npz"), _concatenated(pngs, "png"))
    texts = [[i, v] for i, v in stored["description"]]
    for name, value in (
        ("description.json", texts),
        ("lexicon.json", lexicon_entries),
    ):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(value, f, indent=0, ensure_ascii=False)
            f.write("\n")


def write_manifest(path, manifest):
    """JSON with one line per item (small diffs, readable)."""
    head = {k: v for k, v in manifest.items() if k != "items"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    lines = [json.dumps(i, ensure_ascii=False) for i in manifest["items"]]
    with open(path, "w") as f:
        f.write(text + ',\n "items": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n")


def _manifest_head(out_dir, giveaways):
    return {
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
        "packages": package_versions(),
        "giveaway": {name: g.to_json() for name, g in giveaways.items()},
        "files": {
            name: sha256(open(os.path.join(out_dir, name), "rb").read())
            for name in DATA_FILES
        },
    }


def build(out_dir, jobs=2):
    """Builds the benchmark into `out_dir` (see the recipe for inputs).

    Args:
        out_dir: str. Output directory (created if needed).
        jobs: int. Worker processes for rendering and speech. Defaults to 2.

    Returns:
        dict with the number of `items` kept, of items dropped because
        rendering/speech `failed` or their drawing was a `duplicates`, and
        of usable SVGs left out of the text roles for want of text
        (`textless`).

    Raises:
        FileNotFoundError: when a Debian input is missing, naming the
            `apt-get install` command.
    """
    missing = missing_packages()
    if missing:
        raise FileNotFoundError(
            f"Building the clip-art benchmark needs the Debian packages "
            f"{missing}: run `{INSTALL_COMMAND}` (as root)."
        )
    wordnet = wordnet_lib.WordNet(catalog.WORDNET_ROOT)
    giveaways = catalog.category_giveaways(wordnet)
    planned = catalog.plan_items(wordnet, giveaways)
    stored, items, counts = collect(planned, _render_all(planned, jobs))
    os.makedirs(out_dir, exist_ok=True)
    write_data(out_dir, stored, lexicon.build_lexicon(wordnet, giveaways))
    manifest = _manifest_head(out_dir, giveaways)
    manifest["items"] = items
    write_manifest(os.path.join(out_dir, "manifest.json"), manifest)
    textless = sum(1 for item in planned if item["description"] is None)
    return dict(counts, items=len(items), textless=textless)

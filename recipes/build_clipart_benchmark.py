"""Builds the embedded clip-art benchmark from Debian's openclipart packages.

Inputs (Debian packages, no network): `openclipart-svg` (SVG sources, their
title and keywords), `wordnet-base` (noun glosses), `librsvg2-bin`
(`rsvg-convert`) and `espeak-ng`. Output: a directory (by default
`cm_zoo/data/embedded/clipart_benchmark/`) with `manifest.json`,
`clipart.npz`, `sketch.npz`, `sound.npz` and `description.json`, read by
`cm_zoo.data.clipart_benchmark.load`.

Every source SVG is used for exactly one role: one weakly aligned modality
(clipart, sketch, description or sound; only the category links them, as in
CMPlaces) or the paired See-Hear-Read set (the same item as clipart,
description and sound). The build is deterministic: sorted listings, seeds
derived from category names, zip entries without timestamps.

Usage:
    python3 recipes/build_clipart_benchmark.py [--out DIR] [--jobs 2]
"""

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import re
import subprocess
import wave
import xml.etree.ElementTree as ET
import zipfile
import zlib

import numpy as np
from PIL import Image
from scipy import signal

from cm_zoo import modalities

SVG_ROOT = "/usr/share/openclipart/svg"
WORDNET_ROOT = "/usr/share/wordnet"
DEFAULT_OUT = os.path.join(
    os.path.dirname(__file__), "..", "cm_zoo", "data", "embedded",
    "clipart_benchmark",
)
IMAGE_SIZE = 96
MAX_PER_CATEGORY = 150
MAX_SVG_BYTES = 1_000_000
MIN_IMAGE_STD = 8.  # drops renders too faint to see at IMAGE_SIZE
MIN_SKETCH_INK = 50  # dark pixels a stored sketch must have
SOUND_RATE = 8000
SOUND_SECONDS = 2.0
LICENCE = "public domain (Open Clip Art Library, Debian openclipart-svg)"

# Category name -> (folders; a trailing "/**" takes subfolders too,
# WordNet noun "lemma.sense" glossing the category).
CATEGORIES = {
    "bird": (["animals/birds/**"], "bird.1"),
    "insect": (["animals/bugs/**"], "insect.1"),
    "mammal": (["animals/mammals/**"], "mammal.1"),
    "fruit": (["food/fruit/**"], "fruit.1"),
    "dessert": (["food/desserts/**"], "dessert.1"),
    "beverage": (["food/beverages/**"], "beverage.1"),
    "dish": (
        ["food", "food/meats_and_eggs/**", "food/breads_and_carbs/**"],
        "dish.2",
    ),
    "vehicle": (["transportation/vehicles/**"], "vehicle.1"),
    "boat": (["transportation/boating/**"], "boat.1"),
    "building": (["buildings", "buildings/homes/**"], "building.1"),
    "plant": (["plants/**"], "plant.2"),
    "music": (["recreation/music/**"], "music.1"),
    "sport": (["recreation/sports/**"], "sport.1"),
    "tool": (["tools"], "tool.1"),
    "weapon": (["tools/weapons/**"], "weapon.1"),
    "flag": (["signs_and_symbols/flags/**"], "flag.1"),
    "star": (["shapes/stars/**"], "star.1"),
    "arrow": (["shapes/arrows/**"], "arrow.1"),
    "playing card": (["recreation/games/cards/**"], "playing_card.1"),
    "smiley": (["people/smilies/**"], "smiley.1"),
    "person": (["people", "people/stickmen/**"], "person.1"),
    "street sign": (["transportation/roadsigns/**"], "street_sign.1"),
    "pictograph": (
        ["transportation/aiga-symbols/**", "signs_and_symbols/map_symbols"],
        "pictograph.1",
    ),
    "map": (["geography"], "map.1"),
    "pattern": (["special/patterns/**"], "pattern.6"),
    "clothing": (["people/clothing/**"], "clothing.1"),
    "computer hardware": (["computer/hardware/**"], "computer_hardware.1"),
    "jigsaw puzzle": (["shapes/jigsaw/**"], "jigsaw_puzzle.1"),
}
HOLDOUT_CATEGORIES = ["insect", "boat", "dessert", "weapon", "map"]

# Fractions of each category's items per role, then per split inside a role.
ROLE_FRACTIONS = [
    ("clipart", 0.28), ("sketch", 0.18), ("description", 0.12),
    ("sound", 0.10), ("paired", 0.32),
]
WEAK_SPLITS = [("train", 0.7), ("val", 0.1), ("test", 0.2)]
PAIRED_SPLITS = [
    ("image_sound", 0.3), ("image_text", 0.3), ("val", 0.12), ("test", 0.28),
]
HOUSEKEEPING_KEYWORDS = {
    "", "clip art", "clipart", "image", "media", "png", "svg", "public domain",
    "externalsource", "openclipart", "unsorted", "remix", "how i did it",
}
GENERIC_WORDS = {
    "the", "and", "with", "for", "new", "simple", "icon", "icons", "symbol",
    "animal", "animals", "holiday", "cartoon", "drawing", "black", "white",
    "color", "colour", "line", "art", "clip", "sign", "signs", "stylized",
    "etiquette", "nicu", "buculei", "clipart", "architetto", "francesco",
    "rollandin", "food", "people", "shape", "shapes", "aiga",
}
NEEDS = {
    "clipart": ("clipart",),
    "sketch": ("sketch",),
    "description": ("description",),
    "sound": ("sound",),
    "paired": ("clipart", "description", "sound"),
}


def list_category_files(folders):
    files = []
    for folder in folders:
        recursive = folder.endswith("/**")
        base = os.path.join(SVG_ROOT, folder.removesuffix("/**"))
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            files += [
                os.path.join(dirpath, f) for f in filenames
                if f.endswith(".svg")
            ]
            if not recursive:
                break
    return sorted(set(files))


def read_metadata(data):
    text = data.decode("utf-8", errors="replace")
    work = re.search(r"<cc:Work\b.*?</cc:Work>", text, re.S)
    scope = work.group(0) if work else text
    title = re.search(r"<dc:title>([^<]*)</dc:title>", scope)
    title = title.group(1).replace("_", " ").strip() if title else ""
    if title.startswith("HASH("):
        title = ""
    subject = re.search(r"<dc:subject>(.*?)</dc:subject>", scope, re.S)
    keywords = []
    if subject:
        for word in re.findall(r"<rdf:li>([^<]*)</rdf:li>", subject.group(1)):
            word = word.replace("_", " ").strip().lower()
            if word not in HOUSEKEEPING_KEYWORDS and word not in keywords:
                keywords.append(word)
    return title, keywords


class WordNet:
    """First-sense (or chosen-sense) noun glosses from wordnet-base."""

    def __init__(self, root):
        self.offsets = {}
        with open(os.path.join(root, "index.noun"), encoding="utf-8") as f:
            for line in f:
                if line.startswith(" "):
                    continue
                parts = line.split()
                count = int(parts[2])
                pointers = int(parts[3])
                synsets = parts[6 + pointers:]
                self.offsets[parts[0]] = synsets[:count]
        with open(os.path.join(root, "data.noun"), "rb") as f:
            self.data = f.read()

    def gloss(self, lemma, sense=1):
        offsets = self.offsets.get(lemma.lower().replace(" ", "_"))
        if not offsets or sense > len(offsets):
            return None
        start = int(offsets[sense - 1])
        line = self.data[start:self.data.index(b"\n", start)].decode()
        return line.split(" | ", 1)[1].split(";")[0].strip()


def split_counts(n, fractions):
    """Rounds `n * fraction`, giving every part at least one item if it can."""
    edges = np.round(np.cumsum([f for _, f in fractions]) * n).astype(int)
    edges[-1] = n
    counts = np.diff(np.r_[0, edges])
    if n >= len(fractions):
        for part in range(1, len(counts)):
            if counts[part] == 0:
                counts[part] = 1
                counts[np.argmax(counts)] -= 1
    return [(name, int(c)) for (name, _), c in zip(fractions, counts)]


def assign(n, fractions):
    names = []
    for name, count in split_counts(n, fractions):
        names += [name] * count
    return names


def length_px(value):
    units = {"px": 1., "pt": 4. / 3., "pc": 16., "in": 96., "mm": 3.7795,
             "cm": 37.795, "": 1.}
    match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([a-z]*)\s*", value or "")
    if not match or match.group(2) not in units:
        return None
    return float(match.group(1)) * units[match.group(2)]


def user_extent(root):
    """Returns the (width, height) of the root coordinate system."""
    box = root.get("viewBox")
    if box:
        values = [float(v) for v in re.split(r"[\s,]+", box.strip())]
        return values[2], values[3]
    width = length_px(root.get("width"))
    height = length_px(root.get("height"))
    return (width or 100.), (height or 100.)


SHAPE_TAGS = {"path", "rect", "circle", "ellipse", "line", "polyline",
              "polygon", "text"}
PAINT_PROPERTIES = {
    "fill", "stroke", "stroke-width", "opacity", "fill-opacity",
    "stroke-opacity", "filter", "stroke-dasharray", "display", "visibility",
    "mask",
}


def sketch_svg(root, stroke_width):
    """Rewrites every style: fills removed, strokes black of one width."""
    for element in root.iter():
        tag = str(element.tag).rsplit("}", 1)[-1]
        if tag == "style":
            element.text = ""
        for key in list(element.attrib):
            if key in PAINT_PROPERTIES:
                del element.attrib[key]
        declarations = []
        for declaration in element.attrib.pop("style", "").split(";"):
            name = declaration.split(":", 1)[0].strip()
            if ":" in declaration and name not in PAINT_PROPERTIES:
                declarations.append(declaration.strip())
        if tag in SHAPE_TAGS:
            declarations += [
                "fill:none", "stroke:#000000", f"stroke-width:{stroke_width:g}",
            ]
        if declarations:
            element.set("style", ";".join(declarations))
    return ET.tostring(root)


def rsvg(data, width, height):
    result = subprocess.run(
        ["rsvg-convert", "-w", str(width), "-h", str(height), "-a",
         "-b", "white", "-f", "png"],
        input=data, capture_output=True, timeout=120,
    )
    if result.returncode != 0 or not result.stdout:
        return None
    return Image.open(io.BytesIO(result.stdout)).convert("RGB")


def content_box(image):
    ink = np.asarray(image.convert("L")) < 250
    if ink.sum() < 20:
        return None
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return cols[0], rows[0], cols[-1] + 1, rows[-1] + 1


def fit_square(image, box, size):
    """Crops `box`, pads to a white square with a margin, resizes."""
    crop = image.crop(box)
    side = int(max(crop.size) * 1.08) + 2
    canvas = Image.new("RGB", (side, side), "white")
    canvas.paste(crop, ((side - crop.width) // 2, (side - crop.height) // 2))
    return canvas.resize((size, size), Image.LANCZOS)


def render_images(data, want_sketch):
    """Returns (clipart uint8 [S,S,3], sketch uint8 [S,S] or None).

    `(None, None)` when rendering fails or the result is (nearly) blank.
    """
    probe = rsvg(data, 256, 256)
    if probe is None:
        return None, None
    box = content_box(probe)
    if box is None:
        return None, None
    extent = max(box[2] - box[0], box[3] - box[1])
    zoom = min(2. * IMAGE_SIZE / extent, 8.)
    width, height = int(probe.width * zoom), int(probe.height * zoom)
    big = rsvg(data, width, height)
    if big is None:
        return None, None
    big_box = tuple(int(round(v * zoom)) for v in box)
    clipart = np.asarray(fit_square(big, big_box, IMAGE_SIZE))
    if clipart.std() < MIN_IMAGE_STD:
        return None, None
    if not want_sketch:
        return clipart, None
    root = ET.fromstring(data)
    user_w, user_h = user_extent(root)
    px_per_unit = min(width / user_w, height / user_h)
    sketch = rsvg(sketch_svg(root, 2.4 / px_per_unit), width, height)
    if sketch is None or content_box(sketch) is None:
        return None, None
    gray = np.asarray(fit_square(sketch, big_box, IMAGE_SIZE).convert("L"))
    if (gray < 200).sum() < MIN_SKETCH_INK:
        return None, None
    return clipart, gray


def speak(text):
    """espeak-ng -> float [-1, 1] at SOUND_RATE, trimmed, <= SOUND_SECONDS."""
    result = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "170", "--stdout", text],
        capture_output=True, timeout=60,
    )
    if result.returncode != 0:
        return None
    with wave.open(io.BytesIO(result.stdout)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    audio = pcm.astype(np.float64) / 32768.
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    if loud.size == 0:
        return None
    audio = audio[loud[0]:loud[-1] + 1]
    audio = signal.resample_poly(audio, SOUND_RATE, rate)
    limit = int(SOUND_RATE * SOUND_SECONDS)
    if audio.size > limit:
        audio = audio[:limit]
        fade = int(0.02 * SOUND_RATE)
        audio[-fade:] *= np.linspace(1., 0., fade)
    return np.clip(audio, -1., 1.)


def mulaw_encode(audio):
    mu = 255.
    y = np.sign(audio) * np.log1p(mu * np.abs(audio)) / np.log1p(mu)
    return np.round((y + 1.) / 2. * mu).astype(np.uint8)


def describe(title, keywords, wordnet, category_gloss):
    """'title. keywords. gloss'; the gloss is of the item's first WordNet noun.

    Nouns are looked for in the title, then the keywords (generic words such
    as "icon" or "animal" skipped); the category gloss is the fallback.
    """
    gloss = None
    candidates = re.findall(r"[a-z]+", title.lower()) + keywords
    for word in candidates:
        if len(word) > 2 and word not in GENERIC_WORDS:
            gloss = wordnet.gloss(word)
            if gloss:
                gloss = f"{word}: {gloss}"
                break
    parts = [title, ", ".join(keywords), gloss or category_gloss]
    return ". ".join(p for p in parts if p) + "."


def spoken_text(title, keywords):
    if title:
        return title
    return " ".join(keywords[:3])


def process(job):
    """Worker: renders/synthesizes what one item's role needs."""
    path, needs, text = job
    with open(path, "rb") as f:
        data = f.read()
    out = {}
    if "clipart" in needs or "sketch" in needs:
        try:
            clipart, sketch = render_images(data, "sketch" in needs)
        except (ET.ParseError, ValueError, subprocess.TimeoutExpired):
            return None
        if clipart is None or ("sketch" in needs and sketch is None):
            return None
        if "clipart" in needs:
            out["clipart"] = clipart
        if "sketch" in needs:
            out["sketch"] = sketch
    if "sound" in needs:
        audio = speak(text)
        if audio is None:
            return None
        out["sound"] = mulaw_encode(audio)
    return out


def plan_items(wordnet):
    """Lists items per category, shuffled with a name-derived seed."""
    seen = set()  # sha256 and file names: a clip copied to two folders
    items = []
    for label, (name, (folders, gloss_key)) in enumerate(CATEGORIES.items()):
        lemma, sense = gloss_key.rsplit(".", 1)
        category_gloss = f"{name}: {wordnet.gloss(lemma, int(sense))}"
        candidates = []
        for path in list_category_files(folders):
            if os.path.getsize(path) > MAX_SVG_BYTES:
                continue
            with open(path, "rb") as f:
                data = f.read()
            digest = hashlib.sha256(data).hexdigest()
            title, keywords = read_metadata(data)
            basename = os.path.basename(path)
            if seen & {digest, basename} or not (title or keywords):
                continue
            seen |= {digest, basename}
            candidates.append((path, title, keywords))
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        order = rng.permutation(len(candidates))[:MAX_PER_CATEGORY]
        chosen = [candidates[i] for i in order]
        roles = assign(len(chosen), ROLE_FRACTIONS)
        for role in dict.fromkeys(roles):
            members = [c for c, r in zip(chosen, roles) if r == role]
            splits = assign(
                len(members),
                PAIRED_SPLITS if role == "paired" else WEAK_SPLITS,
            )
            for (path, title, keywords), split in zip(members, splits):
                items.append({
                    "category": name, "label": label, "role": role,
                    "split": split, "path": path, "title": title,
                    "keywords": keywords,
                    "description": describe(
                        title, keywords, wordnet, category_gloss),
                })
    return items


def write_npz(path, arrays):
    """np.savez_compressed without timestamps, so rebuilds are identical."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(value),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def build(out_dir, jobs):
    wordnet = WordNet(WORDNET_ROOT)
    planned = plan_items(wordnet)
    work = [
        (item["path"], NEEDS[item["role"]],
         spoken_text(item["title"], item["keywords"]))
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
            for key in ("clipart", "sketch") if key in result
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
            pairing = split if split in ("image_sound", "image_text") else (
                "triplet")
            split = "train" if pairing != "triplet" else split
        manifest_items.append({
            "id": index, "category": item["category"], "label": item["label"],
            "role": item["role"], "split": split, "pairing": pairing,
            "source": os.path.relpath(item["path"], SVG_ROOT),
            "source_package": "openclipart-svg", "licence": LICENCE,
            "title": item["title"], "spoken_text": (
                spoken_text(item["title"], item["keywords"])
                if "sound" in needs else None),
            "sha256": digests,
        })
    os.makedirs(out_dir, exist_ok=True)
    write_npz(os.path.join(out_dir, "clipart.npz"), {
        "item": np.array([i for i, _ in stored["clipart"]], np.int32),
        "images": np.stack([v for _, v in stored["clipart"]]),
    })
    write_npz(os.path.join(out_dir, "sketch.npz"), {
        "item": np.array([i for i, _ in stored["sketch"]], np.int32),
        "images": np.stack([v for _, v in stored["sketch"]]),
    })
    lengths = [v.size for _, v in stored["sound"]]
    write_npz(os.path.join(out_dir, "sound.npz"), {
        "item": np.array([i for i, _ in stored["sound"]], np.int32),
        "offsets": np.r_[0, np.cumsum(lengths)].astype(np.int64),
        "mulaw": np.concatenate([v for _, v in stored["sound"]]),
    })
    with open(os.path.join(out_dir, "description.json"), "w") as f:
        json.dump([[i, v] for i, v in stored["description"]], f, indent=0,
                  ensure_ascii=False)
        f.write("\n")
    manifest = {
        "name": "clipart_benchmark",
        "class_names": list(CATEGORIES),
        "holdout_categories": HOLDOUT_CATEGORIES,
        "source_modality": modalities.CLIPART,
        "modalities": [modalities.CLIPART, modalities.SKETCH,
                       modalities.DESCRIPTION, modalities.SOUND],
        "image_size": IMAGE_SIZE,
        "sound_storage": {"rate": SOUND_RATE, "encoding": "mu-law 8-bit",
                          "max_seconds": SOUND_SECONDS, "load_rate": 16000},
        "files": {
            name: sha256(open(os.path.join(out_dir, name), "rb").read())
            for name in ("clipart.npz", "sketch.npz", "sound.npz",
                         "description.json")
        },
        "items": manifest_items,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"built {len(manifest_items)} items ({dropped} dropped: render or "
          f"speech failed; {duplicates} dropped: image already used) into "
          f"{os.path.abspath(out_dir)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    build(args.out, args.jobs)


if __name__ == "__main__":
    main()

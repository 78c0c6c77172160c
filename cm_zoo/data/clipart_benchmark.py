"""The embedded clip-art benchmark: real, small, weakly aligned data.

Built by `recipes/build_clipart_benchmark.py` from Debian's public-domain
openclipart SVGs, WordNet glosses and espeak-ng speech; see
`cm_zoo/data/embedded/clipart_benchmark/README.md` for its contents.
"""

import hashlib
import io
import json
import os
import zipfile

import numpy as np
from PIL import Image

from cm_zoo import modalities
from cm_zoo.data import clipart_views

EMBEDDED_PATH = os.path.join(
    os.path.dirname(__file__), "embedded", "clipart_benchmark"
)
SPLITS = ("train", "val", "test", "ood")
PAIRED_SPLITS = ("train", "val", "test")
SOURCE_SPLITS = ("train", "val")
SOURCE_ROLE = "source"
SOUND_RATE = 16000
LEXICON_FILE = "lexicon.json"
SOURCE_FILE = "source.npz"
# Manifest fields the loader reads; a manifest lacking one is refused.
MANIFEST_FIELDS = (
    "class_names",
    "source_modality",
    "modalities",
    "holdout_categories",
    "image_size",
    "files",
    "items",
    "sound_storage",
)


def load(path=None):
    """Loads the clip-art benchmark (by default the copy shipped in cm_zoo).

    Args:
        path: str. Directory written by `recipes/build_clipart_benchmark.py`.
            Defaults to the embedded copy.

    Returns:
        A `ClipartBenchmark`.

    Raises:
        ValueError: if a file is missing or its sha256 differs from the
            manifest.

    Example:
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> bench.source_modality, bench.image_size
    ('clipart', 96)
    >>> x, y = bench.arrays("sketch", "val")
    >>> x.dtype, x.shape[1:], len(x) == len(y)
    (dtype('uint8'), (96, 96, 3), True)
    """
    return ClipartBenchmark(EMBEDDED_PATH if path is None else path)


class ClipartBenchmark:
    """In-memory view of one build of the clip-art benchmark.

    Weakly aligned part (CMPlaces protocol): `arrays(modality, split)`; every
    modality comes from different source files, so only labels align them.
    Paired part (See-Hear-Read protocol): `paired(split)`; the same item seen
    as clipart, heard as speech and read as text. Source pool:
    `source_pool(split)`, clip art of drawings no target role uses, for the
    source network alone. Lexicon: `lexicon()`,
    labelled WordNet texts (no source file, no split) naming what belongs to
    each category, for teaching the description encoder unseen words.

    Attributes:
        class_names: list of str. Category names; index == label.
        source_modality: str. `"clipart"`, the modality playing natural images.
        modalities: tuple of str. Modality keys present.
        holdout_categories: list of str. Categories kept out of training in
            the zero-shot protocol (they still appear in every split).
        image_size: int. Side of the stored square images.
        manifest_sha256: str. sha256 of `manifest.json`.
        manifest: dict. The parsed manifest (per-item source file, licence,
            role, split and sha256 of the stored data).

    Args:
        path: str. Directory holding `manifest.json` and the data files.
    """

    def __init__(self, path):
        manifest_path = os.path.join(path, "manifest.json")
        raw = _read_bytes(
            manifest_path,
            f"No clip-art benchmark at {path!r}: expected "
            f"{manifest_path!r}, found no such file.",
        )
        self.manifest_sha256 = hashlib.sha256(raw).hexdigest()
        self.manifest = _parse_manifest(manifest_path, raw)
        self.class_names = list(self.manifest["class_names"])
        self.source_modality = self.manifest["source_modality"]
        self.modalities = tuple(self.manifest["modalities"])
        self.holdout_categories = list(self.manifest["holdout_categories"])
        self.image_size = int(self.manifest["image_size"])
        data = {
            name: _read_checked(path, name, digest)
            for name, digest in self.manifest["files"].items()
        }
        items = self.manifest["items"]
        self._labels = np.array([i["label"] for i in items], np.int64)
        self._role = np.array([i["role"] for i in items])
        self._split = np.array([i["split"] for i in items])
        self._pairing = np.array([i["pairing"] or "" for i in items])
        self._rows = {}
        self._values = {}
        self._read_modalities(path, data)
        self._lexicon = None
        if LEXICON_FILE in data:
            self._lexicon = json.loads(data[LEXICON_FILE])
        self._source = None
        if SOURCE_FILE in data:
            self._source = _read_npz(path, SOURCE_FILE, data[SOURCE_FILE])
        self._source_rgba = None
        self._pool_row = None
        self._position = {
            key: {int(item): n for n, item in enumerate(rows)}
            for key, rows in self._rows.items()
        }

    def _read_modalities(self, path, data):
        for key in (modalities.CLIPART, modalities.SKETCH):
            archive = _read_npz(path, key + ".npz", data[key + ".npz"])
            images = archive["images"]
            self._rows[key] = archive["item"]
            if images.ndim == 3:
                images = np.repeat(images[..., None], 3, axis=-1)
            self._values[key] = images
        archive = _read_npz(path, "sound.npz", data["sound.npz"])
        self._rows[modalities.SOUND] = archive["item"]
        self._values[modalities.SOUND] = _decode_sound(
            archive["mulaw"],
            archive["offsets"],
            int(self.manifest["sound_storage"]["rate"]),
        )
        rows, texts = zip(*json.loads(data["description.json"]))
        self._rows[modalities.DESCRIPTION] = np.array(rows, np.int32)
        self._values[modalities.DESCRIPTION] = np.array(texts, dtype=object)

    def arrays(self, modality, split):
        """Returns `(x, y)` of one weakly aligned modality and split.

        Images are uint8 `[N, S, S, 3]` (sketches are grey, repeated over the
        channels); `description` is an object array of python `str`; `sound`
        is float32 `[N, samples]` in [-1, 1] at 16 kHz, zero-padded to the
        longest clip of the benchmark. `y` is int64 labels.

        Split `"ood"` is out of distribution (for the modalities' encoders,
        never used in training): drawings in no other role, clip art
        scaled, rotated and moved over coloured, graded, striped or noisy
        backgrounds; sketches with other stroke widths, scales and
        positions; descriptions in other phrasings; speech from other
        espeak-ng voices, speeds and pitches, with silence and faint noise.

        Args:
            modality: str. One of `self.modalities`.
            split: str. One of `"train"`, `"val"`, `"test"`, `"ood"`.

        Raises:
            ValueError: for an unknown modality or split.
        """
        self._check(modality, split)
        ids = np.flatnonzero((self._role == modality) & (self._split == split))
        return self._take(modality, ids), self._labels[ids]

    def paired(self, split):
        """Returns the See-Hear-Read paired data of one split.

        For `split="train"`: `{"image_sound": {"clipart", "sound", "label"},
        "image_text": {"clipart", "description", "label"}}`; the two sets
        come from disjoint items, so no item links sound to text during
        training. For `"val"`/`"test"`: `{"clipart", "description", "sound",
        "label"}`, row `i` of every key being the same item (triplets), for
        evaluating every retrieval direction including sound <-> text.

        Args:
            split: str. One of `"train"`, `"val"`, `"test"`.

        Raises:
            ValueError: for an unknown split.
        """
        _check_choice("split", split, PAIRED_SPLITS)
        paired = self._role == "paired"
        if split != "train":
            ids = np.flatnonzero(paired & (self._split == split))
            keys = (
                modalities.CLIPART,
                modalities.DESCRIPTION,
                modalities.SOUND,
            )
            return self._bundle(ids, keys)
        sets = {
            "image_sound": (modalities.CLIPART, modalities.SOUND),
            "image_text": (modalities.CLIPART, modalities.DESCRIPTION),
        }
        return {
            name: self._bundle(
                np.flatnonzero(paired & (self._pairing == name)), keys
            )
            for name, keys in sets.items()
        }

    def paired_triplets(self):
        """Every paired item, of every split, as a triplet.

        `{"clipart", "description", "sound", "label", "split"}` in manifest
        order (`"split"`: object array of `"train"`/`"val"`/`"test"`), so an
        experiment can draw other splits of the paired part (training
        items are stored with all three modalities, though `paired("train")`
        gives each only the two of its pair set).

        Example:
        >>> bench = cm_zoo.data.clipart_benchmark.load()
        >>> items = bench.paired_triplets()
        >>> len(items["label"]) == sum(
        ...     len(bench.paired(s)["label"]) for s in ("val", "test")
        ...     ) + sum(len(p["label"]) for p in bench.paired("train").values())
        True
        """
        ids = np.flatnonzero(self._role == "paired")
        keys = (modalities.CLIPART, modalities.DESCRIPTION, modalities.SOUND)
        bundle = self._bundle(ids, keys)
        bundle["split"] = self._split[ids].astype(object)
        return bundle

    def lexicon(self):
        """Returns the WordNet lexicon: `(texts, labels)`, text only.

        One item per WordNet noun synset of a category (its synset and
        hyponyms a few levels down), as `"<lemmas joined by ', '>: <gloss>"`
        without the category's giveaway words (lemmas holding one are
        dropped, glosses scrubbed; so "eagle, bird of Jove" becomes
        "eagle"); hyponyms whose lemmas also belong to another category are
        left out. Not part of any split:
        training data for the description encoder's vocabulary (e.g.
        "parrot" or "sparrow" -> bird). Sorted by label, then text.

        Returns:
            `texts`: object array of python `str`; `labels`: int64 array.

        Raises:
            ValueError: if this build has no lexicon (built before it was
                added).

        Example:
        >>> bench = cm_zoo.data.clipart_benchmark.load()
        >>> texts, labels = bench.lexicon()
        >>> texts.dtype, labels.dtype, len(texts) == len(labels)
        (dtype('O'), dtype('int64'), True)
        >>> i = next(i for i, t in enumerate(texts) if t.startswith("eagle:"))
        >>> print(texts[i])  # doctest: +NORMALIZE_WHITESPACE
        eagle: any of various large keen sighted diurnal of prey noted for
        their broad wings and strong soaring flight
        >>> bench.class_names[labels[i]]
        'bird'
        """
        if self._lexicon is None:
            raise ValueError(
                f"This clip-art benchmark build has no lexicon: expected "
                f"{LEXICON_FILE!r} in manifest.json's files, found "
                f"{sorted(self.manifest['files'])}. Rebuild it with "
                "`python3 recipes/build_clipart_benchmark.py`."
            )
        labels = np.array([label for label, _ in self._lexicon], np.int64)
        texts = np.array([text for _, text in self._lexicon], dtype=object)
        return texts, labels

    def source_pool(self, split="train", views=1, seed=0):
        """Returns `(x, y)`: the source network's own clip art.

        Every usable openclipart drawing of the 28 categories that no
        target role (weakly aligned modalities, paired set, out-of-
        distribution split) uses, split 90/10 into train/val: the
        benchmark's stand-in for CMPlaces' 2.5 M natural images, disjoint
        from every target item (by SVG path, SVG sha256 and render).
        Stored as transparent renders; `views` > 1 makes more renders of
        each drawing at load time (`clipart_views.views`: view 0 on white,
        the others scaled, rotated and moved over varied backgrounds).

        Args:
            split: str. `"train"` or `"val"`. Defaults to `"train"`.
            views: int. Renders per drawing. Defaults to 1.
            seed: int. Seeds the varied views. Defaults to 0.

        Returns:
            `x`: uint8 `[N * views, S, S, 3]`, the views of drawing `i` in
            rows `i * views` to `i * views + views - 1`; `y`: int64 labels.

        Raises:
            ValueError: for an unknown split, or a build without a pool.

        Example:
        >>> bench = cm_zoo.data.clipart_benchmark.load()
        >>> x, y = bench.source_pool("val", views=2)
        >>> x.dtype, x.shape[1:], len(x) == len(y)
        (dtype('uint8'), (96, 96, 3), True)
        >>> bool((y[::2] == y[1::2]).all())
        True
        """
        _check_choice("split", split, SOURCE_SPLITS)
        if self._source is None:
            raise ValueError(
                f"This clip-art benchmark build has no source pool: expected "
                f"{SOURCE_FILE!r} in manifest.json's files, found "
                f"{sorted(self.manifest['files'])}. Rebuild it with "
                "`python3 recipes/build_clipart_benchmark.py`."
            )
        ids = np.flatnonzero(
            (self._role == SOURCE_ROLE) & (self._split == split)
        )
        rgba = self._pool_rgba()[[self._pool_row[int(i)] for i in ids]]
        x = clipart_views.views(rgba, views, seed)
        return x, np.repeat(self._labels[ids], views)

    def _pool_rgba(self):
        """Decodes the pool's PNGs once: uint8 `[N, S, S, 4]`."""
        if self._source_rgba is None:
            png, offsets = self._source["png"], self._source["offsets"]
            self._source_rgba = np.stack(
                [
                    np.asarray(Image.open(io.BytesIO(png[a:b].tobytes())))
                    for a, b in zip(offsets[:-1], offsets[1:])
                ]
            )
            self._pool_row = {
                int(item): n for n, item in enumerate(self._source["item"])
            }
        return self._source_rgba

    def _bundle(self, ids, keys):
        bundle = {key: self._take(key, ids) for key in keys}
        bundle["label"] = self._labels[ids]
        return bundle

    def _take(self, modality, ids):
        position = self._position[modality]
        return self._values[modality][[position[int(i)] for i in ids]]

    def _check(self, modality, split):
        _check_choice("modality", modality, self.modalities)
        _check_choice("split", split, SPLITS)


def _check_choice(name, value, options):
    if value not in options:
        raise ValueError(
            f"Unknown {name} {value!r} for the clip-art benchmark. "
            f"Expected one of {list(options)}."
        )


def _read_bytes(file_path, missing_message):
    """The bytes of `file_path`; `ValueError(missing_message)` if absent."""
    if not os.path.isfile(file_path):
        raise ValueError(missing_message)
    with open(file_path, "rb") as f:
        return f.read()


def _read_checked(path, name, digest):
    file_path = os.path.join(path, name)
    raw = _read_bytes(
        file_path,
        f"Clip-art benchmark file missing: expected {file_path!r} "
        f"(listed in manifest.json), found no such file.",
    )
    found = hashlib.sha256(raw).hexdigest()
    if found != digest:
        raise ValueError(
            f"Clip-art benchmark file {file_path!r} is corrupt: expected "
            f"sha256 {digest}, found {found}."
        )
    return raw


def _parse_manifest(manifest_path, raw):
    """The manifest as a dict, refused naming the file if it is unusable."""
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Clip-art benchmark manifest {manifest_path!r} is not JSON: "
            f"{error}."
        ) from None
    missing = [
        key
        for key in MANIFEST_FIELDS
        if not isinstance(manifest, dict) or key not in manifest
    ]
    if missing:
        raise ValueError(
            f"Clip-art benchmark manifest {manifest_path!r} lacks {missing}; "
            "rebuild it with recipes/build_clipart_benchmark.py."
        )
    return manifest


class _NpzArrays(dict):
    """The arrays of one `.npz` file; a missing one is named with the file."""

    def __init__(self, file_path, arrays):
        super().__init__(arrays)
        self.file_path = file_path

    def __missing__(self, key):
        raise ValueError(
            f"Clip-art benchmark file {self.file_path!r} has no array "
            f"{key!r}. Found: {sorted(self)}"
        )


def _read_npz(path, name, raw):
    """Every array of the `.npz` bytes `raw`, errors naming the file."""
    file_path = os.path.join(path, name)
    try:
        with np.load(io.BytesIO(raw)) as archive:
            return _NpzArrays(file_path, {k: archive[k] for k in archive.files})
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ValueError(
            f"Clip-art benchmark file {file_path!r} is not a readable .npz "
            f"archive ({type(error).__name__}: {error}). Its sha256 matches "
            "manifest.json, so it was damaged before the hash was recorded "
            "or both were changed; rebuild the benchmark with "
            "recipes/build_clipart_benchmark.py."
        ) from error


def _decode_sound(mulaw, offsets, rate):
    """8-bit mu-law at `rate` -> float32 [N, samples] at 16 kHz, padded.

    Upsampling is linear interpolation (the stored band ends at rate / 2).
    """
    mu = 255.0
    y = mulaw.astype(np.float32) / mu * 2.0 - 1.0
    audio = np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu
    factor = SOUND_RATE / rate
    clips = []
    for start, stop in zip(offsets[:-1], offsets[1:]):
        clip = audio[start:stop]
        times = np.arange(int(round(clip.size * factor))) / factor
        clips.append(np.interp(times, np.arange(clip.size), clip))
    out = np.zeros((len(clips), max(c.size for c in clips)), np.float32)
    for row, clip in zip(out, clips):
        row[: clip.size] = clip
    return out

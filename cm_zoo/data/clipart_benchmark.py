"""The embedded clip-art benchmark: real, small, weakly aligned data.

Built by `recipes/build_clipart_benchmark.py` from Debian's public-domain
openclipart SVGs, WordNet glosses and espeak-ng speech; see
`cm_zoo/data/embedded/clipart_benchmark/README.md` for its contents.
"""

import hashlib
import io
import json
import os

import numpy as np
from PIL import Image

from cm_zoo import modalities
from cm_zoo.data import clipart_views
from cm_zoo.data._clipart_files import check_choice
from cm_zoo.data._clipart_files import decode_sound
from cm_zoo.data._clipart_files import parse_manifest
from cm_zoo.data._clipart_files import read_bytes
from cm_zoo.data._clipart_files import read_checked
from cm_zoo.data._clipart_files import read_npz
from cm_zoo.data._clipart_paired import PairedViews

EMBEDDED_PATH = os.path.join(
    os.path.dirname(__file__), "embedded", "clipart_benchmark"
)
SPLITS = ("train", "val", "test", "ood")
SOURCE_SPLITS = ("train", "val")
SOURCE_ROLE = "source"
LEXICON_FILE = "lexicon.json"
SOURCE_FILE = "source.npz"


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


class ClipartBenchmark(PairedViews):
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
        raw = read_bytes(
            manifest_path,
            f"No clip-art benchmark at {path!r}: expected "
            f"{manifest_path!r}, found no such file.",
        )
        self.manifest_sha256 = hashlib.sha256(raw).hexdigest()
        self.manifest = parse_manifest(manifest_path, raw)
        self.class_names = list(self.manifest["class_names"])
        self.source_modality = self.manifest["source_modality"]
        self.modalities = tuple(self.manifest["modalities"])
        self.holdout_categories = list(self.manifest["holdout_categories"])
        self.image_size = int(self.manifest["image_size"])
        data = {
            name: read_checked(path, name, digest)
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
            self._source = read_npz(path, SOURCE_FILE, data[SOURCE_FILE])
        self._source_rgba = None
        self._pool_row = None
        self._position = {
            key: {int(item): n for n, item in enumerate(rows)}
            for key, rows in self._rows.items()
        }

    def _read_modalities(self, path, data):
        for key in (modalities.CLIPART, modalities.SKETCH):
            archive = read_npz(path, key + ".npz", data[key + ".npz"])
            images = archive["images"]
            self._rows[key] = archive["item"]
            if images.ndim == 3:
                images = np.repeat(images[..., None], 3, axis=-1)
            self._values[key] = images
        archive = read_npz(path, "sound.npz", data["sound.npz"])
        self._rows[modalities.SOUND] = archive["item"]
        self._values[modalities.SOUND] = decode_sound(
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

    def sources(self, modality, split):
        """The openclipart SVG path (relative) of each item of `arrays`.

        In the same order as `arrays(modality, split)`, e.g. to read the
        same drawings as Debian's `openclipart-png` renders them.

        Example:
        >>> bench = cm_zoo.data.clipart_benchmark.load()
        >>> bench.sources("clipart", "ood")[0].endswith(".svg")
        True
        """
        self._check(modality, split)
        ids = np.flatnonzero((self._role == modality) & (self._split == split))
        items = self.manifest["items"]
        return [items[i]["source"] for i in ids]

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
        check_choice("split", split, SOURCE_SPLITS)
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
        check_choice("modality", modality, self.modalities)
        check_choice("split", split, SPLITS)

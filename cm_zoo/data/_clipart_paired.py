"""The clip-art benchmark's paired part: the See-Hear-Read protocol's data.

`ClipartBenchmark` inherits these views of its paired items: the same item
seen as clip art, heard as speech and read as text.
"""

import numpy as np

from cm_zoo import modalities
from cm_zoo.data._clipart_files import check_choice

PAIRED_SPLITS = ("train", "val", "test")


class PairedViews:
    """`paired(split)` and `paired_triplets()` of `ClipartBenchmark`.

    A mixin: it reads the benchmark's per-item `_role`, `_split` and
    `_pairing` arrays and gathers rows with its `_bundle`.
    """

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
        check_choice("split", split, PAIRED_SPLITS)
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

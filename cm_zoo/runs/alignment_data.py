"""A new modality's labelled files: a folder per class or a list file.

What `recipes/align_modality.py --data` reads, into in-memory arrays for
`make_multimodal_dataset`. A folder holds one sub-folder per class, named
after one of the model's classes; a list file holds `path label` lines
(`cm_zoo.data.read_list_file`, label a class name or index). Files are
decoded by `cm_zoo.data.make_list_dataset`: pictures (`.png`, `.jpg`,
`.jpeg`, `.bmp`, `.gif`), UTF-8 text (`.txt`, one item per file, or per
non-empty line with `lines_as_items`) and sound (`.wav` 16-bit PCM or
`.flac`, any rate, resampled to 16 kHz).
"""

import dataclasses
import os
import warnings

import numpy as np
import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.data import make_list_dataset
from cm_zoo.data import read_list_file

SUFFIXES = {
    "image": (".png", ".jpg", ".jpeg", ".bmp", ".gif"),
    modalities.DESCRIPTION: (".txt",),
    modalities.SOUND: (".wav", ".flac"),
}
# The canonical key whose list-file decoder reads each input kind.
DECODER_KEYS = {
    "image": modalities.SKETCH,
    modalities.DESCRIPTION: modalities.DESCRIPTION,
    modalities.SOUND: modalities.SOUND,
}


@dataclasses.dataclass
class LabelledData:
    """Decoded items of one modality and what could not be read.

    Attributes:
        x: array. Items (uint8 images, float32 waveforms zero-padded to
            the longest, or str texts), first axis the item.
        y: int64 array. Class indices into the model's class names.
        skipped: list of `(path, reason)` of unreadable files skipped
            (`on_corrupt="skip"`).
    """

    x: np.ndarray
    y: np.ndarray
    skipped: list

    def report(self, source):
        """What was read from `source`: each file skipped, then the counts.

        Example:
        >>> from cm_zoo.runs.alignment_data import LabelledData
        >>> data = LabelledData(np.zeros(3), np.array([0, 1, 1]),
        ...     [("a.png", "not a picture")])
        >>> print(data.report("my_data/"))
          skipped a.png: not a picture
        my_data/: 3 items of 2 classes, 1 unreadable skipped
        """
        lines = [f"  skipped {path}: {why}" for path, why in self.skipped]
        lines.append(
            f"{source}: {len(self.y)} items of {len(set(self.y.tolist()))} "
            f"classes, {len(self.skipped)} unreadable skipped"
        )
        return "\n".join(lines)


def list_labelled_files(data, kind, class_names):
    """Returns `(paths, labels)` of a class-folder tree or a list file.

    Raises:
        ValueError: for a missing path, a folder named after no class
            (listing the classes), a class folder without a file of this
            kind (naming it), or a list line with an unknown label.
    """
    if os.path.isfile(data):
        return read_list_file(data, class_names=class_names)
    if not os.path.isdir(data):
        raise ValueError(
            f"--data {data!r} is neither a folder of class folders nor a "
            "list file of `path label` lines."
        )
    folders = sorted(
        name
        for name in os.listdir(data)
        if os.path.isdir(os.path.join(data, name))
    )
    unknown = [name for name in folders if name not in class_names]
    if unknown or not folders:
        raise ValueError(
            f"{data!r}: folders {unknown or '(none)'} are not classes of the "
            f"model; expected one folder per class named after one of "
            f"{list(class_names)}."
        )
    paths, labels = [], []
    for name in folders:
        files = _files_of_kind(os.path.join(data, name), kind)
        if not files:
            raise ValueError(
                f"Class folder {os.path.join(data, name)!r} is empty: no "
                f"{' / '.join(SUFFIXES[kind])} file in it."
            )
        paths += files
        labels += [class_names.index(name)] * len(files)
    return paths, np.array(labels, np.int64)


def _files_of_kind(folder, kind):
    return [
        os.path.join(root, name)
        for root, _, names in sorted(os.walk(folder))
        for name in sorted(names)
        if name.lower().endswith(SUFFIXES[kind])
    ]


def read_labelled_data(
    data,
    kind,
    class_names,
    *,
    list_dir,
    image_size=None,
    on_corrupt="raise",
    lines_as_items=False,
):
    """Reads every labelled item of `data` into memory.

    Args:
        data: str. A folder of class folders or a list file.
        kind: str. Input kind: `"image"`, `"description"` or `"sound"`.
        class_names: list of str. The model's classes.
        list_dir: str. Where the list file of a folder is written.
        image_size: int. Pictures are decoded at this square size.
        on_corrupt: str. `"raise"`: stop at the first unreadable file,
            naming it; `"skip"`: drop it, warn, and list it in `skipped`.
        lines_as_items: bool. Each non-empty line of a text file is an
            item. Defaults to `False` (one item per file).

    Returns:
        `LabelledData`.

    Raises:
        ValueError: for the errors of `list_labelled_files`, an unreadable
            file under `on_corrupt="raise"` (naming it), or no readable
            item at all.
    """
    paths, labels = list_labelled_files(data, kind, class_names)
    if lines_as_items and kind == modalities.DESCRIPTION:
        items, labels, skipped = _text_lines(paths, labels, on_corrupt)
    else:
        items, labels, skipped = _decoded(
            paths, labels, kind, list_dir, image_size, on_corrupt
        )
    if not items:
        raise ValueError(f"No readable item in {data!r}: {skipped[:3]}...")
    return LabelledData(_stack(items, kind), np.array(labels), skipped)


def _decoded(paths, labels, kind, list_dir, image_size, on_corrupt):
    """Decodes through `make_list_dataset` (a list of absolute paths)."""
    os.makedirs(list_dir, exist_ok=True)
    list_path = os.path.join(list_dir, "items.txt")
    with open(list_path, "w", encoding="utf-8") as handle:
        for path, label in zip(paths, labels):
            handle.write(f"{os.path.abspath(path)} {int(label)}\n")
    dataset, report = make_list_dataset(
        list_path,
        DECODER_KEYS[kind],
        root="/",
        image_size=image_size if kind == "image" else None,
        on_corrupt=on_corrupt,
    )
    items, found = [], []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for x, y in dataset.as_numpy_iterator():
                items.append(x)
                found.append(int(y))
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(
            f"{error.message.splitlines()[0]} (pass --on-corrupt skip to "
            "leave unreadable files out)."
        ) from None
    return items, found, list(report.skipped)


def _text_lines(paths, labels, on_corrupt):
    items, found, skipped = [], [], []
    for path, label in zip(paths, labels):
        try:
            with open(path, encoding="utf-8") as handle:
                lines = [line.strip() for line in handle if line.strip()]
        except (OSError, UnicodeDecodeError) as error:
            if on_corrupt == "raise":
                raise ValueError(
                    f"description file {path!r} unreadable: {error} (pass "
                    "--on-corrupt skip to leave unreadable files out)."
                ) from None
            skipped.append((path, str(error)))
            continue
        items += lines
        found += [int(label)] * len(lines)
    return items, found, skipped


def _stack(items, kind):
    if kind == modalities.DESCRIPTION:
        return np.array(
            [i.decode("utf-8") if isinstance(i, bytes) else i for i in items],
            dtype=object,
        )
    if kind == modalities.SOUND:
        longest = max(len(i) for i in items)
        return np.stack([np.pad(i, (0, longest - len(i))) for i in items])
    return np.stack(items)

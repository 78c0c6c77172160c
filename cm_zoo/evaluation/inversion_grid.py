"""Feature-inversion figure from arrays: inputs above their reconstructions.

CMPlaces section 5.5 (Figure 8): items of every modality, each shown next
to the image a decoder trained on one modality reconstructs from its
`pool5`. Running the model and the decoder is the caller's job.
"""

import textwrap

import numpy as np

from cm_zoo import modalities


def draw_inversion_grid(
    path,
    inputs,
    reconstructions,
    *,
    target_modality,
    column_labels=None,
    title=None,
):
    """Writes a PNG: per modality, a row of inputs and a row of their decodings.

    Columns are items (e.g. one per category, the same categories for
    every modality, so a column compares modalities). Image items are
    shown as images, text items in a wrapped text box.

    Args:
        path: str or path-like. The PNG to write.
        inputs: dict `{modality: items}`: uint8 images `[n, H, W, 3]` for
            pixel modalities, a sequence of `n` str otherwise.
        reconstructions: dict `{modality: uint8 array [n, S, S, 3]}`, same
            keys and counts as `inputs`.
        target_modality: str. The modality the decoder reconstructs (row
            labels read `LDR → CLP`).
        column_labels: optional list of `n` str above the columns.
            Defaults to `None`.
        title: optional str above the figure. Defaults to `None`.

    Returns:
        `path`.

    Raises:
        ValueError: on an unknown modality, mismatched keys or counts, or
            reconstructions that are not uint8 `[n, S, S, 3]`.

    Example:
    >>> import os, tempfile
    >>> from cm_zoo.evaluation import inversion_grid
    >>> path = os.path.join(tempfile.mkdtemp(), "inversion.png")
    >>> _ = inversion_grid.draw_inversion_grid(
    ...     path,
    ...     {"sketch": np.zeros((2, 9, 9, 3), np.uint8),
    ...      "description": ["a beach", "a kitchen"]},
    ...     {m: np.zeros((2, 4, 4, 3), np.uint8)
    ...      for m in ("sketch", "description")},
    ...     target_modality="clipart", column_labels=["beach", "kitchen"])
    >>> os.path.getsize(path) > 0
    True
    """
    from matplotlib import figure
    from matplotlib.backends import backend_agg

    num_items = _check(inputs, reconstructions, target_modality)
    target = modalities.SHORT_NAMES[target_modality]
    rows = []
    for modality, items in inputs.items():
        name = modalities.SHORT_NAMES[modality]
        rows.append((f"{name}\ninput", items))
        rows.append((f"{name} → {target}", reconstructions[modality]))
    fig = figure.Figure(figsize=(1.3 * num_items + 1.0, 1.35 * len(rows)))
    backend_agg.FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), num_items, squeeze=False)
    for row, (label, items) in enumerate(rows):
        for column in range(num_items):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            item = items[column]
            if isinstance(item, np.ndarray):
                axis.imshow(item, interpolation="nearest")
            else:
                draw_text_cell(axis, str(item))
        axes[row, 0].set_ylabel(
            label, fontsize=7, rotation=0, ha="right", va="center"
        )
    for column, text in enumerate(column_labels or []):
        axes[0, column].set_title(text, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=80)
    return path


def draw_text_cell(axis, text, *, width=18, max_chars=110):
    """Draws `text`, shortened and wrapped, in a box centred in `axis`."""
    axis.text(
        0.5,
        0.5,
        textwrap.fill(
            textwrap.shorten(text, width=max_chars, placeholder=" …"),
            width=width,
        ),
        ha="center",
        va="center",
        fontsize=5.5,
        bbox={"boxstyle": "round", "facecolor": "#f4f1e8"},
        transform=axis.transAxes,
    )


def _check(inputs, reconstructions, target_modality):
    """Validates the two dicts; returns the item count per row."""
    modalities.validate(target_modality)
    if not inputs or set(inputs) != set(reconstructions):
        raise ValueError(
            "`inputs` and `reconstructions` must have the same non-empty "
            f"modality keys. Received {list(inputs)} and "
            f"{list(reconstructions)}"
        )
    counts = set()
    for modality, items in inputs.items():
        modalities.validate(modality)
        decoded = reconstructions[modality]
        if (
            not isinstance(decoded, np.ndarray)
            or decoded.dtype != np.uint8
            or decoded.ndim != 4
        ):
            raise ValueError(
                f"`reconstructions[{modality!r}]` must be a uint8 array "
                f"[n, S, S, 3]. Received: {getattr(decoded, 'shape', None)} "
                f"{getattr(decoded, 'dtype', type(decoded).__name__)}"
            )
        counts.update({len(items), decoded.shape[0]})
    if len(counts) != 1 or 0 in counts:
        raise ValueError(
            "Every modality needs the same number (> 0) of inputs and "
            f"reconstructions. Found counts {sorted(counts)}"
        )
    return counts.pop()

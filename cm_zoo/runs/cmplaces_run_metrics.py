"""What a CMPlaces run records of its trained backbone, and the summary.

Each method's `metrics.json` holds `evaluate_backbone`'s suite; the
experiment's `summary.md` tables every method's retrieval side by side.
"""

import numpy as np

from cm_zoo import modalities
from cm_zoo.evaluation import RETRIEVAL_LAYERS
from cm_zoo.evaluation import cmplaces_metrics
from cm_zoo.evaluation import layer_table
from cm_zoo.evaluation import modality_invariance
from cm_zoo.evaluation import retrieval_table
from cm_zoo.models import cmplaces
from cm_zoo.models import extract_features


def description_split(retrieval):
    """Mean mAP of the pairs with a description and of the other pairs
    (the paper's BL-Individual fails on the first, not on the second).

    Args:
        retrieval: dict. A `cross_modal_retrieval` result (its `"pairs"`).

    Returns:
        `{"with_description": float, "other_pairs": float}`, a part left
        out when no pair falls in it.

    Example:
    >>> description_split({"pairs": {
    ...     ("clipart", "description"): {"map": 0.25},
    ...     ("sketch", "description"): {"map": 0.75},
    ...     ("clipart", "sketch"): {"map": 0.625}}})
    {'with_description': 0.5, 'other_pairs': 0.625}
    """
    parts = {"with_description": [], "other_pairs": []}
    for pair, result in retrieval["pairs"].items():
        with_description = modalities.DESCRIPTION in pair
        part = "with_description" if with_description else "other_pairs"
        parts[part].append(result["map"])
    return {part: float(np.mean(v)) for part, v in parts.items() if v}


def evaluate_backbone(backbone, bench, names, job):
    """The CMPlaces metric suite of `backbone` on `job.eval_split`.

    `cmplaces_metrics` (retrieval per layer, classification), the modality
    probe's accuracy on fc7 (`modality_invariance`: lower is more
    invariant) and fc7 mAP of pairs with / without descriptions
    (`description_split`).

    Args:
        backbone: `CrossModalBackbone`. The trained backbone.
        bench: `ClipartBenchmark`. The data.
        names: list of str. The modalities to evaluate.
        job: `CMPlacesJob`. Its split, holdout and seed.

    Returns:
        dict. The metrics of `metrics.json`.

    Example:
    >>> from cm_zoo.models import CrossModalBackbone
    >>> from cm_zoo.runs import CMPlacesJob
    >>> names = ["sketch", "description"]
    >>> backbone = CrossModalBackbone.from_preset(
    ...     "cmplaces_alexnet_tiny", modalities=names, num_classes=28)
    >>> training = cm_zoo.presets.get("cmplaces_alexnet_tiny").training
    >>> job = CMPlacesJob(preset="cmplaces_alexnet_tiny", training=training,
    ...                   eval_split="val")
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> metrics = evaluate_backbone(backbone, bench, names, job)
    >>> sorted(metrics)  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'description_split_fc7', 'modality_probe_fc7',
     'retrieval', 'retrieval_full']
    >>> list(metrics["description_split_fc7"])
    ['with_description']
    """
    inputs, labels = {}, {}
    for modality in names:
        inputs[modality], labels[modality] = bench.arrays(
            modality, job.eval_split
        )
    features = extract_features(
        backbone, inputs, layers=RETRIEVAL_LAYERS + ("logits",)
    )
    metrics = cmplaces_metrics(
        features,
        labels,
        holdout=job.holdout,
        source_modality=bench.source_modality,
    )
    fc7 = {m: (features["fc7"][m], labels[m]) for m in names}
    metrics["modality_probe_fc7"] = modality_invariance(fc7, seed=job.seed)
    metrics["description_split_fc7"] = description_split(
        metrics["retrieval"]["fc7"]
    )
    return metrics


def write_summary(root, results):
    """`summary.md`: Tables 1-3 (fc7 mAP, PR@10, layers) of every method.

    Args:
        root: `RunDirectory`. The experiment's directory.
        results: dict. `{method: evaluate_backbone's metrics}`.

    Example:
    >>> import tempfile
    >>> from cm_zoo.evaluation import cross_modal_retrieval
    >>> rng = np.random.default_rng(0)
    >>> labels = np.arange(20) % 4
    >>> features = {m: (rng.normal(size=(20, 8)), labels)
    ...             for m in ("clipart", "sketch")}
    >>> retrieval = cross_modal_retrieval(features, protocol="full")
    >>> layers = dict.fromkeys(("pool5", "fc6", "fc7"), retrieval)
    >>> root = cm_zoo.runs.RunDirectory(tempfile.mkdtemp())
    >>> write_summary(root, {"C": {"retrieval": layers}})
    >>> text = (root.path / "summary.md").read_text()
    >>> [line for line in text.splitlines() if line.startswith("#")]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['# Cross-Modal Scene Networks on the embedded benchmark',
     '## Cross-modal retrieval mAP (fc7)',
     '## Cross-modal retrieval PR@10 (fc7)', '## Mean mAP across layers']
    """
    label = {m: cmplaces.get_method(m).label for m in results}
    fc7 = {label[m]: r["retrieval"]["fc7"] for m, r in results.items()}
    layers = {label[m]: r["retrieval"] for m, r in results.items()}
    sections = [
        "# Cross-Modal Scene Networks on the embedded benchmark",
        "## Cross-modal retrieval mAP (fc7)",
        retrieval_table(fc7, "map"),
        "## Cross-modal retrieval PR@10 (fc7)",
        retrieval_table(fc7, "pr_at_k"),
        "## Mean mAP across layers",
        layer_table(layers),
    ]
    root.write_text("summary.md", "\n\n".join(sections) + "\n")

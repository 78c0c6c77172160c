"""Evaluation of trained CMPlaces runs: metrics, figures, report notes.

`evaluate_run` is what `recipes/evaluate.py` runs for each run directory:
it embeds the test split once (pool5, fc6, fc7, logits) and every analysis
reuses those features: the metric suite (`cmplaces_metrics`), modality
invariance (probe + t-SNE), the fc7 unit grid and pool5 feature inversion.
"""

import contextlib
import dataclasses
import time

import numpy as np

from cm_zoo import modalities
from cm_zoo.evaluation import RETRIEVAL_LAYERS
from cm_zoo.evaluation import cmplaces_metrics
from cm_zoo.evaluation import distinctive_words
from cm_zoo.evaluation import draw_inversion_grid
from cm_zoo.evaluation import draw_unit_grid
from cm_zoo.evaluation import modality_invariance
from cm_zoo.evaluation import plot_tsne
from cm_zoo.evaluation import quantize_png
from cm_zoo.evaluation import selective_units
from cm_zoo.evaluation import top_activating_items
from cm_zoo.models import extract_features
from cm_zoo.models import fit_feature_inversion

# run_config.json "args" worth quoting in the report header.
TRAINING_SETTINGS = (
    "source_epochs",
    "epochs",
    "freeze_epochs",
    "steps_per_epoch",
    "batch_size",
    "optimizer",
    "num_components",
    "seed",
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvaluationSettings:
    """Sizes of the analyses of `evaluate_run`.

    Args:
        num_queries: int. Retrieval queries per modality (paper protocol).
        num_units: int. fc7 units in the unit grid.
        items_per_unit: int. Top items shown per unit and modality.
        tsne_per_modality: int. Items per modality in the probe and t-SNE.
        inversion_items: int. Categories shown in the inversion grid.
        inversion_epochs: int. Epochs of the inversion decoder.
        inversion_size: int. Side of the decoded images.
        seed: int. Seeds query draws, probes, t-SNE and the decoder.
    """

    num_queries: int = 1000
    num_units: int = 3
    items_per_unit: int = 4
    tsne_per_modality: int = 1000
    inversion_items: int = 6
    inversion_epochs: int = 20
    inversion_size: int = 32
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class _TestSplit:
    """A run's backbone with the benchmark's test split and its features.

    `inputs` and `labels` map each modality of the run to its test arrays;
    `features` maps each layer (pool5, fc6, fc7, logits) to those of every
    modality, embedded once for all the analyses.
    """

    backbone: object
    bench: object
    inputs: dict
    labels: dict
    features: dict
    class_names: list

    @property
    def fc7(self):
        """`{modality: (fc7 features, labels)}`, as the analyses take them."""
        return {m: (self.features["fc7"][m], y) for m, y in self.labels.items()}


def evaluate_run(run, bench, settings, figures_dir):
    """All metrics and figures of one run; returns (name, label, result).

    Args:
        run: `RunDirectory`. A trained CMPlaces run.
        bench: `ClipartBenchmark`. Its test split is evaluated.
        settings: `EvaluationSettings`.
        figures_dir: path. Where the PNG figures go.
    """
    config = run.read_run_config()
    name = config.get("method", run.name)
    label = config.get("method_label", name)
    names = list(config["modalities"])
    holdout = [
        config["class_names"].index(c) for c in config["holdout_categories"]
    ]
    timing = {}
    with _timed(timing, "embed"):
        split = _embed_test_split(run, bench, names, config["class_names"])
    result = {"run_dir": str(run.path), "label": label, "modalities": names}
    with _timed(timing, "metrics"):
        result.update(
            cmplaces_metrics(
                split.features,
                split.labels,
                holdout=holdout,
                source_modality=bench.source_modality,
                num_queries=settings.num_queries,
                seed=settings.seed,
            )
        )
        result["invariance"] = modality_invariance(
            split.fc7,
            max_per_modality=settings.tsne_per_modality,
            seed=settings.seed,
        )
    result["figures"] = _draw_figures(
        split, (name, label), settings, figures_dir, result, timing
    )
    result["timing_seconds"] = timing
    return name, label, result


@contextlib.contextmanager
def _timed(timing, step):
    """Records the seconds the block takes as `timing[step]`."""
    started = time.time()
    yield
    timing[step] = time.time() - started


def _embed_test_split(run, bench, names, class_names):
    """Loads the run's backbone and embeds the test split of `names`."""
    backbone = run.load_backbone()
    inputs, labels = {}, {}
    for modality in names:
        inputs[modality], labels[modality] = bench.arrays(modality, "test")
    features = extract_features(
        backbone, inputs, layers=RETRIEVAL_LAYERS + ("logits",)
    )
    return _TestSplit(backbone, bench, inputs, labels, features, class_names)


def _draw_figures(split, names, settings, figures_dir, result, timing):
    """t-SNE, unit grid and (for an image source) inversion; their paths."""
    name, label = names
    figures = {"tsne": figures_dir / f"tsne_{name}.png"}
    with _timed(timing, "tsne"):
        plot_tsne(
            split.fc7,
            figures["tsne"],
            max_per_modality=settings.tsne_per_modality,
            seed=settings.seed,
            title=f"{label}: t-SNE of fc7 (test)",
        )
    figures["units"] = figures_dir / f"units_{name}.png"
    with _timed(timing, "units"):
        result["units"] = _draw_units(settings, split, figures["units"])
    source = split.bench.source_modality
    if source in split.labels and modalities.is_image(source):
        figures["inversion"] = figures_dir / f"inversion_{name}.png"
        with _timed(timing, "inversion"):
            result["inversion"] = _draw_inversion(
                settings, split, figures["inversion"]
            )
    for path in figures.values():
        quantize_png(path)
    return figures


def _unit_texts(modality, index, split):
    if modality == modalities.DESCRIPTION:
        return [[split.inputs[modality][i] for i in row] for row in index]
    return [
        [
            f"{modality} clip: {split.class_names[split.labels[modality][i]]}"
            for i in row
        ]
        for row in index
    ]


def _draw_units(settings, split, path):
    """fc7 unit grid: top test items per modality, tf-idf words."""
    fc7 = split.fc7
    units = selective_units(fc7, settings.num_units)["units"]
    top = top_activating_items(
        {m: x for m, (x, _) in fc7.items()}, units, k=settings.items_per_unit
    )
    images, texts = {}, {}
    for modality, index in top.items():
        if modalities.is_image(modality):
            images[modality] = split.inputs[modality][index]  # [U, k, H, W, 3]
        else:
            texts[modality] = _unit_texts(modality, index, split)
    words = (
        distinctive_words(
            split.inputs[modalities.DESCRIPTION], top[modalities.DESCRIPTION]
        )
        if modalities.DESCRIPTION in top
        else [[] for _ in units]
    )
    draw_unit_grid(
        path, units.tolist(), images=images, texts=texts, words=words
    )
    return {
        "units": units.tolist(),
        "words": words,
        "top_items": {m: index.tolist() for m, index in top.items()},
    }


def _draw_inversion(settings, split, path):
    """Trains the source-modality decoder, decodes one item per category."""
    source = split.bench.source_modality
    decoder, losses = fit_feature_inversion(
        split.backbone,
        split.bench.arrays(source, "train")[0],
        modality=source,
        image_size=settings.inversion_size,
        epochs=settings.inversion_epochs,
        seed=settings.seed,
    )
    shared = sorted(
        set.intersection(*(set(y.tolist()) for y in split.labels.values()))
    )
    rng = np.random.default_rng(settings.seed)
    count = min(settings.inversion_items, len(shared))
    categories = sorted(rng.choice(shared, size=count, replace=False).tolist())
    shown, decoded = {}, {}
    for modality, y in split.labels.items():
        index = [int(np.flatnonzero(y == c)[0]) for c in categories]
        shown[modality] = split.inputs[modality][index]
        if not modalities.is_image(modality):
            shown[modality] = [str(item) for item in shown[modality]]
        decoded[modality] = decoder.reconstruct(
            split.features["pool5"][modality][index]
        )
    draw_inversion_grid(
        path,
        shown,
        decoded,
        target_modality=source,
        column_labels=[split.class_names[c] for c in categories],
    )
    return {"target": source, "losses": losses, "categories": categories}


def report_notes(runs, bench, seed, seconds):
    """The paragraph under the report's title: runs, data, settings."""
    configs = [run.read_run_config() for run in runs]
    sizes = ", ".join(
        f"{modalities.SHORT_NAMES[m]} {len(bench.arrays(m, 'test')[1])}"
        for m in configs[0]["modalities"]
    )
    parents = {}
    for run in runs:
        parents.setdefault(run.path.parent.as_posix(), []).append(run.name)
    listed = "; ".join(f"`{p}/` ({', '.join(n)})" for p, n in parents.items())
    trained = configs[0].get("args", {})
    settings = ", ".join(
        f"{key} {trained[key]}"
        for key in TRAINING_SETTINGS
        if trained.get(key) is not None
    )
    notes = [
        f"Runs: {listed}; preset `{configs[0]['preset']}`"
        + (f"; trained with {settings}" if settings else "")
        + ". Test split of the clip-art benchmark "
        f"(manifest sha256 `{bench.manifest_sha256[:12]}`): {sizes} items, "
        f"{len(bench.class_names)} categories. Scores in percent; the best "
        f"of each column in bold. Evaluation seed {seed}; {seconds:.0f} s "
        f"for {len(runs)} runs."
    ]
    stale = [
        str(run.path)
        for run, config in zip(runs, configs)
        if config.get("data_manifest_sha256") != bench.manifest_sha256
    ]
    if stale:
        notes.append(
            f"**Warning:** {', '.join(stale)} were trained on another "
            "build of the benchmark (manifest sha256 differs)."
        )
    return notes

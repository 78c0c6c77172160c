"""The CMPlaces experiment: source network, priors, methods, metrics.

`train_cmplaces` is what `recipes/train_cmplaces.py` runs once its flags
are parsed: it trains (or reloads) the source network, fits (or reloads)
the StatReg priors, trains each method resumably and writes each run
directory (`RunDirectory`) with the metric suite of
`cm_zoo.evaluation.cmplaces_metrics`.
"""

import dataclasses
import time
import warnings

import keras
import numpy as np

from cm_zoo import modalities
from cm_zoo.atomic_files import read_json
from cm_zoo.data import make_multimodal_dataset
from cm_zoo.data.clipart_benchmark import SOURCE_FILE
from cm_zoo.evaluation import RETRIEVAL_LAYERS
from cm_zoo.evaluation import cmplaces_metrics
from cm_zoo.evaluation import cross_modal_retrieval
from cm_zoo.evaluation import layer_table
from cm_zoo.evaluation import modality_invariance
from cm_zoo.evaluation import retrieval_table
from cm_zoo.models import CrossModalClassifier
from cm_zoo.models import cmplaces
from cm_zoo.models import extract_features
from cm_zoo.presets import CMPlacesTraining
from cm_zoo.presets import get as get_preset
from cm_zoo.runs.best_on_validation import BestOnValidation
from cm_zoo.runs.best_on_validation import read_state
from cm_zoo.runs.generalisation import backbone_encoder
from cm_zoo.runs.generalisation import generalisation_metrics
from cm_zoo.runs.input_augmentation import augmented_dataset
from cm_zoo.runs.run_directory import RunDirectory
from cm_zoo.training import is_chief
from cm_zoo.training import remove_worker_directory
from cm_zoo.training import train_task
from cm_zoo.training import worker_directory

SOURCE_METRICS = "source_metrics.json"
DESCRIPTION = modalities.DESCRIPTION


@dataclasses.dataclass(frozen=True, kw_only=True)
class CMPlacesJob:
    """What `train_cmplaces` trains, besides the methods and the data.

    Args:
        preset: str. A `cmplaces_*` preset name.
        training: `cm_zoo.presets.CMPlacesTraining`. Hyperparameters.
        holdout: tuple of int. Class labels removed from the target
            modalities' training data (zero-shot protocol).
        statreg_layers: tuple of str. Layers regularized by StatReg.
        augment: str. Input variation of the training batches, one of
            `input_augmentation.AUGMENT_LEVELS` (in the data, never in a
            tower).
        include_val: bool. Also train on the val split (and the source
            pool's), once settings are chosen.
        include_paired: bool. Also train on the See-Hear-Read pairs' items
            (unpaired use; test items stay unseen).
        include_lexicon: bool. Also train descriptions on the WordNet
            lexicon.
        eval_split: str. Split of `metrics.json` (`"test"` or `"val"`).
        seed: int. Seeds weights, data order and query draws.
        save_every_steps: int or None. Also checkpoint every N steps.
        jit_compile: bool. XLA, for tasks without the description tower.
        verbose: int. Keras verbosity.
    """

    preset: str
    training: CMPlacesTraining
    holdout: tuple = ()
    statreg_layers: tuple = RETRIEVAL_LAYERS
    augment: str = "none"
    include_val: bool = False
    include_paired: bool = False
    include_lexicon: bool = False
    eval_split: str = "test"
    seed: int = 0
    save_every_steps: int | None = None
    jit_compile: bool = False
    verbose: int = 1


def training_items(bench, modality, job):
    """A modality's labelled training items, `(x, y)`, with the pairs'
    items (`job.include_paired`) and the WordNet lexicon for descriptions
    (`job.include_lexicon`)."""
    parts = [bench.arrays(modality, split) for split in _splits(job)]
    if job.include_paired:
        parts += [
            (pairs[modality], pairs["label"])
            for pairs in bench.paired("train").values()
            if modality in pairs
        ]
    if job.include_lexicon and modality == modalities.DESCRIPTION:
        parts.append(bench.lexicon())
    return tuple(np.concatenate(column) for column in zip(*parts))


def _splits(job):
    return ("train", "val") if job.include_val else ("train",)


def training_arrays(bench, names, job):
    """`{modality: (x, y)}`, held-out classes removed from target modalities."""
    arrays = {}
    for modality in names:
        x, y = training_items(bench, modality, job)
        if modality != bench.source_modality:
            keep = ~np.isin(y, job.holdout)
            x, y = x[keep], y[keep]
        arrays[modality] = (x, y)
    return arrays


def train_cmplaces(methods, bench, job, *, strategy, output, run_args):
    """Trains `methods` into run directories under `output`.

    Args:
        methods: list of str. Keys of `cm_zoo.models.cmplaces.METHODS`.
        bench: `ClipartBenchmark`. The data.
        job: `CMPlacesJob`. Everything else that decides the result.
        strategy: `tf.distribute.Strategy`. From
            `cm_zoo.training.strategy_from_arguments`.
        output: str or path. The experiment's run directory.
        run_args: dict. Recorded in each `run_config.json` as `args`.

    Returns:
        `{method: metrics}` (on a non-chief worker, `{"history": ...}`).
    """
    root = RunDirectory(output)
    out = RunDirectory(worker_directory(output, strategy))
    context = _Context(job, strategy, root, out, bench)
    source = _train_source(context)
    results = {}
    for method in methods:
        keras.utils.set_random_seed(job.seed)
        results[method] = _run_method(context, method, source, run_args)
    remove_worker_directory(out.path, strategy)
    if is_chief(strategy):
        write_summary(root, results)
    return results


@dataclasses.dataclass(frozen=True)
class _Context:
    job: CMPlacesJob
    strategy: object
    root: RunDirectory
    out: RunDirectory
    bench: object

    @property
    def config(self):
        return get_preset(self.job.preset).config(
            **dict(self.job.training.architecture)
        )


def _compile(context, task, names):
    training = context.job.training
    clip = {"global_clipnorm": training.clipnorm}
    if training.optimizer == "adam":
        optimizer = keras.optimizers.Adam(training.learning_rate, **clip)
    else:
        optimizer = keras.optimizers.SGD(
            training.learning_rate, momentum=training.momentum, **clip
        )
    task.compile(optimizer=optimizer, jit_compile=_use_jit(context, names))


def _use_jit(context, names):
    """XLA unless a tower hashes strings (tf.strings ops XLA can't compile)."""
    return context.job.jit_compile and modalities.DESCRIPTION not in names


def _fit(context, task, arrays, epochs, run_dir, callbacks=(), **data):
    """Trains a compiled `task` resumably; returns its history dict.

    `data` goes to `make_multimodal_dataset` (e.g. `balance_classes`)."""
    job = context.job
    return train_task(
        task,
        augmented_dataset(
            make_multimodal_dataset(
                arrays, job.training.batch_size, seed=job.seed, **data
            ),
            context.bench,
            job.augment,
            job.seed,
        ),
        strategy=context.strategy,
        run_dir=run_dir,
        epochs=epochs,
        steps_per_epoch=job.training.steps_per_epoch,
        callbacks=callbacks,
        save_every_steps=job.save_every_steps,
        jit_compile=_use_jit(context, list(arrays)),
        verbose=job.verbose,
    )


def source_pool(bench, job, split="train"):
    """The source network's data: the benchmark's source pool, `(x, y)`.

    Train has `job.training.source_views` renders of each drawing; val one
    (the drawing itself), so its score does not depend on the views. A
    benchmark built without a pool (no `source.npz` in its manifest, e.g.
    a test fixture) gives the source modality's own items of that split,
    with a warning: the source then knows no more than the targets."""
    if SOURCE_FILE not in bench.manifest["files"]:
        warnings.warn(
            "The benchmark has no source pool: the source network trains "
            f"on the {bench.source_modality!r} target items instead.",
            stacklevel=2,
        )
        return (
            training_items(bench, bench.source_modality, job)
            if (split == "train")
            else bench.arrays(bench.source_modality, split)
        )
    views = job.training.source_views if split == "train" else 1
    splits = _splits(job) if split == "train" else (split,)
    parts = [bench.source_pool(s, views=views, seed=job.seed) for s in splits]
    return tuple(np.concatenate(column) for column in zip(*parts))


def _train_source(context):
    """Trains the source-modality network on the source pool (classes
    balanced: the pool is as skewed as openclipart) for `source_epochs`,
    keeping the epoch of best balanced val accuracy on the pool's val
    split, or reloads the saved one."""
    saved = context.root.child("source").load_backbone_if_saved()
    if saved is not None:
        return saved
    bench, job = context.bench, context.job
    modality = bench.source_modality
    with context.strategy.scope():
        source = cmplaces.build_source_network(
            context.config, modality, num_classes=len(bench.class_names)
        )
        task = CrossModalClassifier(source, name="source")
        _compile(context, task, [modality])
    run_dir = context.root.path / "source"
    x_val, y_val = source_pool(bench, job, "val")

    def accuracy(model):
        logits = extract_features(
            model.backbone, {modality: x_val}, layers=("logits",)
        )["logits"][modality]
        return balanced_accuracy(logits, y_val)

    # Runs every source epoch: the pool's val accuracy over 28 classes,
    # some with 1-2 items, is too noisy to stop on; the best is kept.
    best = BestOnValidation(accuracy, run_dir, name="val_balanced_accuracy")
    epochs = epochs_left_to_run(run_dir, job.training.source_epochs)
    data = {modality: source_pool(bench, job)}
    _fit(context, task, data, epochs, run_dir, [best], balance_classes=True)
    context.out.child("source").write_json(
        SOURCE_METRICS,
        {"val_balanced_accuracy": accuracy(task), **read_state(run_dir)},
    )
    context.out.child("source").save_backbone(source)
    return source


def balanced_accuracy(logits, labels):
    """Mean over the classes present of each class's accuracy (the pool is
    as skewed as openclipart: 46% of its val split are stars)."""
    hits = logits.argmax(axis=1) == labels
    return float(np.mean([hits[labels == c].mean() for c in set(labels)]))


def epochs_left_to_run(run_dir, epochs):
    """`epochs`, or the epochs run until an early stop: a stopped run,
    resumed, restores its last checkpoint and trains no further."""
    state = read_state(run_dir)
    return len(state["scores"]) if state["stopped"] else epochs


def _fit_priors(context, source, kind):
    """One prior per StatReg layer, fitted once and saved in `priors/`.

    The EM fit checkpoints every M-step there, so a run killed while
    fitting resumes and ends with the same prior.
    """
    job = context.job
    priors = context.root.load_priors(kind, job.statreg_layers)
    missing = [name for name in job.statreg_layers if name not in priors]
    if missing:
        x, _ = source_pool(context.bench, job)
        fitted = cmplaces.fit_source_priors(
            source,
            x,
            kind=kind,
            layers=missing,
            num_components=job.training.num_components,
            seed=job.seed,
            checkpoint_dir=str(context.out.em_checkpoint_dir(kind)),
            verbose=job.verbose,
        )
        for layer, prior in fitted.items():
            context.out.save_prior(kind, layer, prior)
        priors.update(fitted)
    return priors


def _run_method(context, method, source, run_args):
    job, bench = context.job, context.bench
    spec = cmplaces.get_method(method)
    names = [m for m in modalities.CMPLACES_MODALITIES if m in bench.modalities]
    priors = spec.prior and _fit_priors(context, source, spec.prior)
    with context.strategy.scope():
        task, curriculum = cmplaces.build_method(
            method,
            context.config,
            names,
            num_classes=len(bench.class_names),
            source=source,
            priors=priors,
            statreg_weight=job.training.statreg_weight,
            freeze_epochs=job.training.freeze_epochs,
        )
        _compile(context, task, names)
    started = time.time()
    history = _train_method(context, task, names, method, curriculum, source)
    seconds = time.time() - started
    if not is_chief(context.strategy):
        return {"history": history}
    metrics = evaluate_backbone(task.backbone, bench, names, job)
    metrics["generalisation"] = generalisation_metrics(
        backbone_encoder(task.backbone), bench, names, ("val", "test", "ood")
    )
    metrics.update(eval_split=job.eval_split, train_seconds=seconds)
    metrics["history"] = history
    metrics["early_stopping"] = read_state(context.root.path / method)
    metrics["source"] = read_json(context.root.path / "source" / SOURCE_METRICS)
    context.out.child(method).write_run(
        task.backbone, metrics, _run_config(context, method, names, run_args)
    )
    return metrics


def _train_method(context, task, names, method, curriculum, source):
    """Fits a method (drift logged, early-stopped on the val split's mean
    fc7 mAP, best weights restored); returns its history."""
    job = context.job
    run_dir = context.root.path / method
    val = {m: context.bench.arrays(m, "val") for m in names}
    k = min(10, *(len(y) for _, y in val.values()))  # PR@k is not used

    def mean_map(model):
        features = extract_features(model.backbone, {m: val[m][0] for m in val})
        fc7 = {m: (features["fc7"][m], val[m][1]) for m in val}
        retrieval = cross_modal_retrieval(
            fc7, k=k, within_modal=False, seed=job.seed
        )
        return {
            "val_map_fc7": retrieval["mean"]["map"],
            **{
                f"val_map_fc7_{part}": value
                for part, value in description_split(retrieval).items()
            },
        }

    callbacks = [cmplaces.HeadDrift(source)] if source is not None else []
    callbacks.append(
        BestOnValidation(
            mean_map,
            run_dir,
            name="val_map_fc7",
            patience=job.training.patience,
        )
    )
    return _fit(
        context,
        task,
        training_arrays(context.bench, names, job),
        epochs_left_to_run(run_dir, job.training.epochs),
        run_dir,
        curriculum + callbacks,
    )


def description_split(retrieval):
    """Mean mAP of the pairs with a description and of the other pairs
    (the paper's BL-Individual fails on the first, not on the second)."""
    parts = {"with_description": [], "other_pairs": []}
    for pair, result in retrieval["pairs"].items():
        part = "with_description" if DESCRIPTION in pair else "other_pairs"
        parts[part].append(result["map"])
    return {part: float(np.mean(v)) for part, v in parts.items() if v}


def _run_config(context, method, names, run_args):
    job, bench = context.job, context.bench
    return {
        "model_name": f"cmplaces_{method}",
        "method": method,
        "method_label": cmplaces.get_method(method).label,
        "preset": job.preset,
        "modalities": names,
        "class_names": bench.class_names,
        "holdout_categories": [bench.class_names[c] for c in job.holdout],
        "data_manifest_sha256": bench.manifest_sha256,
        "args": run_args,
    }


def evaluate_backbone(backbone, bench, names, job):
    """The CMPlaces metric suite of `backbone` on `job.eval_split`, the
    modality probe's accuracy on fc7 (`modality_invariance`: lower is more
    invariant) and fc7 mAP of pairs with / without descriptions."""
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
    """`summary.md`: Tables 1-3 (fc7 mAP, PR@10, layers) of every method."""
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

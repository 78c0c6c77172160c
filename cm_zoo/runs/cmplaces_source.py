"""The CMPlaces source network and its StatReg priors.

The first stage of `train_cmplaces`: the source-modality network, trained
on the benchmark's source pool (`source/` of the run directory), and the
priors StatReg methods fit on its activations (`priors/`). Both are saved
once and reloaded by every later method and rerun.
"""

import numpy as np

from cm_zoo.models import CrossModalClassifier
from cm_zoo.models import cmplaces
from cm_zoo.models import extract_features
from cm_zoo.runs._cmplaces_stage import epochs_left_to_run
from cm_zoo.runs.best_on_validation import BestOnValidation
from cm_zoo.runs.best_on_validation import read_state
from cm_zoo.runs.cmplaces_training_data import source_pool

SOURCE_METRICS = "source_metrics.json"


def load_or_train_source(stage):
    """Trains the source-modality network on the source pool (classes
    balanced: the pool is as skewed as openclipart) for `source_epochs`,
    keeping the epoch of best balanced val accuracy on the pool's val
    split, or reloads the saved one; returns its backbone.

    `load_or_fit_priors`'s example reloads a saved source network.
    """
    saved = stage.root.child("source").load_backbone_if_saved()
    if saved is not None:
        return saved
    bench, job = stage.bench, stage.job
    modality = bench.source_modality
    with stage.strategy.scope():
        source = cmplaces.build_source_network(
            stage.config, modality, num_classes=len(bench.class_names)
        )
        task = CrossModalClassifier(source, name="source")
        stage.compile(task, [modality])
    run_dir = stage.root.path / "source"
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
    data = {modality: stage.source_pool}
    stage.fit(task, data, epochs, run_dir, [best], balance_classes=True)
    stage.out.child("source").write_json(
        SOURCE_METRICS,
        {"val_balanced_accuracy": accuracy(task), **read_state(run_dir)},
    )
    stage.out.child("source").save_backbone(source)
    return source


def balanced_accuracy(logits, labels):
    """Mean over the classes present of each class's accuracy (the pool is
    as skewed as openclipart: 46% of its val split are stars).

    Example:
    >>> labels = np.array([0, 0, 0, 1])
    >>> logits = np.eye(2)[[0, 0, 0, 0]]  # 75% plain accuracy
    >>> balanced_accuracy(logits, labels)
    0.5
    """
    hits = logits.argmax(axis=1) == labels
    return float(np.mean([hits[labels == c].mean() for c in set(labels)]))


def load_or_fit_priors(stage, source, kind):
    """One prior per StatReg layer, fitted once and saved in `priors/`.

    The EM fit checkpoints every M-step there, so a run killed while
    fitting resumes and ends with the same prior.

    Args:
        stage: `Stage`. The job, run directories and data.
        source: `CrossModalBackbone`. The source network.
        kind: str. `"gmm"` or `"gaussian"`.

    Returns:
        `{layer: prior}` for the job's `statreg_layers`.

    Example:
    >>> import tempfile
    >>> import tensorflow as tf
    >>> from cm_zoo.runs import CMPlacesJob
    >>> from cm_zoo.runs import RunDirectory
    >>> from cm_zoo.runs._cmplaces_stage import Stage
    >>> training = cm_zoo.presets.get("cmplaces_alexnet_tiny").training
    >>> job = CMPlacesJob(preset="cmplaces_alexnet_tiny", training=training,
    ...                   statreg_layers=("fc7",), verbose=0)
    >>> root = RunDirectory(tempfile.mkdtemp())
    >>> stage = Stage(job, tf.distribute.get_strategy(), root, root,
    ...               cm_zoo.data.clipart_benchmark.load())
    >>> untrained = cmplaces.build_source_network(
    ...     stage.config, "clipart", num_classes=28)
    >>> root.child("source").save_backbone(untrained)
    >>> source = load_or_train_source(stage)  # reloaded, not trained
    >>> priors = load_or_fit_priors(stage, source, "gaussian")
    >>> list(priors), [path.name for path in (root.path / "priors").iterdir()]
    (['fc7'], ['gaussian_fc7.npz'])
    """
    job = stage.job
    priors = stage.root.load_priors(kind, job.statreg_layers)
    missing = [name for name in job.statreg_layers if name not in priors]
    if missing:
        x, _ = stage.source_pool
        fitted = cmplaces.fit_source_priors(
            source,
            x,
            kind=kind,
            layers=missing,
            num_components=job.training.num_components,
            seed=job.seed,
            checkpoint_dir=str(stage.out.em_checkpoint_dir(kind)),
            verbose=job.verbose,
        )
        for layer, prior in fitted.items():
            stage.out.save_prior(kind, layer, prior)
        priors.update(fitted)
    return priors

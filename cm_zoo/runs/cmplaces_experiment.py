"""The CMPlaces experiment: the source network, then each method.

`train_cmplaces` is what `recipes/train_cmplaces.py` runs once its flags
are parsed: it trains (or reloads) the source network and its StatReg
priors (`cmplaces_source`), trains each method resumably on the job's data
(`cmplaces_training_data`) and writes each run directory (`RunDirectory`)
with the metric suite of `cmplaces_run_metrics`.
"""

import time

import keras

from cm_zoo import modalities
from cm_zoo.atomic_files import read_json
from cm_zoo.evaluation import cross_modal_retrieval
from cm_zoo.models import cmplaces
from cm_zoo.models import extract_features
from cm_zoo.runs._cmplaces_stage import Stage
from cm_zoo.runs._cmplaces_stage import epochs_left_to_run
from cm_zoo.runs.best_on_validation import BestOnValidation
from cm_zoo.runs.best_on_validation import read_state
from cm_zoo.runs.cmplaces_run_metrics import description_split
from cm_zoo.runs.cmplaces_run_metrics import evaluate_backbone
from cm_zoo.runs.cmplaces_run_metrics import write_summary
from cm_zoo.runs.cmplaces_source import SOURCE_METRICS
from cm_zoo.runs.cmplaces_source import load_or_fit_priors
from cm_zoo.runs.cmplaces_source import load_or_train_source
from cm_zoo.runs.cmplaces_training_data import training_arrays
from cm_zoo.runs.generalisation import backbone_encoder
from cm_zoo.runs.generalisation import generalisation_metrics
from cm_zoo.runs.run_directory import RunDirectory
from cm_zoo.training import is_chief
from cm_zoo.training import remove_worker_directory
from cm_zoo.training import worker_directory


def train_cmplaces(methods, bench, job, *, strategy, output, run_args):
    """Trains `methods` into run directories under `output`.

    Resumable: rerun on the same `output`, a killed run resumes; the
    source network and the priors are reused by every method. Each
    method's directory gets `backbone.keras`, `metrics.json` and
    `run_config.json`; `output` gets `summary.md`.

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
    stage = Stage(job, strategy, root, out, bench)
    source = load_or_train_source(stage)
    results = {}
    for method in methods:
        keras.utils.set_random_seed(job.seed)
        results[method] = _run_method(stage, method, source, run_args)
    remove_worker_directory(out.path, strategy)
    if is_chief(strategy):
        write_summary(root, results)
    return results


def _run_method(stage, method, source, run_args):
    job, bench = stage.job, stage.bench
    spec = cmplaces.get_method(method)
    names = [m for m in modalities.CMPLACES_MODALITIES if m in bench.modalities]
    priors = spec.prior and load_or_fit_priors(stage, source, spec.prior)
    with stage.strategy.scope():
        task, curriculum = cmplaces.build_method(
            method,
            stage.config,
            names,
            num_classes=len(bench.class_names),
            source=source,
            priors=priors,
            statreg_weight=job.training.statreg_weight,
            freeze_epochs=job.training.freeze_epochs,
        )
        stage.compile(task, names)
    started = time.time()
    history = _train_method(stage, task, names, method, curriculum, source)
    seconds = time.time() - started
    if not is_chief(stage.strategy):
        return {"history": history}
    metrics = evaluate_backbone(task.backbone, bench, names, job)
    metrics["generalisation"] = generalisation_metrics(
        backbone_encoder(task.backbone), bench, names, ("val", "test", "ood")
    )
    metrics.update(eval_split=job.eval_split, train_seconds=seconds)
    metrics["history"] = history
    metrics["early_stopping"] = read_state(stage.root.path / method)
    metrics["source"] = read_json(stage.root.path / "source" / SOURCE_METRICS)
    stage.out.child(method).write_run(
        task.backbone, metrics, _run_config(stage, method, names, run_args)
    )
    return metrics


def _train_method(stage, task, names, method, curriculum, source):
    """Fits a method (drift logged, early-stopped on the val split's mean
    fc7 mAP, best weights restored); returns its history."""
    job = stage.job
    run_dir = stage.root.path / method
    val = {m: stage.bench.arrays(m, "val") for m in names}
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
    return stage.fit(
        task,
        training_arrays(stage.bench, names, job),
        epochs_left_to_run(run_dir, job.training.epochs),
        run_dir,
        curriculum + callbacks,
    )


def _run_config(stage, method, names, run_args):
    job, bench = stage.job, stage.bench
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

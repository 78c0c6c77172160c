"""Train Cross-Modal Scene Networks (baselines, methods A, B, C) and evaluate.

With no arguments: Method C on the embedded clip-art benchmark with the
`cmplaces_alexnet_tiny` preset, on CPU in minutes. `--method all` trains
every row of the paper's Table 1 and writes `summary.md` beside them.

    python recipes/train_cmplaces.py
    python recipes/train_cmplaces.py --method all --output runs/cmplaces
    python recipes/train_cmplaces.py --method C --holdout-categories default

Run layout (`--output`): `source/` (the source network), `priors/` (fitted
StatReg priors), and one directory per method with `backbone.keras`,
`task.weights.h5`, `run_config.json`, `metrics.json`, TensorBoard `logs/`
and a `backup/` that resumes a killed run.
"""

import argparse
import json
import pathlib
import sys
import time

import keras
import numpy as np
import tensorflow as tf

import cm_zoo
from cm_zoo import modalities

RETRIEVAL_LAYERS = ("pool5", "fc6", "fc7")


def parse_args(argv):
    methods = list(cm_zoo.models.cmplaces.METHODS)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--method", default="C", choices=methods + ["all"])
    parser.add_argument(
        "--preset",
        default="cmplaces_alexnet_tiny",
        choices=cm_zoo.presets.names(),
    )
    parser.add_argument(
        "--data", default=None, help="benchmark directory (default: embedded)"
    )
    parser.add_argument(
        "--holdout-categories",
        default="",
        help="comma-separated category names removed from "
        "the target modalities' training data (zero-shot "
        "protocol), or 'default' for the benchmark's list",
    )
    parser.add_argument("--output", default="runs/cmplaces")
    parser.add_argument("--source-epochs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument(
        "--freeze-epochs",
        type=int,
        default=2,
        help="epochs with the shared layers frozen (A, C)",
    )
    parser.add_argument("--steps-per-epoch", type=int, default=40)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="items per modality per step (global)",
    )
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="default: 1e-3 (paper preset), 1e-2 (tiny)",
    )
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--num-components", type=int, default=100)
    parser.add_argument("--statreg-layers", default="pool5,fc6,fc7")
    parser.add_argument(
        "--statreg-weight",
        type=float,
        default=0.01,
        help="lambda per activation dimension",
    )
    parser.add_argument(
        "--clipnorm",
        type=float,
        default=10.0,
        help="global gradient-norm clipping (all methods)",
    )
    parser.add_argument(
        "--strategy", default="default", choices=["default", "mirrored"]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    return parser.parse_args(argv)


def make_optimizer(args):
    learning_rate = args.learning_rate
    if learning_rate is None:
        learning_rate = 1e-3 if args.preset.endswith("_paper") else 1e-2
    if args.optimizer == "adam":
        return keras.optimizers.Adam(
            learning_rate, global_clipnorm=args.clipnorm
        )
    return keras.optimizers.SGD(
        learning_rate, momentum=args.momentum, global_clipnorm=args.clipnorm
    )


def make_strategy(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def train_source(args, bench, config, strategy, run_dir):
    """Trains (or reloads) the source-modality network."""
    path = run_dir / "source" / "backbone.keras"
    if path.exists():
        return keras.saving.load_model(path)
    source_modality = bench.source_modality
    with strategy.scope():
        source = cm_zoo.models.cmplaces.build_source_network(
            config, source_modality, num_classes=len(bench.class_names)
        )
        task = cm_zoo.models.CrossModalClassifier(source, name="source")
        task.compile(optimizer=make_optimizer(args))
    data = {source_modality: bench.arrays(source_modality, "train")}
    fit(args, task, data, args.source_epochs, path.parent, callbacks=[])
    source.save(path)
    return source


def fit_priors(args, bench, source, kind, run_dir):
    """Fits (or reloads) one prior per regularized layer of the source."""
    layers = [s for s in args.statreg_layers.split(",") if s]
    priors = {}
    directory = run_dir / "priors"
    directory.mkdir(parents=True, exist_ok=True)
    missing = []
    for layer in layers:
        path = directory / f"{kind}_{layer}.npz"
        if path.exists():
            priors[layer] = cm_zoo.layers.load_prior(path)
        else:
            missing.append(layer)
    if missing:
        x, _ = bench.arrays(bench.source_modality, "train")
        fitted = cm_zoo.models.cmplaces.fit_source_priors(
            source,
            x,
            kind=kind,
            layers=missing,
            num_components=args.num_components,
            seed=args.seed,
            verbose=args.verbose,
        )
        for layer, prior in fitted.items():
            prior.save(directory / f"{kind}_{layer}.npz")
            priors[layer] = prior
    return priors


def training_arrays(bench, names, holdout, split="train"):
    """`{modality: (x, y)}`, held-out classes removed from target modalities."""
    arrays = {}
    for modality in names:
        x, y = bench.arrays(modality, split)
        if holdout and modality != bench.source_modality:
            keep = ~np.isin(y, holdout)
            x, y = x[keep], y[keep]
        arrays[modality] = (x, y)
    return arrays


def fit(args, task, arrays, epochs, run_dir, callbacks):
    dataset = cm_zoo.data.make_multimodal_dataset(
        arrays, args.batch_size, seed=args.seed
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    standard = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        keras.callbacks.TensorBoard(str(run_dir / "logs")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(
            str(run_dir / "task.weights.h5"), save_weights_only=True
        ),
    ]
    return task.fit(
        dataset,
        epochs=epochs,
        steps_per_epoch=args.steps_per_epoch,
        callbacks=standard + callbacks,
        verbose=args.verbose,
    )


def evaluate(backbone, bench, names, holdout):
    """Retrieval (Tables 1-3, 5) and classification (Table 4) on test."""
    inputs, labels = {}, {}
    for modality in names:
        inputs[modality], labels[modality] = bench.arrays(modality, "test")
    features = cm_zoo.models.extract_features(
        backbone, inputs, layers=RETRIEVAL_LAYERS + ("logits",)
    )
    metrics = {"retrieval": {}, "retrieval_full": {}, "accuracy": {}}
    for layer in RETRIEVAL_LAYERS:
        by_modality = {m: (features[layer][m], labels[m]) for m in names}
        metrics["retrieval"][layer] = cm_zoo.evaluation.cross_modal_retrieval(
            by_modality
        )
    fc7 = {m: (features["fc7"][m], labels[m]) for m in names}
    metrics["retrieval_full"]["fc7"] = cm_zoo.evaluation.cross_modal_retrieval(
        fc7, protocol="full"
    )
    for modality in names:
        predicted = features["logits"][modality].argmax(axis=1)
        metrics["accuracy"][modality] = float(
            (predicted == labels[modality]).mean()
        )
    if holdout:
        held_out = min(int(np.isin(labels[m], holdout).sum()) for m in names)
        metrics["zero_shot_retrieval"] = (
            cm_zoo.evaluation.cross_modal_retrieval(
                fc7, classes=holdout, k=min(10, held_out)
            )
        )
        metrics["zero_shot_accuracy"] = {
            m: float(
                (features["logits"][m].argmax(axis=1) == labels[m])[
                    np.isin(labels[m], holdout)
                ].mean()
            )
            for m in names
        }
    return metrics


def run_method(args, method, bench, config, strategy, source, holdout, root):
    run_dir = root / method
    spec = cm_zoo.models.cmplaces.get_method(method)
    names = [m for m in modalities.CMPLACES_MODALITIES if m in bench.modalities]
    priors = (
        fit_priors(args, bench, source, spec.prior, root)
        if spec.prior
        else None
    )
    with strategy.scope():
        task, curriculum = cm_zoo.models.cmplaces.build_method(
            method,
            config,
            names,
            num_classes=len(bench.class_names),
            source=source,
            priors=priors,
            statreg_weight=args.statreg_weight,
            freeze_epochs=args.freeze_epochs,
        )
        task.compile(optimizer=make_optimizer(args))
    started = time.time()
    history = fit(
        args,
        task,
        training_arrays(bench, names, holdout),
        args.epochs,
        run_dir,
        curriculum,
    )
    seconds = time.time() - started
    task.backbone.save(run_dir / "backbone.keras")
    metrics = evaluate(task.backbone, bench, names, holdout)
    metrics["train_seconds"] = seconds
    metrics["history"] = history.history
    write_json(run_dir / "metrics.json", metrics)
    write_json(
        run_dir / "run_config.json",
        {
            "model_name": f"cmplaces_{method}",
            "method": method,
            "method_label": spec.label,
            "preset": args.preset,
            "modalities": names,
            "class_names": bench.class_names,
            "holdout_categories": [bench.class_names[c] for c in holdout],
            "data_manifest_sha256": bench.manifest_sha256,
            "args": vars(args),
        },
    )
    return metrics


def write_json(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = cm_zoo.evaluation.to_json_safe(value)
    path.write_text(json.dumps(safe, indent=2, sort_keys=True) + "\n")


def holdout_labels(spec, bench):
    if not spec:
        return []
    names = bench.holdout_categories if spec == "default" else spec.split(",")
    unknown = [n for n in names if n not in bench.class_names]
    if unknown:
        raise SystemExit(
            f"--holdout-categories: unknown categories {unknown}; the "
            f"benchmark has {bench.class_names}"
        )
    return [bench.class_names.index(n) for n in names]


def write_summary(root, results, labels):
    report = cm_zoo.evaluation
    lines = ["# Cross-Modal Scene Networks on the embedded benchmark", ""]
    fc7 = {labels[m]: r["retrieval"]["fc7"] for m, r in results.items()}
    lines += [
        "## Cross-modal retrieval mAP (fc7)",
        "",
        report.retrieval_table(fc7, "map"),
        "",
    ]
    lines += [
        "## Cross-modal retrieval PR@10 (fc7)",
        "",
        report.retrieval_table(fc7, "pr_at_k"),
        "",
    ]
    layers = {labels[m]: r["retrieval"] for m, r in results.items()}
    lines += ["## Mean mAP across layers", "", report.layer_table(layers), ""]
    (root / "summary.md").write_text("\n".join(lines))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    keras.utils.set_random_seed(args.seed)
    root = pathlib.Path(args.output)
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    config = cm_zoo.presets.get(args.preset)["config"]
    holdout = holdout_labels(args.holdout_categories, bench)
    strategy = make_strategy(args.strategy)
    source = train_source(args, bench, config, strategy, root)
    methods = (
        list(cm_zoo.models.cmplaces.METHODS)
        if args.method == "all"
        else [args.method]
    )
    results = {}
    for method in methods:
        keras.utils.set_random_seed(args.seed)
        results[method] = run_method(
            args, method, bench, config, strategy, source, holdout, root
        )
        mean = results[method]["retrieval"]["fc7"]["mean"]
        print(
            f"{method}: mean cross-modal mAP (fc7) = {100 * mean['map']:.1f}"
            f" (chance {100 * mean['chance_map']:.1f})"
        )
    labels = {m: cm_zoo.models.cmplaces.get_method(m).label for m in methods}
    write_summary(root, results, labels)
    print(f"wrote {root / 'summary.md'}")
    return results


if __name__ == "__main__":
    main()

"""Train Cross-Modal Scene Networks (baselines, methods A, B, C) and evaluate.

With no arguments: Method C on the embedded clip-art benchmark with the
`cmplaces_alexnet_tiny` preset, on CPU in minutes. `--method all` trains
every row of the paper's Table 1 and writes `summary.md` beside them.

    python recipes/train_cmplaces.py
    python recipes/train_cmplaces.py --method all --output runs/cmplaces
    python recipes/train_cmplaces.py --method C --holdout-categories default

Run layout (`--output`): `source/` (the source network), `priors/` (fitted
StatReg priors, and EM checkpoints while fitting), and one directory per
method with `backbone.keras`, `task.weights.h5`, `run_config.json`,
`metrics.json`, TensorBoard `logs/` and a `backup/` (`fit`) or
`checkpoints/` (custom loop) that resumes a killed run: rerun the same
command. Scaling out (`--strategy`, `--mixed-precision`, `--jit-compile`):
see docs/RUNBOOK.md. `--batch-size` is global: per modality per step, split
over the replicas.

    python recipes/train_cmplaces.py --strategy mirrored --batch-size 256
"""

import argparse
import pathlib
import shutil
import sys
import time

import keras
import numpy as np

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
        help="items per modality per step, global: each of the N "
        "replicas gets batch-size / N (must divide evenly)",
    )
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="default: 1e-3 (paper preset), 1e-2 (tiny)",
    )
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument(
        "--num-components",
        type=int,
        default=None,
        help="GMM components of the StatReg prior; default: 100 (paper "
        "preset), 10 (tiny: the embedded data has 452 source items)",
    )
    parser.add_argument(
        "--augment",
        action="store_true",
        help="mirror and shift training images (in the towers, training only)",
    )
    parser.add_argument(
        "--include-paired",
        action="store_true",
        help="also train on the items of the See-Hear-Read training pairs "
        "(unpaired use; test items stay unseen)",
    )
    parser.add_argument(
        "--include-lexicon",
        action="store_true",
        help="also train descriptions on the benchmark's WordNet lexicon",
    )
    parser.add_argument(
        "--eval-split",
        default="test",
        choices=["test", "val"],
        help="split of metrics.json; choose settings on val, report test",
    )
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
    cm_zoo.training.add_scaling_arguments(
        parser, jit_help="XLA, for tasks without the description tower"
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


def use_jit(args, names, what):
    """XLA unless a tower hashes strings (tf.strings ops XLA can't compile)."""
    if not args.jit_compile:
        return False
    if modalities.DESCRIPTION in names:
        print(
            f"--jit-compile: not used for {what}: the description tower "
            "hashes strings in the graph, which XLA cannot compile"
        )
        return False
    return True


def train_source(args, bench, config, strategy, root, out):
    """Trains (or reloads) the source-modality network."""
    path = root / "source" / "backbone.keras"
    if path.exists():
        return keras.saving.load_model(path)
    source_modality = bench.source_modality
    jit = use_jit(args, [source_modality], "the source network")
    with strategy.scope():
        source = cm_zoo.models.cmplaces.build_source_network(
            config, source_modality, num_classes=len(bench.class_names)
        )
        task = cm_zoo.models.CrossModalClassifier(source, name="source")
        task.compile(optimizer=make_optimizer(args), jit_compile=jit)
    data = {source_modality: training_items(bench, source_modality, args)}
    epochs = args.source_epochs
    fit(args, task, data, epochs, strategy, root / "source", [], jit)
    (out / "source").mkdir(parents=True, exist_ok=True)
    source.save(out / "source" / "backbone.keras")
    return source


def fit_priors(args, bench, source, kind, root, out):
    """Fits (or reloads) one prior per regularized layer of the source.

    The EM fit checkpoints every M-step in `priors/<kind>_em/<layer>`, so a
    run killed while fitting resumes there and ends with the same prior.
    """
    layers = [s for s in args.statreg_layers.split(",") if s]
    priors = {}
    (out / "priors").mkdir(parents=True, exist_ok=True)
    missing = []
    for layer in layers:
        path = root / "priors" / f"{kind}_{layer}.npz"
        if path.exists():
            priors[layer] = cm_zoo.layers.load_prior(path)
        else:
            missing.append(layer)
    if missing:
        x, _ = training_items(bench, bench.source_modality, args)
        fitted = cm_zoo.models.cmplaces.fit_source_priors(
            source,
            x,
            kind=kind,
            layers=missing,
            num_components=args.num_components,
            seed=args.seed,
            checkpoint_dir=str(out / "priors" / f"{kind}_em"),
            verbose=args.verbose,
        )
        for layer, prior in fitted.items():
            prior.save(out / "priors" / f"{kind}_{layer}.npz")
            priors[layer] = prior
        em_checkpoints = out / "priors" / f"{kind}_em"
        if em_checkpoints.exists():  # GMM only; the Gaussian is one pass.
            shutil.rmtree(em_checkpoints)
    return priors


def training_items(bench, modality, args):
    """A modality's labelled training items, `(x, y)`.

    With `--include-paired`, the See-Hear-Read training pairs' items of this
    modality are added: more labelled items of the same categories, used
    without their pairing (each modality is still sampled on its own). With
    `--include-lexicon`, descriptions also get the benchmark's WordNet
    lexicon (category words, their hyponyms and glosses).
    """
    x, y = bench.arrays(modality, "train")
    parts = [(x, y)]
    if args.include_paired:
        parts += [
            (pairs[modality], pairs["label"])
            for pairs in bench.paired("train").values()
            if modality in pairs
        ]
    if args.include_lexicon and modality == modalities.DESCRIPTION:
        parts.append(bench.lexicon())
    return (
        np.concatenate([part[0] for part in parts]),
        np.concatenate([part[1] for part in parts]),
    )


def training_arrays(bench, names, holdout, args):
    """`{modality: (x, y)}`, held-out classes removed from target modalities."""
    arrays = {}
    for modality in names:
        x, y = training_items(bench, modality, args)
        if holdout and modality != bench.source_modality:
            keep = ~np.isin(y, holdout)
            x, y = x[keep], y[keep]
        arrays[modality] = (x, y)
    return arrays


def fit(args, task, arrays, epochs, strategy, run_dir, callbacks, jit):
    """Resumable training (`cm_zoo.training.train_task`); the history dict."""
    dataset = cm_zoo.data.make_multimodal_dataset(
        arrays, args.batch_size, seed=args.seed
    )
    return cm_zoo.training.train_task(
        task,
        dataset,
        strategy=strategy,
        run_dir=run_dir,
        epochs=epochs,
        steps_per_epoch=args.steps_per_epoch,
        callbacks=callbacks,
        loop=args.loop,
        save_every_steps=args.save_every_steps,
        jit_compile=jit,
        verbose=args.verbose,
    )


def evaluate(backbone, bench, names, holdout, split):
    """Retrieval (Tables 1-3, 5) and classification (Table 4) on `split`."""
    inputs, labels = {}, {}
    for modality in names:
        inputs[modality], labels[modality] = bench.arrays(modality, split)
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
                # Within-modal retrieval leaves the query out: N - 1 targets.
                fc7,
                classes=holdout,
                k=min(10, held_out - 1),
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


def run_method(args, method, bench, config, strategy, source, holdout, dirs):
    root, out = dirs
    run_dir = out / method
    spec = cm_zoo.models.cmplaces.get_method(method)
    names = [m for m in modalities.CMPLACES_MODALITIES if m in bench.modalities]
    priors = (
        fit_priors(args, bench, source, spec.prior, root, out)
        if spec.prior
        else None
    )
    jit = use_jit(args, names, f"method {method}")
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
        task.compile(optimizer=make_optimizer(args), jit_compile=jit)
    started = time.time()
    history = fit(
        args,
        task,
        training_arrays(bench, names, holdout, args),
        args.epochs,
        strategy,
        root / method,
        curriculum,
        jit,
    )
    seconds = time.time() - started
    if not cm_zoo.training.is_chief(strategy):
        return {"history": history}
    run_dir.mkdir(parents=True, exist_ok=True)
    task.backbone.save(run_dir / "backbone.keras")
    metrics = evaluate(task.backbone, bench, names, holdout, args.eval_split)
    metrics["eval_split"] = args.eval_split
    metrics["train_seconds"] = seconds
    metrics["history"] = history
    cm_zoo.evaluation.write_json(run_dir / "metrics.json", metrics)
    cm_zoo.evaluation.write_json(
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
    config["augment"] = args.augment
    if args.num_components is None:
        args.num_components = 100 if args.preset.endswith("_paper") else 10
    holdout = holdout_labels(args.holdout_categories, bench)
    strategy = cm_zoo.training.strategy_from_arguments(args)
    chief = cm_zoo.training.is_chief(strategy)
    out = pathlib.Path(cm_zoo.training.worker_directory(root, strategy))
    source = train_source(args, bench, config, strategy, root, out)
    methods = (
        list(cm_zoo.models.cmplaces.METHODS)
        if args.method == "all"
        else [args.method]
    )
    results = {}
    for method in methods:
        keras.utils.set_random_seed(args.seed)
        results[method] = run_method(
            args, method, bench, config, strategy, source, holdout, (root, out)
        )
        if not chief:
            continue
        mean = results[method]["retrieval"]["fc7"]["mean"]
        print(
            f"{method}: mean cross-modal mAP (fc7) = {100 * mean['map']:.1f}"
            f" (chance {100 * mean['chance_map']:.1f})"
        )
    cm_zoo.training.remove_worker_directory(out, strategy)
    if not chief:
        return results
    labels = {m: cm_zoo.models.cmplaces.get_method(m).label for m in methods}
    write_summary(root, results, labels)
    print(f"wrote {root / 'summary.md'}")
    return results


if __name__ == "__main__":
    main()

"""Train See, Hear, and Read (sound, text aligned via images) and evaluate.

With no arguments: the `see_hear_read_alexnet_tiny` preset on the embedded
clip-art benchmark (clip art + titles + espeak-ng speech; image-sound and
image-text pairs from disjoint items), on CPU in minutes. A clip-art
classifier is trained first as the teacher unless `--teacher` names one.

    python recipes/train_see_hear_read.py
    python recipes/train_see_hear_read.py --loss transfer \
        --output runs/see_hear_read_transfer
    python recipes/train_see_hear_read.py \
        --teacher runs/cmplaces/source/backbone.keras

Run layout (`--output`): `teacher/backbone.keras` (when trained here),
`backbone.keras` (the three-tower student), `task.weights.h5`,
`metrics.json` (median ranks of paired retrieval in the six directions,
sound <-> text through the image bridge, with chance; classifier transfer
accuracies), `run_config.json`, TensorBoard `logs/` and a `backup/` (`fit`)
or `checkpoints/` (custom loop) that resumes a killed run: rerun the same
command. Scaling out (`--strategy`, `--mixed-precision`): docs/RUNBOOK.md.
`--batch-size` is global, split over the replicas. `--jit-compile` is
refused: the text tower hashes strings, which XLA cannot compile.
"""

import argparse
import pathlib
import sys
import time

import keras
import numpy as np
import tensorflow as tf

import cm_zoo
from cm_zoo import modalities

shr = cm_zoo.models.see_hear_read

# The rows of the paper's Table 1 that `--loss` selects.
LOSS_LABELS = {
    "transfer": "See-Hear-Read: model transfer",
    "ranking": "See-Hear-Read: ranking",
    "both": "See-Hear-Read: model transfer + ranking",
}

IMAGE = modalities.CLIPART
SOUND = modalities.SOUND
TEXT = modalities.DESCRIPTION
LAYERS = ("pool5", "fc6", "fc7")
DIRECTIONS = [
    (IMAGE, SOUND),
    (SOUND, IMAGE),
    (IMAGE, TEXT),
    (TEXT, IMAGE),
    (SOUND, TEXT),
    (TEXT, SOUND),
]
LOSS_WEIGHTS = {
    "transfer": (1.0, 0.0),
    "ranking": (0.0, 1.0),
    "both": (1.0, 1.0),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--preset",
        default="see_hear_read_alexnet_tiny",
        choices=[
            n for n in cm_zoo.presets.names() if n.startswith("see_hear_read")
        ],
    )
    parser.add_argument(
        "--data", default=None, help="benchmark directory (default: embedded)"
    )
    parser.add_argument("--output", default="runs/see_hear_read")
    parser.add_argument(
        "--teacher",
        default=None,
        help="saved teacher .keras: a CrossModalBackbone "
        "with a clipart tower, or a model from images to "
        "logits (default: train one)",
    )
    parser.add_argument("--teacher-epochs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps-per-epoch", type=int, default=30)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="pairs per pair set per step, global: each of the N "
        "replicas gets batch-size / N (must divide evenly)",
    )
    parser.add_argument(
        "--loss",
        default="both",
        choices=list(LOSS_WEIGHTS),
        help="paper Table 1 rows: model transfer, ranking, or both",
    )
    parser.add_argument("--margin", type=float, default=0.1)
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="Adam; default 1e-4 (paper preset), 1e-3 (tiny)",
    )
    cm_zoo.training.add_scaling_arguments(
        parser, jit_help="refused: the text tower cannot be XLA-compiled"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    return parser.parse_args(argv)


def learning_rate(args):
    if args.learning_rate is not None:
        return args.learning_rate
    return 1e-4 if args.preset.endswith("_paper") else 1e-3


def train(args, task, dataset, epochs, strategy, run_dir):
    """Resumable training (`cm_zoo.training.train_task`); the history dict."""
    return cm_zoo.training.train_task(
        task,
        dataset,
        strategy=strategy,
        run_dir=run_dir,
        epochs=epochs,
        steps_per_epoch=args.steps_per_epoch,
        loop=args.loop,
        save_every_steps=args.save_every_steps,
        verbose=args.verbose,
    )


def setup_scaling(args):
    """Dtype policy, strategy and batch check; returns the strategy."""
    if args.jit_compile:
        raise SystemExit(
            "--jit-compile: the description (text) tower hashes strings in "
            "the graph (tf.strings ops), which XLA cannot compile; train "
            "See, Hear, and Read without --jit-compile."
        )
    return cm_zoo.training.strategy_from_arguments(args)


def load_or_train_teacher(args, bench, config, strategy, root, out):
    """A model from clip art to class logits, frozen by the task."""
    path = args.teacher or root / "teacher" / "backbone.keras"
    if pathlib.Path(path).exists():
        teacher = keras.saving.load_model(path)
    elif args.teacher:
        raise SystemExit(f"--teacher: no such file {args.teacher!r}")
    else:
        with strategy.scope():
            teacher = cm_zoo.models.cmplaces.build_source_network(
                config, IMAGE, num_classes=len(bench.class_names)
            )
            task = cm_zoo.models.CrossModalClassifier(teacher, name="teacher")
            task.compile(optimizer=keras.optimizers.Adam(learning_rate(args)))
        dataset = cm_zoo.data.make_multimodal_dataset(
            {IMAGE: bench.arrays(IMAGE, "train")},
            args.batch_size,
            seed=args.seed,
        )
        train(args, task, dataset, args.teacher_epochs, strategy, path.parent)
        (out / "teacher").mkdir(parents=True, exist_ok=True)
        teacher.save(out / "teacher" / "backbone.keras")
    if isinstance(teacher, cm_zoo.models.CrossModalBackbone):
        teacher = teacher.encoder(IMAGE)
    return teacher


def paired_dataset(pairs, batch_size, seed):
    """Infinite `{pair_set: {modality: batch}}` batches, shuffled per set."""
    sets = {}
    for name, bundle in pairs.items():
        features = {
            key: (value.astype(str) if value.dtype == object else value)
            for key, value in bundle.items()
            if key != "label"
        }
        sets[name] = (
            tf.data.Dataset.from_tensor_slices(features)
            .shuffle(len(bundle["label"]), seed=seed)
            .repeat()
            .batch(batch_size, drop_remainder=True)
        )
    return tf.data.Dataset.zip(sets).prefetch(tf.data.AUTOTUNE)


def evaluate(backbone, bench):
    """Median ranks (Tables 1-2) and classifier transfer (Table 3)."""
    test = bench.paired("test")
    names = (IMAGE, SOUND, TEXT)
    features = cm_zoo.models.extract_features(
        backbone, {m: test[m] for m in names}, layers=LAYERS
    )
    median_ranks = {}
    for layer in LAYERS:
        median_ranks[layer] = {
            f"{q}->{t}": result
            for (q, t), result in cm_zoo.evaluation.cross_modal_median_rank(
                features[layer], pairs=DIRECTIONS
            ).items()
        }
    train = bench.paired("train")
    train_inputs = {
        IMAGE: np.concatenate([train[s][IMAGE] for s in shr.PAIR_SETS]),
        SOUND: train["image_sound"][SOUND],
        TEXT: train["image_text"][TEXT],
    }
    train_labels = {
        IMAGE: np.concatenate([train[s]["label"] for s in shr.PAIR_SETS]),
        SOUND: train["image_sound"]["label"],
        TEXT: train["image_text"]["label"],
    }
    train_fc7 = cm_zoo.models.extract_features(
        backbone, train_inputs, layers=["fc7"]
    )["fc7"]
    transfer = cm_zoo.evaluation.classifier_transfer_accuracy(
        {m: (train_fc7[m], train_labels[m]) for m in names},
        {m: (features["fc7"][m], test["label"]) for m in names},
    )
    return {
        "median_rank": median_ranks,
        "classifier_transfer": transfer,
        "num_test_triplets": int(len(test["label"])),
    }


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    keras.utils.set_random_seed(args.seed)
    root = pathlib.Path(args.output)
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    config = cm_zoo.presets.get(args.preset)["config"]
    strategy = setup_scaling(args)
    chief = cm_zoo.training.is_chief(strategy)
    out = pathlib.Path(cm_zoo.training.worker_directory(root, strategy))
    started = time.time()
    teacher = load_or_train_teacher(args, bench, config, strategy, root, out)
    teacher_seconds = time.time() - started

    keras.utils.set_random_seed(args.seed)
    transfer_weight, ranking_weight = LOSS_WEIGHTS[args.loss]
    logits = teacher.output
    logits = logits["logits"] if isinstance(logits, dict) else logits
    with strategy.scope():
        backbone = shr.build_see_hear_read_backbone(
            config, num_classes=int(logits.shape[-1])
        )
        task = shr.SeeHearReadModel(
            backbone,
            teacher,
            transfer_weight=transfer_weight,
            ranking_weight=ranking_weight,
            margin=args.margin,
            name="see_hear_read",
        )
        task.compile(optimizer=keras.optimizers.Adam(learning_rate(args)))
    started = time.time()
    history = train(
        args,
        task,
        paired_dataset(bench.paired("train"), args.batch_size, args.seed),
        args.epochs,
        strategy,
        root,
    )
    train_seconds = time.time() - started
    cm_zoo.training.remove_worker_directory(out, strategy)
    if not chief:
        return {"history": history}
    backbone.save(root / "backbone.keras")

    metrics = evaluate(backbone, bench)
    metrics.update(
        teacher_seconds=teacher_seconds,
        train_seconds=train_seconds,
        history=history,
    )
    cm_zoo.evaluation.write_json(root / "metrics.json", metrics)
    cm_zoo.evaluation.write_json(
        root / "run_config.json",
        {
            "model_name": f"see_hear_read_{args.loss}",
            "method": LOSS_LABELS[args.loss],
            "preset": args.preset,
            "class_names": bench.class_names,
            "data_manifest_sha256": bench.manifest_sha256,
            "args": vars(args),
        },
    )
    for direction, result in metrics["median_rank"]["fc7"].items():
        print(
            f"median rank {direction} (fc7): {result['median_rank']:.1f} "
            f"(chance {result['chance']:.1f})"
        )
    return metrics


if __name__ == "__main__":
    main()

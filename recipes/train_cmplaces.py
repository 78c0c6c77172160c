"""Train Cross-Modal Scene Networks (baselines, methods A, B, C) and evaluate.

With no arguments: Method C on the embedded clip-art benchmark with the
`cmplaces_alexnet_tiny` preset, on CPU in minutes. `--method all` trains
every row of the paper's Table 1 and writes `summary.md` beside them.
Unset training flags take the preset's defaults (`cm_zoo.presets`).

    python recipes/train_cmplaces.py
    python recipes/train_cmplaces.py --method all --output runs/cmplaces
    python recipes/train_cmplaces.py --method C --holdout-categories default

The regime (issue 15; every setting chosen on the val split, never on
test) is the preset's training defaults; for `cmplaces_alexnet_tiny`:

    optimizer=sgd learning_rate=0.01 momentum=0.9 clipnorm=10.0
    source_epochs=30 source_views=2 epochs=25 freeze_epochs=4
    steps_per_epoch=40 batch_size=32 num_components=10
    statreg_weight=0.01 patience=6

The source network trains on the benchmark's source pool (never on a
target item; `source_views` renders per drawing, classes balanced) and
keeps its epoch of best balanced accuracy on the pool's val split. Each
method stops after `patience` epochs without a better mean cross-modal
mAP (fc7) on the val split and keeps its best epoch's weights; the
per-epoch distance of each head from the source (`drift_*`) and every
StatReg term (`statreg_*`) are in its history. `--eval-split val` writes
val metrics, for choosing settings. The table over seeds with 95%
intervals: `recipes/run_cmplaces_table.py`, docs/results/cmplaces.md.

`--output` is a run directory (`cm_zoo.runs.RunDirectory`): `source/`,
`priors/` and one run per method (`backbone.keras`, `run_config.json`,
`metrics.json`, TensorBoard `logs/`, resume state). A killed run resumes:
rerun the same command. Scaling out: docs/RUNBOOK.md. `--batch-size` is
global: per modality per step, split over the replicas.
"""

import argparse
import dataclasses
import sys

import recipe_arguments as flags


def parse_args(argv):
    """Flags and their ranges; cm_zoo (TensorFlow) is not imported yet."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _add_run_flags(parser.add_argument)
    _add_optimisation_flags(parser.add_argument)
    flags.add_scaling_flags(parser, jit_help="XLA, without description")
    parser.add_argument("--seed", type=flags.non_negative_int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    flags.check_at_most(parser, args, "--freeze-epochs", "--epochs")
    if args.momentum is not None and args.momentum >= 1.0:
        parser.error(f"argument --momentum: must be < 1, got {args.momentum}")
    return parser, args


def _add_run_flags(add):
    """What to train: method, preset, data, output and the schedule."""
    add("--method", default="C", help="a cm_zoo.models.cmplaces.METHODS key")
    add("--preset", default="cmplaces_alexnet_tiny")
    add("--data", default=None, help="benchmark directory (default: embedded)")
    add(
        "--holdout-categories",
        default="",
        help="comma-separated categories removed from the target "
        "modalities' training data (zero-shot), or 'default'",
    )
    add("--output", default="runs/cmplaces")
    for name in ("source-epochs", "epochs", "steps-per-epoch"):
        add(f"--{name}", type=flags.positive_int, help="default: preset")
    add(
        "--freeze-epochs",
        type=flags.non_negative_int,
        help="epochs with the shared layers frozen (A, C); <= --epochs",
    )
    add("--batch-size", type=flags.positive_int, help="global, per modality")
    add("--batch-norm", choices=["on", "off"], help="in the towers")
    add(
        "--text-init-stddev",
        type=flags.non_negative_float,
        help="normal init of the description MLP (paper: 0.1); 0: He",
    )
    add("--source-views", type=flags.positive_int, help="renders per drawing")
    add(
        "--patience",
        type=flags.positive_int,
        help="early stopping on the val split (epochs without a better "
        "score); default: preset",
    )


def _add_optimisation_flags(add):
    """How to train: optimizer, inputs, augmentation and StatReg."""
    add("--optimizer", choices=["sgd", "adam"])
    add("--learning-rate", type=flags.positive_float)
    add("--momentum", type=flags.non_negative_float, help="SGD, in [0, 1)")
    add("--num-components", type=flags.positive_int, help="GMM prior")
    flags.add_augment_flag(add)
    flags.add_input_flags(add)
    add(
        "--include-val",
        action="store_true",
        help="also train on val (and the source pool's val), once chosen",
    )
    add("--include-paired", action="store_true", help="+ the pairs' items")
    add("--include-lexicon", action="store_true", help="+ WordNet texts")
    add("--eval-split", default="test", choices=["test", "val"])
    add("--statreg-layers", default="pool5,fc6,fc7")
    add("--statreg-weight", type=flags.non_negative_float, help="lambda/dim")
    add("--clipnorm", type=flags.positive_float)


def import_library():
    """Imports cm_zoo (and so TensorFlow) once the flags are known."""
    global cm_zoo, keras
    cm_zoo, keras = flags.import_library("cm_zoo", "keras")


def check_names(parser, args):
    """Checks method, preset, layer and strategy names against cm_zoo."""
    methods = list(cm_zoo.models.cmplaces.METHODS) + ["all"]
    flags.check_choice(parser, "--method", args.method, methods)
    presets = cm_zoo.presets.names("cmplaces")
    flags.check_choice(parser, "--preset", args.preset, presets)
    layers = [s for s in args.statreg_layers.split(",") if s]
    if not layers or set(layers) - set(cm_zoo.evaluation.RETRIEVAL_LAYERS):
        parser.error(
            "argument --statreg-layers: expected names among "
            f"{list(cm_zoo.evaluation.RETRIEVAL_LAYERS)}, got "
            f"{args.statreg_layers!r}"
        )
    flags.check_scaling_flags(parser, args, cm_zoo.training.STRATEGIES)


def holdout_labels(parser, spec, bench):
    if not spec:
        return []
    names = bench.holdout_categories if spec == "default" else spec.split(",")
    unknown = [n for n in names if n not in bench.class_names]
    if unknown:
        parser.error(
            f"argument --holdout-categories: unknown categories {unknown}; "
            f"the benchmark has {bench.class_names}"
        )
    return [bench.class_names.index(n) for n in names]


def regime(training, args):
    """The preset's training defaults with the flags set, architecture
    flags (`--batch-norm`, `--text-init-stddev`, the input flags)
    included."""
    architecture = dict(training.architecture)
    if args.batch_norm is not None:
        architecture["use_batch_norm"] = args.batch_norm == "on"
    if args.text_init_stddev is not None:
        architecture["text_kernel_init_stddev"] = args.text_init_stddev or None
    training = dataclasses.replace(training, architecture=architecture)
    return flags.with_flags(flags.with_input_flags(training, args), args)


def make_job(parser, args, bench):
    """The `cm_zoo.runs.CMPlacesJob` the flags describe."""
    training = regime(cm_zoo.presets.get(args.preset).training, args)
    job = cm_zoo.runs.CMPlacesJob(
        preset=args.preset,
        training=training,
        holdout=tuple(holdout_labels(parser, args.holdout_categories, bench)),
        statreg_layers=tuple(s for s in args.statreg_layers.split(",") if s),
        **flags.pick(args, "augment", "include_val", "include_paired"),
        **flags.pick(args, "include_lexicon", "eval_split", "seed"),
        **flags.pick(args, "save_every_steps", "jit_compile", "verbose"),
    )
    flags.check_at_most(parser, job.training, "--freeze-epochs", "--epochs")
    return job


def main(argv=None):
    parser, args = parse_args(sys.argv[1:] if argv is None else argv)
    import_library()
    check_names(parser, args)
    keras.utils.set_random_seed(args.seed)
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    job = make_job(parser, args, bench)
    # The strategy checks the global batch: the flag's or the preset's.
    strategy = cm_zoo.training.strategy_from_arguments(
        argparse.Namespace(
            **{**vars(args), "batch_size": job.training.batch_size}
        )
    )
    methods = [args.method]
    if args.method == "all":
        methods = list(cm_zoo.models.cmplaces.METHODS)
    results = cm_zoo.runs.train_cmplaces(
        methods,
        bench,
        job,
        strategy=strategy,
        output=args.output,
        run_args={
            **vars(args),
            **dataclasses.asdict(job.training),
            "architecture": dict(job.training.architecture),
        },
    )
    for method, metrics in results.items():
        if "retrieval" in metrics:
            mean = metrics["retrieval"]["fc7"]["mean"]
            print(
                f"{method}: mean cross-modal mAP (fc7) = "
                f"{100 * mean['map']:.1f} "
                f"(chance {100 * mean['chance_map']:.1f})"
            )
    return results


if __name__ == "__main__":
    main()

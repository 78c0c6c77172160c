"""Align a modality of your own to a shipped model and export its encoder.

    python recipes/align_modality.py --to saved_models/cmplaces_method_c \
        --modality thermal --data my_thermal_images/ --tower image
    python recipes/align_modality.py --to cmplaces_method_c --modality \
        sound --data clips.txt --method C --output saved_models/with_sound

`--data` is a folder with one sub-folder per class (named after the
model's classes) or a list file of `path label` lines; pictures, text
files (`--text-lines`: one item per line) or WAV/FLAC at any rate. A new
tower (`--tower`: `image`, `description`, `sound` or a registered tower)
is trained under the model's own fc6/fc7/classifier and StatReg priors,
read from the export's `shared/` (Cross-Modal Scene Networks' methods:
`A` frozen shared layers, `B` StatReg, `C` both, `bl_individual` neither),
then exported as `<model>/<modality>/` (or into a copy, `--output`): same
contract, manifest and model card updated, other encoders byte-identical.
An export without `shared/` gets it first (`--add-alignment-state`):
the layers are recovered from the source encoder's SavedModel and the
priors fitted on the clip-art benchmark's source pool. Training is
resumable: rerun the same command after a kill (state in `--work-dir`).
With `--eval-data`, the new encoder's cross-modal retrieval against the
shipped encoders (the benchmark's test items) goes into the manifest.
"""

import argparse
import json
import pathlib
import sys

import recipe_arguments as flags

KINDS = ("image", "description", "sound")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--to", required=True, help="model dir or name")
    add("--modality", help="name of the new modality")
    add("--data", help="class folders or a list file")
    add("--tower", default=None, help="|".join(KINDS))
    add("--method", default="C")
    add("--output", default=None, help="new model dir")
    add("--on-corrupt", choices=("raise", "skip"), default="raise")
    add("--text-lines", action="store_true")
    add("--eval-data", default=None)
    add(
        "--eval-shipped",
        action="append",
        default=[],
        metavar="MODALITY=DIR_OR_LIST",
        help="held-out items of a shipped modality (default: the clip-art "
        "benchmark's test split, for a model of its classes)",
    )
    add("--work-dir", default=None)
    add("--add-alignment-state", action="store_true")
    add("--tower-preset", default="see_hear_read_alexnet_tiny")
    add("--num-components", type=flags.positive_int, default=10)
    add("--epochs", type=flags.positive_int, default=10)
    add("--steps-per-epoch", type=flags.positive_int, default=20)
    add("--batch-size", type=flags.positive_int, default=32)
    add("--learning-rate", type=flags.positive_float, default=0.001)
    add("--statreg-weight", type=flags.non_negative_float, default=0.01)
    add("--seed", type=flags.non_negative_int, default=0)
    add("--overwrite", action="store_true")
    add("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.add_alignment_state and not (args.modality and args.data):
        parser.error("--modality and --data are required")
    return args


def import_library():
    """Imports cm_zoo (and so TensorFlow) once the flags are parsed."""
    global cm_zoo, keras
    cm_zoo, keras = flags.import_library("cm_zoo", "keras")


def ensure_alignment_state(model_dir, args):
    """Adds `shared/` to an export without it (see the module docstring)."""
    manifest = cm_zoo.export.read_manifest(model_dir)
    if cm_zoo.export.alignment_state.has_alignment_state(manifest):
        return
    bench = cm_zoo.data.clipart_benchmark.load()
    x, _ = bench.source_pool("train")
    print(f"fitting {args.num_components}-component priors on {len(x)} ...")
    cm_zoo.runs.alignment_export.recover_alignment_state(
        model_dir, bench.source_modality, x, num_components=args.num_components
    )
    print(f"added shared layers and priors to {model_dir}")


def read(data, kind, class_names, config, args, work_dir):
    items = cm_zoo.runs.alignment_data.read_labelled_data(
        data,
        kind,
        class_names,
        list_dir=str(work_dir),
        image_size=config["image_size"],
        on_corrupt=args.on_corrupt,
        lines_as_items=args.text_lines,
    )
    print(items.report(data))
    return items


def evaluate(model_dir, args, aligned, class_names, work_dir):
    """Retrieval of the exported new encoder against the shipped ones:
    `--eval-data` against `--eval-shipped` (default: the benchmark's)."""
    config = aligned.config
    data = read(
        args.eval_data, aligned.kind, class_names, config, args, work_dir
    )
    shipped = cm_zoo.export.read_manifest(model_dir)["modalities"]
    items = {}
    for entry in args.eval_shipped:
        modality, _, path = entry.partition("=")
        if modality not in shipped or not path:
            sys.exit(f"--eval-shipped {entry!r}: expected MODALITY=DIR_OR_LIST")
        kind = cm_zoo.export.contract.input_kind(modality)
        found = read(path, kind, class_names, config, args, work_dir / modality)
        items[modality] = (found.x, found.y)
    items = items or cm_zoo.runs.alignment_export.benchmark_test_items(
        [m for m in shipped if m != args.modality], class_names
    )
    if not items:
        sys.exit("No held-out items of the shipped modalities: --eval-shipped")
    items[args.modality] = (data.x, data.y)
    return cm_zoo.runs.alignment_export.encoder_retrieval(
        model_dir, args.modality, items
    )


def train(args, aligned, state, data, tower, work_dir):
    """Trains the new tower (`--method`); returns the manifest's record."""
    run = cm_zoo.runs.modality_alignment
    task = run.build_alignment_task(
        aligned.backbone, args.method, state.priors, args.statreg_weight
    )
    history = run.train_alignment(
        task,
        data.x,
        data.y,
        run_dir=work_dir,
        **flags.pick(args, "epochs", "steps_per_epoch", "batch_size"),
        **flags.pick(args, "learning_rate", "seed", "verbose"),
    )
    return {
        "data": str(args.data),
        "num_items": int(len(data.y)),
        "num_skipped": len(data.skipped),
        "tower": tower,
        **flags.pick(args, "epochs", "steps_per_epoch"),
        "final_accuracy": float(history[f"{aligned.key}_accuracy"][-1]),
        "seed": args.seed,
    }


def main(argv=None):
    args = parse_args(argv)
    import_library()
    align = cm_zoo.runs.alignment_export
    try:
        model_dir = align.model_to_align(args.to, args.output)
    except ValueError as error:
        sys.exit(f"--to {error}")
    ensure_alignment_state(model_dir, args)
    if not args.modality:
        return model_dir
    cm_zoo.runs.modality_alignment.get_alignment_method(args.method)
    state = cm_zoo.export.read_alignment_state(model_dir)
    class_names = cm_zoo.export.read_manifest(model_dir)["class_names"]
    work_dir = pathlib.Path(
        args.work_dir
        or f"runs/align/{model_dir.name}_{args.modality}_{args.method}"
    )
    try:
        tower = align.alignment_tower(
            args.modality, args.tower, state.source_modality
        )
    except ValueError as error:
        sys.exit(f"--tower {error}")
    keras.utils.set_random_seed(args.seed)  # initial weights, dropout seeds
    aligned = align.build_aligned_backbone(
        model_dir, state, tower, args.modality, args.tower_preset
    )
    data = read(
        args.data, aligned.kind, class_names, aligned.config, args, work_dir
    )
    target = align.export_aligned_modality(
        model_dir,
        aligned,
        args.modality,
        method=args.method,
        training_data=train(args, aligned, state, data, tower, work_dir),
        overwrite=args.overwrite,
    )
    if args.eval_data:
        metrics = evaluate(model_dir, args, aligned, class_names, work_dir)
        cm_zoo.export.record_metrics(model_dir, args.modality, metrics)
        print(json.dumps({k: v for k, v in metrics.items() if k != "pairs"}))
    print(f"exported {args.modality} ({args.method}) to {target}")
    return target


if __name__ == "__main__":
    main()

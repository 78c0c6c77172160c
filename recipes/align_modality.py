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
    parser.add_argument("--to", required=True, help="model dir or name")
    parser.add_argument("--modality", help="name of the new modality")
    parser.add_argument("--data", help="class folders or a list file")
    parser.add_argument("--tower", default=None, help="|".join(KINDS))
    parser.add_argument("--method", default="C")
    parser.add_argument("--output", default=None, help="new model dir")
    parser.add_argument("--on-corrupt", choices=("raise", "skip"))
    parser.add_argument("--text-lines", action="store_true")
    parser.add_argument("--eval-data", default=None)
    parser.add_argument(
        "--eval-shipped",
        action="append",
        default=[],
        metavar="MODALITY=DIR_OR_LIST",
        help="held-out items of a shipped modality (default: the clip-art "
        "benchmark's test split, for a model of its classes)",
    )
    parser.add_argument("--work-dir", default=None)
    parser.add_argument("--add-alignment-state", action="store_true")
    parser.add_argument("--tower-preset", default="see_hear_read_alexnet_tiny")
    parser.add_argument("--num-components", type=flags.positive_int)
    parser.add_argument("--epochs", type=flags.positive_int, default=10)
    parser.add_argument("--steps-per-epoch", type=flags.positive_int)
    parser.add_argument("--batch-size", type=flags.positive_int, default=32)
    parser.add_argument("--learning-rate", type=flags.positive_float)
    parser.add_argument("--statreg-weight", type=flags.non_negative_float)
    parser.add_argument("--seed", type=flags.non_negative_int, default=0)
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--verbose", type=int, default=0)
    parser.set_defaults(
        on_corrupt="raise",
        num_components=10,
        steps_per_epoch=20,
        learning_rate=0.01,
        statreg_weight=0.01,
    )
    args = parser.parse_args(argv)
    if not args.add_alignment_state and not (args.modality and args.data):
        parser.error("--modality and --data are required")
    return args


def import_library():
    """Imports cm_zoo (and so TensorFlow) once the flags are parsed."""
    global cm_zoo, keras, np
    cm_zoo, keras, np = flags.import_library("cm_zoo", "keras", "numpy")


def model_directory(args):
    """The export to add to: `--to`, or its copy `--output` (made once)."""
    export = cm_zoo.export
    source = pathlib.Path(args.to)
    if not (source / "manifest.json").is_file():
        models = export.available_models()
        if args.to not in models:
            sys.exit(f"--to {args.to!r}: no export; shipped: {sorted(models)}")
        source = models[args.to]
    if args.output is None:
        return source
    output = pathlib.Path(args.output)
    if not (output / "manifest.json").is_file():
        export.copy_export(source, output)
    return output


def ensure_alignment_state(model_dir, args):
    """Adds `shared/` to an export without it (see the module docstring)."""
    manifest = cm_zoo.export.read_manifest(model_dir)
    if cm_zoo.export.alignment_state.has_alignment_state(manifest):
        return
    bench = cm_zoo.data.clipart_benchmark.load()
    source = bench.source_modality
    preset = manifest["training_data"].get("preset")
    config = {
        **cm_zoo.presets.get(preset).config(),
        "num_classes": len(manifest["class_names"]),
        "hidden_dim": manifest["output_widths"][cm_zoo.models.FC6],
    }
    backbone = cm_zoo.export.recover_backbone(model_dir, source, config)
    config = cm_zoo.export.alignment_state.architecture_config(
        backbone, source, config
    )
    x, _ = bench.source_pool("train")
    print(f"fitting {args.num_components}-component priors on {len(x)} ...")
    priors = cm_zoo.runs.modality_alignment.fit_alignment_priors(
        backbone, source, x, num_components=args.num_components, seed=0
    )
    cm_zoo.export.add_alignment_state(
        model_dir,
        backbone,
        source_modality=source,
        config=config,
        priors=priors,
        preset=preset,
    )
    print(f"added shared layers and priors to {model_dir}")


def tower_name(args, state):
    """The registered tower `--tower` names (a kind picks its default)."""
    modalities = cm_zoo.modalities
    tower = args.tower or (
        args.modality if args.modality in modalities.ALL_MODALITIES else "image"
    )
    if tower == "image":
        return (
            state.source_modality
            if modalities.is_image(state.source_modality)
            else modalities.SKETCH
        )
    registered = cm_zoo.towers.registered_modalities()
    if tower not in registered:
        sys.exit(f"--tower {tower!r}: expected image or one of {registered}")
    return tower


def build(args, model_dir, state):
    """`(backbone, key, kind, config)`: the new tower under the restored
    shared layers; `key` its (canonical) training key, `kind` its input."""
    config = {**cm_zoo.presets.get(args.tower_preset).config(), **state.config}
    keras.utils.set_random_seed(args.seed)  # initial weights, dropout seeds
    tower = cm_zoo.towers.build_tower(
        tower_name(args, state), config, name=f"{args.modality}_tower"
    )
    kind = cm_zoo.export.contract.input_kind(args.modality, tower)
    key = cm_zoo.runs.alignment_data.DECODER_KEYS[kind]
    backbone = cm_zoo.runs.modality_alignment.build_alignment_backbone(
        config, key, tower
    )
    cm_zoo.export.restore_upper_layers(
        backbone, key, state.upper_weights, str(model_dir / "shared")
    )
    if kind == "image":
        source = cm_zoo.export.recover_backbone(
            model_dir, state.source_modality, state.config
        )
        cm_zoo.models.cmplaces.initialize_from_source(
            backbone, source, towers=True, upper=False
        )
    return backbone, key, kind, config


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
    for path, reason in items.skipped:
        print(f"  skipped {path}: {reason}")
    print(
        f"{data}: {len(items.y)} items of {len(set(items.y.tolist()))} "
        f"classes, {len(items.skipped)} unreadable skipped"
    )
    return items


def shipped_eval_items(manifest, args, class_names, config, work_dir):
    """`{modality: (x, y)}` of the shipped encoders' held-out items."""
    items = {}
    for entry in args.eval_shipped:
        modality, _, data = entry.partition("=")
        if modality not in manifest["modalities"] or not data:
            sys.exit(f"--eval-shipped {entry!r}: expected MODALITY=DIR_OR_LIST")
        kind = cm_zoo.export.contract.input_kind(modality)
        found = read(data, kind, class_names, config, args, work_dir / modality)
        items[modality] = (found.x, found.y)
    bench = cm_zoo.data.clipart_benchmark.load()
    if not items and list(bench.class_names) == list(class_names):
        for modality in manifest["modalities"]:
            if modality in bench.modalities and modality != args.modality:
                items[modality] = bench.arrays(modality, "test")
    return items


def evaluate(model_dir, args, kind, class_names, config, work_dir):
    """Retrieval of the exported new encoder against the shipped ones."""
    manifest = cm_zoo.export.read_manifest(model_dir)
    data = read(args.eval_data, kind, class_names, config, args, work_dir)
    items = shipped_eval_items(manifest, args, class_names, config, work_dir)
    if not items:
        sys.exit("No held-out items of the shipped modalities: --eval-shipped")
    items[args.modality] = (data.x, data.y)
    features = {}
    for modality, (x, y) in items.items():
        encoder = cm_zoo.export.load_encoder(model_dir, modality)
        embedded = [
            encoder(x[i : i + 64])["embedding"].numpy()
            for i in range(0, len(x), 64)
        ]
        features[modality] = (np.concatenate(embedded), np.asarray(y))
    return cm_zoo.runs.modality_alignment.alignment_retrieval(
        args.modality, features
    )


def export(backbone, key, model_dir, args, training_data):
    """Exports the trained path under `--modality`; returns its dir."""
    state_weights = cm_zoo.export.alignment_state.upper_layer_weights
    tower = backbone.towers[key]
    exported = cm_zoo.models.CrossModalBackbone(
        {args.modality: tower},
        num_classes=backbone.num_classes,
        hidden_dim=backbone.hidden_dim,
        dropout=backbone.dropout,
    )
    cm_zoo.export.restore_upper_layers(
        exported, args.modality, state_weights(backbone, key), "trained"
    )
    return cm_zoo.export.add_modality(
        model_dir,
        exported,
        args.modality,
        method=cm_zoo.runs.modality_alignment.ALIGNMENT_METHODS[
            args.method
        ].label,
        training_data=training_data,
        overwrite=args.overwrite,
    )


def main(argv=None):
    args = parse_args(argv)
    import_library()
    model_dir = model_directory(args)
    ensure_alignment_state(model_dir, args)
    if not args.modality:
        return model_dir
    run = cm_zoo.runs.modality_alignment
    run.get_alignment_method(args.method)
    state = cm_zoo.export.read_alignment_state(model_dir)
    class_names = cm_zoo.export.read_manifest(model_dir)["class_names"]
    work_dir = pathlib.Path(
        args.work_dir
        or f"runs/align/{model_dir.name}_{args.modality}_{args.method}"
    )
    backbone, key, kind, config = build(args, model_dir, state)
    data = read(args.data, kind, class_names, config, args, work_dir)
    task = run.build_alignment_task(
        backbone, args.method, state.priors, args.statreg_weight
    )
    history = run.train_alignment(
        task,
        data.x,
        data.y,
        run_dir=work_dir,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        verbose=args.verbose,
    )
    training_data = {
        "data": str(args.data),
        "num_items": int(len(data.y)),
        "num_skipped": len(data.skipped),
        "tower": tower_name(args, state),
        "epochs": args.epochs,
        "steps_per_epoch": args.steps_per_epoch,
        "final_accuracy": float(history[f"{key}_accuracy"][-1]),
        "seed": args.seed,
    }
    target = export(backbone, key, model_dir, args, training_data)
    if args.eval_data:
        metrics = evaluate(model_dir, args, kind, class_names, config, work_dir)
        cm_zoo.export.record_metrics(model_dir, args.modality, metrics)
        print(json.dumps({k: v for k, v in metrics.items() if k != "pairs"}))
    print(f"exported {args.modality} ({args.method}) to {target}")
    return target


if __name__ == "__main__":
    main()

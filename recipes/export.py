"""Export a trained run's encoders for TF Hub: saved_models/<name>/<modality>/.

    python recipes/export.py runs/see_hear_read
    python recipes/export.py runs/cmplaces_method_c --output saved_models \
        --name cmplaces_method_c_tiny

Reads the run directory (`cm_zoo.runs.RunDirectory`): `backbone.keras`,
`run_config.json` (`model_name`, `method`, `class_names`,
`data_manifest_sha256`, `preset`, `args`) and the training `metrics.json`
(held-out metrics; its `history` training curve is left out of the
manifest; an evaluation report in `evaluation/` is never read), and
writes one Reusable SavedModel per modality, `manifest.json` and the model
card `README.md` (see `cm_zoo.export`). Then
reloads each encoder with hash verification and embeds a dummy batch.

When the model encodes the clip-art benchmark's source modality, the
export also carries what `recipes/align_modality.py` needs to add a
modality later (`shared/`: fc6/fc7/classifier weights and GMM priors of
the exported model's source activations on the benchmark's source pool,
`--num-components` components; about two minutes on CPU for the tiny
preset); `--no-alignment-state` leaves it out.
"""

import argparse
import sys
import time

import recipe_arguments as flags


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", help="trained run directory")
    parser.add_argument("--output", default="saved_models")
    parser.add_argument(
        "--name",
        default=None,
        help="model name (default: run_config model_name)",
    )
    parser.add_argument(
        "--method",
        default=None,
        help="paper method (default: run_config method)",
    )
    parser.add_argument("--embedding-layer", default="fc7")
    parser.add_argument("--no-alignment-state", action="store_true")
    parser.add_argument(
        "--num-components",
        type=int,
        default=None,
        help="GMM components of the priors (default: the run's, else 10)",
    )
    parser.add_argument("--overwrite", action="store_true")
    return parser.parse_args(argv)


def import_library():
    """Imports cm_zoo (and so TensorFlow) once the flags are parsed."""
    global cm_zoo, np
    cm_zoo, np = flags.import_library("cm_zoo", "numpy")


def read_run(run):
    """`run_config.json` and `metrics.json` of a trained run directory."""
    for name in ("backbone.keras", "run_config.json", "metrics.json"):
        if not (run.path / name).is_file():
            sys.exit(
                f"Missing {run.path / name}: expected a trained run directory."
            )
    return run.read_run_config(), run.read_metrics()


def dummy_batch(modality):
    if cm_zoo.modalities.is_image(modality):
        return np.zeros((2, 64, 64, 3), np.uint8)
    if modality == cm_zoo.modalities.DESCRIPTION:
        return np.array(["a red bird on a branch", ""])
    return np.zeros((2, 16000), np.float32)


def alignment(backbone, config, args):
    """`export_encoders`' `alignment=`: shared layers and fitted priors."""
    bench = cm_zoo.data.clipart_benchmark.load()
    source = bench.source_modality
    if args.no_alignment_state or source not in backbone.modalities:
        return None
    preset = config.get("preset")
    components = args.num_components or config.get("args", {}).get(
        "num_components", 10
    )
    x, _ = bench.source_pool("train")
    priors = cm_zoo.runs.modality_alignment.fit_alignment_priors(
        backbone, source, x, num_components=int(components)
    )
    return {
        "source_modality": source,
        "config": cm_zoo.export.alignment_state.architecture_config(
            backbone,
            source,
            cm_zoo.presets.get(preset).config(**_architecture(config)),
        ),
        "priors": priors,
        "preset": preset,
    }


def _architecture(config):
    """The run's changes to its preset's architecture (flags such as
    `--wordnet-concepts`), recorded as a mapping or as pairs."""
    return dict(config.get("args", {}).get("architecture") or {})


def main(argv=None):
    args = parse_args(argv)
    import_library()
    run = cm_zoo.runs.RunDirectory(args.run_dir)
    config, metrics = read_run(run)
    metrics.pop("history", None)
    name = args.name or config.get("model_name")
    method = args.method or config.get("method")
    if not name or not method:
        sys.exit(
            "run_config.json lacks `model_name` or `method`; pass "
            "--name and --method."
        )
    training_data = {
        "data_manifest_sha256": config.get("data_manifest_sha256"),
        "preset": config.get("preset"),
        "run_args": config.get("args", {}),
    }
    if "members" in config:  # a merged run (`recipes/merge_runs.py`)
        training_data["merged_runs"] = config["members"]

    started = time.time()
    backbone = run.load_backbone()
    model_dir = cm_zoo.export.export_encoders(
        backbone,
        args.output,
        model_name=name,
        method=method,
        class_names=config["class_names"],
        training_data=training_data,
        metrics=metrics,
        embedding_layer=args.embedding_layer,
        alignment=alignment(backbone, config, args),
        overwrite=args.overwrite,
    )
    exported = time.time()
    print(
        f"exported {backbone.modalities} to {model_dir} "
        f"in {exported - started:.1f}s"
    )
    for modality in backbone.modalities:
        start = time.time()
        encoder = cm_zoo.export.load_encoder(model_dir / modality)
        embedding = encoder(dummy_batch(modality))["embedding"]
        print(
            f"  {modality}: verified, loaded and embedded "
            f"{tuple(embedding.shape)} in {time.time() - start:.1f}s"
        )
    return model_dir


if __name__ == "__main__":
    main()

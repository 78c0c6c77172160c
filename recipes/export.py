"""Export a trained run's encoders for TF Hub: saved_models/<name>/<modality>/.

    python recipes/export.py runs/see_hear_read
    python recipes/export.py runs/cmplaces_method_c --output saved_models \
        --name cmplaces_method_c_tiny

Reads `RUN_DIR/backbone.keras`, `RUN_DIR/run_config.json` (`model_name`,
`method`, `class_names`, `data_manifest_sha256`, `preset`, `args`) and
`RUN_DIR/metrics.json` (held-out metrics; its `history` training curve is
left out of the manifest), and writes one Reusable SavedModel per modality,
`manifest.json` and the model card `README.md` (see `cm_zoo.export`). Then
reloads each encoder with hash verification and embeds a dummy batch.
"""

import argparse
import json
import pathlib
import sys
import time

import keras
import numpy as np

import cm_zoo  # noqa: F401  (registers the serializable classes)
from cm_zoo import modalities
from cm_zoo.export import export_encoders
from cm_zoo.export import load_encoder


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
    parser.add_argument("--overwrite", action="store_true")
    return parser.parse_args(argv)


def read_json(path):
    if not path.is_file():
        sys.exit(f"Missing {path}: expected a trained run directory.")
    return json.loads(path.read_text())


def dummy_batch(modality):
    if modalities.is_image(modality):
        return np.zeros((2, 64, 64, 3), np.uint8)
    if modality == modalities.DESCRIPTION:
        return np.array(["a red bird on a branch", ""])
    return np.zeros((2, 16000), np.float32)


def main(argv=None):
    args = parse_args(argv)
    run_dir = pathlib.Path(args.run_dir)
    config = read_json(run_dir / "run_config.json")
    metrics = read_json(run_dir / "metrics.json")
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

    started = time.time()
    backbone = keras.saving.load_model(run_dir / "backbone.keras")
    model_dir = export_encoders(
        backbone,
        args.output,
        model_name=name,
        method=method,
        class_names=config["class_names"],
        training_data=training_data,
        metrics=metrics,
        embedding_layer=args.embedding_layer,
        overwrite=args.overwrite,
    )
    exported = time.time()
    print(
        f"exported {backbone.modalities} to {model_dir} "
        f"in {exported - started:.1f}s"
    )
    for modality in backbone.modalities:
        start = time.time()
        encoder = load_encoder(model_dir / modality)
        embedding = encoder(dummy_batch(modality))["embedding"]
        print(
            f"  {modality}: verified, loaded and embedded "
            f"{tuple(embedding.shape)} in {time.time() - start:.1f}s"
        )
    return model_dir


if __name__ == "__main__":
    main()

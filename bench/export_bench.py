"""Times exported, reloaded encoders against the in-process Keras model.

A `cmplaces_alexnet_tiny` backbone (clipart, sketch, description) is
exported with `cm_zoo.export.export_encoders` to a temporary directory;
the sketch and description encoders are then called three ways:
  (a) in process: `backbone.encode(modality, x)` inside a `tf.function`;
  (b) `cm_zoo.export.load_encoder` (manifest-verified, input-checked);
  (c) the bare `tf.saved_model.load` object (what `hub.load` returns),
at batch 1 (latency) and batch 64 (throughput), with calls of the three
alternating in blocks; medians are kept. Target: (b) within 1.05x of (a).

Prints per-case timings, `<modality>_b<batch>_loaded_over_inprocess=`,
`..._saved_model_over_inprocess=`, and last `ratio=<x>`: the worst
`load_encoder` / in-process time ratio. Never collected by pytest.

    python bench/export_bench.py --quick
"""

import argparse
import cProfile
import os
import pstats
import tempfile

import keras
import numpy as np
import tensorflow as tf
from interleaved_timing import interleaved_medians

import cm_zoo

MODALITIES = ("clipart", "sketch", "description")
BATCHES = (1, 64)


def build_backbone(num_classes):
    config = cm_zoo.presets.get("cmplaces_alexnet_tiny").config()
    keras.utils.set_random_seed(0)
    towers = {m: cm_zoo.towers.build_tower(m, config) for m in MODALITIES}
    return cm_zoo.models.CrossModalBackbone(
        towers,
        num_classes=num_classes,
        hidden_dim=config["hidden_dim"],
        dropout=config["dropout"],
    )


def batch_of(bench, modality, size):
    x, _ = bench.arrays(modality, "test")
    rows = np.arange(size) % len(x)
    if modality == "description":
        return tf.constant([str(t) for t in x[rows]])
    return tf.constant(x[rows])


def profile_calls(function, num_calls):
    """Prints the top cProfile entries (own time) of `num_calls` calls."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(num_calls):
        function()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("tottime")
    stats.print_stats(12)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile 2000 batch-1 description calls of load_encoder",
    )
    args = parser.parse_args()
    repeats = 7 if args.quick else 15
    print(f"cores={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    bench = cm_zoo.data.clipart_benchmark.load()
    backbone = build_backbone(len(bench.class_names))
    ratios = {}
    with tempfile.TemporaryDirectory() as directory:
        root = cm_zoo.export.export_encoders(
            backbone,
            directory,
            model_name="bench",
            method="benchmark",
            class_names=bench.class_names,
        )
        for modality in ("sketch", "description"):
            loaded = cm_zoo.export.load_encoder(root / modality)
            saved_model = tf.saved_model.load(str(root / modality))

            @tf.function
            def in_process(x, modality=modality):
                return backbone.encode(modality, x, training=False)["fc7"]

            for batch in BATCHES:
                x = batch_of(bench, modality, batch)
                functions = {
                    "in_process": lambda x=x: in_process(x).numpy(),
                    "load_encoder": lambda x=x: loaded(x)["fc7"].numpy(),
                    "saved_model": lambda x=x: saved_model(x)["fc7"].numpy(),
                }
                outputs = [f() for f in functions.values()]
                for other in outputs[1:]:
                    np.testing.assert_allclose(
                        other, outputs[0], rtol=1e-4, atol=1e-5
                    )
                inner = 20 if batch == 1 else 3
                seconds = interleaved_medians(functions, repeats, inner)
                key = f"{modality}_b{batch}"
                ratios[key] = seconds["load_encoder"] / seconds["in_process"]
                print(
                    f"{key}: in_process={seconds['in_process'] * 1e3:.2f}ms "
                    f"load_encoder={seconds['load_encoder'] * 1e3:.2f}ms "
                    f"saved_model={seconds['saved_model'] * 1e3:.2f}ms "
                    f"({batch / seconds['load_encoder']:.0f} items/s loaded, "
                    f"{batch / seconds['in_process']:.0f} in process)"
                )
                print(f"{key}_loaded_over_inprocess={ratios[key]:.3f}")
                print(
                    f"{key}_saved_model_over_inprocess="
                    f"{seconds['saved_model'] / seconds['in_process']:.3f}"
                )
                if args.profile and key == "description_b1":
                    profile_calls(functions["load_encoder"], 2000)
    print(f"load_after={os.getloadavg()[0]:.1f}")
    print(f"ratio={max(ratios.values()):.3f}")


if __name__ == "__main__":
    main()

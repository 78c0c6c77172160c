"""Measures how cost grows with size: the exponent b of time ~ size^b.

For each quantity, the time at three or more sizes is fitted by least
squares on log(time) = b * log(size) + c, and b is set beside the
exponent the arithmetic predicts:
  - StatReg (`GMMStatReg`) NLL + input gradient at B=128: in K (D=4096)
    and in D (K=100); predicted 1 each (four B x K x D matmuls);
  - retrieval (`cross_modal_retrieval`, full protocol, two modalities of
    4096-d embeddings, N items each): in N; predicted 2 (N x N
    similarities; the per-row sort adds a log N factor);
  - EM prior fitting (`fit_diagonal_gmm`, 4096-d ReLU activations),
    seconds per iteration: in N (K=100) and in K (N=10,000); predicted 1
    each (four N x D x K matmuls);
  - the train step of the tiny BL-Shared-Upper task (batch 32 per
    modality): in the number of modalities M = 1..5; predicted at most 1
    (each modality adds a tower and its rows; the shared update is paid
    once).
Sizes start where the arithmetic outweighs the fixed costs (dispatch, a
~0.1 s per EM iteration, a ~10 ms train step); below that b falls under the
prediction. A b above it means something grows faster than its
arithmetic. Timings are medians of repeats, sizes interleaved.

Prints one table row per quantity (sizes, seconds, b, predicted) and last
`ratio=<x>`: the largest b / predicted over the rows (<= ~1.1 means
nothing grows faster than its arithmetic). Never collected by pytest.

    python bench/growth_bench.py --quick
"""

import argparse
import os
import statistics
import time

import keras
import numpy as np
import prior_fitting_bench
import retrieval_bench
import statreg_overhead_bench
import tensorflow as tf

import cm_zoo

TRAIN_MODALITIES = ("clipart", "sketch", "description", "natural")
TRAIN_MODALITIES += ("spatial_text",)


def exponent(sizes, seconds):
    """Least-squares slope of log(seconds) on log(sizes)."""
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def interleaved(functions, repeats, inner=1):
    """Median seconds per call of each `{size: function}`, in size order.

    Each round times `inner` calls of every size in turn, so a load that
    changes during the run hits all sizes.
    """
    times = {size: [] for size in functions}
    for _ in range(repeats):
        for size, function in functions.items():
            start = time.perf_counter()
            for _ in range(inner):
                function()
            times[size].append((time.perf_counter() - start) / inner)
    return [statistics.median(times[size]) for size in functions]


def statreg_step(num_components, dim, rng):
    """A traced NLL + d/dx of a random K x D diagonal-GMM prior, B=128."""
    prior = statreg_overhead_bench.random_prior(num_components, dim, rng)
    layer = cm_zoo.layers.GMMStatReg.from_prior(prior, weight=1.0)
    x = tf.constant(np.abs(rng.standard_normal((128, dim))), "float32")

    @tf.function
    def nll_gradient():
        with tf.GradientTape() as tape:
            tape.watch(x)
            layer(x, training=True)
        return tape.gradient(layer.losses, x)

    nll_gradient()
    return lambda: nll_gradient().numpy()


def retrieval_run(num_items):
    """Full-protocol retrieval over two 4096-d modalities of N items."""
    features = retrieval_bench.make_features(num_items, 41, 4096, seed=0)
    pair = {m: features[m] for m in list(features)[:2]}
    return lambda: cm_zoo.evaluation.cross_modal_retrieval(
        pair, protocol="full"
    )


def em_seconds_per_iteration(num_examples, num_components, repeats):
    """Median seconds per EM iteration (2 iterations per fit)."""
    x = prior_fitting_bench.make_activations(num_examples, 4096, seed=0)
    lapses = []
    for _ in range(repeats):
        lapses += prior_fitting_bench.fit_ours(x, 2, num_components)[0]
    return statistics.median(lapses)


def train_step(num_modalities, rng):
    """A warmed-up BL-Shared-Upper train step on the first M modalities."""
    config = cm_zoo.presets.get("cmplaces_alexnet_tiny").config()
    names = list(TRAIN_MODALITIES[:num_modalities])
    source = cm_zoo.models.cmplaces.build_source_network(
        config, "clipart", num_classes=20
    )
    keras.utils.set_random_seed(0)
    task, _ = cm_zoo.models.cmplaces.build_method(
        "bl_shared_upper", config, names, num_classes=20, source=source
    )
    task.compile(optimizer=keras.optimizers.SGD(1e-3, momentum=0.9))
    batch = statreg_overhead_bench.synthetic_batch(config, 32, rng)
    size = config["image_size"]
    x = {
        m: batch["description"]
        if m == "description"
        else rng.integers(0, 256, (32, size, size, 3), dtype=np.uint8)
        for m in names
    }
    y = {m: rng.integers(0, 20, 32) for m in names}
    task.train_on_batch(x, y)
    task.train_on_batch(x, y)
    return lambda: task.train_on_batch(x, y)


def measure(quick, rng):
    """`[(quantity, sizes, seconds, predicted b)]`, one per table row."""
    repeats = 3 if quick else 5
    rows = []
    sizes = (100, 200, 400, 800) if quick else (50, 100, 200, 400, 800)
    steps = {k: statreg_step(k, 4096, rng) for k in sizes}
    rows.append(("statreg K (D=4096)", sizes, interleaved(steps, 5, 5), 1))
    sizes = (2048, 4096, 9216) if quick else (1024, 2048, 4096, 9216)
    steps = {d: statreg_step(100, d, rng) for d in sizes}
    rows.append(("statreg D (K=100)", sizes, interleaved(steps, 5, 5), 1))
    sizes = (1024, 2048, 4096) if quick else (1024, 2048, 4096, 8192)
    runs = {n: retrieval_run(n) for n in sizes}
    rows.append(("retrieval N (full)", sizes, interleaved(runs, repeats), 2))
    sizes = (
        (10_000, 20_000, 40_000) if quick else (10_000, 20_000, 40_000, 80_000)
    )
    seconds = [em_seconds_per_iteration(n, 100, repeats) for n in sizes]
    rows.append(("EM N (K=100, D=4096)", sizes, seconds, 1))
    sizes = (50, 100, 200) if quick else (25, 50, 100, 200, 400)
    seconds = [em_seconds_per_iteration(10_000, k, repeats) for k in sizes]
    rows.append(("EM K (N=10,000, D=4096)", sizes, seconds, 1))
    sizes = (1, 2, 3, 4, 5)
    steps = {m: train_step(m, rng) for m in sizes}
    seconds = interleaved(steps, repeats * 2, 3)
    rows.append(("train step M modalities", sizes, seconds, 1))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"cores={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    rows = measure(args.quick, np.random.default_rng(0))
    print("| quantity | sizes | seconds | b | predicted | b / predicted |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for quantity, sizes, seconds, predicted in rows:
        b = exponent(sizes, seconds)
        worst = max(worst, b / predicted)
        print(
            f"| {quantity} | {', '.join(str(v) for v in sizes)} | "
            f"{', '.join(f'{t:.4g}' for t in seconds)} | {b:.2f} | "
            f"{predicted} | {b / predicted:.2f} |"
        )
    print(f"load_after={os.getloadavg()[0]:.1f}")
    print(f"ratio={worst:.2f}")


if __name__ == "__main__":
    main()

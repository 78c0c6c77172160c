"""Times the StatReg train-step overhead and the GMM prior's cost scaling.

Part 1, train step: Method C (Tune + StatReg, GMM K=100 on pool5, fc6,
fc7) against Method A (Tune) and Method B-GMM against its unregularized
twin BL-Individual, built by `cm_zoo.models.cmplaces.build_method` from
the same preset and the same (untrained) source network, on one batch of
the embedded clip-art benchmark (clipart, sketch, description; 32 rows
each, the recipe's default). The curriculum callbacks are not run, so
every layer trains (the released phase of A/C). Blocks of steps of the
two models alternate; medians are reported. Target: at most 1.05x. As
the op breakdown, the method's StatReg evaluation is also timed alone
(NLL + gradient of every layer, once per regularized modality, at the
same batch, in one `regularize_together` call as in the step) with the
op count of its graph, less the time of the timing harness around it (the
same call with a sum in place of StatReg, timed side by side).

Part 2, the prior alone: `GMMStatReg` NLL + gradient w.r.t. its input at
B=128 over K (10-400, D=4096) and D (256-9216, K=100) against
  (a) the arithmetic lower bound: the FLOPs of the two `[B,D]x[D,K]`
      matmuls forward and two backward (8*B*K*D) over the machine's float32
      matmul FLOP/s, calibrated in the same run on a 1024^3 matmul;
  (b) the same four matmuls timed bare at the same shapes;
  (c) TFP's `MixtureSameFamily.log_prob` (what `prior_distribution()`
      returns), skipped where its `[B, K, D]` broadcast exceeds 1 GiB.
Sub-millisecond calls are timed in blocks of at least 20 ms each
(`calls_per_block`): a few calls a block timed the scheduler as much as
the call.

Prints `c_over_a=`, `b_over_bl=` (with `..._ci95=low,high`, a percentile
bootstrap over the timed blocks of the ratio of medians), per-shape
lines, `ratio_vs_tfp=` (TFP time / ours, geometric mean),
`ratio_over_bound=` (ours / bound, geometric mean),
`ratio_over_bare_matmuls=` (ours / bare matmuls, geometric mean over the
K=100 shapes, D=256-9216; `..._all_shapes=` adds the K sweep),
`statreg_fraction=` (Method C's StatReg evaluation alone, 6 NLLs +
gradients in one call, over the Method A step; `..._b_gmm=` the same for
B-GMM over BL-Individual), then `ratio=<x>` (= c_over_a). Never
collected by pytest.

    python bench/statreg_overhead_bench.py --quick
    python bench/statreg_overhead_bench.py --paper   # adds the paper preset
"""

import argparse
import functools
import math
import os
import statistics

import keras
import numpy as np
import tensorflow as tf
from interleaved_timing import calls_per_block
from interleaved_timing import interleaved_medians
from interleaved_timing import interleaved_times
from interleaved_timing import median_ratio_interval

import cm_zoo

MODALITIES = ("clipart", "sketch", "description")
REGULARIZED_LAYERS = ("pool5", "fc6", "fc7")
NUM_COMPONENTS = 100
TFP_MAX_BYTES = 2**30
# Shortest timed block of the sub-millisecond StatReg and matmul calls.
BLOCK_SECONDS = 0.02


def random_prior(num_components, dim, rng):
    """A diagonal GMM with ReLU-activation-like scales (cost is value-free)."""
    return cm_zoo.layers.DiagonalGMMPrior(
        logits=np.log(np.full(num_components, 1.0 / num_components)),
        means=np.abs(rng.standard_normal((num_components, dim))),
        variances=rng.uniform(0.5, 2.0, (num_components, dim)),
    )


def synthetic_batch(config, batch_size, rng):
    """Random raw inputs of the preset's image size and short descriptions."""
    size = config["image_size"]
    words = ["kitchen", "beach", "forest", "street", "a", "the", "with"]
    x = {
        m: rng.integers(0, 256, (batch_size, size, size, 3), dtype=np.uint8)
        for m in MODALITIES[:2]
    }
    x["description"] = np.array(
        [" ".join(rng.choice(words, 12)) for _ in range(batch_size)], object
    )
    return x


def benchmark_batch(batch_size):
    """One batch per modality of the embedded benchmark's training split."""
    bench = cm_zoo.data.clipart_benchmark.load()
    arrays = {m: bench.arrays(m, "train") for m in MODALITIES}
    dataset = cm_zoo.data.make_multimodal_dataset(arrays, batch_size, seed=0)
    x, y = next(iter(dataset))
    num_classes = len(bench.class_names)
    return {m: v.numpy() for m, v in x.items()}, y, num_classes


def build_pair(method, baseline, config, num_classes, rng):
    """The regularized method and its unregularized twin, compiled alike."""
    source = cm_zoo.models.cmplaces.build_source_network(
        config, "clipart", num_classes=num_classes
    )
    dims = {
        "pool5": source.towers["clipart"].output_dim,
        "fc6": config["hidden_dim"],
        "fc7": config["hidden_dim"],
    }
    priors = {
        layer: random_prior(NUM_COMPONENTS, dims[layer], rng)
        for layer in REGULARIZED_LAYERS
    }
    tasks = {}
    for name in (method, baseline):
        keras.utils.set_random_seed(0)
        task, _ = cm_zoo.models.cmplaces.build_method(
            name,
            config,
            list(MODALITIES),
            num_classes=num_classes,
            source=source,
            priors=priors if name == method else None,
            statreg_weight=0.01,
        )
        task.compile(
            optimizer=keras.optimizers.SGD(
                1e-3, momentum=0.9, global_clipnorm=10.0
            )
        )
        tasks[name] = task
    return tasks


def time_train_steps(tasks, x, y, repeats, inner):
    steps = {
        name: (lambda task=task: task.train_on_batch(x, y))
        for name, task in tasks.items()
    }
    for step in steps.values():  # trace and warm up
        step()
        step()
    return interleaved_times(steps, repeats, inner)


def regularizers_alone(task, batch_size, repeats, rng):
    """Seconds and graph op count of the task's StatReg evaluation alone.

    As in a training step: every regularizer on one input per regularized
    modality, all in one `regularize_together` call, NLL + d/dx. The
    benchmark's own harness (calling a `tf.function` from Python, the tape,
    summing the gradients and reading the result back) is timed alike with
    a sum in place of the regularizers, side by side, and subtracted: in a
    training step StatReg runs inside the step's graph, without it.
    """
    inputs = [
        (
            reg,
            tf.constant(
                np.abs(rng.standard_normal((batch_size, reg.means.shape[1]))),
                "float32",
            ),
        )
        for reg in task.regularizers.values()
        for _ in task.regularized_modalities
    ]
    evaluations = {
        "statreg": tf.function(
            functools.partial(
                _forward_backward, inputs, cm_zoo.layers.regularize_together
            )
        ),
        "harness": tf.function(
            functools.partial(_forward_backward, inputs, _sums)
        ),
    }
    functions = {
        name: (lambda f=function: f().numpy())
        for name, function in evaluations.items()
    }
    for function in functions.values():
        function()
    graph = evaluations["statreg"].get_concrete_function().graph
    num_ops = len(graph.get_operations())
    inner = calls_per_block(functions, BLOCK_SECONDS)
    seconds = interleaved_medians(functions, repeats, inner)
    return seconds["statreg"] - seconds["harness"], seconds["harness"], num_ops


def _forward_backward(inputs, regularize):
    with tf.GradientTape() as tape:
        for _, x in inputs:
            tape.watch(x)
        loss = tf.add_n(regularize(inputs))
    grads = tape.gradient(loss, [x for _, x in inputs])
    return tf.add_n([tf.reduce_sum(g) for g in grads])


def _sums(calls):
    """The harness' stand-in for the regularizers: one sum per input."""
    return [tf.reduce_sum(x) for _, x in calls]


def train_step_overhead(preset, batch_size, repeats, inner, rng):
    config = cm_zoo.presets.get(preset).config()
    if preset.endswith("_tiny"):
        x, y, num_classes = benchmark_batch(batch_size)
    else:
        num_classes = config["num_classes"]
        x = synthetic_batch(config, batch_size, rng)
        y = {m: rng.integers(0, num_classes, batch_size) for m in MODALITIES}
    ratios, fractions, intervals = {}, {}, {}
    for method, baseline in (("C", "A_tune"), ("B_gmm", "bl_individual")):
        tasks = build_pair(method, baseline, config, num_classes, rng)
        times = time_train_steps(tasks, x, y, repeats, inner)
        seconds = {name: statistics.median(v) for name, v in times.items()}
        ratio = seconds[method] / seconds[baseline]
        intervals[method] = median_ratio_interval(
            times[method], times[baseline]
        )
        alone, harness, num_ops = regularizers_alone(
            tasks[method], batch_size, repeats, rng
        )
        items = batch_size * len(MODALITIES)
        print(
            f"{preset} batch={batch_size}x{len(MODALITIES)}: "
            f"{method}={seconds[method] * 1e3:.1f}ms "
            f"{baseline}={seconds[baseline] * 1e3:.1f}ms "
            f"({items / seconds[baseline]:.0f} items/s) "
            f"{method}/{baseline}={ratio:.3f}; its "
            f"{len(tasks[method].regularizers)} StatReg layers x "
            f"{len(tasks[method].regularized_modalities)} modalities alone: "
            f"{alone * 1e3:.2f}ms = {alone / seconds[baseline]:.3f} of the "
            f"baseline step, {num_ops} graph ops (NLL + d/dx; the timing "
            f"harness' {harness * 1e3:.2f}ms taken off)"
        )
        ratios[method] = ratio
        fractions[method] = alone / seconds[baseline]
        del tasks
        keras.backend.clear_session()
    return ratios, fractions, intervals


def matmul_flops_per_second(repeats):
    """Sustained float32 matmul FLOP/s of this machine (1024^3, TF)."""
    a = tf.random.normal([1024, 1024])
    b = tf.random.normal([1024, 1024])
    matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    matmul().numpy()
    seconds = interleaved_medians(
        {"matmul": lambda: matmul().numpy()}, repeats, 5
    )["matmul"]
    return 2 * 1024**3 / seconds


def prior_cost(num_components, dim, batch_size, repeats, rng):
    """Seconds of ours, TFP (or None), bare matmuls for NLL + d/dx."""
    prior = random_prior(num_components, dim, rng)
    layer = cm_zoo.layers.GMMStatReg.from_prior(prior, weight=1.0)
    x = tf.constant(np.abs(rng.standard_normal((batch_size, dim))), "float32")

    @tf.function
    def ours():
        with tf.GradientTape() as tape:
            tape.watch(x)
            layer(x, training=True)
            loss = tf.add_n(layer.losses)
        return loss, tape.gradient(loss, x)

    distribution = layer.prior_distribution()

    @tf.function
    def reference():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = -tf.reduce_mean(distribution.log_prob(x))
        return loss, tape.gradient(loss, x)

    precisions = tf.constant(1.0 / prior.variances, "float32")
    scaled_means = tf.constant(prior.means / prior.variances, "float32")

    @tf.function
    def bare():
        # Forward: x^2 P^T and x (mu P)^T; backward: dq P and dq (mu P).
        a = tf.matmul(tf.square(x), precisions, transpose_b=True)  # [B, K]
        b = tf.matmul(x, scaled_means, transpose_b=True)  # [B, K]
        return tf.matmul(a, precisions), tf.matmul(b, scaled_means)

    functions = {
        "ours": lambda: ours()[1].numpy(),
        "bare": lambda: bare()[0].numpy(),
    }
    fits_tfp = batch_size * num_components * dim * 4 <= TFP_MAX_BYTES
    if fits_tfp:
        functions["tfp"] = lambda: reference()[1].numpy()
        mine = ours()
        theirs = reference()
        np.testing.assert_allclose(
            mine[0].numpy(), theirs[0].numpy(), rtol=1e-3
        )
    for function in functions.values():
        function()
    inner = calls_per_block(functions, BLOCK_SECONDS)
    seconds = interleaved_medians(functions, repeats, inner)
    return seconds["ours"], seconds.get("tfp"), seconds["bare"]


def prior_scaling(quick, rng):
    batch_size = 128
    if quick:
        shapes = [(k, 4096) for k in (10, 50, 100, 400)]
        shapes += [(100, d) for d in (256, 1024, 9216)]
    else:
        shapes = [(k, 4096) for k in (10, 25, 50, 100, 200, 400)]
        shapes += [(100, d) for d in (256, 512, 1024, 2048, 9216)]
    repeats = 5 if quick else 9
    flops_per_s = matmul_flops_per_second(repeats)
    print(
        f"calibration: float32 matmul 1024^3 = {flops_per_s / 1e9:.1f} "
        "GFLOP/s (same run)"
    )
    vs_tfp, over_bound, over_bare = [], [], {}
    for num_components, dim in shapes:
        ours_s, tfp_s, bare_s = prior_cost(
            num_components, dim, batch_size, repeats, rng
        )
        bound_s = 8 * batch_size * num_components * dim / flops_per_s
        over_bound.append(ours_s / bound_s)
        over_bare[num_components, dim] = ours_s / bare_s
        tfp_text = "tfp=skipped(>1GiB broadcast)"
        if tfp_s is not None:
            vs_tfp.append(tfp_s / ours_s)
            tfp_text = f"tfp={tfp_s * 1e3:.2f}ms tfp/ours={tfp_s / ours_s:.1f}"
        print(
            f"prior B={batch_size} K={num_components:4d} D={dim:5d}: "
            f"ours={ours_s * 1e3:.2f}ms bound={bound_s * 1e3:.2f}ms "
            f"bare_matmuls={bare_s * 1e3:.2f}ms "
            f"ours/bound={ours_s / bound_s:.1f} "
            f"ours/bare={ours_s / bare_s:.1f} {tfp_text}"
        )
    return (
        geometric_mean(vs_tfp),
        geometric_mean(over_bound),
        geometric_mean(
            [r for (k, _), r in over_bare.items() if k == NUM_COMPONENTS]
        ),
        geometric_mean(over_bare.values()),
    )


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--paper", action="store_true", help="also the paper preset"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--paper-batch-size", type=int, default=4)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(
        f"cores={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
        f"K={NUM_COMPONENTS} layers={','.join(REGULARIZED_LAYERS)} "
        f"modalities={','.join(MODALITIES)}"
    )
    repeats, inner = (31, 3) if args.quick else (41, 5)
    ratios, fractions, intervals = train_step_overhead(
        "cmplaces_alexnet_tiny", args.batch_size, repeats, inner, rng
    )
    if args.paper:
        paper, _, _ = train_step_overhead(
            "cmplaces_alexnet_paper", args.paper_batch_size, 5, 1, rng
        )
        print(f"paper_c_over_a={paper['C']:.3f}")
        print(f"paper_b_over_bl={paper['B_gmm']:.3f}")
    vs_tfp, over_bound, over_bare, over_bare_all = prior_scaling(
        args.quick, rng
    )
    print(f"load_after={os.getloadavg()[0]:.1f}")
    print(f"b_over_bl={ratios['B_gmm']:.3f}")
    print("b_over_bl_ci95={:.3f},{:.3f}".format(*intervals["B_gmm"]))
    print("c_over_a_ci95={:.3f},{:.3f}".format(*intervals["C"]))
    print(f"ratio_vs_tfp={vs_tfp:.2f}")
    print(f"ratio_over_bound={over_bound:.2f}")
    print(f"ratio_over_bare_matmuls={over_bare:.2f}")
    print(f"ratio_over_bare_matmuls_all_shapes={over_bare_all:.2f}")
    print(f"statreg_fraction_b_gmm={fractions['B_gmm']:.3f}")
    print(f"statreg_fraction={fractions['C']:.3f}")
    print(f"c_over_a={ratios['C']:.3f}")
    print(f"ratio={ratios['C']:.3f}")


if __name__ == "__main__":
    main()

"""Times the paper-size CMPlaces model against plain single-tower networks.

Part 1, train step. The `cmplaces_alexnet_paper` preset (227x227 AlexNet
towers, pool5 6x6x256 = 9216, shared fc6/fc7 of 4096, 205 classes, a
2x4800 description MLP) for clipart, sketch and description:
BL-Individual, A (Tune) and C (Tune + StatReg, GMM priors of K=100 on
pool5/fc6/fc7 = 9216/4096/4096), built by `build_method` from one
untrained source network and random priors, on a synthetic batch of B
rows per modality. The curricula are not run, so every layer trains (the
released phase of A and C). The CMPlaces paper states no batch size
(Places-CNN was trained at 256 in Caffe, which takes minutes per step on
2 cores): B is 16 with `--paper`, 4 with `--quick`, the largest that keeps
the run within its time budget.

The reference is one plain Keras network per modality with the same
shapes, trained alone on that modality's B rows: for clipart and sketch an
AlexNet (uint8 scaled to [-1, 1], conv1 96x11x11/4, pool, conv2 256x5x5,
pool, conv3-5 384/384/256x3x3, pool, fc6/fc7 4096 with dropout 0.5, 205
logits); for description the same `DescriptionTower` (hashed words, MLP to
9216, as cm_zoo builds it: there is no plain Keras text tower of that
shape) under the same plain fc6/fc7/logits. All use SGD with momentum 0.9
and global clipnorm 10. After two warm-up steps each (tracing),
`--repeats` steps of each are timed, medians kept. Only one family is in
memory at a time (the description table alone has 79M parameters): the
towers run before and after each method, and their sum is interpolated
linearly in time to the method's turn. Each family runs in a fresh
process; its peak memory is the kernel's resident-set high-water
mark (`VmHWM`) over building and two warm-up steps of its models, less
the resident set before.

Part 2, EM prior fitting (the functions of `prior_fitting_bench.py`):
N x 4096 ReLU activations, K=100, N=100,000 with `--paper` (10,000 with
`--quick`); `fit_diagonal_gmm` against sklearn
`GaussianMixture(covariance_type="diag")` from the same k-means++ start,
seconds per EM iteration (sklearn's first, which includes its set-up,
dropped).

Prints per-model lines, `paper_<method>_step_over_towers=` (method step /
the sum of the three single-tower steps), `em_sklearn_over_ours=`, and
last `paper_step_over_towers=` and `ratio=<x>`, both the largest of the
three methods' step ratios (goal <= 1.1). `--paper` fits in 10 minutes on
an idle 2-core machine. Never collected by pytest.

    python bench/paper_preset_bench.py --quick
    python bench/paper_preset_bench.py --paper
"""

import argparse
import multiprocessing
import os
import statistics
import time
from concurrent import futures

import keras
import numpy as np
import prior_fitting_bench
import statreg_overhead_bench

import cm_zoo

PRESET = "cmplaces_alexnet_paper"
MODALITIES = statreg_overhead_bench.MODALITIES
METHODS = {"bl_individual": "BL-Individual", "A_tune": "A", "C": "C"}


def status_mib(field):
    """A `/proc/self/status` memory field (`VmRSS`, `VmHWM`) in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"No {field} in /proc/self/status (Linux only).")


def optimizer():
    return keras.optimizers.SGD(1e-3, momentum=0.9, global_clipnorm=10.0)


def plain_upper(x, config, num_classes):
    """fc6, fc7 (ReLU, dropout) and logits as plain Keras layers."""
    for name in ("fc6", "fc7"):
        x = keras.layers.Dense(config["hidden_dim"], "relu", name=name)(x)
        x = keras.layers.Dropout(config["dropout"])(x)
    return keras.layers.Dense(num_classes, name="logits")(x)


def plain_alexnet(config, num_classes):
    """A plain Keras AlexNet of the preset's shapes, uint8 input."""
    size = config["image_size"]
    pixels = keras.Input((size, size, 3), dtype="uint8")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)(pixels)
    kernel_sizes = (config["conv1_kernel_size"], config["conv2_kernel_size"])
    for index, filters in enumerate(config["conv_filters"]):
        x = keras.layers.Conv2D(
            filters,
            (kernel_sizes + (3, 3, 3))[index],
            strides=config["conv1_strides"] if index == 0 else 1,
            padding="valid" if index == 0 else "same",
            activation="relu",
        )(x)
        if index in (0, 1, 4):
            x = keras.layers.MaxPooling2D(3, strides=2)(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(pixels, plain_upper(x, config, num_classes))


def plain_description_network(config, num_classes):
    """cm_zoo's description tower under plain Keras fc6/fc7/logits."""
    text = keras.Input((), dtype="string")
    x = cm_zoo.towers.build_tower("description", config)(text)
    return keras.Model(text, plain_upper(x, config, num_classes))


def single_step(modality, config, x, y):
    """A compiled single-tower network's train step and its model."""
    if modality == "description":
        model = plain_description_network(config, config["num_classes"])
    else:
        model = plain_alexnet(config, config["num_classes"])
    model.compile(
        optimizer=optimizer(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model, lambda: model.train_on_batch(x[modality], y[modality])


def method_step(method, config, x, y, rng):
    """A compiled method's train step and its task.

    Method C gets random K=100 priors on pool5/fc6/fc7 (cost does not
    depend on their values); every method starts from one untrained
    source network.
    """
    source = cm_zoo.models.cmplaces.build_source_network(
        config, "clipart", num_classes=config["num_classes"]
    )
    dims = {"pool5": source.towers["clipart"].output_dim}
    dims["fc6"] = dims["fc7"] = config["hidden_dim"]
    priors = {
        layer: statreg_overhead_bench.random_prior(100, dim, rng)
        for layer, dim in dims.items()
    }
    keras.utils.set_random_seed(0)
    task, _ = cm_zoo.models.cmplaces.build_method(
        method,
        config,
        list(MODALITIES),
        num_classes=config["num_classes"],
        source=source,
        priors=priors if method == "C" else None,
        statreg_weight=0.01,
    )
    task.compile(optimizer=optimizer())
    return task, lambda: task.train_on_batch(x, y)


def run_phase(phase, batch_size, repeats):
    """Builds one model family, times it; runs in a fresh process.

    `phase` is `"towers"` (the three single-tower networks) or a method
    key. Returns `{name: median step seconds}`, the phase's midpoint
    (`time.time()`), parameter counts and the peak RSS growth (MiB) over
    building and two warm-up steps of every model (tracing).
    """
    rng = np.random.default_rng(0)
    config = cm_zoo.presets.get(PRESET).config()
    x = statreg_overhead_bench.synthetic_batch(config, batch_size, rng)
    y = {
        m: rng.integers(0, config["num_classes"], batch_size)
        for m in MODALITIES
    }
    rss_before = status_mib("VmRSS")
    if phase == "towers":
        built = {m: single_step(m, config, x, y) for m in MODALITIES}
    else:
        built = {phase: method_step(phase, config, x, y, rng)}
    for _, step in built.values():
        step()
        step()
    peak = status_mib("VmHWM") - rss_before
    start = time.time()
    seconds = time_steps({k: step for k, (_, step) in built.items()}, repeats)
    return {
        "seconds": seconds,
        "middle": (start + time.time()) / 2,
        "params": {k: model.count_params() for k, (model, _) in built.items()},
        "peak_mib": peak,
        "load": os.getloadavg()[0],
    }


def time_steps(steps, repeats):
    """Median seconds of each `{name: step}`, called round robin."""
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(v) for name, v in times.items()}


def in_fresh_process(function, *args):
    """`function(*args)` in a new process, so its memory goes back after."""
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def train_step_part(batch_size, repeats):
    """Times BL-Individual, A and C against the single towers.

    Each family runs in its own process, one at a time (the description
    table alone has 79M parameters): towers, BL-Individual, towers, A,
    towers, C, towers. Each method is set against the towers' sum
    interpolated linearly between the tower runs just before and after
    it, so a load that drifts steadily over those minutes hits both
    sides alike. Returns `{method: method step / sum of the tower steps}`.
    """
    phases = ["towers"]
    for method in METHODS:
        phases += [method, "towers"]
    results = [
        in_fresh_process(run_phase, phase, batch_size, repeats)
        for phase in phases
    ]
    for phase, result in zip(phases, results):
        parts = " ".join(
            f"{name}={t:.2f}s ({result['params'][name] / 1e6:.1f}M params)"
            for name, t in result["seconds"].items()
        )
        print(
            f"{phase}: {parts}; peak_rss_growth={result['peak_mib']:.0f}MiB "
            f"(build + 2 steps); load={result['load']:.1f}"
        )
    ratios = {}
    for index, method in enumerate(METHODS):
        before, result, after = results[2 * index : 2 * index + 3]
        weight = (result["middle"] - before["middle"]) / (
            after["middle"] - before["middle"]
        )
        sums = [sum(r["seconds"].values()) for r in (before, after)]
        towers_s = sums[0] + weight * (sums[1] - sums[0])
        ratios[method] = result["seconds"][method] / towers_s
        print(
            f"paper_{method}_step_over_towers={ratios[method]:.3f} "
            f"({METHODS[method]}; towers interpolated to {towers_s:.2f}s)"
        )
    return ratios


def em_part(num_examples, iterations):
    """Seconds per EM iteration, ours and sklearn's; returns the ratio."""
    start = time.perf_counter()
    x = prior_fitting_bench.make_activations(num_examples, 4096, seed=0)
    _, initial = prior_fitting_bench.fit_ours(x, 0)
    set_up_s = time.perf_counter() - start
    ours, _ = prior_fitting_bench.fit_ours(x, iterations)
    theirs, _ = prior_fitting_bench.fit_sklearn(x, initial, iterations)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    print(
        f"em N={num_examples} D=4096 K=100: ours={ours_s:.2f}s/iteration "
        f"({' '.join(f'{t:.2f}' for t in ours)}), "
        f"sklearn={theirs_s:.2f}s/iteration "
        f"({' '.join(f'{t:.2f}' for t in theirs)}); data + k-means++ start "
        f"{set_up_s:.1f}s; load={os.getloadavg()[0]:.1f}"
    )
    return theirs_s / ours_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true")
    size.add_argument("--paper", action="store_true")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--em-iterations", type=int, default=3)
    args = parser.parse_args()
    batch_size = args.batch_size or (16 if args.paper else 4)
    repeats = args.repeats or (5 if args.paper else 3)
    start = time.perf_counter()
    print(
        f"preset={PRESET} modalities={','.join(MODALITIES)} "
        f"batch={batch_size} repeats={repeats} cores={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    ratios = train_step_part(batch_size, repeats)
    em_ratio = in_fresh_process(
        em_part, 100_000 if args.paper else 10_000, args.em_iterations
    )
    worst = max(ratios.values())
    print(f"wall_time={time.perf_counter() - start:.0f}s")
    print(f"load_after={os.getloadavg()[0]:.1f}")
    print(f"em_sklearn_over_ours={em_ratio:.2f}")
    print(f"paper_step_over_towers={worst:.3f}")
    print(f"ratio={worst:.3f}")


if __name__ == "__main__":
    main()

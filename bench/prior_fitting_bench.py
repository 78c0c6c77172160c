"""Times streaming EM (`fit_diagonal_gmm`) against scikit-learn's EM.

Data: N x 4096 float32 ReLU activations drawn around 100 cluster centres
(N = 100,000; `--quick`: 10,000). Both fitters run K=100 diagonal
components from the same starting point: ours with `max_iterations=0`
gives its k-means++ initialization, which is passed to
`sklearn.mixture.GaussianMixture(covariance_type="diag")` as
`weights_init`/`means_init`/`precisions_init` (`init_params=
"random_from_data"`, so no k-means runs). Both then run exactly
`--iterations` EM iterations (`tolerance=0` / `tol=0`).

Time per EM iteration (M-step + E-step) is taken inside each fit, so
set-up is excluded: ours from `callback` timestamps (one per E-pass),
sklearn from its `verbose=2` per-iteration "time lapse" lines (the
first, which includes its initialization, dropped); fits
alternate between the two libraries and the median over all iterations
of all repeats is kept. Also compared with:
  (a) the matmul lower bound of one iteration: the four `N x D x K`
      products (E-step `x^2 P^T`, `x (mu P)^T`; M-step `r^T x`,
      `r^T x^2`), 8*N*D*K FLOPs over the float32 matmul FLOP/s calibrated
      on 1024^3 in every repeat, between the fits (median);
  (b) the same four products timed bare in TensorFlow;
  (c) ours fed a dataset of pre-cut `(1000, D)` batches instead of the
      NumPy array (which `fit_diagonal_gmm` slices row by row and
      re-batches), and a bare pass over each input: the input handling
      share of an iteration.
The fitted mixtures are scored with one float64 evaluator
(`DiagonalGMMPrior.log_prob`); the relative log-likelihood difference is
`|ll_ours - ll_sklearn| / |ll_sklearn|` (target < 1%).

Prints per-iteration seconds, `ll_rel_diff=`, `over_bound=` (ours /
bound, target <= 2), `over_bare_matmuls=` and last `ratio=<x>` (sklearn
seconds per iteration / ours, target > 1). Never collected by pytest.

    python bench/prior_fitting_bench.py --quick
"""

import argparse
import contextlib
import io
import os
import re
import statistics
import time
import warnings

import numpy as np
import tensorflow as tf
from sklearn import exceptions
from sklearn import mixture

import cm_zoo

DIM = 4096
NUM_COMPONENTS = 100


def make_activations(num_examples, dim, seed):
    """ReLU of cluster centres plus noise: sparse, positive, float32."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((NUM_COMPONENTS, dim), dtype=np.float32)
    labels = rng.integers(0, NUM_COMPONENTS, num_examples)
    x = np.empty((num_examples, dim), np.float32)
    for start in range(0, num_examples, 5000):
        stop = min(start + 5000, num_examples)
        noise = rng.standard_normal((stop - start, dim), dtype=np.float32)
        x[start:stop] = np.maximum(centres[labels[start:stop]] + noise, 0.0)
    return x


def prebatched(x, batch_size):
    """`x` as a dataset of `(batch, D)` slices of one `[n, batch, D]` tensor.

    Slices whole batches, instead of the per-row slicing and re-batching
    of `from_tensor_slices(x).batch()` that a NumPy input goes through.
    """
    usable = len(x) // batch_size * batch_size
    batches = x[:usable].reshape(-1, batch_size, x.shape[1])
    return tf.data.Dataset.from_tensor_slices(batches)


def pass_seconds(dataset):
    """Seconds of one bare pass over a dataset (no math)."""
    reduce = tf.function(
        lambda: dataset.reduce(0.0, lambda total, b: total + b[0, 0])
    )
    reduce().numpy()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        reduce().numpy()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fit_ours(x, iterations, num_components=NUM_COMPONENTS):
    """Seconds of each EM iteration (M-step + E-pass) and the prior."""
    stamps = []
    prior = cm_zoo.layers.fit_diagonal_gmm(
        x,
        num_components,
        max_iterations=iterations,
        tolerance=0.0,
        seed=0,
        callback=lambda iteration, ll: stamps.append(time.perf_counter()),
    )
    return list(np.diff(stamps)), prior


def fit_sklearn(x, initial, iterations):
    """Seconds of each EM iteration (sklearn's verbose lapses), the prior."""
    model = mixture.GaussianMixture(
        n_components=NUM_COMPONENTS,
        covariance_type="diag",
        max_iter=iterations,
        tol=0.0,
        reg_covar=1e-6,
        init_params="random_from_data",
        weights_init=initial.weights,
        means_init=initial.means,
        precisions_init=1.0 / initial.variances,
        random_state=0,
        verbose=2,
        verbose_interval=1,
    )
    log = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(log):
        warnings.simplefilter("ignore", exceptions.ConvergenceWarning)
        model.fit(x)
    pattern = r"Iteration \d+\t time lapse ([0-9.]+)s"
    lapses = [float(v) for v in re.findall(pattern, log.getvalue())]
    if len(lapses) != iterations:
        raise RuntimeError(f"sklearn ran {len(lapses)} of {iterations}")
    # The first lapse also counts sklearn's initialization: dropped.
    lapses = lapses[1:]
    prior = cm_zoo.layers.DiagonalGMMPrior(
        logits=np.log(model.weights_),
        means=model.means_,
        variances=model.covariances_,
    )
    return lapses, prior


def matmul_flops_per_second():
    a = tf.random.normal([1024, 1024])
    b = tf.random.normal([1024, 1024])
    matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    matmul().numpy()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(5):
            matmul().numpy()
        times.append((time.perf_counter() - start) / 5)
    return 2 * 1024**3 / statistics.median(times)


def bare_matmuls_seconds(x, repeats):
    """The four N x D x K products of one EM iteration, timed in TF."""
    x = tf.constant(x)
    rng = np.random.default_rng(1)
    precisions = tf.constant(rng.random((NUM_COMPONENTS, DIM)), "float32")
    scaled_means = tf.constant(rng.random((NUM_COMPONENTS, DIM)), "float32")

    @tf.function
    def em_matmuls():
        square = tf.square(x)
        resp = tf.nn.softmax(
            tf.matmul(square, precisions, transpose_b=True)
            + tf.matmul(x, scaled_means, transpose_b=True)
        )  # [N, K]
        sum_x = tf.matmul(resp, x, transpose_a=True)  # [K, D]
        sum_x2 = tf.matmul(resp, square, transpose_a=True)  # [K, D]
        return tf.reduce_sum(sum_x) + tf.reduce_sum(sum_x2)

    em_matmuls().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        em_matmuls().numpy()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    num_examples = 10_000 if args.quick else 100_000
    iterations = args.iterations or 5
    repeats = args.repeats or (4 if args.quick else 2)
    print(
        f"N={num_examples} D={DIM} K={NUM_COMPONENTS} "
        f"iterations={iterations} repeats={repeats} cores={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    x = make_activations(num_examples, DIM, seed=0)

    _, initial = fit_ours(x, 0)  # the shared starting point
    per_iteration = {"ours": [], "sklearn": [], "ours_prebatched": []}
    x_batches = prebatched(x, 1000)
    flops_per_s, bare_s = [], []
    for repeat in range(repeats):
        # The references are timed in every repeat, between the fits.
        flops_per_s.append(matmul_flops_per_second())
        bare_s.append(bare_matmuls_seconds(x, repeats=1))
        order = list(per_iteration)
        for name in order if repeat % 2 == 0 else order[::-1]:
            if name == "ours":
                lapses, ours = fit_ours(x, iterations)
            elif name == "ours_prebatched":
                lapses, _ = fit_ours(x_batches, iterations)
            else:
                lapses, theirs = fit_sklearn(x, initial, iterations)
            per_iteration[name] += lapses
            print(
                f"repeat {repeat} {name}: "
                + " ".join(f"{t:.3f}" for t in lapses)
                + " s/iter"
            )
    ours_s = statistics.median(per_iteration["ours"])
    sklearn_s = statistics.median(per_iteration["sklearn"])
    prebatched_s = statistics.median(per_iteration["ours_prebatched"])
    numpy_pass_s = pass_seconds(
        tf.data.Dataset.from_tensor_slices(x).batch(1024)
    )
    prebatched_pass_s = pass_seconds(x_batches)

    ll_initial = float(np.mean(initial.log_prob(x)))
    ll_ours = float(np.mean(ours.log_prob(x)))
    ll_sklearn = float(np.mean(theirs.log_prob(x)))
    rel_diff = abs(ll_ours - ll_sklearn) / abs(ll_sklearn)

    flops_per_s = statistics.median(flops_per_s)
    bound_s = 8 * num_examples * DIM * NUM_COMPONENTS / flops_per_s
    bare_s = statistics.median(bare_s)
    print(
        f"calibration: float32 matmul 1024^3 = {flops_per_s / 1e9:.1f} "
        "GFLOP/s (same run)"
    )
    print(
        f"per_iteration: ours={ours_s:.3f}s sklearn={sklearn_s:.3f}s "
        f"bound={bound_s:.3f}s bare_matmuls={bare_s:.3f}s"
    )
    print(
        f"mean_log_likelihood (nats/example, after {iterations} iters, "
        f"float64 evaluator): initial={ll_initial:.2f} ours={ll_ours:.2f} "
        f"sklearn={ll_sklearn:.2f} "
        f"(per dim: ours={ll_ours / DIM:.5f} sklearn={ll_sklearn / DIM:.5f})"
    )
    print(
        f"input handling: ours(numpy input)={ours_s:.3f}s/iter "
        f"ours(prebatched tf.data input)={prebatched_s:.3f}s/iter; bare "
        f"pass over from_tensor_slices(x).batch(1024)={numpy_pass_s:.3f}s, "
        f"over prebatched={prebatched_pass_s:.3f}s"
    )
    print(f"over_bound_prebatched={prebatched_s / bound_s:.2f}")
    print(f"load_after={os.getloadavg()[0]:.1f}")
    print(f"ll_rel_diff={rel_diff:.2e}")
    print(f"over_bound={ours_s / bound_s:.2f}")
    print(f"over_bare_matmuls={ours_s / bare_s:.2f}")
    print(f"ratio={sklearn_s / ours_s:.2f}")


if __name__ == "__main__":
    main()

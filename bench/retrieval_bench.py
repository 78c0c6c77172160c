"""Times chunked cross-modal retrieval mAP against a per-query sklearn loop.

Five CMPlaces modalities of synthetic 4096-d float32 embeddings (10,250
items each, 205 classes of 50, the CMPlaces validation size; `--quick`:
2,050 items, 41 classes) are evaluated with
`cm_zoo.evaluation.cross_modal_retrieval`: every ordered pair, i.e. 20
cross-modal pairs plus 5 within-modal ones, under the full protocol (every
item a query) and the paper protocol (1000 queries).

Compared against:
  (a) the straightforward loop, one `sklearn.metrics.average_precision_score`
      call per query after its own matrix-vector cosine, timed on a subset
      of queries and extrapolated to all of them;
  (b) the bare float32 matmuls of the same similarity blocks (lower bound),
      timed in the order ours, matmuls, matmuls, ours for each protocol so
      that a drifting load on the shared machine hits both alike.

Prints `ratio_vs_sklearn=<x>` (loop time / ours, full protocol),
`overhead_over_matmul=<x>` (ours / matmul, full protocol),
`overhead_over_matmul_paper=<x>` (the same, paper protocol), both in
wall time (`..._cpu=`: in process CPU time, less sensitive to other jobs
on the machine; the matmuls use both cores, the ranking one), peak
memory (also at the full 10,250 x 5 x 4096 size when `--quick`), and last
`ratio=<x>` (= ratio_vs_sklearn). Never collected by pytest.

    python bench/retrieval_bench.py --quick
"""

import argparse
import os
import resource
import time
import tracemalloc

import numpy as np
from sklearn import metrics

import cm_zoo

MODALITIES = cm_zoo.modalities.CMPLACES_MODALITIES


def make_features(num_items, num_classes, dim, seed):
    """Shared class centres plus heavy noise; float32, balanced labels.

    The noise level puts mAP near the papers' 5-20% range.
    """
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((num_classes, dim), dtype=np.float32)
    features = {}
    for modality in MODALITIES:
        labels = rng.permutation(np.arange(num_items) % num_classes)
        x = rng.standard_normal((num_items, dim), dtype=np.float32)
        x *= np.float32(10.0)
        x += centers[labels]
        features[modality] = (x, labels)
    return features


def time_sklearn_loop(features, num_sample_queries, seed):
    """Seconds per query of the per-query sklearn loop, over all pairs."""
    rng = np.random.default_rng(seed)
    names = list(features)
    per_pair = max(1, num_sample_queries // (len(names) ** 2))
    elapsed, count = 0.0, 0
    for query_modality in names:
        queries, q_labels = features[query_modality]
        for target_modality in names:
            targets, t_labels = features[target_modality]
            start = time.perf_counter()
            target_norms = np.linalg.norm(targets, axis=1)
            for i in rng.choice(len(queries), size=per_pair, replace=False):
                scores = targets @ queries[i]
                scores /= target_norms * np.linalg.norm(queries[i])
                keep = np.ones(len(targets), bool)
                if query_modality == target_modality:
                    keep[i] = False
                metrics.average_precision_score(
                    t_labels[keep] == q_labels[i], scores[keep]
                )
            elapsed += time.perf_counter() - start
            count += per_pair
    return elapsed / count


def run_matmuls(features, num_queries, chunk_size):
    """The bare float32 similarity matmuls of one protocol, results dropped."""
    for queries, _ in features.values():
        queries = queries[:num_queries]
        for targets, _ in features.values():
            for start in range(0, len(queries), chunk_size):
                queries[start : start + chunk_size] @ targets.T


def time_abba(features, protocol, num_queries, chunk_size):
    """Ours and the bare matmuls of one protocol, timed ours-mm-mm-ours.

    The ABBA order cancels a load that drifts linearly over the four runs
    (the machine is shared). The first evaluation runs under tracemalloc.
    Returns the result, `{"ours": [...], "matmul": [...]}` of `(wall,
    process CPU)` seconds per run, and that first evaluation's traced peak
    in bytes.
    """
    runs = {"ours": [], "matmul": []}
    for step in ("ours", "matmul", "matmul", "ours"):
        traced = step == "ours" and not runs["ours"]
        if traced:
            tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        if step == "ours":
            result = cm_zoo.evaluation.cross_modal_retrieval(
                features, protocol=protocol, chunk_size=chunk_size
            )
        else:
            run_matmuls(features, num_queries, chunk_size)
        runs[step].append(
            (time.perf_counter() - wall, time.process_time() - cpu)
        )
        if traced:
            traced_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return result, runs, traced_peak


def report_protocol(protocol, runs, sklearn_s):
    """Prints one protocol's times; returns (ours s, wall and CPU ratios)."""
    wall = {name: sum(w for w, _ in v) / len(v) for name, v in runs.items()}
    cpu = {name: sum(c for _, c in v) / len(v) for name, v in runs.items()}
    each = " ".join(
        f"{name}_runs=" + ",".join(f"{w:.2f}" for w, _ in v)
        for name, v in runs.items()
    )
    print(
        f"{protocol}_protocol: ours={wall['ours']:.2f}s "
        f"matmul={wall['matmul']:.2f}s "
        f"sklearn_loop_extrapolated={sklearn_s:.1f}s ({each}; process "
        f"CPU ours={cpu['ours']:.2f}s matmul={cpu['matmul']:.2f}s)"
    )
    return (
        wall["ours"],
        wall["ours"] / wall["matmul"],
        cpu["ours"] / cpu["matmul"],
    )


def print_full_size_memory(chunk_size):
    """Prints the peak memory of a 10,250-item x 5-modality x 4096-d run.

    Runs the paper protocol (1000 queries, one chunk per pair): a chunk
    against all 10,250 targets is exactly the full protocol's per-chunk
    working set, at a tenth of the time.
    """
    features = make_features(10_250, 205, 4096, seed=2)
    data_mib = sum(x.nbytes for x, _ in features.values()) / 2**20
    rss_before = rss_mib()
    tracemalloc.start()
    cm_zoo.evaluation.cross_modal_retrieval(
        features, protocol="paper", chunk_size=chunk_size
    )
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"memory_at_10250x5x4096: embeddings={data_mib:.0f}MiB "
        f"eval_working_set_traced_peak={traced_peak / 2**20:.0f}MiB "
        f"rss_before_eval={rss_before:.0f}MiB max_rss={max_rss:.0f}MiB "
        "(paper protocol; same per-chunk working set as full)"
    )


def rss_mib():
    """Current resident set size of this process, MiB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--chunk-size", type=int, default=1024)
    parser.add_argument("--sklearn-queries", type=int, default=250)
    args = parser.parse_args()
    num_items, num_classes = (2050, 41) if args.quick else (10_250, 205)
    dim = 4096
    features = make_features(num_items, num_classes, dim, seed=0)
    data_mib = sum(x.nbytes for x, _ in features.values()) / 2**20
    print(
        f"modalities={len(features)} items={num_items} dim={dim} "
        f"classes={num_classes} ordered_pairs={len(features) ** 2} "
        f"(20 cross + 5 within) cores={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f} chunk_size={args.chunk_size}"
    )
    rss_before = rss_mib()
    full, full_runs, traced_peak = time_abba(
        features, "full", num_items, args.chunk_size
    )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    paper, paper_runs, _ = time_abba(features, "paper", 1000, args.chunk_size)
    per_query_s = time_sklearn_loop(features, args.sklearn_queries, seed=1)
    num_full_queries = len(features) * len(features) * num_items
    num_paper_queries = len(features) * len(features) * min(1000, num_items)
    sklearn_full_s = per_query_s * num_full_queries
    sklearn_paper_s = per_query_s * num_paper_queries
    print(f"sklearn_loop: {per_query_s * 1e3:.2f} ms/query")
    full_s, full_wall, full_cpu = report_protocol(
        "full", full_runs, sklearn_full_s
    )
    paper_s, paper_wall, paper_cpu = report_protocol(
        "paper", paper_runs, sklearn_paper_s
    )
    print(
        f"mean_map_full={full['mean']['map']:.4f} "
        f"chance_full={full['mean']['chance_map']:.4f} "
        f"mean_map_paper={paper['mean']['map']:.4f}"
    )
    print(
        f"memory: embeddings={data_mib:.0f}MiB "
        f"eval_working_set_traced_peak={traced_peak / 2**20:.0f}MiB "
        f"rss_before_eval={rss_before:.0f}MiB max_rss={max_rss:.0f}MiB"
    )
    print(f"ratio_vs_sklearn_paper={sklearn_paper_s / paper_s:.2f}")
    print(f"overhead_over_matmul_cpu={full_cpu:.2f}")
    print(f"overhead_over_matmul_paper_cpu={paper_cpu:.2f}")
    print(f"overhead_over_matmul_paper={paper_wall:.2f}")
    print(f"overhead_over_matmul={full_wall:.2f}")
    if args.quick:
        del features, full, paper
        print_full_size_memory(args.chunk_size)
    ratio = sklearn_full_s / full_s
    print(f"ratio_vs_sklearn={ratio:.2f}")
    print(f"ratio={ratio:.2f}")


if __name__ == "__main__":
    main()

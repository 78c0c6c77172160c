"""Times one multi-modality train step against three single-modality ones.

The `cmplaces_alexnet_tiny` BL-Shared-Upper task (towers for clipart,
sketch and description under one fc6/fc7/classifier) is built by
`cm_zoo.models.cmplaces.build_method` and compiled once. On one batch of
the embedded clip-art benchmark (32 rows per modality), it times
  (a) one train step on all three modalities together, and
  (b) three train steps on one modality each (the same task: the inputs
      dict may hold any subset of modalities),
with blocks of (a) and (b) alternating; medians are kept. Sharing the
upper layers should cost nothing beyond the towers, so (a) / (b) should
be at most 1.1 (it can be below 1: one step pays the optimizer update and
the dispatch once instead of three times). With `--paper-upper`, the
same at the paper's fc6/fc7 width (4096), where the shared layers
dominate. Never collected by pytest.

Prints the step times, `multi_over_sum=` per configuration and last
`ratio=<x>` (tiny preset).

    python bench/shared_upper_bench.py --quick
"""

import argparse
import os
import statistics
import time

import keras

import cm_zoo

MODALITIES = ("clipart", "sketch", "description")


def measure(config, x, y, num_classes, repeats, inner):
    source = cm_zoo.models.cmplaces.build_source_network(
        config, "clipart", num_classes=num_classes
    )
    keras.utils.set_random_seed(0)
    task, _ = cm_zoo.models.cmplaces.build_method(
        "bl_shared_upper",
        config,
        list(MODALITIES),
        num_classes=num_classes,
        source=source,
    )
    task.compile(optimizer=keras.optimizers.SGD(1e-3, momentum=0.9))
    steps = {"multi": lambda: task.train_on_batch(x, y)}
    for m in MODALITIES:
        steps[m] = lambda m=m: task.train_on_batch({m: x[m]}, {m: y[m]})
    for step in steps.values():  # one trace per modality subset
        step()
        step()
    times = {name: [] for name in ("multi", *MODALITIES)}
    for repeat in range(repeats):
        order = ["multi", "singles"]
        for name in order if repeat % 2 == 0 else order[::-1]:
            if name == "multi":
                start = time.perf_counter()
                for _ in range(inner):
                    steps["multi"]()
                times["multi"].append((time.perf_counter() - start) / inner)
                continue
            elapsed = dict.fromkeys(MODALITIES, 0.0)
            for _ in range(inner):
                for m in MODALITIES:
                    start = time.perf_counter()
                    steps[m]()
                    elapsed[m] += time.perf_counter() - start
            for m in MODALITIES:
                times[m].append(elapsed[m] / inner)
    multi = statistics.median(times["multi"])
    singles = {m: statistics.median(times[m]) for m in MODALITIES}
    summed = statistics.median(
        [sum(block) for block in zip(*(times[m] for m in MODALITIES))]
    )
    breakdown = " ".join(f"{m}={s * 1e3:.1f}ms" for m, s in singles.items())
    print(
        f"hidden_dim={config['hidden_dim']}: multi_step={multi * 1e3:.1f}ms "
        f"sum_of_single_steps={summed * 1e3:.1f}ms ({breakdown})"
    )
    return multi / summed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--paper-upper", action="store_true")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    repeats, inner = (15, 3) if args.quick else (25, 5)
    print(
        f"cores={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
        f"modalities={','.join(MODALITIES)} batch={args.batch_size}"
    )
    bench = cm_zoo.data.clipart_benchmark.load()
    arrays = {m: bench.arrays(m, "train") for m in MODALITIES}
    dataset = cm_zoo.data.make_multimodal_dataset(
        arrays, args.batch_size, seed=0
    )
    x, y = next(iter(dataset))
    x = {m: v.numpy() for m, v in x.items()}
    y = {m: v.numpy() for m, v in y.items()}
    num_classes = len(bench.class_names)
    config = cm_zoo.presets.get("cmplaces_alexnet_tiny").config()
    ratio = measure(config, x, y, num_classes, repeats, inner)
    if args.paper_upper:
        config["hidden_dim"] = 4096
        wide = measure(config, x, y, num_classes, repeats, inner)
        print(f"multi_over_sum_hidden_4096={wide:.3f}")
    print(f"load_after={os.getloadavg()[0]:.1f}")
    print(f"multi_over_sum={ratio:.3f}")
    print(f"ratio={ratio:.3f}")


if __name__ == "__main__":
    main()

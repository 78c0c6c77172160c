"""Times the input pipelines against what the model consumes, and Keras'.

Part 1, in-memory training pipeline: `cm_zoo.data.make_multimodal_dataset`
over the embedded clip-art benchmark (clipart, sketch, description; 32
rows each per batch, the recipe's default) is iterated alone (items/s),
and the `cmplaces_alexnet_tiny` BL-Shared-Upper task is fitted for the
same number of steps on (a) the real pipeline and (b) the same batches
cached in memory (`take(n).cache().repeat()`, materialized before
timing). Fits alternate; medians are kept. The input-bound fraction is
`max(0, t_real - t_cached) / t_real`: the share of a step spent waiting
on input (target: 0). The time from a new iterator to its first batch
(each `fit` call makes one) is reported too, and, side by side, fits on
the real pipeline with tf.data's autotuning thread turned back on (our
pipelines run without it, `cm_zoo.data.pipelines.without_autotune_thread`:
deleting an iterator may wait out its current tuning interval, so some
fits end late) with how many of them were over 15% slower.

Part 2, list-file pipelines, JPEG then PNG: 2,000 files (96x96 clip-art
images of the benchmark, 28 class folders) are written to a temporary
directory with a `relative/path label` list file in the folder walk's
order, and one epoch at 64x64, batch 32, is read by
`cm_zoo.data.make_list_dataset(..., batch_size=32, dtype="float32")` and by
`keras.utils.image_dataset_from_directory` (unshuffled, batch 32): the
same float32 `[32, 64, 64, 3]` batches (the first is checked equal), same
process, each reader as it comes (Keras' with tf.data's autotuning
thread, ours without). Each reader runs one untimed epoch, then epochs
alternate (`interleaved_medians`), medians kept. Our uint8 default, each
reader with the other's autotuning setting, and a plain loop of
`cm_zoo.data.decode_image_file` (PIL, one thread) over the same files are
shown for scale.

Prints items/s figures, `input_bound_fraction=`, `list_vs_keras_jpeg=`,
`list_vs_keras_png=` and `list_vs_keras=` (ours items/s / Keras items/s;
the last is the smaller of the two), and last `ratio=<x>` (pipeline items/s
/ model consumption items/s; > 1 means the pipeline keeps up). Never
collected by pytest.

    python bench/input_pipeline_bench.py --quick
"""

import argparse
import functools
import os
import statistics
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf
from interleaved_timing import interleaved_medians
from PIL import Image

import cm_zoo

MODALITIES = ("clipart", "sketch", "description")
IMAGE_SIZE = 64


def first_batch_seconds(dataset):
    """Seconds from creating an iterator to holding its first batch."""
    start = time.perf_counter()
    next(iter(dataset))
    return time.perf_counter() - start


def iterate_seconds(dataset, num_batches):
    """Seconds to pull `num_batches` from a fresh iterator (after one)."""
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    for _ in range(num_batches):
        next(iterator)
    return time.perf_counter() - start


def epoch_seconds(dataset):
    """Seconds of one full pass, and the number of items seen."""
    start = time.perf_counter()
    count = 0
    for x, _ in dataset:
        count += int(x.shape[0])
    return time.perf_counter() - start, count


def training_part(bench, batch_size, steps, repeats):
    arrays = {m: bench.arrays(m, "train") for m in MODALITIES}
    dataset = cm_zoo.data.make_multimodal_dataset(arrays, batch_size, seed=0)
    cached = dataset.take(steps).cache().repeat()
    for _ in cached.take(steps):  # fill the cache before timing
        pass
    config = cm_zoo.presets.get("cmplaces_alexnet_tiny").config()
    num_classes = len(bench.class_names)
    source = cm_zoo.models.cmplaces.build_source_network(
        config, bench.source_modality, num_classes=num_classes
    )
    task, _ = cm_zoo.models.cmplaces.build_method(
        "bl_shared_upper",
        config,
        list(MODALITIES),
        num_classes=num_classes,
        source=source,
    )
    task.compile(optimizer=keras.optimizers.SGD(1e-3, momentum=0.9))

    def fit(data):
        start = time.perf_counter()
        task.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
        return time.perf_counter() - start

    fits = {
        "real": dataset,
        "cached": cached,
        "real_autotuned": with_autotune(dataset),
    }
    for data in fits.values():  # trace, warm up
        fit(data)
    times = {"pipeline": [], **{name: [] for name in fits}}
    for repeat in range(repeats):
        order = list(times)
        for name in order if repeat % 2 == 0 else order[::-1]:
            if name == "pipeline":
                times[name].append(iterate_seconds(dataset, steps))
            else:
                times[name].append(fit(fits[name]))
    seconds = {k: statistics.median(v) for k, v in times.items()}
    late = sum(t > 1.15 * seconds["real"] for t in times["real_autotuned"])
    startup = statistics.median(first_batch_seconds(dataset) for _ in range(5))
    items = steps * batch_size * len(MODALITIES)
    pipeline_rate = items / seconds["pipeline"]
    consume_rate = items / seconds["cached"]
    fraction = max(0.0, seconds["real"] - seconds["cached"]) / seconds["real"]
    print(
        f"train pipeline: {steps} steps x {batch_size} x {len(MODALITIES)} "
        f"modalities: pipeline_alone={pipeline_rate:.0f} items/s "
        f"fit_cached={consume_rate:.0f} items/s "
        f"({seconds['cached'] / steps * 1e3:.1f} ms/step) "
        f"fit_real={items / seconds['real']:.0f} items/s "
        f"({seconds['real'] / steps * 1e3:.1f} ms/step) "
        f"iterator_first_batch={startup * 1e3:.1f}ms "
        f"(= {startup / seconds['real']:.3f} of a {steps}-step fit); "
        f"with tf.data's autotuning thread on: "
        f"fit_real={seconds['real_autotuned'] / steps * 1e3:.1f} ms/step, "
        f"{late} of {repeats} fits >15% slower than without"
    )
    return pipeline_rate / consume_rate, fraction


def with_autotune(dataset):
    """`dataset` with tf.data's autotuning thread back on (its default)."""
    options = tf.data.Options()
    options.autotune.enabled = True
    return dataset.with_options(options)


def write_images(bench, directory, num_files, extension):
    """Image files in one folder per class, and a list file; returns it.

    The list is in the order `image_dataset_from_directory` walks the
    folders (sorted paths), so both readers yield the same batches.
    """
    x, y = bench.arrays("clipart", "train")
    lines = []
    for i in range(num_files):
        row = i % len(x)
        folder = os.path.join(directory, f"class_{y[row]:02d}")
        os.makedirs(folder, exist_ok=True)
        name = f"class_{y[row]:02d}/{i:05d}.{extension}"
        Image.fromarray(x[row]).save(os.path.join(directory, name))
        lines.append(f"{name} {y[row]}")
    list_path = os.path.join(directory, "train.txt")
    with open(list_path, "w") as f:
        f.write("\n".join(sorted(lines)) + "\n")
    return list_path


def list_readers(list_path, directory, batch_size):
    """Ours (float32, as Keras yields; and our uint8 default) and Keras'."""

    def ours(dtype):
        dataset, _ = cm_zoo.data.make_list_dataset(
            list_path,
            "clipart",
            image_size=IMAGE_SIZE,
            batch_size=batch_size,
            dtype=dtype,
        )
        return dataset.prefetch(tf.data.AUTOTUNE)

    def theirs():
        return keras.utils.image_dataset_from_directory(
            directory,
            labels="inferred",
            image_size=(IMAGE_SIZE, IMAGE_SIZE),
            batch_size=batch_size,
            shuffle=False,
            verbose=False,
        ).prefetch(tf.data.AUTOTUNE)

    return {
        "ours": lambda: ours("float32"),
        "keras": theirs,
        "ours_uint8": lambda: ours("uint8"),
        "ours_autotuned": lambda: with_autotune(ours("float32")),
        "keras_untuned": lambda: cm_zoo.data.pipelines.without_autotune_thread(
            theirs()
        ),
    }


def check_same_batches(readers):
    """Both readers give equal first batches: same size, dtype and values."""
    (x, y), (x_keras, y_keras) = (
        next(iter(readers[name]())) for name in ("ours", "keras")
    )
    if x.dtype != x_keras.dtype or not np.array_equal(x, x_keras):
        raise RuntimeError(f"different pictures: {x.dtype} / {x_keras.dtype}")
    if not np.array_equal(y, y_keras):
        raise RuntimeError("different labels")


def list_part(bench, extension, num_files, batch_size, repeats):
    """Ours / Keras items per second over the same image files."""
    with tempfile.TemporaryDirectory() as directory:
        list_path = write_images(bench, directory, num_files, extension)
        readers = list_readers(list_path, directory, batch_size)
        check_same_batches(readers)
        paths, _ = cm_zoo.data.read_list_file(list_path)
        start = time.perf_counter()
        for path in paths:
            cm_zoo.data.decode_image_file(path, IMAGE_SIZE)
        serial_s = time.perf_counter() - start

        cpu_seconds = {name: [] for name in readers}

        def epoch(name):
            start = time.process_time()
            count = sum(int(x.shape[0]) for x, _ in readers[name]())
            cpu_seconds[name].append(time.process_time() - start)
            if count != num_files:
                raise RuntimeError(f"{name} read {count} of {num_files}")

        epochs = {name: functools.partial(epoch, name) for name in readers}
        for run in epochs.values():  # warm up: trace, fill the page cache
            run()
        seconds = interleaved_medians(epochs, repeats, 1)
    rates = {k: num_files / v for k, v in seconds.items()}
    # CPU time of the whole process per item (all threads): steadier than
    # wall time when other jobs share the cores.
    cpu = {
        k: statistics.median(v) / num_files * 1e6
        for k, v in cpu_seconds.items()
    }
    print(
        f"{extension} list pipeline ({num_files} files, "
        f"{IMAGE_SIZE}x{IMAGE_SIZE}, batch {batch_size}, float32 both): "
        f"make_list_dataset={rates['ours']:.0f} items/s "
        f"({cpu['ours']:.0f} cpu_us/item) "
        f"image_dataset_from_directory={rates['keras']:.0f} items/s "
        f"({cpu['keras']:.0f} cpu_us/item) "
        f"make_list_dataset_uint8={rates['ours_uint8']:.0f} items/s "
        f"({cpu['ours_uint8']:.0f} cpu_us/item) "
        f"serial_pil_loop={num_files / serial_s:.0f} items/s; "
        "with tf.data's autotuning thread on / off: "
        f"make_list_dataset={rates['ours_autotuned']:.0f} items/s, "
        f"image_dataset_from_directory={rates['keras_untuned']:.0f} items/s"
    )
    return rates["ours"] / rates["keras"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    steps, repeats = (40, 9) if args.quick else (100, 11)
    print(
        f"cores={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
        f"modalities={','.join(MODALITIES)} batch={args.batch_size}"
    )
    bench = cm_zoo.data.clipart_benchmark.load()
    headroom, fraction = training_part(bench, args.batch_size, steps, repeats)
    list_vs_keras = {
        extension: list_part(
            bench, extension, 2000, args.batch_size, 7 if args.quick else 11
        )
        for extension in ("jpg", "png")
    }
    print(f"load_after={os.getloadavg()[0]:.1f}")
    print(f"input_bound_fraction={fraction:.3f}")
    print(f"list_vs_keras_jpeg={list_vs_keras['jpg']:.2f}")
    print(f"list_vs_keras_png={list_vs_keras['png']:.2f}")
    print(f"list_vs_keras={min(list_vs_keras.values()):.2f}")
    print(f"ratio={headroom:.2f}")


if __name__ == "__main__":
    main()

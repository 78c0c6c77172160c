"""The issue-17 demonstration's data and report: two new modalities.

`write_demo_data` writes, from the clip-art benchmark, the data of two
modalities a user might bring, as such a user would hold them: `sound`
(spoken titles, one folder per class, WAV at 22.05 kHz so the reader
resamples) and `chalk` (the benchmark's sketches re-drawn as chalk on a
blackboard: strokes thickened, colours inverted, a grain texture). Each
gets a train folder tree and a test list file. `summary_table` and
`shipped_reference` report the aligned encoders' retrieval.
"""

import functools
import pathlib
import wave

import numpy as np
from PIL import Image
from PIL import ImageFilter

from cm_zoo import modalities
from cm_zoo.atomic_files import atomic_directory
from cm_zoo.data import clipart_benchmark
from cm_zoo.evaluation import mean_confidence_interval
from cm_zoo.runs.alignment_export import benchmark_test_items
from cm_zoo.runs.alignment_export import encoder_retrieval
from cm_zoo.runs.modality_alignment import ALIGNMENT_METHODS

SOUND_RATE = 16000
FILE_RATE = 22050
# Where the settings are chosen: the new modality's val items against the
# shipped modalities' out-of-distribution items (held out from them).
SHIPPED_EVAL_SPLIT = "ood"


def write_wav(path, samples):
    """16-bit PCM mono at 22.05 kHz (linear interpolation from 16 kHz).

    Example:
    >>> import pathlib, tempfile
    >>> from cm_zoo.runs.alignment_demo import write_wav
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.wav"
    >>> write_wav(path, np.zeros(16000, "float32"))
    >>> path.stat().st_size  # a 44-byte header, 22050 two-byte samples
    44144
    """
    n = int(len(samples) * FILE_RATE / SOUND_RATE)
    resampled = np.interp(
        np.arange(n) * SOUND_RATE / FILE_RATE,
        np.arange(len(samples)),
        samples,
    )
    pcm = (np.clip(resampled, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(FILE_RATE)
        handle.writeframes(pcm.tobytes())


def chalk(image, seed):
    """A sketch (uint8 RGB, dark strokes on white) re-drawn as chalk.

    Example:
    >>> from cm_zoo.runs.alignment_demo import chalk
    >>> sketch = np.full((8, 8, 3), 255, "uint8")
    >>> board = chalk(sketch, seed=0)
    >>> board.shape, board.dtype, int(board.mean()) < 60
    ((8, 8, 3), dtype('uint8'), True)
    """
    picture = Image.fromarray(image).filter(ImageFilter.MinFilter(5))
    board = 255 - np.asarray(picture, "float32")  # light strokes on dark
    grain = np.random.default_rng(seed).normal(0, 18, board.shape[:2])
    board = board * np.array([0.92, 0.95, 0.9]) + 25 + grain[..., None]
    return np.clip(board, 0, 255).astype("uint8")


def _demo_items(bench, modality, split):
    """`(x, y)` of a demo modality's items in `split`."""
    if modality == modalities.SOUND:
        x, y = bench.arrays(modalities.SOUND, split)
        if split == "train":
            pairs = bench.paired("train")["image_sound"]
            x = np.concatenate([x, pairs[modalities.SOUND]])
            y = np.concatenate([y, pairs["label"]])
        return x, y
    x, y = bench.arrays(modalities.SKETCH, split)
    return np.stack([chalk(i, seed) for seed, i in enumerate(x)]), y


def _write_item(path, modality, item):
    if modality == modalities.SOUND:
        write_wav(path, item)
    elif modality == modalities.DESCRIPTION:
        path.write_text(item, encoding="utf-8")
    else:
        Image.fromarray(item).save(path)


def _write_items(folder, modality, make_items, class_names, as_list):
    """Writes the items `make_items()` gives (`(x, y)`) once: a class-folder
    tree, or files with a `path label` list file (`atomic_directory`); an
    existing `folder` is kept and its items are not made again."""
    target = folder / "list.txt" if as_list else folder
    if folder.exists():
        return target
    suffix = {modalities.SOUND: ".wav", modalities.DESCRIPTION: ".txt"}
    lines = []
    with atomic_directory(folder) as partial:
        for i, (item, label) in enumerate(zip(*make_items())):
            name = class_names[label]
            relative = f"{name}/{i}{suffix.get(modality, '.png')}"
            (partial / name).mkdir(exist_ok=True)
            _write_item(partial / relative, modality, item)
            lines.append(f"{relative} {int(label)}")  # names may hold spaces
        if as_list:
            (partial / "list.txt").write_text("\n".join(lines) + "\n")
    return target


def write_demo_data(work, demo_modalities):
    """Writes the demo data once, under `<work>/data/`.

    Args:
        work: str or `pathlib.Path`. The demo's work directory.
        demo_modalities: list of str. `"sound"` and/or `"chalk"`.

    Returns:
        `{modality: (train folder, val list file, test list file)}`, from
        the benchmark's splits of the same names; a split's folder that
        exists is not written again.
    """
    bench = clipart_benchmark.load()
    return {
        modality: tuple(
            _write_items(
                pathlib.Path(work) / "data" / f"{modality}{ending}",
                modality,
                functools.partial(_demo_items, bench, modality, split),
                bench.class_names,
                as_list=split != "train",
            )
            for split, ending in (
                ("train", ""),
                ("val", "_val"),
                ("test", "_test"),
            )
        )
        for modality in demo_modalities
    }


def write_shipped_items(work, names, split=SHIPPED_EVAL_SPLIT):
    """Writes the benchmark's `split` items of the shipped modalities
    `names` it holds as list files (once), for `--eval-shipped`.

    The default, `"ood"`, is held out from the shipped encoders' training
    (which used train and val), unlike their `"val"` items.

    Returns:
        `{modality: list file}`.
    """
    bench = clipart_benchmark.load()
    folder = pathlib.Path(work) / "data" / "shipped"
    return {
        modality: _write_items(
            folder / f"{modality}_{split}",
            modality,
            functools.partial(bench.arrays, modality, split),
            bench.class_names,
            as_list=True,
        )
        for modality in names
        if modality in bench.modalities
    }


# The comparison the demo reports: C against the paper's baseline.
C_LABEL = ALIGNMENT_METHODS["C"].label
BL_LABEL = ALIGNMENT_METHODS["bl_individual"].label


def _runs(results):
    """`(modality, method label, seed, metrics)` of each run, by name."""
    for name, entry in sorted(results.items()):
        modality, rest = name.split("_", 1)
        seed = rest.rsplit("_", 1)[1]
        yield modality, entry["method"], seed, entry["metrics"]


def _grouped(results):
    """`{(modality, method label): {seed: metrics}}`, seeds in name order."""
    groups = {}
    for modality, method, seed, metrics in _runs(results):
        groups.setdefault((modality, method), {})[seed] = metrics
    return groups


def _mean_cell(metrics):
    """`mean ± 95% half-width (per seed)`; no interval for one seed."""
    values = [m["mean_map"] for m in metrics]
    seeds = ", ".join(f"{value:.3f}" for value in values)
    if len(values) < 2:
        return f"{np.mean(values):.3f} ({seeds})"
    ci = mean_confidence_interval(values)
    return f"{ci['mean']:.3f} ± {ci['half_width']:.3f} ({seeds})"


def paired_differences(results, method, baseline):
    """Per modality, `method` minus `baseline` mean mAP, paired by seed.

    Seeds that both ran are paired (same data order and initial tower);
    the result per modality is `mean_confidence_interval` of the
    differences (at least 2 seeds), else the modality is left out.

    Example:
    >>> from cm_zoo.runs.alignment_demo import paired_differences
    >>> def run(method, value):
    ...     return {"method": method, "metrics": {"mean_map": value}}
    >>> results = {"chalk_C_0": run("C", 0.5), "chalk_C_1": run("C", 0.6),
    ...     "chalk_BL_0": run("BL", 0.4), "chalk_BL_1": run("BL", 0.4)}
    >>> ci = paired_differences(results, "C", "BL")["chalk"]
    >>> round(ci["mean"], 3), ci["n"]
    (0.15, 2)
    """
    groups = _grouped(results)
    differences = {}
    for (modality, label), seeds in groups.items():
        paired = groups.get((modality, baseline), {})
        if label == method:
            differences[modality] = [
                seeds[seed]["mean_map"] - paired[seed]["mean_map"]
                for seed in seeds
                if seed in paired
            ]
    return {
        modality: mean_confidence_interval(values)
        for modality, values in sorted(differences.items())
        if len(values) >= 2
    }


def _difference_lines(results):
    """Markdown lines: C minus BL-Individual per modality, paired."""
    return [
        f"C minus BL-Individual on {modality}, paired by seed: "
        f"{ci['mean']:+.3f} ± {ci['half_width']:.3f} mAP (95% t, "
        f"{ci['n']} seeds)."
        for modality, ci in paired_differences(
            results, C_LABEL, BL_LABEL
        ).items()
    ]


def summary_table(results):
    """The demo's markdown: mean over seeds per modality and method (with
    a 95% t interval from 2 seeds on), C minus BL-Individual paired by
    seed, then every run with its pairs (mAP of the exported encoder).

    Args:
        results: dict `{"<modality>_<method>_<seed>": entry}`, `entry` a
            manifest's `aligned_modalities` entry (`method`, `metrics`).

    Example:
    >>> from cm_zoo.runs.alignment_demo import summary_table
    >>> metrics = {"mean_map": 0.3, "mean_chance_map": 0.1,
    ...     "map_over_chance": 3.0, "pairs": {"chalk->sketch": {"map": 0.3}}}
    >>> table = summary_table({"chalk_C_0": {"method": "C", "metrics":
    ...     metrics}})
    >>> table.splitlines()[2]
    '| chalk | C | 1 | 0.300 (0.300) | 0.100 | 3.00 |'
    """
    runs = []
    for modality, method, seed, m in _runs(results):
        pairs = ", ".join(
            f"{pair} {value['map']:.3f}" for pair, value in m["pairs"].items()
        )
        runs.append(
            f"| {modality} | {method} | {seed} | {m['mean_map']:.3f} "
            f"| {m['mean_chance_map']:.3f} | {m['map_over_chance']:.2f} "
            f"| {pairs} |"
        )
    means = []
    for (modality, method), seeds in sorted(_grouped(results).items()):
        ms = list(seeds.values())
        means.append(
            f"| {modality} | {method} | {len(ms)} | {_mean_cell(ms)} "
            f"| {np.mean([m['mean_chance_map'] for m in ms]):.3f} "
            f"| {np.mean([m['map_over_chance'] for m in ms]):.2f} |"
        )
    differences = _difference_lines(results)
    table = "\n".join(
        [
            "| modality | method | seeds | mean mAP ± 95% (per seed) "
            "| chance | x chance |",
            "|---|---|---|---|---|---|",
            *means,
            *([""] + differences if differences else []),
            "",
            "| modality | method | seed | mean mAP | chance | x chance "
            "| pairs |",
            "|---|---|---|---|---|---|---|",
            *runs,
        ]
    )
    return table + "\n"


def _method_cell(metrics, with_ratio):
    """Mean mAP over seeds (and x chance), or `-` for a method not run."""
    if not metrics:
        return "-"
    cell = f"{np.mean([m['mean_map'] for m in metrics]):.3f}"
    if with_ratio:
        ratio = np.mean([m["map_over_chance"] for m in metrics])
        cell += f" ({ratio:.2f}x)"
    return cell


def method_table(results):
    """The README's table: per modality, each method's mean mAP over
    seeds (C also as x chance), the chance mAP, and C minus
    BL-Individual paired by seed (`paired_differences`); `-` where a
    method did not run or fewer than 2 seeds pair up.

    Example:
    >>> from cm_zoo.runs.alignment_demo import method_table
    >>> def run(method, value):
    ...     return {"method": method, "metrics": {"mean_map": value,
    ...             "mean_chance_map": 0.1, "map_over_chance": value / 0.1}}
    >>> labels = {k: m.label for k, m in ALIGNMENT_METHODS.items()}
    >>> results = {f"chalk_{k}_{seed}": run(labels[k], 0.3 + seed / 100)
    ...            for k in labels for seed in (0, 1)}
    >>> print(method_table(results).splitlines()[2])
    | chalk | 0.305 | 0.305 | 0.305 (3.05x) | 0.305 | 0.100 | +0.000 ± 0.000 |
    """
    labels = [
        ALIGNMENT_METHODS[key].label for key in ("A", "B", "C", "bl_individual")
    ]
    groups = {
        key: list(seeds.values()) for key, seeds in _grouped(results).items()
    }
    differences = paired_differences(results, C_LABEL, BL_LABEL)
    rows = []
    for modality in sorted({modality for modality, _ in groups}):
        cells = [
            _method_cell(groups.get((modality, label)), label == C_LABEL)
            for label in labels
        ]
        chance = np.mean(
            [
                m["mean_chance_map"]
                for (of, _), runs in groups.items()
                if of == modality
                for m in runs
            ]
        )
        ci = differences.get(modality)
        difference = (
            f"{ci['mean']:+.3f} ± {ci['half_width']:.3f}" if ci else "-"
        )
        rows.append(
            f"| {modality} | {' | '.join(cells)} | {chance:.3f} "
            f"| {difference} |"
        )
    header = (
        "| new modality | A | B | C | BL-Individual | chance "
        "| C minus BL-Individual, paired by seed |\n"
        "|---|--:|--:|--:|--:|--:|--:|\n"
    )
    return header + "\n".join(rows) + "\n"


def shipped_reference(model_dir):
    """The shipped sketch encoder's retrieval against the other shipped
    ones (clipart, description) on the benchmark's test items: what a
    modality trained with the model reaches (`encoder_retrieval`).

    Example:
    >>> from cm_zoo.export import available_models
    >>> from cm_zoo.runs.alignment_demo import shipped_reference
    >>> model_dir = available_models()["cmplaces_method_c"]
    >>> reference = shipped_reference(model_dir)
    >>> sorted(reference["pairs"])  # doctest: +NORMALIZE_WHITESPACE
    ['clipart->sketch', 'description->sketch', 'sketch->clipart',
     'sketch->description']
    >>> reference["map_over_chance"] > 1
    True
    """
    shipped = (modalities.CLIPART, modalities.SKETCH, modalities.DESCRIPTION)
    items = benchmark_test_items(shipped)
    return encoder_retrieval(model_dir, modalities.SKETCH, items)

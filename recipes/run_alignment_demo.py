"""The issue-17 demonstration: two new modalities aligned to a shipped model.

    python recipes/run_alignment_demo.py --work /tmp/align_demo

1. Writes the demo data as a user would hold it, from the clip-art
   benchmark: `sound/` (spoken titles, one folder per class, WAV at
   22.05 kHz so the recipe resamples) and `chalk/` (the benchmark's
   sketches re-drawn as chalk on a blackboard: strokes thickened,
   colours inverted, a grain texture), a train folder tree and a test
   list file each.
2. Adds the shared layers and priors to a copy of the model once
   (`align_modality.py --add-alignment-state`), then runs
   `recipes/align_modality.py` for each modality, method (A, B, C,
   BL-Individual) and seed into its own copy of that export. Each run
   reports the exported encoder's retrieval against the shipped encoders
   on the benchmark's test split; nothing is chosen on it (fixed
   settings). Rerunning skips finished runs and resumes killed ones.
3. Writes `docs/results/align_modality.json` and `.md`.
"""

import argparse
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import wave

import numpy as np
from PIL import Image
from PIL import ImageFilter

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "align_modality.py"
METHODS = ("A", "B", "C", "bl_individual")
DEMOS = {"sound": "sound", "chalk": "image"}
SOUND_RATE = 16000
FILE_RATE = 22050


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="/tmp/align_demo")
    parser.add_argument("--model", default="cmplaces_method_c")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--modalities", default=",".join(DEMOS))
    parser.add_argument("--epochs", default="10")
    parser.add_argument("--output", default=str(ROOT / "docs" / "results"))
    return parser.parse_args(argv)


def write_wav(path, samples):
    """16-bit PCM mono at FILE_RATE (linear interpolation from 16 kHz)."""
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
    """A sketch re-drawn as chalk on a blackboard."""
    picture = Image.fromarray(image).filter(ImageFilter.MinFilter(5))
    board = 255 - np.asarray(picture, "float32")  # light strokes on dark
    grain = np.random.default_rng(seed).normal(0, 18, board.shape[:2])
    board = board * np.array([0.92, 0.95, 0.9]) + 25 + grain[..., None]
    return np.clip(board, 0, 255).astype("uint8")


def demo_items(bench, modality, split):
    """`(x, y)` of a demo modality's items in `split`."""
    if modality == "sound":
        x, y = bench.arrays("sound", split)
        if split == "train":
            pairs = bench.paired("train")["image_sound"]
            x = np.concatenate([x, pairs["sound"]])
            y = np.concatenate([y, pairs["label"]])
        return x, y
    x, y = bench.arrays("sketch", split)
    return np.stack([chalk(i, seed) for seed, i in enumerate(x)]), y


def write_items(folder, modality, x, y, class_names, as_list):
    """A class-folder tree, or files with a `path label` list file."""
    lines = []
    for i, (item, label) in enumerate(zip(x, y)):
        name = class_names[label]
        suffix = ".wav" if modality == "sound" else ".png"
        relative = f"{name}/{i}{suffix}"
        (folder / name).mkdir(parents=True, exist_ok=True)
        if modality == "sound":
            write_wav(folder / relative, item)
        else:
            Image.fromarray(item).save(folder / relative)
        lines.append(f"{relative} {int(label)}")  # names may hold spaces
    if as_list:
        (folder / "list.txt").write_text("\n".join(lines) + "\n")
        return folder / "list.txt"
    return folder


def write_demo_data(work, modalities):
    """`{modality: (train folder, test list file)}`, written once."""
    import cm_zoo

    bench = cm_zoo.data.clipart_benchmark.load()
    data = {}
    for modality in modalities:
        train, test = (
            work / "data" / modality,
            work / "data" / f"{modality}_test",
        )
        if not test.exists():
            for split, folder in (("train", train), ("test", test)):
                shutil.rmtree(folder, ignore_errors=True)
                x, y = demo_items(bench, modality, split)
                write_items(
                    folder, modality, x, y, bench.class_names, split == "test"
                )
        data[modality] = (train, test / "list.txt")
    return data


def run(args, *command):
    print(" ".join(str(c) for c in command), flush=True)
    subprocess.run([sys.executable, str(RECIPE), *command], check=True)


def align_all(args, work, data):
    """One recipe run per (modality, method, seed); finished ones skipped."""
    base = work / "base" / args.model
    if not (base / "manifest.json").is_file():
        run(args, "--to", args.model, "--output", base, "--add-alignment-state")
    results = {}
    for seed in args.seeds.split(","):
        for modality in data:
            for method in args.methods.split(","):
                name = f"{modality}_{method}_{seed}"
                model_dir = work / "models" / name / args.model
                manifest = model_dir / "manifest.json"
                done = manifest.is_file() and json.loads(
                    manifest.read_text()
                ).get("aligned_modalities", {}).get(modality, {}).get("metrics")
                if not done:
                    run_one(args, work, base, model_dir, name, data, modality)
                entry = json.loads(manifest.read_text())["aligned_modalities"]
                results[name] = entry[modality]
    return results


def run_one(args, work, base, model_dir, name, data, modality):
    method, seed = name.split("_", 1)[1].rsplit("_", 1)
    if not (model_dir / "manifest.json").is_file():
        shutil.copytree(base, model_dir)
    train, test = data[modality]
    run(
        args,
        "--to", model_dir, "--modality", modality, "--data", train,
        "--tower", DEMOS[modality], "--method", method, "--seed", seed,
        "--epochs", args.epochs, "--eval-data", test,
        "--work-dir", work / "runs" / name, "--overwrite",
    )  # fmt: skip


def _seeds(metrics):
    return ", ".join(f"{m['mean_map']:.3f}" for m in metrics)


def summary(results):
    """`(json dict, markdown)`: mean over seeds per modality and method,
    then every run with its pairs (mAP of the exported encoder)."""
    runs, groups = [], {}
    for name, entry in sorted(results.items()):
        modality, rest = name.split("_", 1)
        method, seed = rest.rsplit("_", 1)
        m = entry["metrics"]
        groups.setdefault((modality, entry["method"]), []).append(m)
        pairs = ", ".join(
            f"{pair} {value['map']:.3f}" for pair, value in m["pairs"].items()
        )
        runs.append(
            f"| {modality} | {entry['method']} | {seed} | {m['mean_map']:.3f} "
            f"| {m['mean_chance_map']:.3f} | {m['map_over_chance']:.2f} "
            f"| {pairs} |"
        )
    means = [
        f"| {modality} | {method} | {len(ms)} "
        f"| {np.mean([m['mean_map'] for m in ms]):.3f} "
        f"({_seeds(ms)}) "
        f"| {np.mean([m['mean_chance_map'] for m in ms]):.3f} "
        f"| {np.mean([m['map_over_chance'] for m in ms]):.2f} |"
        for (modality, method), ms in sorted(groups.items())
    ]
    table = "\n".join(
        [
            "| modality | method | seeds | mean mAP (per seed) | chance "
            "| x chance |",
            "|---|---|---|---|---|---|",
            *means,
            "",
            "| modality | method | seed | mean mAP | chance | x chance "
            "| pairs |",
            "|---|---|---|---|---|---|---|",
            *runs,
        ]
    )
    return results, table + "\n"


def shipped_reference(base):
    """The shipped sketch encoder's mAP against the other shipped ones on
    the same test items (of the copy aligned to, `base`): what a modality
    trained with the model reaches."""
    import cm_zoo

    bench = cm_zoo.data.clipart_benchmark.load()
    features = {}
    for modality in ("clipart", "sketch", "description"):
        x, y = bench.arrays(modality, "test")
        encoder = cm_zoo.export.load_encoder(base, modality)
        features[modality] = (encoder(x)["embedding"].numpy(), y)
    return cm_zoo.runs.modality_alignment.alignment_retrieval(
        "sketch", features
    )


def main(argv=None):
    args = parse_args(argv)
    work = pathlib.Path(args.work)
    data = write_demo_data(work, args.modalities.split(","))
    results = align_all(args, work, data)
    values, table = summary(results)
    reference = shipped_reference(work / "base" / args.model)
    base = work / "base" / args.model / "manifest.json"
    values = {
        "runs": values,
        "reference_shipped_sketch": reference,
        "model": args.model,
        "model_manifest_sha256": hashlib.sha256(base.read_bytes()).hexdigest(),
    }
    table += (
        f"\nReference: the shipped `sketch` encoder (trained with the model) "
        f"reaches mean mAP {reference['mean_map']:.3f} against `clipart` "
        f"and `description` on the same test items (chance "
        f"{reference['mean_chance_map']:.3f}, "
        f"x{reference['map_over_chance']:.2f}).\n"
    )
    import cm_zoo

    output = pathlib.Path(args.output)
    cm_zoo.atomic_files.atomic_write_json(
        output / "align_modality.json", values
    )
    cm_zoo.atomic_files.atomic_write_text(output / "align_modality.md", table)
    print(table)


if __name__ == "__main__":
    main()

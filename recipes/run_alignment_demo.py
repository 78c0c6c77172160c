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

import recipe_arguments as flags

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "align_modality.py"
METHODS = ("A", "B", "C", "bl_individual")
DEMOS = {"sound": "sound", "chalk": "image"}


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


def main(argv=None):
    args = parse_args(argv)
    global cm_zoo
    (cm_zoo,) = flags.import_library("cm_zoo")
    demo = cm_zoo.runs.alignment_demo
    work = pathlib.Path(args.work)
    data = demo.write_demo_data(work, args.modalities.split(","))
    results = align_all(args, work, data)
    table = demo.method_table(results) + "\n" + demo.summary_table(results)
    reference = demo.shipped_reference(work / "base" / args.model)
    base = work / "base" / args.model / "manifest.json"
    values = {
        "runs": results,
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
    output = pathlib.Path(args.output)
    cm_zoo.atomic_files.atomic_write_json(
        output / "align_modality.json", values
    )
    cm_zoo.atomic_files.atomic_write_text(output / "align_modality.md", table)
    print(table)


if __name__ == "__main__":
    main()

"""The issue-17 demonstration: two new modalities aligned to a shipped model.

    python recipes/run_alignment_demo.py --work /tmp/align_demo --select

1. Writes the demo data as a user would hold it, from the clip-art
   benchmark: `sound/` (spoken titles, one folder per class, WAV at
   22.05 kHz so the recipe resamples) and `chalk/` (the benchmark's
   sketches re-drawn as chalk on a blackboard: strokes thickened,
   colours inverted, a grain texture), a train folder tree and val and
   test list files each; adds the shared layers and priors to a copy of
   the model once (`align_modality.py --add-alignment-state`).
2. With `--select`, runs `recipes/align_modality.py` for each modality
   and method at every point of a grid fixed in advance
   (`cm_zoo.runs.alignment_selection`: learning rate 0.0003, 0.001,
   0.003, 0.01; for B and C also StatReg weight 0.001, 0.01, 0.1, 1) at
   `--selection-seeds`, scored on the new modality's val items against
   the shipped modalities' `ood` items (unlike their val items, not in
   the shipped encoders' training), and keeps the best mean score per
   modality and method. Without it, the recipe's defaults.
3. Runs each modality and method at its setting for `--seeds`, each into
   its own copy of that export, and reports the exported encoder's
   retrieval against the shipped encoders on the benchmark's test split.
   Nothing is chosen on test. Rerunning skips finished runs and resumes
   killed ones. Writes `docs/results/align_modality.json` and `.md`.
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
    parser.add_argument("--select", action="store_true")
    parser.add_argument("--selection-seeds", default="0,1")
    parser.add_argument("--output", default=str(ROOT / "docs" / "results"))
    return parser.parse_args(argv)


def run(*command):
    print(" ".join(str(c) for c in command), flush=True)
    subprocess.run([sys.executable, str(RECIPE), *command], check=True)


def aligned(args, work, name, modality, command):
    """The manifest entry of one recipe run into `<work>/<name>/` (its own
    copy of the base export); run unless finished, a killed one resumes."""
    model_dir = work / name / args.model
    manifest = model_dir / "manifest.json"
    done = manifest.is_file() and json.loads(manifest.read_text()).get(
        "aligned_modalities", {}
    ).get(modality, {}).get("metrics")
    if not done:
        if not manifest.is_file():
            with cm_zoo.atomic_files.atomic_directory(model_dir) as partial:
                shutil.copytree(
                    work / "base" / args.model, partial, dirs_exist_ok=True
                )
        run(
            "--to", model_dir, "--modality", modality,
            "--work-dir", work / name / "run", *command, "--overwrite",
        )  # fmt: skip
    return json.loads(manifest.read_text())["aligned_modalities"][modality]


def training_flags(args, data, modality, method, seed, setting):
    """The recipe's flags for one run: data, tower, method, seed, setting."""
    return [
        "--data", data[modality][0], "--tower", DEMOS[modality],
        "--method", method, "--seed", seed, "--epochs", args.epochs,
        *cm_zoo.runs.alignment_selection.setting_flags(setting),
    ]  # fmt: skip


def select_all(args, work, data, shipped):
    """Every grid point of each (modality, method) at each selection seed,
    scored on validation; `{modality: {method: {"grid", "chosen"}}}`."""
    select = cm_zoo.runs.alignment_selection
    evaluation = [
        f for modality, path in shipped.items()
        for f in ("--eval-shipped", f"{modality}={path}")
    ]  # fmt: skip
    selection = {
        modality: {
            method: {
                "grid": [
                    {"setting": setting, "val_mean_map": {}}
                    for setting in select.selection_grid(method)
                ]
            }
            for method in args.methods.split(",")
        }
        for modality in data
    }
    for seed in args.selection_seeds.split(","):
        for modality, methods in selection.items():
            for method, entry in methods.items():
                for point in entry["grid"]:
                    setting = point["setting"]
                    name = f"{modality}_{method}_{seed}_"
                    name += select.setting_name(setting)
                    command = training_flags(
                        args, data, modality, method, seed, setting
                    )
                    command += ["--eval-data", data[modality][1], *evaluation]
                    found = aligned(
                        args, work, f"select/{name}", modality, command
                    )
                    point["val_mean_map"][seed] = found["metrics"]["mean_map"]
    for methods in selection.values():
        for entry in methods.values():
            entry["chosen"] = select.best_setting(entry["grid"])
    return selection


def align_all(args, work, data, selection):
    """One test run per (modality, method, seed) at its chosen setting
    (the recipe's defaults without `selection`); finished ones skipped."""
    results = {}
    for seed in args.seeds.split(","):
        for modality in data:
            for method in args.methods.split(","):
                setting = selection[modality][method]["chosen"]
                name = f"{modality}_{method}_{seed}"
                folder = cm_zoo.runs.alignment_selection.setting_name(setting)
                folder = f"{name}_{folder}" if setting else name
                command = training_flags(
                    args, data, modality, method, seed, setting
                )
                command += ["--eval-data", data[modality][2]]
                results[name] = aligned(
                    args, work, f"models/{folder}", modality, command
                )
    return results


def settings_note(args, selection):
    """How the settings were set, for the report's first paragraph."""
    if not args.select:
        return "Fixed settings (the recipe's defaults), nothing chosen.\n"
    return (
        f"Settings chosen per modality and method at seeds "
        f"{args.selection_seeds} (mean): the new modality's val items "
        f"against the shipped modalities' "
        f"`{cm_zoo.runs.alignment_demo.SHIPPED_EVAL_SPLIT}` items (held out "
        f"from the shipped encoders, trained on train and val), grid fixed "
        f"in advance. Test: seeds {args.seeds}, nothing chosen on test.\n\n"
        + cm_zoo.runs.alignment_selection.selection_table(selection)
    )


def main(argv=None):
    args = parse_args(argv)
    global cm_zoo
    (cm_zoo,) = flags.import_library("cm_zoo")
    demo = cm_zoo.runs.alignment_demo
    work = pathlib.Path(args.work)
    data = demo.write_demo_data(work, args.modalities.split(","))
    base = work / "base" / args.model
    if not (base / "manifest.json").is_file():
        run("--to", args.model, "--output", base, "--add-alignment-state")
    fixed = dict.fromkeys(args.methods.split(","), {"chosen": {}})
    selection = dict.fromkeys(data, fixed)  # the recipe's defaults
    if args.select:
        shipped = cm_zoo.export.read_manifest(base)["modalities"]
        shipped = demo.write_shipped_items(work, shipped)
        selection = select_all(args, work, data, shipped)
    results = align_all(args, work, data, selection)
    table = settings_note(args, selection) + "\n" + demo.method_table(results)
    table += "\n" + demo.summary_table(results)
    reference = demo.shipped_reference(base)
    values = {
        "runs": results,
        "reference_shipped_sketch": reference,
        "model": args.model,
        "model_manifest_sha256": hashlib.sha256(
            (base / "manifest.json").read_bytes()
        ).hexdigest(),
        **({"selection": selection} if args.select else {}),
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

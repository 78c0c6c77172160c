"""Evaluate trained CMPlaces runs: the paper's tables and figures, one report.

    python recipes/evaluate.py runs/cmplaces --output docs/report
    python recipes/evaluate.py runs/cmplaces/C runs/cmplaces/A_tune

Each RUN_DIR is one method's run directory (`backbone.keras` and
`run_config.json`, as written by `recipes/train_cmplaces.py`) or a directory
holding several. The test split of the benchmark is embedded once per run
(pool5, fc6, fc7, logits) and every analysis reuses those features:
retrieval (Tables 1-3, within-modal, chance), zero-shot (Tables 4-5, when
the run held categories out), modality invariance (probe + t-SNE), fc7 unit
visualisation and pool5 feature inversion. Writes `report.md`,
`metrics.json` and `figures/*.png` to `--output`.
"""

import argparse
import json
import pathlib
import sys
import time

import keras
import numpy as np

import cm_zoo
from cm_zoo import modalities

LAYERS = ("pool5", "fc6", "fc7")
# run_config.json "args" worth quoting in the report header.
TRAINING_SETTINGS = (
    "source_epochs",
    "epochs",
    "freeze_epochs",
    "steps_per_epoch",
    "batch_size",
    "optimizer",
    "num_components",
    "seed",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dirs", nargs="+", type=pathlib.Path)
    parser.add_argument(
        "--output", type=pathlib.Path, help="default: the first RUN_DIR"
    )
    parser.add_argument(
        "--data", default=None, help="benchmark directory (default: embedded)"
    )
    parser.add_argument("--title", default="Cross-Modal Scene Networks")
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="paragraph under the title (repeatable)",
    )
    parser.add_argument("--num-queries", type=int, default=1000)
    parser.add_argument("--num-units", type=int, default=3)
    parser.add_argument("--items-per-unit", type=int, default=4)
    parser.add_argument("--tsne-per-modality", type=int, default=1000)
    parser.add_argument(
        "--inversion-items", type=int, default=6, help="categories shown"
    )
    parser.add_argument("--inversion-epochs", type=int, default=20)
    parser.add_argument("--inversion-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def find_runs(paths):
    """Run directories under `paths`, each once, in the paper's row order."""
    order = list(cm_zoo.models.cmplaces.METHODS)
    runs = []
    for path in paths:
        if is_run(path):
            runs.append(path)
            continue
        children = [c for c in sorted(path.iterdir()) if is_run(c)]
        if not children:
            raise SystemExit(
                f"{path}: neither a run directory (backbone.keras + "
                "run_config.json) nor a directory holding any."
            )
        children.sort(
            key=lambda c: order.index(c.name) if c.name in order else 99
        )
        runs += children
    return list(dict.fromkeys(runs))


def is_run(path):
    return (path / "backbone.keras").is_file() and (
        path / "run_config.json"
    ).is_file()


def evaluate_run(args, run_dir, bench, figures_dir):
    """All metrics and figures of one run; returns (name, label, result)."""
    config = json.loads((run_dir / "run_config.json").read_text())
    name = config.get("method", run_dir.name)
    label = config.get("method_label", name)
    names = list(config["modalities"])
    holdout = [
        config["class_names"].index(c) for c in config["holdout_categories"]
    ]
    timing = {}
    started = time.time()
    backbone = keras.saving.load_model(run_dir / "backbone.keras")
    inputs, labels = {}, {}
    for modality in names:
        inputs[modality], labels[modality] = bench.arrays(modality, "test")
    features = cm_zoo.models.extract_features(
        backbone, inputs, layers=LAYERS + ("logits",)
    )
    by_layer = {
        layer: {m: (features[layer][m], labels[m]) for m in names}
        for layer in LAYERS
    }
    fc7 = by_layer["fc7"]
    timing["embed"] = time.time() - started

    started = time.time()
    result = {"run_dir": str(run_dir), "label": label, "modalities": names}
    result["retrieval"] = {
        layer: cm_zoo.evaluation.cross_modal_retrieval(
            by_layer[layer], num_queries=args.num_queries, seed=args.seed
        )
        for layer in LAYERS
    }
    result["retrieval_full"] = {
        "fc7": cm_zoo.evaluation.cross_modal_retrieval(fc7, protocol="full")
    }
    predicted = {m: features["logits"][m].argmax(axis=1) for m in names}
    result["accuracy"] = {
        m: float((predicted[m] == labels[m]).mean()) for m in names
    }
    if holdout:
        held = {m: np.isin(labels[m], holdout) for m in names}
        result["zero_shot_retrieval"] = cm_zoo.evaluation.cross_modal_retrieval(
            fc7,
            classes=holdout,
            k=min(10, min(int(h.sum()) for h in held.values()) - 1),
            num_queries=args.num_queries,
            seed=args.seed,
        )
        result["zero_shot_accuracy"] = {
            m: float((predicted[m] == labels[m])[held[m]].mean()) for m in names
        }
    result["invariance"] = cm_zoo.evaluation.modality_invariance(
        fc7, max_per_modality=args.tsne_per_modality, seed=args.seed
    )
    timing["metrics"] = time.time() - started

    figures = {}
    started = time.time()
    figures["tsne"] = figures_dir / f"tsne_{name}.png"
    cm_zoo.evaluation.plot_tsne(
        fc7,
        figures["tsne"],
        max_per_modality=args.tsne_per_modality,
        seed=args.seed,
        title=f"{label}: t-SNE of fc7 (test)",
    )
    timing["tsne"] = time.time() - started

    started = time.time()
    figures["units"] = figures_dir / f"units_{name}.png"
    result["units"] = draw_units(
        args, fc7, inputs, labels, config["class_names"], figures["units"]
    )
    timing["units"] = time.time() - started

    source = bench.source_modality
    if source in names and modalities.is_image(source):
        started = time.time()
        figures["inversion"] = figures_dir / f"inversion_{name}.png"
        result["inversion"] = draw_inversion(
            args,
            backbone,
            bench,
            features["pool5"],
            inputs,
            labels,
            config["class_names"],
            figures["inversion"],
        )
        timing["inversion"] = time.time() - started
    for path in figures.values():
        cm_zoo.evaluation.quantize_png(path)
    result["figures"] = figures
    result["timing_seconds"] = timing
    return name, label, result


def draw_units(args, fc7, inputs, labels, class_names, path):
    """fc7 unit grid: top test items per modality, tf-idf words."""
    units = cm_zoo.evaluation.selective_units(fc7, args.num_units)["units"]
    top = cm_zoo.evaluation.top_activating_items(
        {m: x for m, (x, _) in fc7.items()}, units, k=args.items_per_unit
    )
    images, texts = {}, {}
    for modality, index in top.items():
        if modalities.is_image(modality):
            images[modality] = inputs[modality][index]  # [U, k, H, W, 3]
        elif modality == modalities.DESCRIPTION:
            texts[modality] = [
                [inputs[modality][i] for i in row] for row in index
            ]
        else:
            texts[modality] = [
                [
                    f"{modality} clip: {class_names[labels[modality][i]]}"
                    for i in row
                ]
                for row in index
            ]
    words = (
        cm_zoo.evaluation.distinctive_words(
            inputs[modalities.DESCRIPTION], top[modalities.DESCRIPTION]
        )
        if modalities.DESCRIPTION in top
        else [[] for _ in units]
    )
    cm_zoo.evaluation.draw_unit_grid(
        path, units.tolist(), images=images, texts=texts, words=words
    )
    return {
        "units": units.tolist(),
        "words": words,
        "top_items": {m: index.tolist() for m, index in top.items()},
    }


def draw_inversion(
    args, backbone, bench, pool5, inputs, labels, class_names, path
):
    """Trains the source-modality decoder, decodes one item per category."""
    source = bench.source_modality
    train_images, _ = bench.arrays(source, "train")
    decoder, losses = cm_zoo.models.fit_feature_inversion(
        backbone,
        train_images,
        modality=source,
        image_size=args.inversion_size,
        epochs=args.inversion_epochs,
        seed=args.seed,
    )
    shared = sorted(
        set.intersection(*(set(y.tolist()) for y in labels.values()))
    )
    rng = np.random.default_rng(args.seed)
    count = min(args.inversion_items, len(shared))
    categories = sorted(rng.choice(shared, size=count, replace=False).tolist())
    shown, decoded = {}, {}
    for modality, y in labels.items():
        index = [int(np.flatnonzero(y == c)[0]) for c in categories]
        shown[modality] = inputs[modality][index]
        if not modalities.is_image(modality):
            shown[modality] = [str(item) for item in shown[modality]]
        decoded[modality] = decoder.reconstruct(pool5[modality][index])
    cm_zoo.evaluation.draw_inversion_grid(
        path,
        shown,
        decoded,
        target_modality=source,
        column_labels=[class_names[c] for c in categories],
    )
    return {"target": source, "losses": losses, "categories": categories}


def header_notes(args, runs, bench, results, seconds):
    configs = [json.loads((r / "run_config.json").read_text()) for r in runs]
    sizes = ", ".join(
        f"{modalities.SHORT_NAMES[m]} {len(bench.arrays(m, 'test')[1])}"
        for m in configs[0]["modalities"]
    )
    stale = [
        str(r)
        for r, c in zip(runs, configs)
        if c.get("data_manifest_sha256") != bench.manifest_sha256
    ]
    parents = {}
    for run in runs:
        parents.setdefault(run.parent.as_posix(), []).append(run.name)
    listed = "; ".join(f"`{p}/` ({', '.join(n)})" for p, n in parents.items())
    trained = configs[0].get("args", {})
    settings = ", ".join(
        f"{key} {trained[key]}" for key in TRAINING_SETTINGS if key in trained
    )
    notes = list(args.note)
    notes.append(
        f"Runs: {listed}; preset `{configs[0]['preset']}`"
        + (f"; trained with {settings}" if settings else "")
        + ". Test split of the clip-art benchmark "
        f"(manifest sha256 `{bench.manifest_sha256[:12]}`): {sizes} items, "
        f"{len(bench.class_names)} categories. Scores in percent; the best "
        "of each column in bold. Evaluation seed "
        f"{args.seed}; {seconds:.0f} s for {len(results)} runs."
    )
    if stale:
        notes.append(
            f"**Warning:** {', '.join(stale)} were trained on another "
            "build of the benchmark (manifest sha256 differs)."
        )
    return notes


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.time()
    runs = find_runs(args.run_dirs)
    output = args.output or args.run_dirs[0]
    figures_dir = output / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    results, labels = {}, {}
    for run_dir in runs:
        keras.utils.set_random_seed(args.seed)
        name, label, result = evaluate_run(args, run_dir, bench, figures_dir)
        if name in results:  # the same method from two parents
            name, label = (
                f"{run_dir.parent.name}/{name}",
                f"{label} ({run_dir.parent.name})",
            )
        result["figures"] = {
            k: p.relative_to(output).as_posix()
            for k, p in result["figures"].items()
        }
        results[name], labels[name] = result, label
        keras.backend.clear_session()
        mean = result["retrieval"]["fc7"]["mean"]
        print(
            f"{label}: mean cross-modal mAP (fc7) {100 * mean['map']:.1f} "
            f"(chance {100 * mean['chance_map']:.1f}); "
            f"{sum(result['timing_seconds'].values()):.0f} s"
        )
    seconds = time.time() - started
    notes = header_notes(args, runs, bench, results, seconds)
    report = cm_zoo.evaluation.evaluation_report(
        {labels[n]: r for n, r in results.items()},
        title=args.title,
        notes=notes,
        chance=1.0 / len(bench.class_names),
    )
    (output / "report.md").write_text(report)
    metrics = {"title": args.title, "notes": notes, "methods": results}
    cm_zoo.evaluation.write_json(
        output / "metrics.json", metrics, sort_keys=False
    )
    print(f"wrote {output / 'report.md'} in {seconds:.0f} s")
    return results


if __name__ == "__main__":
    main()

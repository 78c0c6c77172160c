"""A run directory holding several trained runs merged into one.

`merge_runs` loads each member run's backbone, merges them side by side
(`cm_zoo.models.merge_backbones`: an exact ensemble as one wider
backbone) and writes an ordinary run directory (`backbone.keras`,
`metrics.json`, `run_config.json`) that `recipes/export.py` exports like
any trained run, CMPlaces or See-Hear-Read. The run config is the first
member's, with the widened architecture in `args.architecture` and the
members in `members`; the metrics are the training recipe's suite on the
merged backbone (its preset family's), plus each member's own
`generalisation` for comparison.
"""

import time

from cm_zoo import presets
from cm_zoo.data import clipart_benchmark
from cm_zoo.models import merge_backbones
from cm_zoo.models.merge import widened_preset_fields
from cm_zoo.runs import see_hear_read_training
from cm_zoo.runs.cmplaces_job import CMPlacesJob
from cm_zoo.runs.cmplaces_run_metrics import evaluate_backbone
from cm_zoo.runs.generalisation import backbone_encoder
from cm_zoo.runs.generalisation import generalisation_metrics
from cm_zoo.runs.run_directory import RunDirectory

# What every member must share to be merged.
_SHARED_KEYS = (
    "method",
    "preset",
    "class_names",
    "modalities",
    "data_manifest_sha256",
    "holdout_categories",
)


def merge_runs(members, output, bench=None):
    """Merges trained runs into the run directory `output`.

    Args:
        members: list of str or `pathlib.Path`. Trained run directories
            (each with `backbone.keras` and `run_config.json`), at least
            two, of the same method, preset, classes, modalities and data.
        output: str or `pathlib.Path`. The merged run's directory.
        bench: `ClipartBenchmark` or None. Data of the metrics (default:
            the embedded benchmark).

    Returns:
        `RunDirectory` of the merged run.

    Raises:
        ValueError: naming the member and the key where members differ.
        FileNotFoundError: naming a member without a trained backbone.

    Example (two untrained runs, to show the files):
    >>> import tempfile
    >>> from cm_zoo.models import CrossModalBackbone
    >>> from cm_zoo.runs import RunDirectory, merged_run
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> names = ["clipart", "description"]
    >>> members = []
    >>> for seed in (0, 1):
    ...     run = RunDirectory(tempfile.mkdtemp())
    ...     backbone = CrossModalBackbone.from_preset(
    ...         "cmplaces_alexnet_tiny", modalities=names, num_classes=28)
    ...     run.write_run(backbone, {}, {
    ...         "method": "C", "preset": "cmplaces_alexnet_tiny",
    ...         "class_names": bench.class_names, "modalities": names,
    ...         "data_manifest_sha256": "x", "holdout_categories": [],
    ...         "model_name": "cmplaces_C",
    ...         "args": {"seed": seed, "eval_split": "val"}})
    ...     members.append(run.path)
    >>> merged = merged_run.merge_runs(members, tempfile.mkdtemp(), bench)
    >>> config = merged.read_run_config()
    >>> config["args"]["architecture"]["hidden_dim"], len(config["members"])
    (512, 2)
    >>> sorted(merged.read_metrics()["generalisation"])
    ['members', 'ood', 'ood_over_val', 'val']
    """
    bench = bench or clipart_benchmark.load()
    runs = [RunDirectory(path) for path in members]
    if len(runs) < 2:
        raise ValueError(f"merge_runs needs two runs or more; got {members}.")
    for run in runs:
        if not run.is_run():
            raise FileNotFoundError(
                f"{run.path}: no trained run to merge (expected "
                "backbone.keras and run_config.json)."
            )
    configs = [run.read_run_config() for run in runs]
    _check_same(runs, configs)
    started = time.time()
    backbones = [run.load_backbone() for run in runs]
    merged = merge_backbones(backbones)
    config = _merged_config(runs, configs)
    metrics = _metrics(merged, backbones, bench, config)
    metrics["merge_seconds"] = time.time() - started
    result = RunDirectory(output)
    result.write_run(merged, metrics, config)
    return result


def _check_same(runs, configs):
    for run, config in zip(runs[1:], configs[1:]):
        for key in _SHARED_KEYS:
            if config.get(key) != configs[0].get(key):
                raise ValueError(
                    f"Cannot merge {run.path} with {runs[0].path}: their "
                    f"run_config.json `{key}` differ ({config.get(key)!r} vs "
                    f"{configs[0].get(key)!r})."
                )


def _merged_config(runs, configs):
    """The first member's run config, widened, listing the members."""
    config = dict(configs[0])
    args = dict(config.get("args", {}))
    preset = presets.get(config["preset"])
    architecture = dict(args.get("architecture") or {})
    architecture.update(
        widened_preset_fields(preset.config(**architecture), len(runs))
    )
    args["architecture"] = architecture
    config["args"] = args
    config["members"] = [
        {"run": str(run.path), "seed": c.get("args", {}).get("seed")}
        for run, c in zip(runs, configs)
    ]
    return config


def _metrics(merged, backbones, bench, config):
    """The family's metric suite and generalisation, members' alongside."""
    if presets.get(config["preset"]).family == "see_hear_read":
        metrics = see_hear_read_training.evaluate(merged, bench)
        names = list(see_hear_read_training.ENCODERS)
        splits = see_hear_read_training.GENERALISATION_SPLITS
    else:
        metrics, names, splits = _cmplaces_metrics(merged, bench, config)
    metrics["generalisation"]["members"] = [
        generalisation_metrics(backbone_encoder(b), bench, names, splits)
        for b in backbones
    ]
    return metrics


def _cmplaces_metrics(merged, bench, config):
    """The CMPlaces recipe's suite; its modalities and splits scored."""
    args = config["args"]
    names = config["modalities"]
    job = CMPlacesJob(
        preset=config["preset"],
        training=presets.get(config["preset"]).training,
        holdout=tuple(
            config["class_names"].index(name)
            for name in config["holdout_categories"]
        ),
        eval_split=args.get("eval_split", "test"),
        seed=args.get("seed", 0),
    )
    splits = tuple(dict.fromkeys(("val", job.eval_split, "ood")))
    metrics = evaluate_backbone(merged, bench, names, job)
    metrics.update(
        eval_split=job.eval_split,
        generalisation=generalisation_metrics(
            backbone_encoder(merged), bench, names, splits
        ),
    )
    return metrics, names, splits

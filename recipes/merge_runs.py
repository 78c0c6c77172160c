"""Merge trained runs into one run: an exact ensemble, one network.

    python recipes/merge_runs.py runs/seed0/C runs/seed1/C \
        --output runs/cmplaces_c_merged
    python recipes/export.py runs/cmplaces_c_merged --name cmplaces_method_c

Each member is a trained run directory (`backbone.keras`,
`run_config.json`) of the same method, preset, classes, modalities and
data, e.g. the same `recipes/train_cmplaces.py` or
`recipes/train_see_hear_read.py` command at other seeds.
The output is an ordinary run directory holding one backbone of the same
architecture with every width multiplied by the member count, whose
features are the members' concatenated and whose logits their mean
(`cm_zoo.runs.merge_runs`, `cm_zoo.models.merge_backbones`). Its
`metrics.json` has the training recipe's metric suite (CMPlaces or
See-Hear-Read, from the preset's family) and each member's generalisation
beside the merged model's. Takes about a minute on CPU for
two tiny-preset runs; writes atomically, so a killed merge leaves no half
run (rerun it).
"""

import argparse
import sys

import recipe_arguments as flags


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("members", nargs="+", help="trained run directories")
    parser.add_argument("--output", required=True, help="merged run directory")
    args = parser.parse_args(argv)
    if len(args.members) < 2:
        parser.error("give at least two run directories to merge")
    return args


def main(argv=None):
    args = parse_args(argv)
    (cm_zoo,) = flags.import_library("cm_zoo")
    try:
        run = cm_zoo.runs.merge_runs(args.members, args.output)
    except (ValueError, FileNotFoundError) as error:
        sys.exit(str(error))
    scores = run.read_metrics()["generalisation"]
    for split in ("val", "test", "ood"):
        if split in scores:
            members = " ".join(
                f"{m[split]['times_chance']:.2f}x" for m in scores["members"]
            )
            print(
                f"{split}: merged {scores[split]['times_chance']:.2f}x "
                f"random (members {members})"
            )
    print(f"Wrote {run.path}")


if __name__ == "__main__":
    main()

"""Builds the embedded clip-art benchmark from Debian's openclipart packages.

Inputs (Debian packages, no network): `openclipart-svg` (SVG sources, their
title and keywords), `wordnet-base` (noun glosses), `librsvg2-bin`
(`rsvg-convert`) and `espeak-ng`. Output: a directory (by default
`cm_zoo/data/embedded/clipart_benchmark/`) with `manifest.json`,
`clipart.npz`, `sketch.npz`, `sound.npz` and `description.json`, read by
`cm_zoo.data.clipart_benchmark.load`. The building code lives in
`cm_zoo.data.clipart_build` (categories and roles in `catalog.py`).

Every source SVG is used for exactly one role: one weakly aligned modality
(clipart, sketch, description or sound; only the category links them, as in
CMPlaces) or the paired See-Hear-Read set (the same item as clipart,
description and sound). The build is deterministic: sorted listings, seeds
derived from category names, zip entries without timestamps; with the same
package versions a rebuild is byte-identical.

Usage:
    python3 recipes/build_clipart_benchmark.py [--out DIR] [--jobs 2]
"""

import argparse
import os

import cm_zoo.data.clipart_build

DEFAULT_OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "cm_zoo",
    "data",
    "embedded",
    "clipart_benchmark",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    summary = cm_zoo.data.clipart_build.build(args.out, args.jobs)
    print(
        f"built {summary['items']} items ({summary['failed']} dropped: "
        f"render or speech failed; {summary['duplicates']} dropped: image "
        f"already used) into {os.path.abspath(args.out)}"
    )


if __name__ == "__main__":
    main()

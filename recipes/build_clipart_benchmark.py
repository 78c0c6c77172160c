"""Builds the embedded clip-art benchmark from Debian's openclipart packages.

Inputs (Debian packages, no network once installed): `openclipart-svg`
(SVG sources, their title and keywords), `wordnet-base` (glosses, part
names, the synonyms and hypernyms no text may use), `librsvg2-bin`
(`rsvg-convert`) and `espeak-ng`. Missing ones are named with the
`apt-get install` command; `--install-packages` runs it (as root). Output:
a directory (by default `cm_zoo/data/embedded/clipart_benchmark/`) with
`manifest.json`, `clipart.npz`, `sketch.npz`, `sound.npz`, `source.npz`,
`description.json` and `lexicon.json`, read by
`cm_zoo.data.clipart_benchmark.load`. The building code lives in
`cm_zoo.data.clipart_build` (categories and roles in `catalog.py`, the
text rules in `giveaway.py` and `texts.py`).

Every source SVG is used for exactly one role: one weakly aligned modality
(clipart, sketch, description or sound; only the category links them, as in
CMPlaces), the paired See-Hear-Read set, the out-of-distribution split, or
the source pool. The build is deterministic: sorted listings, seeds derived
from category names and paths, zip entries without timestamps; with the
same package versions (listed in the manifest) a rebuild is byte-identical.

Usage:
    python3 recipes/build_clipart_benchmark.py [--out DIR] [--jobs 2]
        [--install-packages]
"""

import argparse
import os
import subprocess
import sys
import time

import cm_zoo.data.clipart_build

DEFAULT_OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "cm_zoo",
    "data",
    "embedded",
    "clipart_benchmark",
)


def ensure_packages(install):
    """Returns True when every Debian input is there (installing if asked)."""
    missing = cm_zoo.data.clipart_build.missing_packages()
    if missing and install:
        subprocess.run(["apt-get", "install", "-y", *missing], check=True)
        missing = cm_zoo.data.clipart_build.missing_packages()
    if missing:
        print(
            f"missing Debian packages {missing}; install them with\n"
            f"    {cm_zoo.data.clipart_build.INSTALL_COMMAND}\n"
            "or rerun with --install-packages (as root).",
            file=sys.stderr,
        )
    return not missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--install-packages",
        action="store_true",
        help="apt-get install the missing Debian inputs first (root)",
    )
    args = parser.parse_args()
    if not ensure_packages(args.install_packages):
        sys.exit(2)
    start = time.monotonic()
    summary = cm_zoo.data.clipart_build.build(args.out, args.jobs)
    print(
        f"built {summary['items']} items in "
        f"{time.monotonic() - start:.0f} s ({summary['failed']} dropped: "
        f"render or speech failed; {summary['duplicates']} dropped: drawing "
        f"already used; {summary['textless']} kept out of the text roles: "
        f"no word left once the category's giveaway is removed) into "
        f"{os.path.abspath(args.out)}"
    )


if __name__ == "__main__":
    main()

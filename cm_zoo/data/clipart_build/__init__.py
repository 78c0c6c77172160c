"""Build-time code for the embedded clip-art benchmark.

Running `build` needs the Debian packages openclipart-svg, wordnet-base,
librsvg2-bin and espeak-ng, plus scipy; it is driven by
`recipes/build_clipart_benchmark.py`.
"""

from cm_zoo.data.clipart_build.builder import build

__all__ = ["build"]

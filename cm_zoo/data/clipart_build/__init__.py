"""Build-time code for the embedded clip-art benchmark.

Running `build` needs the Debian packages openclipart-svg, wordnet-base,
librsvg2-bin and espeak-ng (`missing_packages` lists those not installed,
`INSTALL_COMMAND` installs them), plus scipy; it is driven by
`recipes/build_clipart_benchmark.py`.
"""

from cm_zoo.data.clipart_build.builder import INSTALL_COMMAND
from cm_zoo.data.clipart_build.builder import build
from cm_zoo.data.clipart_build.builder import missing_packages

__all__ = ["INSTALL_COMMAND", "build", "missing_packages"]

#!/bin/sh
# See BUILD: `bazel coverage` is not supported offline in cm_zoo.
echo "bazel coverage tools are not available offline; use pytest" >&2
exit 1

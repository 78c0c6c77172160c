"""Entry point of the Bazel `py_test` targets: runs pytest on one test file.

Each `py_test` in BUILD uses this file as `main` and passes its test file as
the argument, so `bazel test //:tests/x_test` runs the same tests as
`python -m pytest tests/x_test.py`. Pytest does not collect this file.
"""

import sys

if __name__ == "__main__":
    import pytest

    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]]))

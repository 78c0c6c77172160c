"""Every module, script and test file is covered by a Bazel target.

The BUILD files are evaluated in Python (Starlark BUILD files with only
calls, lists and comprehensions are valid Python), with `glob` reimplemented,
so the check needs no Bazel. Where `bazel` is installed, `bazel query` must
agree with that evaluation.
"""

import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD_NAMES = ("BUILD", "BUILD.bazel")

# Files that must be covered, by which kind of rule.
REQUIRED = {
    "py_library": ("cm_zoo/**/*.py",),
    "py_binary": ("recipes/*.py", "bench/*.py"),
    "py_test": ("tests/**/*_test.py", "tests/**/test_*.py"),
}
# Test helpers whose names match the test patterns but hold no tests.
NOT_TESTS = ("tests/test_case.py",)
IGNORED_RULES = ("package", "licenses", "exports_files", "load")


def ignored_dirs():
    """Directories listed in `.bazelignore`, relative to ROOT."""
    path = ROOT / ".bazelignore"
    if not path.is_file():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip()}


def glob_regex(pattern):
    """A Bazel glob pattern as a regex over `/`-separated relative paths."""
    regex = ""
    for i, part in enumerate(pattern.split("/")):
        if part == "**":
            regex += "(?:[^/]+/)*"
            continue
        part = re.escape(part).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex += part + "/"
    return re.compile(regex[:-1] + r"\Z")


def is_ignored(path, ignored):
    """Whether `path` lies in an ignored or a `bazel-*` output directory."""
    rel = path.relative_to(ROOT).as_posix()
    return any(rel == d or rel.startswith(d + "/") for d in ignored) or any(
        part.startswith("bazel-") for part in path.relative_to(ROOT).parts
    )


def package_files(package_dir, ignored):
    """Files of the Bazel package at `package_dir`, not of its subpackages."""
    files = []
    for path in sorted(package_dir.rglob("*")):
        if is_ignored(path, ignored) or not path.is_file():
            continue
        owner = path.parent
        while owner != package_dir and not any(
            (owner / name).is_file() for name in BUILD_NAMES
        ):
            owner = owner.parent
        if owner == package_dir:
            files.append(path.relative_to(package_dir).as_posix())
    return files


def evaluate_build_file(build_file, ignored):
    """Runs a BUILD file as Python; returns `{label: (rule, attrs)}`."""
    package_dir = build_file.parent
    package = package_dir.relative_to(ROOT).as_posix()
    package = "" if package == "." else package
    files = package_files(package_dir, ignored)
    targets = {}

    def glob(include, exclude=(), **_):
        matched = set()
        for pattern in include:
            regex = glob_regex(pattern)
            matched.update(f for f in files if regex.match(f))
        for pattern in exclude:
            regex = glob_regex(pattern)
            matched = {f for f in matched if not regex.match(f)}
        return sorted(matched)

    def rule(kind):
        def record(name, **attrs):
            label = f"//{package}:{name}"
            if label in targets:
                raise ValueError(f"{build_file}: duplicate target {label}")
            targets[label] = (kind, attrs)

        return record

    namespace = {"glob": glob}
    for kind in ("py_library", "py_binary", "py_test"):
        namespace[kind] = rule(kind)
    for name in IGNORED_RULES:
        namespace[name] = lambda *args, **kwargs: None
    source = build_file.read_text(encoding="utf-8")
    exec(compile(source, str(build_file), "exec"), namespace)
    return targets


def all_targets():
    ignored = ignored_dirs()
    targets = {}
    build_files = [
        path
        for name in BUILD_NAMES
        for path in ROOT.rglob(name)
        if path.is_file() and not is_ignored(path.parent, ignored)
    ]
    for build_file in build_files:
        targets.update(evaluate_build_file(build_file, ignored))
    return targets


def source_path(label_package, src):
    return f"{label_package}/{src}" if label_package else src


def covered_files(targets, kinds):
    covered = set()
    for label, (kind, attrs) in targets.items():
        if kind in kinds:
            package = label[2:].partition(":")[0]
            covered.update(source_path(package, s) for s in attrs["srcs"])
    return covered


def required_files(patterns):
    return sorted(
        path.relative_to(ROOT).as_posix()
        for pattern in patterns
        for path in ROOT.glob(pattern)
        if "__pycache__" not in path.parts
        and path.relative_to(ROOT).as_posix() not in NOT_TESTS
    )


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_every_file_is_in_a_target(kind):
    covered = covered_files(all_targets(), {kind})
    missing = [f for f in required_files(REQUIRED[kind]) if f not in covered]
    assert not missing, (
        f"Not in the srcs of any {kind} target (edit BUILD):\n"
        + "\n".join(missing)
    )


def test_binaries_and_tests_have_their_main_in_srcs():
    wrong = [
        label
        for label, (kind, attrs) in all_targets().items()
        if kind != "py_library"
        and attrs.get("main", label.partition(":")[2] + ".py")
        not in attrs["srcs"]
    ]
    assert not wrong, f"`main` is not in `srcs`: {wrong}"


def test_every_test_file_has_its_own_test_target():
    tests = [
        (label, attrs)
        for label, (kind, attrs) in all_targets().items()
        if kind == "py_test"
    ]
    runs = {}
    for label, attrs in tests:
        for arg in attrs.get("args", []):
            path = re.sub(r"\$\((?:rootpath|location) (.*)\)", r"\1", arg)
            runs.setdefault(path, []).append(label)
    shared = {path: labels for path, labels in runs.items() if len(labels) > 1}
    not_run = [
        path for path in required_files(REQUIRED["py_test"]) if path not in runs
    ]
    assert not not_run, f"No py_test passes these to pytest: {not_run}"
    assert not shared, f"Test files run by several targets: {shared}"


def test_evaluation_notices_an_uncovered_file(tmp_path, monkeypatch):
    """The coverage check is not a no-op: it finds a file no glob matches."""
    (tmp_path / "cm_zoo" / "new_part").mkdir(parents=True)
    (tmp_path / "cm_zoo" / "__init__.py").write_text("")
    (tmp_path / "cm_zoo" / "new_part" / "thing.py").write_text("")
    (tmp_path / "BUILD").write_text(
        'py_library(name = "cm_zoo", srcs = glob(["cm_zoo/*.py"]))\n'
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)

    covered = covered_files(all_targets(), {"py_library"})
    required = required_files(REQUIRED["py_library"])

    assert covered == {"cm_zoo/__init__.py"}
    assert [f for f in required if f not in covered] == [
        "cm_zoo/new_part/thing.py"
    ]


@pytest.mark.skipif(
    shutil.which("bazel") is None,
    reason="bazel is not on PATH (.ci/run installs Debian's bazel-bootstrap)",
)
def test_bazel_query_agrees_with_the_evaluation():
    result = subprocess.run(
        ["bazel", "query", "//...", "--output=label"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    labels = set(result.stdout.split())
    assert labels == set(all_targets())

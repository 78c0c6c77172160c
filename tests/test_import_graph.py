"""The `ast` import graph points only down, as STYLE.md "Layout" requires.

The library may import only the parts below it (rules 1-6); recipes and
bench scripts may reach cm_zoo only through its public namespace, the names
listed in the `__all__` of `cm_zoo` and of its public subpackages (rule 7).
Every violation is reported as `file:line imports X (rule)`.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = "cm_zoo"

# The cm_zoo parts each part may import besides itself (STYLE.md "Layout").
ALLOWED_IMPORTS = {
    "atomic_files": (1, ()),
    "modalities": (1, ()),
    "presets": (1, ()),
    "data": (1, ("modalities",)),
    "evaluation": (1, ("modalities",)),
    "layers": (2, ()),
    "losses": (2, ()),
    "towers": (3, ("layers", "modalities")),
    "models": (
        4,
        ("curricula", "layers", "losses", "modalities", "presets", "towers"),
    ),
    "curricula": (5, ("modalities",)),
    "export": (6, ("layers", "modalities", "models", "towers")),
    "runs": (
        7,
        (
            "data",
            "evaluation",
            "export",
            "layers",
            "modalities",
            "models",
            "presets",
            "towers",
            "training",
        ),
    ),
    "training": (
        6,
        (
            "curricula",
            "data",
            "layers",
            "losses",
            "modalities",
            "models",
            "presets",
        ),
    ),
}
# Leaf modules every part may import (they import nothing from cm_zoo).
UNIVERSAL_PARTS = ("atomic_files",)
# The one library module allowed to import from everywhere: the namespace.
NAMESPACE_FILE = f"{PACKAGE}/__init__.py"
# Third-party modules only some parts may use (STYLE.md "Layout", "What we
# avoid"): TFP is for StatReg alone, and `keras.src` is private to Keras.
RESTRICTED_THIRD_PARTY = {
    "tensorflow_probability": f"{PACKAGE}.layers.statreg",
    "keras.src": None,
}
SCRIPT_GLOBS = ("recipes/*.py", "bench/*.py")


def relative(path):
    return path.relative_to(ROOT).as_posix()


def module_name(path):
    """`cm_zoo/a/b.py` -> `cm_zoo.a.b`; `cm_zoo/a/__init__.py` -> `cm_zoo.a`."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_path(name):
    """The file defining module `name` inside the repository, or None."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path):
    """Yields `(lineno, module)` for every import in `path`, nested ones too.

    `from a import b` yields `a.b` when that is a module in the repository
    (a submodule import), else `a`. Relative imports are resolved.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if alias.name != "*" and module_path(submodule):
                    yield node.lineno, submodule
                else:
                    yield node.lineno, base


def part_of(module):
    """`cm_zoo.layers.statreg.x` -> `layers`; `cm_zoo` itself -> `cm_zoo`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def is_within(module, package):
    return module == package or module.startswith(package + ".")


def library_files():
    return sorted((ROOT / PACKAGE).rglob("*.py"))


def script_files():
    return sorted(p for pattern in SCRIPT_GLOBS for p in ROOT.glob(pattern))


def describe_rule(part):
    number, allowed = ALLOWED_IMPORTS[part]
    targets = ", ".join(allowed) if allowed else "nothing else from cm_zoo"
    return f"rule {number}: {part} may import {targets}"


def library_violations():
    violations = []
    for path in library_files():
        if relative(path) == NAMESPACE_FILE:
            continue
        source = part_of(module_name(path))
        for lineno, module in imported_modules(path):
            if not is_within(module, PACKAGE):
                continue
            target = part_of(module)
            where = f"{relative(path)}:{lineno} imports {module}"
            if target == PACKAGE:
                violations.append(
                    f"{where} (the top-level namespace imports every part; "
                    f"{describe_rule(source)})"
                )
            elif target not in (source, *UNIVERSAL_PARTS) and (
                target not in ALLOWED_IMPORTS[source][1]
            ):
                violations.append(f"{where} ({describe_rule(source)})")
    return violations


def test_every_part_of_the_package_has_an_import_rule():
    parts = {
        part_of(module_name(path))
        for path in library_files()
        if relative(path) != NAMESPACE_FILE
    }
    missing = sorted(parts - set(ALLOWED_IMPORTS))
    assert not missing, (
        f"No import rule for {missing}: add one to STYLE.md 'Layout' and to "
        "ALLOWED_IMPORTS in tests/test_import_graph.py."
    )


def test_library_imports_point_down():
    violations = library_violations()
    assert not violations, "Upward imports:\n" + "\n".join(violations)


def test_restricted_third_party_modules():
    violations = []
    for path in library_files():
        importer = module_name(path)
        for lineno, module in imported_modules(path):
            for restricted, owner in RESTRICTED_THIRD_PARTY.items():
                if is_within(module, restricted) and not (
                    owner and is_within(importer, owner)
                ):
                    allowed = f"only {owner} may" if owner else "nothing may"
                    violations.append(
                        f"{relative(path)}:{lineno} imports {module} "
                        f"({allowed} import {restricted})"
                    )
    assert not violations, "\n".join(violations)


# Rule 7: recipes and bench scripts see the public namespace only.


def public_names(module):
    """The public names of a module of the package, from its `__all__`.

    Returns None when the module has no literal `__all__` (then any name
    without a leading underscore counts as public).
    """
    tree = ast.parse(module_path(module).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return None


def is_public_name(module, name):
    names = public_names(module)
    if names is None:
        return not name.startswith("_")
    return name in names


def first_private_step(dotted):
    """The first step of `cm_zoo.a.b.c` outside the public namespace, or None.

    Walks the chain while it names modules of the package; each step must be
    in its parent's `__all__`. The walk stops at the first non-module (a
    class or function), whose attributes are its own business.
    """
    parts = dotted.split(".")
    parent = parts[0]
    for name in parts[1:]:
        if not is_public_name(parent, name):
            return f"{parent}.{name}"
        child = f"{parent}.{name}"
        if module_path(child) is None:
            return None
        parent = child
    return None


def attribute_chain(node):
    """`a.b.c` as ["a", "b", "c"] for a Name-rooted chain, else None."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id] + names[::-1]


def script_violations(path):
    """Imports and attribute chains of `path` reaching past `__all__`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rule = "rule 7: only the public namespace, the names in `__all__`"
    bound = {}  # local name -> cm_zoo module it is bound to
    violations = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not is_within(alias.name, PACKAGE):
                    continue
                private = first_private_step(alias.name)
                if private:
                    violations.append(
                        f"{relative(path)}:{node.lineno} imports "
                        f"{alias.name} ({rule}; {private} is not)"
                    )
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[PACKAGE] = PACKAGE
        elif isinstance(node, ast.ImportFrom) and node.module:
            if not is_within(node.module, PACKAGE):
                continue
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                private = first_private_step(dotted)
                if private:
                    violations.append(
                        f"{relative(path)}:{node.lineno} imports {dotted} "
                        f"({rule}; {private} is not)"
                    )
                elif module_path(dotted):
                    bound[alias.asname or alias.name] = dotted
    inner = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
    }
    for node in ast.walk(tree):
        chain = attribute_chain(node)
        if id(node) in inner or not chain or chain[0] not in bound:
            continue
        dotted = ".".join([bound[chain[0]]] + chain[1:])
        private = first_private_step(dotted)
        if private:
            violations.append(
                f"{relative(path)}:{node.lineno} uses {dotted} "
                f"({rule}; {private} is not)"
            )
    return sorted(set(violations), key=_file_and_line)


def _file_and_line(violation):
    location = violation.split(" ")[0]
    file, _, line = location.rpartition(":")
    return file, int(line)


def test_scripts_use_the_public_namespace():
    violations = [v for path in script_files() for v in script_violations(path)]
    assert not violations, "Non-public cm_zoo access:\n" + "\n".join(violations)


def test_checker_reports_upward_and_private_imports(tmp_path, monkeypatch):
    """The checks fail on a planted violation (they are not no-ops)."""
    package = tmp_path / PACKAGE
    (package / "layers").mkdir(parents=True)
    (package / "towers").mkdir()
    (package / "__init__.py").write_text('__all__ = ["layers"]\n')
    (package / "layers" / "__init__.py").write_text('__all__ = ["Dense"]\n')
    (package / "layers" / "_impl.py").write_text(
        "from cm_zoo.towers import tower\n"
    )
    (package / "towers" / "__init__.py").write_text("")
    (package / "towers" / "tower.py").write_text("")
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "run.py").write_text(
        "import cm_zoo\n"
        "from cm_zoo.layers import _impl\n"
        "cm_zoo.layers.Dense\n"
        "cm_zoo.towers.tower\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)

    assert library_violations() == [
        "cm_zoo/layers/_impl.py:1 imports cm_zoo.towers.tower "
        "(rule 2: layers may import nothing else from cm_zoo)"
    ]
    found = script_violations(tmp_path / "recipes" / "run.py")
    assert [v.split(" (")[0] for v in found] == [
        "recipes/run.py:2 imports cm_zoo.layers._impl",
        "recipes/run.py:4 uses cm_zoo.towers.tower",
    ]

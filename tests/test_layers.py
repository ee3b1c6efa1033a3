"""The package's import layers: data flows one way, from the classifier down.

Each module may import only modules of lower layers (or its own
subpackage); nothing below the classifier imports it; FAISS is imported in
one module. Parsed with ``ast``, so the test imports nothing it checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_ns3l"

#: Lowest first. A module's layer is that of its longest listed prefix.
LAYERS = [
    # Utilities: import nothing from the package.
    {
        "_unlabelled",
        "_warnings",
        "_device",
        "_fork",
        "_sparse",
        "_memmap",
        "_loss",
        "_networks",
        "_augment",
        "_negative_label_quality",
        "_predict_checks",
        "plotting",
    },
    {"_scoring", "datasets", "_precision"},
    {"selectors", "unlabelled_terms", "_batching", "_scaling"},
    {"_objective", "_net", "callbacks"},
    {"_training"},
    {"_fit_plan"},
    {"_classifier"},
    {"compare"},
    {"_cli_options"},
    {"_cli", "__init__"},
    {"__main__"},
]
FAISS_HOME = "selectors._faiss"


def _layer(module: str) -> int:
    top = module.split(".")[0]
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"module {module!r} has no layer in tests/test_layers.py")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package and len(parts) > 1 else parts)
        yield name, is_package, path


def _imports(name: str, is_package: bool, path: Path):
    """(module imported, relative to the package) pairs; "faiss" for FAISS."""
    here = (
        name.split(".") if is_package and name != "__init__" else name.split(".")[:-1]
    )
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module:
                    yield target
                else:
                    yield from (f"{target}.{a.name}".strip(".") for a in node.names)
            elif node.module and node.module.split(".")[0] == "sklearn_ns3l":
                yield node.module.partition(".")[2] or "__init__"
            elif node.module and node.module.split(".")[0] == "faiss":
                yield "faiss"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "faiss":
                    yield "faiss"
                elif alias.name.split(".")[0] == "sklearn_ns3l":
                    yield alias.name.partition(".")[2] or "__init__"


MODULES = list(_modules())


@pytest.mark.parametrize("name, is_package, path", MODULES, ids=[m[0] for m in MODULES])
def test_imports_go_down_the_layers(name, is_package, path):
    rank = _layer(name)
    for target in _imports(name, is_package, path):
        if target == "faiss" or target.split(".")[0] == name.split(".")[0]:
            continue  # FAISS below; within a subpackage, its own order
        assert _layer(target) < rank or name == "__init__", (
            f"{name} (layer {rank}) imports {target} (layer {_layer(target)})"
        )


def test_only_the_top_imports_the_classifier():
    importers = {
        name
        for name, is_package, path in MODULES
        if any(t == "_classifier" for t in _imports(name, is_package, path))
    }
    assert {m.split(".")[0] for m in importers} <= {
        "__init__",
        "_cli",
        "_cli_options",
        "compare",
    }


def test_faiss_is_imported_in_one_module():
    importers = {
        name
        for name, is_package, path in MODULES
        if "faiss" in set(_imports(name, is_package, path))
    }
    assert importers == {FAISS_HOME}


def _code_lines(path: Path) -> int:
    """Lines holding code: not blank, not a comment, not in a docstring."""
    source = path.read_text()
    tree = ast.parse(source)
    doc = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            doc.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(
        1
        for number, line in enumerate(source.splitlines(), 1)
        if line.strip() and not line.strip().startswith("#") and number not in doc
    )


@pytest.mark.parametrize("name, is_package, path", MODULES, ids=[m[0] for m in MODULES])
def test_modules_stay_small(name, is_package, path):
    # One job per module (issue #21): about 300 lines of code, 700 in all.
    assert _code_lines(path) <= 320, f"{name}: {_code_lines(path)} code lines"
    assert len(path.read_text().splitlines()) <= 700, name


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE.parent / "benchmarks").rglob("*.py")),
    ids=lambda p: p.name,
)
def test_benchmark_files_stay_under_500_lines(path):
    assert len(path.read_text().splitlines()) <= 500, path.name

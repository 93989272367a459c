"""Catalog integrity: IDs match CATALOG.md's, symbols import, tests exist, run in the default
suite (not ``slow``) and import the code they verify."""

import ast
import re
from pathlib import Path

import pytest

from jaxml import catalog

ROOT = Path(__file__).resolve().parents[1]
ID_PATTERN = re.compile(r"^[MCUDBRPT]\.[a-z0-9]+(\.[0-9]+)?$")


def _test_names(path: Path) -> set[str]:
    """``func`` and ``Class::method`` names of the tests defined in a file."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{f.name}" for f in node.body
                         if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def test_ids_are_unique_and_well_formed():
    ids = [e.id for e in catalog.ENTRIES]
    assert len(ids) == len(set(ids))
    assert all(ID_PATTERN.match(i) for i in ids), [i for i in ids if not ID_PATTERN.match(i)]


def test_implemented_ids_exist_in_the_catalog():
    assert set(catalog._IMPLEMENTED) <= {e.id for e in catalog.ENTRIES}


@pytest.mark.parametrize("entry", [e for e in catalog.ENTRIES if e.status == "verified"],
                         ids=lambda e: e.id)
def test_verified_entry_symbols_import_and_tests_exist(entry):
    for symbol in entry.symbols:
        assert catalog.resolve(symbol) is not None, symbol
    for node_id in entry.tests:
        file_part, _, name = node_id.partition("::")
        path = ROOT / file_part
        assert path.is_file(), f"{entry.id}: no test file {file_part}"
        name = re.sub(r"\[.*\]$", "", name)
        assert name in _test_names(path), f"{entry.id}: no test {name} in {file_part}"


def test_resolve_reports_missing_symbols():
    with pytest.raises(AttributeError):
        catalog.resolve("jaxml.train:no_such_function")


def _is_slow_mark(node: ast.expr) -> bool:
    return "mark.slow" in ast.unparse(node)


def _slow_names(name: str, decorators: list[ast.expr], inherited: bool) -> set[str]:
    """``name`` if a decorator (or the enclosing class/module) marks it slow, and
    ``name[id]`` for each ``pytest.param(id, marks=pytest.mark.slow)`` of a parametrize."""
    slow = {name} if inherited else set()
    for dec in decorators:
        if isinstance(dec, ast.Call) and ast.unparse(dec.func).endswith("parametrize"):
            values = dec.args[1] if len(dec.args) > 1 else None
            for elt in getattr(values, "elts", []):
                if (isinstance(elt, ast.Call) and ast.unparse(elt.func).endswith("param")
                        and any(kw.arg == "marks" and _is_slow_mark(kw.value) for kw in elt.keywords)
                        and elt.args and isinstance(elt.args[0], ast.Constant)):
                    slow.add(f"{name}[{elt.args[0].value}]")
        elif _is_slow_mark(dec):
            slow.add(name)
    return slow


def _slow_tests(path: Path) -> set[str]:
    """Tests of a file marked ``slow``: by a decorator on the function or its class, by the
    module's ``pytestmark``, or as a slow ``pytest.param`` (read from the source, so
    nothing is imported)."""
    tree = ast.parse(path.read_text())
    module_slow = any(
        isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark"
                                             for t in node.targets)
        and _is_slow_mark(node.value) for node in tree.body)
    slow = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            slow |= _slow_names(node.name, node.decorator_list, module_slow)
        elif isinstance(node, ast.ClassDef):
            class_slow = module_slow or any(map(_is_slow_mark, node.decorator_list))
            for f in node.body:
                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    slow |= _slow_names(f"{node.name}::{f.name}", f.decorator_list, class_slow)
    return slow


def _imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports anywhere (``from a.b import c`` gives ``a.b``
    and ``a.b.c``, since ``c`` may be a submodule)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


_VERIFIED = [e for e in catalog.ENTRIES if e.status == "verified"]

@pytest.mark.parametrize("entry", _VERIFIED, ids=lambda e: e.id)
def test_verified_entry_tests_run_in_the_default_suite(entry):
    for node_id in entry.tests:
        file_part, _, name = node_id.partition("::")
        slow = _slow_tests(ROOT / file_part)
        assert name not in slow and re.sub(r"\[.*\]$", "", name) not in slow, (
            f"{entry.id}: {node_id} is slow")


@pytest.mark.parametrize("entry", _VERIFIED, ids=lambda e: e.id)
def test_verified_entry_tests_import_what_they_verify(entry):
    modules = {symbol.partition(":")[0] for symbol in entry.symbols}
    for file_part in sorted({node_id.partition("::")[0] for node_id in entry.tests}):
        imported = _imported_modules(ROOT / file_part)
        assert any(name == m or name.startswith(m + ".") for m in modules for name in imported), (
            f"{entry.id}: {file_part} imports none of {sorted(modules)}")


def test_slow_and_import_detection_on_this_file():
    """The two detectors see what they should (so the tests above can fail)."""
    here = Path(__file__)
    assert "test_resolve_reports_missing_symbols" not in _slow_tests(here)
    assert {"jaxml", "jaxml.catalog"} <= _imported_modules(here)
    assert "test_full_run_is_within_three_points_of_the_paper" in _slow_tests(
        ROOT / "tests/experiments/test_mnist1d_baselines.py")
    tabular = _slow_tests(ROOT / "tests/rl/test_tabular.py")
    assert "test_prediction_converges_to_exact_value[td_lambda]" in tabular
    assert "test_prediction_converges_to_exact_value[td0]" not in tabular

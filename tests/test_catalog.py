"""Catalog integrity: IDs match CATALOG.md's, symbols import, tests exist."""

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

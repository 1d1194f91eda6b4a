"""No test module imports another: shared fakes, servers and helpers live in ``tests/fixtures/``.

A test module imported by another has its tests collected twice under two names, drags its fixtures and
module state along, and ties the tiers together (a unit test importing an integration module gets its servers).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
MODULES = sorted(path for path in TESTS.rglob("*.py") if "fixtures" not in path.relative_to(TESTS).parts)


def imported_test_modules(source: str) -> list[str]:
    """The ``test_*`` modules ``source`` imports, at any depth (a function-local import counts too)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found += [name for name in names if name.rsplit(".", 1)[-1].startswith("test_")]
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(TESTS)))
def test_no_test_module_imports_another(path: Path) -> None:
    imported = imported_test_modules(path.read_text())
    assert not imported, f"{path.name} imports {imported}: move what they share into tests/fixtures/"


@pytest.mark.parametrize(
    "source",
    ["from test_client_fakes import FakeTime", "import test_media", "from tests.unit import test_media",
     "def f():\n    from tests.notebooks.test_notebooks import TUTORIALS"],
)  # fmt: skip
def test_the_check_catches(source: str) -> None:
    assert imported_test_modules(source)


@pytest.mark.parametrize(
    "source", ["from tests.fixtures.sim import png_bytes", "import pytest", "from x import y"]
)
def test_the_check_allows(source: str) -> None:
    assert imported_test_modules(source) == []

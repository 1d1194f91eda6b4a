"""The tiers' rules: no test module imports another, and a unit test opens no socket and starts no process.

Shared fakes, servers and helpers live in ``tests/fixtures/``: a test module imported by another has its tests
collected twice under two names, drags its fixtures and module state along, and ties the tiers together (a unit
test importing an integration module gets its servers). ``tests/unit/conftest.py`` enforces the unit rule.
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


def test_the_unit_tier_refuses_sockets_and_processes() -> None:
    """tests/unit/conftest.py's audit hook: a bind (or connect, or a new process) fails a unit test."""
    import socket

    from tests.fixtures.unit_rule import UnitRule

    with socket.socket() as sock, pytest.raises(RuntimeError, match="tests/integration"):
        sock.bind(("127.0.0.1", 0))
    assert UnitRule.refused == ["socket.bind ('127.0.0.1', 0)"] or UnitRule.refused[0].startswith(
        "socket.bind"
    )
    UnitRule.refused.clear()  # the refusal was the point: the test itself passes

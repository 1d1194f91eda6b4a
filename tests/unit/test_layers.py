"""The import arrows of DEVELOPERS.md, checked on the AST of every ``wan_nb/**/*.py``, and two seam rules.

Rooms have ranks; a module imports only rooms of a lower rank (or its own rank, except the base), the
leaves (``assets``, ``loop``, ``sim``) import nothing from wan_nb outside themselves, and some third-party modules are
banned per room. Ruff bans relative imports (TID252), so absolute names are all there is to see.
Imports under ``if TYPE_CHECKING:`` and inside functions are seen too; the few allowed ones are listed.

No import cycles either, counting all three kinds of import (issue 19): a cycle is a pair of modules that
can only be understood together, and a lazy or type-only edge in one still ties them. A ``from wan_nb import X``
inside the package (``X`` not a submodule) is an edge to ``wan_nb``, which imports nearly everything. And the
core model reaches no PyAV: ``wan_nb.models`` imports nothing from wan_nb.

The seam rules (issue 11): no module outside ``protocols/`` compares a dialect's name (a ``"native"``,
``"unified"`` or ``"relay"`` literal, or a ``.NAME``, in a comparison): it asks the dialect's capabilities; and
no code reads an underscore attribute of an object other than ``self``/``cls`` (``client._api``,
``card._throttle``): a module uses what it is handed. The simulator stands alone and keeps its own wire
strings, so the first rule skips it.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "wan_nb"

RANKS: dict[str, float] = {
    "wan_nb.errors": 0,
    "wan_nb.models": 0,
    "wan_nb._version": 0,
    "wan_nb.family": 0,  # a leaf of the base: the Wan models and what each takes (models reads its defaults)
    "wan_nb.assets": 0.5,  # a stdlib-only leaf: the sample media shipped in the wheel
    "wan_nb.media": 1,  # inputs (classify, read, sniff, rules, hosts) and stills of saved videos
    "wan_nb.validation": 2,  # a request against a model's and a dialect's rules
    "wan_nb.display": 2,  # which front end, how it plays a video, the HTML of cards and players
    "wan_nb.lab": 3,  # prices and estimates, prompt diffs, the next try, the report page
    "wan_nb.protocols": 3,  # pure translation model <-> wire
    "wan_nb.loop": 3.5,  # a leaf: usable from the client up
    "wan_nb.sim": 3.5,  # a leaf: the client's sim providers and the CLI start it
    "wan_nb.client": 4,
    "wan_nb.widgets": 5,
    "wan_nb.cli": 5,
    "wan_nb.sync": 5,
    "wan_nb.notebook": 5,  # the tutorials' helpers and the doctor
    "wan_nb.__main__": 6,
    "wan_nb": 7,  # the facade re-exports everything; nothing inside may import it (cycle)
}
LEAVES = {"wan_nb.assets", "wan_nb.family", "wan_nb.loop", "wan_nb.sim"}
BASE = {"wan_nb.errors", "wan_nb.models", "wan_nb._version"}

_NO_IO = {"httpx", "asyncio", "ipywidgets"}
BANNED: dict[str, set[str]] = {
    "wan_nb.errors": _NO_IO,
    "wan_nb.models": _NO_IO,
    "wan_nb.family": _NO_IO,
    "wan_nb.media": _NO_IO,
    "wan_nb.validation": _NO_IO,
    "wan_nb.display": _NO_IO,
    "wan_nb.lab": _NO_IO,
    "wan_nb.protocols": _NO_IO,
    "wan_nb.client": {"ipywidgets"},
    "wan_nb.widgets": {"httpx", "wan_nb.protocols"},
    "wan_nb.cli": {"wan_nb.protocols"},
    "wan_nb.notebook": {"asyncio", "ipywidgets"},
}
# Heavy modules load only inside the functions that use them, so `import wan_nb` stays light;
# the panel and the simulator are themselves imported lazily, so they may import them at the top.
HEAVY = {"ipywidgets", "av", "numpy", "PIL", "uvicorn"}
HEAVY_OK = {"wan_nb.widgets", "wan_nb.sim"}

# Outside protocols/, a dialect is the object ``protocols.dialect(name)`` hands out (issue 19: uploads went around
# it by importing protocols.native): only the package and ``base`` (Call, Capabilities, the protocol types) are
# imported, never a dialect module or its parts.
PROTOCOL_SEAM = {"wan_nb.protocols", "wan_nb.protocols.base"}

ALLOWED: set[tuple[str, str, str]] = {
    # errors.TaskFailed/WaitTimeout carry a Task: a type-only edge, no import at run time.
    ("wan_nb.errors", "wan_nb.models", "type"),
    # Were Task._repr_html_ to import its card (it is handed it: models.draw_cards_with), lazily only; the
    # cycle test below would still refuse it, as display imports models.
    ("wan_nb.models", "wan_nb.display.html", "lazy"),
}


@dataclass(frozen=True)
class Edge:
    target: str
    line: int
    context: str
    """``top`` (module level), ``type`` (under TYPE_CHECKING) or ``lazy`` (inside a function)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _resolve(base: str, name: str) -> str:
    """``from base import name``: the submodule when ``name`` is one, else ``base``."""
    candidate = f"{base}.{name}"
    relative = Path(*candidate.split("."))
    exists = (PACKAGE.parent / relative).with_suffix(".py").is_file() or (PACKAGE.parent / relative).is_dir()
    return candidate if exists else base


def edges(source: str) -> list[Edge]:
    """Every import in ``source``, with where it happens."""
    found: list[Edge] = []

    def visit(node: ast.AST, context: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = context
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = "lazy" if context == "top" else context
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                inner = "type"
            if isinstance(child, ast.Import):
                found.extend(Edge(alias.name, child.lineno, context) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.extend(Edge(_resolve(child.module, a.name), child.lineno, context) for a in child.names)
            visit(child, inner)

    visit(ast.parse(source), "top")
    return found


def violations(module: str, source: str) -> list[str]:
    """What is wrong with the imports of ``module`` (empty when it follows the arrows)."""
    own = room(module)
    assert own in RANKS, f"{module}: add its room {own} to RANKS in tests/unit/test_layers.py"
    problems = [_problem(module, own, edge) for edge in edges(source)]
    problems += _environment_reads(module, source)
    return [problem for problem in problems if problem]


def _problem(module: str, own: str, edge: Edge) -> str:
    top = edge.target.split(".")[0]
    where = f"{module}:{edge.line} imports {edge.target} ({edge.context})"
    if (own, room(edge.target), edge.context) in ALLOWED or (own, edge.target, edge.context) in ALLOWED:
        return ""
    banned = BANNED.get(own, set())
    if any(edge.target == b or edge.target.startswith(b + ".") for b in banned):
        return f"{where}: banned in {own}"
    if top in HEAVY and edge.context == "top" and own not in HEAVY_OK:
        return f"{where}: heavy, import it inside the function that uses it"
    if top != "wan_nb":
        return ""
    arrow = _arrow_problem(own, room(edge.target), where)
    if not arrow and room(edge.target) == "wan_nb.protocols" != own and edge.target not in PROTOCOL_SEAM:
        return f"{where}: a dialect module; use the dialect protocols.dialect() hands out"
    return arrow


def _arrow_problem(own: str, target: str, where: str) -> str:
    if target == own:
        return ""
    if own in LEAVES:
        return f"{where}: {own} is a leaf and imports nothing from wan_nb"
    if own in BASE and target != "wan_nb.family":
        return (
            f"{where}: the base ({', '.join(sorted(BASE))}) imports nothing from wan_nb but the family table"
        )
    if target not in RANKS:
        return f"{where}: unknown room {target}"
    if RANKS[target] > RANKS[own] or target == "wan_nb":
        return f"{where}: arrows point from {own} (rank {RANKS[own]}) only to lower rooms"
    return ""


def _environment_reads(module: str, source: str) -> list[str]:
    # protocols are pure translation (like h11): configuration comes in as arguments, never from the env.
    if room(module) != "wan_nb.protocols":
        return []
    names = {"environ", "environb", "getenv", "putenv"}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in names:
            found.append(f"{module}:{node.lineno} reads the environment (os.{node.attr})")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{module}:{node.lineno} imports os.{a.name}" for a in node.names if a.name in names]
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_module_follows_the_arrows(path: Path) -> None:
    assert violations(module_name(path), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("wan_nb.models", "import wan_nb.client\n", "base"),
        ("wan_nb.display.html", "from wan_nb.protocols import native\n", "only to lower"),
        ("wan_nb.models", "from wan_nb.protocols import native\n", "base"),
        (
            "wan_nb.errors",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import wan_nb.client\n",
            "base",
        ),
        ("wan_nb.display.html", "import asyncio\n", "banned"),
        ("wan_nb.validation", "def f():\n    import httpx\n", "banned"),
        ("wan_nb.protocols.native", "import os\nkey = os.environ['K']\n", "environment"),
        ("wan_nb.protocols.native", "from os import getenv\n", "os.getenv"),
        ("wan_nb.protocols.native", "from wan_nb.client import AsyncWanClient\n", "only to lower"),
        ("wan_nb.client.core", "import ipywidgets\n", "banned"),
        ("wan_nb.client.core", "from wan_nb.widgets import WanPanel\n", "only to lower"),
        ("wan_nb.client.core", "import numpy\n", "heavy"),
        ("wan_nb.loop", "from wan_nb.errors import WanError\n", "leaf"),
        ("wan_nb.sim.app", "from wan_nb.models import Task\n", "leaf"),
        ("wan_nb.widgets", "import httpx\n", "banned"),
        ("wan_nb.cli", "from wan_nb import protocols\n", "banned"),
        ("wan_nb.cli", "from wan_nb import VideoRequest\n", "only to lower"),
        ("wan_nb.client.uploads", "from wan_nb.protocols import native\n", "a dialect module"),
        ("wan_nb.client.core", "import wan_nb.protocols.relay\n", "a dialect module"),
        (
            "wan_nb.client.core",
            "def f():\n    from wan_nb.protocols.oss_upload import oss_url\n",
            "a dialect module",
        ),
    ],
)
def test_the_checker_catches(module: str, source: str, expected: str) -> None:
    [problem] = violations(module, source)
    assert expected in problem


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (
            "wan_nb.errors",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from wan_nb.models import Task\n",
        ),
        ("wan_nb.models", "def f():\n    from wan_nb.display.html import task_card\n"),
        ("wan_nb.sim.app", "from wan_nb.sim.store import Store\nimport numpy\n"),
        ("wan_nb.cli", "def f():\n    from wan_nb.sim import cli_main\n"),
        ("wan_nb.client.core", "from wan_nb.loop import run_sync\nimport httpx\n"),
        (
            "wan_nb.client.core",
            "from wan_nb.protocols import dialect\nfrom wan_nb.protocols.base import Uploads\n",
        ),
        ("wan_nb.protocols.relay", "from wan_nb.protocols import native\n"),
    ],
)
def test_the_checker_allows(module: str, source: str) -> None:
    assert violations(module, source) == []


# --- cycles: no pair of modules that import each other, however lazily ---------------------------------------


def import_graph(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """Module name → every module it imports (top level, in functions, under TYPE_CHECKING), third-party
    ones included (``av``, ``PIL.Image``); ``sources`` maps each module of the package to its text."""
    return {module: {edge.target for edge in edges(source)} for module, source in sources.items()}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str]:
    """A cycle of ``graph`` as its path (``[a, b, a]``), or [] when there is none. Depth first, in name
    order, so the same tree reports the same cycle."""
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> list[str]:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return []
        for target in sorted(graph.get(module, ())):
            cycle = walk(target, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return []

    for start in sorted(graph):
        cycle = walk(start, [])
        if cycle:
            return cycle
    return []


def reaches(graph: Mapping[str, set[str]], start: str, package: str) -> list[str]:
    """A chain of imports from ``start`` to ``package`` or one of its submodules ([] when there is none)."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(graph.get(module, ())):
            if target in paths:
                continue
            paths[target] = [*paths[module], target]
            if target == package or target.startswith(package + "."):
                return paths[target]
            queue.append(target)
    return []


GRAPH = import_graph({module_name(path): path.read_text(encoding="utf-8") for path in SOURCES})


def test_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def test_the_core_model_does_not_reach_pyav() -> None:
    """Not even lazily: a ``Task`` is the base every room builds on, and PyAV is a 60 MB binary wheel."""
    assert "wan_nb.models" in GRAPH
    assert reaches(GRAPH, "wan_nb.models", "av") == []
    # the base imports nothing from wan_nb but the family table, which imports nothing
    assert GRAPH["wan_nb.models"] & {m for m in GRAPH if m.startswith("wan_nb")} <= {"wan_nb.family"}
    assert reaches(GRAPH, "wan_nb.family", "wan_nb") == []


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        # the cycle the card once made: models drew it lazily, the card imports models at the top
        (
            {
                "wan_nb.models": "def card():\n    from wan_nb.display.html import task_card\n",
                "wan_nb.display.html": "from wan_nb.models import Task\n",
            },
            ["wan_nb.display.html", "wan_nb.models", "wan_nb.display.html"],
        ),
        # a type-only edge counts
        (
            {
                "wan_nb.sim.render": "from wan_nb.sim import overlays\n",
                "wan_nb.sim.overlays": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from wan_nb.sim.render import Planes\n",
            },
            ["wan_nb.sim.overlays", "wan_nb.sim.render", "wan_nb.sim.overlays"],
        ),
        # `from wan_nb import X` (X not a submodule) inside the package is an edge to the facade
        (
            {
                "wan_nb": "from wan_nb.client import AsyncWanClient\n",
                "wan_nb.client": "from wan_nb import VideoRequest\n",
            },
            ["wan_nb", "wan_nb.client", "wan_nb"],
        ),
        # a longer one, reported whole
        (
            {
                "wan_nb.a": "import wan_nb.b\n",
                "wan_nb.b": "import wan_nb.c\n",
                "wan_nb.c": "import wan_nb.a\n",
            },
            ["wan_nb.a", "wan_nb.b", "wan_nb.c", "wan_nb.a"],
        ),
    ],
)
def test_the_cycle_checker_catches(modules: dict[str, str], expected: list[str]) -> None:
    assert find_cycle(import_graph(modules)) == expected


def test_the_cycle_checker_allows_a_diamond_and_finds_reach() -> None:
    graph = import_graph(
        {
            "wan_nb.a": "import wan_nb.b\nimport wan_nb.c\n",
            "wan_nb.b": "import wan_nb.d\n",
            "wan_nb.c": "def f():\n    import wan_nb.d\n",
            "wan_nb.d": "def f():\n    import av.video\n",
        }
    )
    assert find_cycle(graph) == []
    assert reaches(graph, "wan_nb.a", "av") == ["wan_nb.a", "wan_nb.b", "wan_nb.d", "av.video"]
    assert reaches(graph, "wan_nb.b", "wan_nb.c") == []


# --- seams: capabilities, not names; what is handed, not another object's privates -------------------------

DIALECT_NAMES = frozenset({"native", "unified", "relay"})
# Underscore names that are public protocols, not privates: namedtuple's API, IPython's display hooks.
PUBLIC_UNDERSCORE = frozenset({"_replace", "_asdict", "_fields", "_make"})


def _names_compared(node: ast.expr) -> bool:
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    literal = any(isinstance(item, ast.Constant) and item.value in DIALECT_NAMES for item in items)
    return literal or (isinstance(node, ast.Attribute) and node.attr == "NAME")


def dialect_name_comparisons(module: str, source: str) -> list[str]:
    """``x == "native"``, ``d in ("unified", "relay")``, ``dialect != native.NAME``... outside protocols/."""
    if room(module) in ("wan_nb.protocols", "wan_nb.sim"):
        return []
    return [
        f"{module}:{node.lineno} compares a dialect's name ({ast.unparse(node)}); ask its capabilities"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Compare) and any(map(_names_compared, [node.left, *node.comparators]))
    ]


def _private(attr: str) -> bool:
    dunder = attr.startswith("__") and attr.endswith("__")
    sunder = attr.endswith("_") and not dunder  # IPython's _repr_html_ / _repr_mimebundle_ protocol
    return attr.startswith("_") and not dunder and not sunder and attr not in PUBLIC_UNDERSCORE


def foreign_privates(module: str, source: str) -> list[str]:
    """Reads of ``obj._name`` where ``obj`` is not ``self`` or ``cls``."""
    return [
        f"{module}:{node.lineno} reads {ast.unparse(node)}, a private of another object"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and _private(node.attr) and not _own(node.value)
    ]


def _own(owner: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: the object's own attributes."""
    if isinstance(owner, ast.Call):
        return isinstance(owner.func, ast.Name) and owner.func.id == "super"
    return isinstance(owner, ast.Name) and owner.id in ("self", "cls")


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_module_asks_capabilities_and_uses_what_it_is_handed(path: Path) -> None:
    module, source = module_name(path), path.read_text(encoding="utf-8")
    assert dialect_name_comparisons(module, source) + foreign_privates(module, source) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('if client.dialect == "native":\n    pass\n', "compares a dialect's name"),
        ('ok = dialect not in ("unified", "relay")\n', "compares a dialect's name"),
        ("ok = self.dialect != native.NAME\n", "compares a dialect's name"),
        ("wire = client._api\n", "private of another object"),
        ("card._throttle.flush()\n", "private of another object"),
        ("other.task._render()\n", "private of another object"),
    ],
)
def test_the_seam_checker_catches(source: str, expected: str) -> None:
    [problem] = dialect_name_comparisons("wan_nb.widgets.panel", source) + foreign_privates(
        "wan_nb.widgets.panel", source
    )
    assert expected in problem


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("wan_nb.widgets.panel", "self._jobs.cancel()\ncls._cache = {}\nsuper()._render()\n"),
        ("wan_nb.widgets.panel", "bundle = player._repr_mimebundle_()\nparts = parts._replace(query='')\n"),
        ("wan_nb.widgets.panel", 'label = f"{client.dialect} dialect"\nok = caps.can_cancel\n'),
        ("wan_nb.protocols.relay", 'same = status == "relay"\n'),
        ("wan_nb.sim.app", 'native = dialect == "native"\n'),
    ],
)
def test_the_seam_checker_allows(module: str, source: str) -> None:
    assert dialect_name_comparisons(module, source) + foreign_privates(module, source) == []

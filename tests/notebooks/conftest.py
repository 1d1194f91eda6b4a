"""The notebook tier: each tutorial executes ONCE per run, and every check of it reads that one pass.

One pass per tutorial, shared by ``test_notebooks.py`` (it runs alone from the wheel: every cell clean, no read
outside its folder), ``test_notebook_secrets.py`` (the canary key reaches nothing it should not) and
``test_binder.py`` (the notebooks Binder serves run clean). The pass runs each notebook alone in an empty
folder on the wheel's kernel with both read and connect audits armed, and with the canary as both provider
keys: ``01_quickstart`` takes its provider from the environment (dashscope, at the canary-requiring simulator
served on loopback through ``WAN_NB_BASE_URL``); 02-05 use the in-process simulators and connect nowhere.
(The quickstart with no key at all is what the browser tier runs, in three front ends.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

from tests.fixtures.notebooks import (
    NOTEBOOKS,
    Runtime,
    TutorialRun,
    build_wheel,
    make_runtime,
    run_alone,
)
from tests.fixtures.secrets import CANARY, PROBE_CELL, Served, SubprocessWatch, serve_canary
from wan_nb.client.journal import Journal

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this tier is a notebook test: ``-m "not notebooks"`` leaves the whole tier out."""
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(pytest.mark.notebooks)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, as ``pip wheel`` builds it (hatchling, package data included)."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def runtime(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return make_runtime(wheel, tmp_path_factory.mktemp("standalone"))


@pytest.fixture(scope="session")
def canary_sim() -> Iterator[Served]:
    """The simulator requiring the canary, on its two loopback origins, for the whole tier."""
    with serve_canary() as served:
        yield served


@pytest.fixture(scope="session")
def tutorial(
    runtime: Runtime, canary_sim: Served, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], TutorialRun]]:
    """``tutorial(name)``: that notebook's one pass, executed on first use and kept for the session."""
    holders: list[Journal] = []

    @functools.cache
    def execute(name: str) -> TutorialRun:
        base = tmp_path_factory.mktemp(name.removesuffix(".ipynb"))
        home = base / "home"
        home.mkdir()
        log = base / "kernel-tmp" / "net-audit.log"  # where the kernel may write (its read audit allows it)
        environ = {"WAN_NB_HOME": str(home), "DASHSCOPE_API_KEY": CANARY, "WAN_API_KEY": CANARY}
        environ["WAN_AUDIT_NET_LOG"] = str(log)
        if name == "01_quickstart.ipynb":  # elsewhere it would turn the sim providers to the network
            environ["WAN_NB_BASE_URL"] = canary_sim.url
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL))
        holders.append(Journal(home / "journal.sqlite3"))  # keeps the kernel's WAL on disk after it exits
        kernel_output = base / "kernel-output.log"
        with kernel_output.open("wb") as sink:
            run = run_alone(nb, runtime, base, name, environ, sink)
        nbformat.write(run.nb, base / f"executed-{name}")
        return TutorialRun(
            run, base, home, runtime.ipython_dir, kernel_output, SubprocessWatch(log), canary_sim
        )

    yield execute
    for holder in holders:
        holder.close()

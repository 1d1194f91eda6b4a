"""Secrets audit of the tutorials (issue 6): each notebook runs with the canary as both provider keys.

The audit's tools are in ``tests/fixtures/secrets.py``; ``tests/integration/test_secrets_audit.py`` audits the
client, the CLI and the panel the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.notebooks import TUTORIALS
from tests.fixtures.secrets import (
    CANARY,
    PROBE_CELL,
    ROOT,
    UNREACHABLE,
    Served,
    assert_connects_only,
    assert_journal_kept,
    assert_wire_clean,
    scan_files,
    serve_canary,
    subprocess_watch,
)
from wan_nb.client.journal import Journal


@pytest.fixture
def home() -> Path:
    return Path(os.environ["WAN_NB_HOME"])  # tests/conftest.py: a fresh one under tmp_path per test


@pytest.fixture
def served() -> Iterator[Served]:
    """The simulator (requiring the canary) on two loopback ports: the API origin and the storage origin."""
    with serve_canary() as origins:
        yield origins


@pytest.mark.notebooks
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", TUTORIALS)
def test_notebook_keeps_the_key_to_itself(
    name: str, served: Served, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each tutorial runs with the canary as both provider keys (as tests/test_notebooks.py runs them).

    01 takes its provider from the environment (dashscope, at the served simulator through
    ``WAN_NB_BASE_URL``); 02-05 use the in-process simulators (``provider = None``) and must connect nowhere.
    The saved .ipynb, the kernel's stdout/stderr and every file of the run hold no trace of the key.
    """
    import nbformat
    from nbclient import NotebookClient

    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kernels / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "audit", "language": "python"})
    )
    shutil.copytree(
        ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("wan_outputs", ".*")
    )
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    watch = subprocess_watch(tmp_path)
    environment = {
        "JUPYTER_PATH": str(tmp_path / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),  # connection files: scanned with the rest
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "MPLBACKEND": "agg",
        "DASHSCOPE_API_KEY": CANARY,
        "WAN_API_KEY": CANARY,
        **watch.env,
    }
    if name == "01_quickstart.ipynb":
        environment["WAN_NB_BASE_URL"] = (
            served.url
        )  # elsewhere it would turn the sim providers to the network
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    path = tmp_path / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL))
    kernel_output = tmp_path / "kernel-output.log"
    holder = Journal(home / "journal.sqlite3")  # keeps the kernel's WAL on disk after the kernel exits
    try:
        with kernel_output.open("wb") as sink:
            client = NotebookClient(
                nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            )
            client.execute(stdout=sink, stderr=sink)
        nbformat.write(nb, tmp_path / f"executed-{name}")
        scanned = scan_files(tmp_path, home)
    finally:
        holder.close()
    assert b"wan-audit: armed" in kernel_output.read_bytes(), "the kernel's stderr was not captured"
    assert_journal_kept(home, scanned)
    armed, connects = watch.read()
    assert armed, "the sitecustomize audit hook never loaded in the kernel"
    assert UNREACHABLE in connects, "the kernel's audit hook did not report the probe connect"
    allowed = served.addresses if name == "01_quickstart.ipynb" else set()
    assert_connects_only(connects, allowed | {UNREACHABLE})
    if name == "01_quickstart.ipynb":
        assert served.api in {a[:2] for a in connects}, "the hook missed the kernel's connects to the API"
        create = [s for s in served.recorder.seen if s.path.endswith("video-synthesis")]
        assert create, "the notebook never submitted"
        assert_wire_clean(served.recorder)

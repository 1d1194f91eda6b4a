"""JupyterLab on a free loopback port, and Debian's Chromium driven by Playwright (notebook_tech.md §3.3).

Playwright cannot download its own browser here (and its builds lack H.264 anyway), so the tests drive
``/usr/bin/chromium``, installing it with apt when it is missing (``scripts/ensure-chromium.sh``, which
``make test`` also runs). The server is isolated: a copy of ``notebooks/`` (with its assets) as its root, its
own ``WAN_NB_HOME``, settings, workspaces and runtime folders, no token, and a kernelspec that is this
interpreter put first on ``JUPYTER_PATH`` (a user-level ``python3`` kernelspec cannot hijack the run).
Three front ends serve it: JupyterLab 4, Notebook 7 and Voilà (with mp4 in its ``file_allowlist``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK = "01_quickstart.ipynb"
SERVER_START = 60.0
"""Seconds to wait for a server; a cold JupyterLab answers in ~5 s here, CI machines can be slower."""


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's Chromium, installed first when missing."""
    if not os.access(CHROMIUM, os.X_OK):
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-chromium.sh")], check=True, timeout=600)
    return CHROMIUM


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway copy of the notebooks and their assets (videos land in its wan_outputs/)."""
    base = tmp_path_factory.mktemp("lab")
    shutil.copytree(
        ROOT / "notebooks", base / "notebooks", ignore=shutil.ignore_patterns("wan_outputs", ".*")
    )
    return base / "notebooks"


def _kernelspec(data: Path) -> Path:
    spec = data / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (wan_nb browser test)", "language": "python"})
    )
    return data


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(base: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DASHSCOPE_API_KEY", "WAN_API_KEY")}
    env.update(
        WAN_NB_HOME=str(base / "wan_nb_home"),
        JUPYTER_PATH=str(_kernelspec(base / "jupyter-path")),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
        PYTHONWARNINGS="ignore::UserWarning",  # the "using the simulator" warning, expected here
    )
    env.pop("WAN_NB_PROVIDER", None)
    return env


@dataclass(frozen=True)
class Frontend:
    """A running front end: the page that shows the quickstart, and whether its cells still need running."""

    name: str
    url: str
    run_all: bool


def _jupyter(app: str, lab_root: Path, base: Path, port: int) -> list[str]:
    """``jupyter lab`` / ``jupyter notebook`` with galata's settings: no token, no xsrf, no news."""
    return [
        sys.executable, "-m", "jupyter", app, "--no-browser",
        f"--port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        "--ServerApp.terminals_enabled=False", f"--ServerApp.root_dir={lab_root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={base / 'settings'}", f"--LabApp.workspaces_dir={base / 'workspaces'}",
        f"--JupyterNotebookApp.user_settings_dir={base / 'settings'}",
        f"--JupyterNotebookApp.workspaces_dir={base / 'workspaces'}",
    ]  # fmt: skip


def _voila(lab_root: Path, port: int) -> list[str]:
    """Voilà on the quickstart, with mp4 allowed: its default file_allowlist answers 403 for videos."""
    return [
        sys.executable, "-m", "voila", str(lab_root / NOTEBOOK), "--no-browser",
        f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
        "--VoilaConfiguration.file_allowlist=['.*\\.(png|jpg|gif|svg|mp4)']",
    ]  # fmt: skip


PAGES = {
    "lab": ("lab", f"/lab/tree/{NOTEBOOK}", True),
    "notebook": ("notebook", f"/notebooks/{NOTEBOOK}", True),
    "voila": ("voila", "/", False),
}


@pytest.fixture(scope="module")
def frontend(
    request: pytest.FixtureRequest, lab_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Frontend]:
    """The front end named by the test's parameter, serving a copy of the notebooks on a free port."""
    name: str = request.param
    app, path, run_all = PAGES[name]
    package = {"lab": "jupyterlab", "notebook": "notebook", "voila": "voila"}[name]
    if importlib.util.find_spec(package) is None:
        pytest.fail(f"{package} is not installed; it belongs to the dev extra: pip install -e '.[dev]'")
    base = tmp_path_factory.mktemp(f"{name}-state")
    _quiet_settings(base / "settings")
    port = _free_port()
    command = _voila(lab_root, port) if app == "voila" else _jupyter(app, lab_root, base, port)
    if os.geteuid() == 0 and app != "voila":  # CI containers often run as root; Jupyter refuses unless told
        command.append("--allow-root")
    url = f"http://127.0.0.1:{port}"
    with (base / "server.log").open("wb") as log:
        server = subprocess.Popen(
            command, env=_environment(base), stdout=log, stderr=subprocess.STDOUT, cwd=lab_root
        )
        try:
            # Voilà runs the notebook on every page request: probe a static path instead of the page.
            probe = f"{url}/voila/static/probe" if app == "voila" else f"{url}/api/status"
            _wait_until_up(probe, server, base / "server.log")
            yield Frontend(name, url + path, run_all)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()


def _quiet_settings(folder: Path) -> None:
    """No "get notified about Jupyter news?" toast: it would cover part of the page in screenshots."""
    setting = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    setting.parent.mkdir(parents=True)
    setting.write_text(json.dumps({"fetchNews": "false"}))


def _wait_until_up(status_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(status_url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer (a 404 from the probe) means the server is up
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"the server did not answer within {SERVER_START:g} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Chromium, headless, with a fresh temporary profile (Playwright's default for launch()).

    Module-scoped, not session-scoped: while Playwright's sync API is open its event loop counts as running
    in this thread, and the asyncio tests collected after this folder could not start theirs.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    """``test-artifacts/`` (gitignored): screenshots for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

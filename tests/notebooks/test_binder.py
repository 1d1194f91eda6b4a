"""The Binder configuration (``binder/``) works, checked without Docker: a replay.

A fresh Python 3.12 venv built from ``binder/requirements.txt`` (plus the kernel tooling that repo2docker's
base image provides) runs ``postBuild`` (Voila's allowlist then holds mp4), and ``start`` hands over to a
probe with the simulator as the default provider and everything the notebooks import. The notebooks
themselves are read from the tier's one pass (``conftest.py``) rather than executed a second time. The venv
is cached under ``$WAN_NB_TEST_CACHE`` (default: the system temp folder), keyed by the requirements,
``pyproject.toml``, the repository path and the interpreter, so reruns skip the install. (The lint of
``binder/``: ``tests/unit/test_binder_config.py``; its scripts and repo2docker's rendering:
``tests/integration/test_binder_build.py``.)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.binder import (
    BINDER,
    ROOT,
    skip_or_fail,
)
from tests.fixtures.notebooks import NOTEBOOKS, TUTORIALS, TutorialRun, errored_cells

# What repo2docker's base environment already holds for the kernel (jupyterlab brings ipykernel; nbclient
# drives the notebooks here as JupyterLab's "Run all" would).
REPLAY_EXTRAS = ("ipykernel", "nbclient")


# --- 3. replay in a Python 3.12 venv --------------------------------------------------------------------------


def python312() -> Path | None:
    """A working Python 3.12 interpreter: one installed by pyenv, else ``python3.12`` on PATH.

    A pyenv *shim* on PATH may exist without a 3.12 being active, so each candidate is asked for its version.
    """
    candidates: list[Path] = []
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        candidates += sorted(Path(root, "versions").glob("3.12.*/bin/python3.12"), reverse=True)
    except (OSError, subprocess.CalledProcessError):
        pass
    if found := shutil.which("python3.12"):
        candidates.append(Path(found))
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-I", "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return candidate
    return None


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One builder at a time for a cached venv (two pytest runs may start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def binder_venv() -> Path:
    interpreter = python312()
    if interpreter is None:
        skip_or_fail("no Python 3.12 interpreter (runtime.txt asks for python-3.12)")
    digest = hashlib.sha256()
    for part in (
        (BINDER / "requirements.txt").read_bytes(),
        (ROOT / "pyproject.toml").read_bytes(),
        str(ROOT).encode(),  # `-e .` points at this checkout
        str(interpreter.resolve()).encode(),
        " ".join(REPLAY_EXTRAS).encode(),
    ):
        digest.update(part)
    cache = Path(os.environ.get("WAN_NB_TEST_CACHE") or Path(tempfile.gettempdir()) / "wan_nb-test-cache")
    venv = cache / f"binder-py312-{digest.hexdigest()[:16]}"
    with locked(venv.with_suffix(".lock")):
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True, timeout=300)
            # pip resolves `-e .` against the working folder: repo2docker runs it from the repository root.
            subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "-r", "binder/requirements.txt", *REPLAY_EXTRAS],
                cwd=ROOT, check=True, timeout=1200,
            )  # fmt: skip
            (venv / ".complete").touch()
    return venv


START_PROBE = (
    "import json, os, sys; import av, ipykernel, ipywidgets, nbclient, numpy, PIL, wan_nb, wan_nb.sim; "
    "print(json.dumps({'python': sys.version.split()[0], 'provider': os.environ.get('WAN_NB_PROVIDER'), "
    "'wan_nb': wan_nb.__file__}))"
)
"""Through ``binder/start``: the interpreter, the provider it defaults to, and what the notebooks import."""


VOILA_PROBE = (
    "import json; from voila.server_extension import load_config_file; "
    "print(json.dumps(list(load_config_file().VoilaConfiguration.file_allowlist)))"
)


@pytest.mark.timeout(1500)  # the first run builds the venv (about a minute from a PyPI mirror)
def test_binder_replay_runs_postbuild_and_every_notebook(
    binder_venv: Path,
    tutorial: Callable[[str], TutorialRun],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = binder_venv / "bin"
    config_dir = tmp_path / "jupyter-config"
    env = {
        **os.environ,  # conftest has removed every provider key and set a private WAN_NB_HOME
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(binder_venv),
        "JUPYTER_CONFIG_DIR": str(config_dir),  # postBuild writes voila.json here, not into ~/.jupyter
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    env.pop("PYTHONPATH", None)
    env.pop("WAN_NB_PROVIDER", None)  # binder/start must supply the default itself

    built = subprocess.run(
        ["bash", "binder/postBuild"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stdout + built.stderr
    allowlist = json.loads((config_dir / "voila.json").read_text())["VoilaConfiguration"]["file_allowlist"]
    assert any(re.fullmatch(pattern, "wan_outputs/task.mp4") for pattern in allowlist)
    # Voilà's server extension (Binder's /voila/render/...) reads voila.json from the Jupyter config path.
    seen = subprocess.run(
        [str(bin_dir / "python"), "-c", VOILA_PROBE],
        cwd=tmp_path,  # Voilà also reads ./voila.json: not the repository's here
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert json.loads(seen) == allowlist

    launched = subprocess.run(
        ["bash", "binder/start", str(bin_dir / "python"), "-c", START_PROBE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stdout[-2000:] + launched.stderr[-4000:]
    started = json.loads(launched.stdout.splitlines()[-1])
    assert started["python"].startswith("3.12."), started
    assert started["provider"] == "sim", "binder/start defaults the notebooks' provider to the simulator"
    assert Path(started["wan_nb"]).resolve().is_relative_to(ROOT), "requirements.txt installs -e ."

    # Every notebook Binder serves, from the tier's one pass (conftest.py): no cell raised.
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(TUTORIALS)
    runs = {name: tutorial(name).run for name in TUTORIALS}
    with capsys.disabled():
        for name, run in runs.items():
            print(f"\n[binder] {name} ran in {run.seconds:.1f} s (the tier's pass)", end="")
        print(flush=True)
    assert len(runs) >= 5
    assert {name: errored_cells(run.nb) for name, run in runs.items() if errored_cells(run.nb)} == {}

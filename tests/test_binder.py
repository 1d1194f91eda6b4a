"""The Binder configuration (``binder/``) builds and works, checked without Docker.

1. Lint: ``runtime.txt`` pins Python 3.12; ``requirements.txt`` installs ``-e .[sim]`` plus exact pins;
   ``postBuild`` and ``start`` are executable bash with ``set -euo pipefail``; ``start`` ends with
   ``exec "$@"``; no secrets anywhere in ``binder/``.
2. ``jupyter-repo2docker --no-build --debug .`` renders the Dockerfile Binder would build: it must pick Python
   3.12, install ``binder/requirements.txt``, run ``postBuild`` and use ``start`` as the entrypoint.
3. A replay: a fresh Python 3.12 venv built from ``binder/requirements.txt`` (plus the kernel tooling that
   repo2docker's base image provides) runs ``postBuild``, then executes every notebook through ``start``.
   The venv is cached under ``$WAN_NB_TEST_CACHE`` (default: the system temp folder), keyed by the
   requirements, ``pyproject.toml``, the repository path and the interpreter, so reruns skip the install.
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
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
# What repo2docker's base environment already holds for the kernel (jupyterlab brings ipykernel; nbclient
# drives the notebooks here as JupyterLab's "Run all" would).
REPLAY_EXTRAS = ("ipykernel", "nbclient")
SECRET_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9]"),
    re.compile(r"\b(?:[A-Z0-9_]*(?:API_KEY|TOKEN|SECRET|PASSWORD))\s*=", re.I),
    re.compile(r"Bearer\s+\S"),
    re.compile(r"\bLTAI[A-Za-z0-9]{8,}"),  # Alibaba Cloud AccessKey ids
)


def meaningful_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


# --- 1. lint --------------------------------------------------------------------------------------------------


def test_runtime_pins_python_312() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.12"


def test_requirements_install_the_package_with_its_simulator_and_exact_pins() -> None:
    lines = meaningful_lines(BINDER / "requirements.txt")
    assert lines[0] == "-e .[sim]", (
        "with a binder/ folder, repo2docker does not install pyproject.toml itself"
    )
    for line in lines[1:]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line), f"pin exactly: {line!r}"
    pinned = {line.split("==")[0].lower() for line in lines[1:]}
    assert {
        "httpx",
        "ipywidgets",
        "av",
        "numpy",
        "pillow",
        "uvicorn",
        "nest-asyncio2",
        "platformdirs",
    } <= pinned
    assert "ipykernel" in pinned  # tests/test_kernel_background.py: background tasks run between cells


@pytest.mark.parametrize("name", ["postBuild", "start"])
def test_scripts_are_executable_strict_bash(name: str) -> None:
    script = BINDER / name
    assert os.access(script, os.X_OK), f"chmod +x binder/{name}"
    tracked = subprocess.run(
        ["git", "ls-files", "-s", "--", f"binder/{name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if tracked:  # git records the executable bit: Binder checks out what git has
        assert tracked.startswith("100755"), f"git tracks binder/{name} without its executable bit"
    text = script.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_postbuild_checks_the_encoder_and_allows_mp4_in_voila() -> None:
    text = (BINDER / "postBuild").read_text()
    assert "'libx264' in av.codecs_available" in text
    assert "voila.json" in text and "file_allowlist" in text and "mp4" in text


def test_start_defaults_to_the_simulator_and_hands_over() -> None:
    lines = meaningful_lines(BINDER / "start")
    assert lines[-1] == 'exec "$@"'
    assert 'export WAN_NB_PROVIDER="${WAN_NB_PROVIDER:-sim}"' in lines


def test_no_secrets_in_binder() -> None:
    for path in sorted(BINDER.iterdir()):
        text = path.read_text()
        for pattern in SECRET_PATTERNS:
            match = pattern.search(text)
            assert match is None, f"binder/{path.name} looks like it holds a secret: {match.group(0)!r}"


# --- 2. repo2docker's rendering -------------------------------------------------------------------------------


def _skip_or_fail(reason: str) -> NoReturn:
    """Skip on a developer's machine; in CI (``CI`` set) a check that cannot run is a failure, not a pass."""
    if os.environ.get("CI"):
        pytest.fail(f"the Binder check cannot run in CI: {reason}")
    pytest.skip(reason)


def test_repo2docker_renders_python_312_requirements_postbuild_and_start() -> None:
    r2d = Path(sys.executable).with_name("jupyter-repo2docker")
    if not r2d.exists():
        _skip_or_fail("jupyter-repo2docker is not installed (it is in the dev extra)")
    result = subprocess.run(
        [str(r2d), "--no-build", "--debug", "."], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "python=3.12" in output, "runtime.txt was not honoured (repo2docker defaults to 3.10)"
    assert re.search(r'pip install --no-cache-dir -r "binder/requirements\.txt"', output)
    assert "RUN ./binder/postBuild" in output
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in output


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
        _skip_or_fail("no Python 3.12 interpreter (runtime.txt asks for python-3.12)")
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


RUNNER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient

    folder, report = Path(sys.argv[1]), Path(sys.argv[2])
    results = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        errors = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            raised = [out for out in cell.outputs if out.output_type == "error"]
            expected = "raises-exception" in cell.metadata.get("tags", [])
            if raised and not expected:
                errors.append(f"cell {index}: {raised[0].ename}: {raised[0].evalue}")
        results[path.name] = {"seconds": round(time.perf_counter() - started, 1), "errors": errors,
                              "python": sys.version.split()[0]}
    report.write_text(json.dumps(results, indent=2))
    """
)


VOILA_PROBE = (
    "import json; from voila.server_extension import load_config_file; "
    "print(json.dumps(list(load_config_file().VoilaConfiguration.file_allowlist)))"
)


@pytest.mark.timeout(1500)  # the first run builds the venv (about a minute from a PyPI mirror)
def test_binder_replay_runs_postbuild_and_every_notebook(
    binder_venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bin_dir = binder_venv / "bin"
    config_dir, kernels = tmp_path / "jupyter-config", tmp_path / "jupyter-data"
    spec = kernels / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [str(bin_dir / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Binder replay", "language": "python"})
    )
    env = {
        **os.environ,  # conftest has removed every provider key and set a private WAN_NB_HOME
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(binder_venv),
        "JUPYTER_CONFIG_DIR": str(config_dir),  # postBuild writes voila.json here, not into ~/.jupyter
        "JUPYTER_PATH": str(kernels),
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

    shutil.copytree(
        ROOT / "notebooks", tmp_path / "repo" / "notebooks", ignore=shutil.ignore_patterns("wan_outputs")
    )
    shutil.copytree(ROOT / "examples", tmp_path / "repo" / "examples")
    runner, report = tmp_path / "run_notebooks.py", tmp_path / "report.json"
    runner.write_text(RUNNER)
    launched = subprocess.run(
        ["bash", "binder/start", str(bin_dir / "python"), str(runner), str(tmp_path / "repo" / "notebooks"), str(report)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stdout[-2000:] + launched.stderr[-4000:]
    results = json.loads(report.read_text())
    with capsys.disabled():
        for name, result in results.items():
            print(f"\n[binder replay, Python {result['python']}] {name} ran in {result['seconds']} s", end="")
        print(flush=True)
    assert len(results) >= 5
    assert {name: result["errors"] for name, result in results.items() if result["errors"]} == {}
    assert all(result["python"].startswith("3.12.") for result in results.values())

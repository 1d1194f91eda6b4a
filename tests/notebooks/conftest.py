"""The notebook tier's session fixtures: the wheel of this checkout and a kernel that runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.notebooks import AUDIT, KERNEL, ROOT, Runtime, dependencies_venv, pip


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, as ``pip wheel`` builds it (hatchling, package data included)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True, timeout=600,
    )  # fmt: skip
    (built,) = out.glob("wan_nb-*.whl")
    return built


@pytest.fixture(scope="session")
def runtime(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    venv = dependencies_venv(wheel)
    python = venv / "bin" / "python"
    base = tmp_path_factory.mktemp("standalone")
    site = base / "site"
    pip(python, "--no-deps", "--target", str(site), str(wheel))
    spec = base / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "wan_nb from the wheel",
            "language": "python",
            "env": {"PYTHONPATH": str(site)},  # the wheel's install, and nothing of the repository
        })
    )  # fmt: skip
    startup = base / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    startup.joinpath("00-audit-reads.py").write_text(AUDIT)
    return Runtime(python, site, base / "jupyter", base / "ipython")

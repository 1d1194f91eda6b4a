"""The Binder configuration builds: its scripts pass ``bash -n`` with git's executable bit, and repo2docker renders the Dockerfile Binder would build (without Docker)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.binder import (
    BINDER,
    ROOT,
    skip_or_fail,
)


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


def test_repo2docker_renders_python_312_requirements_postbuild_and_start() -> None:
    r2d = Path(sys.executable).with_name("jupyter-repo2docker")
    if not r2d.exists():
        skip_or_fail("jupyter-repo2docker is not installed (it is in the dev extra)")
    result = subprocess.run(
        [str(r2d), "--no-build", "--debug", "."], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "python=3.12" in output, "runtime.txt was not honoured (repo2docker defaults to 3.10)"
    assert re.search(r'pip install --no-cache-dir -r "binder/requirements\.txt"', output)
    assert "RUN ./binder/postBuild" in output
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in output

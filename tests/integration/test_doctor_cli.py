"""doctor through the facade and `wan-nb doctor` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import wan_nb

SECRET = "sk-doctor-secret-0123456789"


def test_facade_and_cli(tmp_path: Path) -> None:
    assert wan_nb.doctor().checks
    env = {**os.environ, "WAN_NB_HOME": str(tmp_path), "WAN_API_KEY": SECRET}
    done = subprocess.run(
        [sys.executable, "-m", "wan_nb", "doctor"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "simulator encoder" in done.stdout and "WAN_API_KEY" in done.stdout and SECRET not in done.stdout

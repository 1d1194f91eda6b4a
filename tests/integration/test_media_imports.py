"""Importing wan_nb.media in a fresh interpreter leaves Pillow unloaded (a subprocess, so nothing is imported yet)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_media_does_not_import_pillow() -> None:
    code = "import sys, wan_nb.media, wan_nb.validation; assert 'PIL' not in sys.modules and 'av' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)

"""``write_atomically``: a file appears whole at its final path, or not at all (stdlib only, a leaf).

Posters, contact sheets and reports are written to a hidden ``.part`` file beside the target and renamed over
it, so a reader (a notebook's ``<img>``, a browser opening the report) never sees half a file, and a crash
leaves only a ``.part``. Not ``tempfile.mkstemp``: it creates files readable by their owner only (0600), and
these are for serving and sharing; ``open(..., "xb")`` gives the mode any file gets here (0666 less the umask).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a hidden ``.part`` beside it, then rename it into place."""
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with open(part, "xb") as out:
            out.write(data)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise

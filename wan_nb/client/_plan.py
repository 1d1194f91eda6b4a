"""Requests a batch has not sent yet, kept whole so ``resume`` can send them after a crash.

``map`` plans its whole batch in the journal before the first create (``Journal.plan``); a request leaves the
plan when its create is answered with a task. To be sent later, possibly by another process, a request must
be rebuilt exactly: URLs (http(s), ``oss://``) and ``data:`` URIs are kept as they are, local paths are made
absolute, and bytes or PIL images are written once to ``$WAN_NB_HOME/spool/<sha256>.<ext>`` and referred to
by that path (a path is uploaded or inlined exactly as bytes are). Spooled files no planned request needs any
more are swept after a batch ends. Unlike task rows, a planned row holds the request's payloads until it is
sent: the journal is the user's own file, and a ``data:`` URI cannot be re-sent from a summary.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from wan_nb import media
from wan_nb.models import MEDIA_ROLES, Reference, VideoRequest

__all__ = ["SPOOL_GRACE", "rebuild", "replayable", "sweep"]

SPOOL_GRACE = 3600.0
"""Seconds a spooled file is kept even when no planned row names it: another batch may be planning it now."""


def replayable(request: VideoRequest, spool: Path) -> str:
    """The request as JSON that :func:`rebuild` turns back into an equal request (media by reference)."""
    values: dict[str, Any] = {field.name: getattr(request, field.name) for field in fields(request)}
    for role in (*MEDIA_ROLES, "video"):
        if values[role] is not None:
            values[role] = _reference(media.classify(values[role], role), spool)
    values["references"] = [
        {
            "medium": _reference(media.classify(item.medium, f"references[{index}]"), spool),
            "voice": None if item.voice is None else _reference(media.classify(item.voice, "voice"), spool),
            "kind": item.kind,
        }
        for index, item in enumerate(request.references)
    ]
    return json.dumps(values, ensure_ascii=False)


def _reference(medium: media.Medium, spool: Path) -> str:
    if medium.kind == "file":
        return os.path.abspath(str(medium.value))
    if isinstance(medium.value, str):
        return medium.value  # a URL or a data: URI: re-sent as it is
    return str(_spool(medium.value, Path(media.filename_for(medium)).suffix, spool))


def _spool(data: bytes, suffix: str, spool: Path) -> Path:
    """Write ``data`` once under its content hash (atomically: a reader never sees half a file)."""
    path = spool / f"{hashlib.sha256(data).hexdigest()}{suffix}"
    if not path.exists():
        spool.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        part.write_bytes(data)
        os.replace(part, path)
    return path


def rebuild(text: str) -> VideoRequest:
    """The request :func:`replayable` wrote."""
    values = json.loads(text)
    values["references"] = tuple(Reference(**item) for item in values.get("references", ()))
    return VideoRequest(**values)


def sweep(spool: Path, needed: Iterable[str], *, now: float | None = None) -> None:
    """Delete spooled files no planned request names, once they are older than ``SPOOL_GRACE``."""
    if not spool.is_dir():
        return
    texts = list(needed)
    cutoff = (now if now is not None else time.time()) - SPOOL_GRACE
    for path in spool.iterdir():
        if path.stat().st_mtime < cutoff and not any(path.name in text for text in texts):
            path.unlink(missing_ok=True)

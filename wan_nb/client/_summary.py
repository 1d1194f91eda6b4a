"""What the journal keeps of a request: a summary without payloads or secrets, and a fingerprint of it all.

Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wan_nb.models import DEFAULT_MODEL, MediaInput, VideoRequest

__all__ = ["fingerprint", "request_of", "summarize"]

_PROMPT_EXCERPT = 200


def summarize(request: VideoRequest) -> dict[str, Any]:
    """What the journal keeps of a request: no payloads, no secrets."""
    summary: dict[str, Any] = {
        "prompt": request.prompt[:_PROMPT_EXCERPT],
        "model": request.model,
        "duration": request.duration,
    }
    for name in ("resolution", "size", "seed", "audio", "prompt_extend", "watermark"):
        value = getattr(request, name)
        if value is not None:
            summary[name] = value
    summary["media"] = {role: _describe(value) for role, value in request.media().items()}
    return summary


_SETTINGS = {
    "resolution": str,
    "size": str,
    "seed": int,
    "audio": bool,
    "prompt_extend": bool,
    "watermark": bool,
}


def request_of(summary: dict[str, Any]) -> VideoRequest:
    """The request a journal summary describes, without its media (the journal keeps only their names).

    The prompt is the journaled one (its first 200 characters); values of the wrong type are left out.
    """
    settings = {
        name: summary[name]
        for name, kind in _SETTINGS.items()
        if isinstance(summary.get(name), kind) and (kind is bool or not isinstance(summary[name], bool))
    }
    duration = summary.get("duration")
    model = summary.get("model")
    return VideoRequest(
        prompt=str(summary.get("prompt", "")),
        duration=duration if isinstance(duration, int) and not isinstance(duration, bool) else 5,
        model=model if isinstance(model, str) and model else DEFAULT_MODEL,
        **settings,
    )


def _describe(value: MediaInput) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"kind": "bytes", "size": len(value)}
    if isinstance(value, str) and value.startswith("data:"):
        return {"kind": "data", "size": len(value)}
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        # The query string may be a signature: keep only the scheme, host and file name.
        return {"kind": parts.scheme, "name": f"{parts.scheme}://{parts.netloc}/…/{Path(parts.path).name}"}
    if isinstance(value, str | os.PathLike):
        return {"kind": "path", "name": Path(os.fspath(value)).name}
    return {"kind": type(value).__name__}


def fingerprint(request: VideoRequest, summary: dict[str, Any] | None = None) -> str:
    """A stable digest of everything that decides the output (full prompt, parameters, media identity).

    Lets a caller notice that the same request was already submitted. Local files count by resolved path,
    size and modification time; bytes and ``data:`` URIs by content. ``summary``: ``summarize(request)``, when
    the caller has it already.
    """
    summary = summary if summary is not None else summarize(request)
    identity = {**summary, "prompt": request.prompt, "negative_prompt": request.negative_prompt}
    identity["media"] = {role: _identity(value) for role, value in request.media().items()}
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _identity(value: MediaInput) -> str:
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, str) and ("://" in value or value.startswith("data:")):
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    if isinstance(value, str | os.PathLike):
        path = Path(os.fspath(value)).expanduser()
        try:
            stat = path.stat()
        except OSError:
            return f"path:{path}"
        return f"path:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    pixels = getattr(value, "tobytes", None)  # a PIL image: its pixels
    return "sha256:" + hashlib.sha256(pixels() if callable(pixels) else repr(value).encode()).hexdigest()

"""What the journal keeps of a request and a task, and how its rows are written and read.

- A request becomes a *summary* (``summarize``): a prompt excerpt, the parameters and each medium's kind and
  name, never the key and never a ``data:`` payload or raw bytes; plus a *fingerprint* of all that decides the
  output (``fingerprint``), so a repeat can be noticed. ``request_of`` reads a summary back, media left out.
- A task's state becomes the columns a new answer changes (``state``), among them how long a success ran by
  the service's clock (``run_of``); a row becomes a frozen :class:`JournalEntry` (``entry``).
- A request's *kind* (``kind_of``; ``kind_of_summary`` for a journaled one) is what decides how long its task
  runs: what ``Journal.recent_runs`` hands the poll pacer (``_runs``), which reads it from here.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wan_nb import media
from wan_nb.family import WAN27_I2V
from wan_nb.models import (
    MediaInput,
    Task,
    TaskError,
    TaskStatus,
    Usage,
    VideoRequest,
)

__all__ = [
    "STATE_COLUMNS",
    "JournalEntry",
    "Kind",
    "PlannedRequest",
    "UnansweredCreate",
    "describe_request",
    "entry",
    "fingerprint",
    "kind_of",
    "kind_of_summary",
    "public_base_url",
    "request_of",
    "run_of",
    "state",
    "summarize",
]

_PROMPT_EXCERPT = 200


def summarize(request: VideoRequest) -> dict[str, Any]:
    """What the journal keeps of a request: no payloads, no secrets."""
    summary: dict[str, Any] = {
        "prompt": request.prompt[:_PROMPT_EXCERPT],
        "model": request.chosen_model,
        "duration": request.chosen_duration,
    }
    for name in (
        "resolution",
        "size",
        "seed",
        "audio",
        "prompt_extend",
        "watermark",
        "ratio",
        "audio_setting",
    ):
        value = getattr(request, name)
        if value is not None:
            summary[name] = value
    summary["media"] = {field: _describe(value) for field, value in request.inputs().items()}
    for index, reference in enumerate(request.references):
        # Its kind, so the history labels it "Image 1"/"Video 1" as the prompt did, even when it was bytes.
        kind = reference.kind or media.told_kind(reference.medium, "references")
        if kind is not None:
            summary["media"][f"references[{index}]"]["reference"] = kind
    if request.parent is not None:
        summary["parent"] = request.parent  # lineage, for the history; not in the fingerprint
    return summary


_SETTINGS = {
    "resolution": str,
    "size": str,
    "seed": int,
    "audio": bool,
    "prompt_extend": bool,
    "watermark": bool,
    "ratio": str,
    "audio_setting": str,
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
    parent = summary.get("parent")
    return VideoRequest(
        prompt=str(summary.get("prompt", "")),
        duration=duration if isinstance(duration, int) and not isinstance(duration, bool) else 5,
        model=model
        if isinstance(model, str) and model
        else WAN27_I2V.model,  # rows before the family were i2v
        parent=parent if isinstance(parent, str) and parent else None,
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
    identity.pop("parent", None)  # which try it came from does not decide the output
    identity["media"] = {field: _identity(value) for field, value in request.inputs().items()}
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


Kind = tuple[str, str, int, tuple[str, ...]]
"""(model, resolution or size, duration, media roles): tasks of one kind take similar times."""


def kind_of(request: VideoRequest) -> Kind:
    """What decides how long a task runs, as far as the client can tell."""
    shape = request.resolution or request.size or ""
    inputs = tuple(field.partition("[")[0] for field in request.inputs())
    return (request.chosen_model, shape, request.chosen_duration, inputs)


def kind_of_summary(summary: Mapping[str, Any]) -> Kind | None:
    """The kind of a journaled request (``summarize``); None for a row that does not say."""
    model, duration, media = summary.get("model"), summary.get("duration"), summary.get("media")
    shape = summary.get("resolution") or summary.get("size") or ""
    if not isinstance(model, str) or type(duration) is not int or not isinstance(shape, str):
        return None
    if not isinstance(media, dict):
        return None
    return (model, shape, duration, tuple(str(field).partition("[")[0] for field in media))


def run_of(task: Task) -> float | None:
    """Seconds a SUCCEEDED task ran by the service's clock (from its start, else its submit); None unknown."""
    began = task.started_at or task.created_at
    if task.status is not TaskStatus.SUCCEEDED or began is None or task.finished_at is None:
        return None
    run = (task.finished_at - began).total_seconds()
    return run if run > 0 else None


STATE_COLUMNS = (
    "status",
    "status_raw",
    "video_url",
    "error_code",
    "error_message",
    "request_id",
    "expires",
    "actual_prompt",
    "billed_seconds",
    "short_side",
    "run_seconds",
    "input_seconds",
)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journaled task, as last recorded."""

    task_id: str
    provider: str
    host: str
    base_url: str | None
    """The API base URL the task was created on (scheme, host, path prefix); None in rows from before 0.1."""
    dialect: str
    request: dict[str, Any]
    """The request summary (see ``summarize``)."""
    request_fingerprint: str
    status: TaskStatus
    status_raw: str
    video_url: str | None
    error_code: str | None
    error_message: str | None
    request_id: str | None
    created: float
    """Unix time the task was journaled."""
    updated: float
    path: Path | None
    """The downloaded file, once there is one."""
    expires: float | None = None
    """Unix time the result URL stops working, when the service said or a download found it gone."""
    actual_prompt: str | None = None
    """The prompt as the service echoed it (``actual_prompt`` when ``prompt_extend`` rewrote it)."""
    billed_seconds: float | None = None
    """``usage.duration``, once the service reported it."""
    short_side: int | None = None
    """``usage.SR``: the billed resolution's short side in pixels."""
    run_seconds: float | None = None
    """How long a success ran by the service's clock (``run_of``): what paces later waits of its kind."""
    input_seconds: float | None = None
    """``usage.input_video_duration``: the seconds of input video billed (``billed_seconds`` includes them)."""

    @property
    def parent(self) -> str | None:
        """The id of the task this try was chained from (``VideoRequest.parent``), if any."""
        parent = self.request.get("parent")
        return parent if isinstance(parent, str) and parent else None

    @property
    def downloaded(self) -> bool:
        return self.path is not None and self.path.is_file()

    @property
    def expired(self) -> bool:
        """True once the result can no longer be downloaded (its signed URL is past its life)."""
        return self.expires is not None and self.expires <= datetime.now(UTC).timestamp()

    def to_request(self) -> VideoRequest:
        """The journaled request, without its media (the journal keeps their names only)."""
        return request_of(self.request)

    def to_task(self) -> Task:
        """The last recorded state as a Task (for re-attaching or downloading without a query)."""
        error = TaskError(self.error_code or "Unknown", self.error_message or "") if self.error_code else None
        expires = datetime.fromtimestamp(self.expires, UTC) if self.expires is not None else None
        return Task(
            id=self.task_id,
            status=self.status,
            provider=self.provider,
            status_raw=self.status_raw,
            video_url=self.video_url,
            error=error,
            created_at=datetime.fromtimestamp(self.created, UTC),
            expires_at=expires,
            request_id=self.request_id,
            usage=Usage(
                billed_seconds=self.billed_seconds,
                resolution=self.short_side,
                input_seconds=self.input_seconds,
            )
            if self.billed_seconds is not None
            else None,
            prompt=self.actual_prompt,
            path=self.path if self.downloaded else None,
        )


@dataclass(frozen=True, slots=True)
class UnansweredCreate:
    """A create that was sent but never settled: a task may exist upstream, and be billed."""

    create_id: str
    provider: str
    base_url: str
    request: dict[str, Any]
    request_fingerprint: str
    sent: float
    """Unix time the create was about to be sent."""
    problem: str | None
    """What went wrong, when the client lived to see it; None when the process died waiting."""


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """A request of a batch that was never sent: ``resume`` sends it (see ``_plan``)."""

    plan_id: str
    batch_id: str
    position: int
    """Its index in the requests given to ``map``."""
    provider: str
    base_url: str
    request: str
    """The whole request as replayable JSON (``_plan.replayable``)."""
    planned: float


def describe_request(request: VideoRequest) -> tuple[str, str]:
    """(summary JSON, fingerprint): what a task or create row keeps of its request."""
    summary = summarize(request)
    return json.dumps(summary, ensure_ascii=False), fingerprint(request, summary)


def public_base_url(url: str) -> str:
    """The base URL without user:password, query or fragment, as it is written and compared."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def state(task: Task) -> dict[str, Any]:
    """The columns a new state of a task changes."""
    return {
        "status": task.status.value,
        "status_raw": task.status_raw,
        "video_url": task.video_url,
        "error_code": task.error.code if task.error else None,
        "error_message": task.error.message if task.error else None,
        "request_id": task.request_id,
        "expires": task.expires_at.timestamp() if task.expires_at else None,
        "actual_prompt": task.prompt,
        "billed_seconds": task.usage.billed_seconds if task.usage else None,
        "short_side": task.usage.resolution if task.usage else None,
        "run_seconds": run_of(task),
        "input_seconds": task.usage.input_seconds if task.usage else None,
    }


_ENTRY_FIELDS = frozenset(field.name for field in fields(JournalEntry))


def entry(row: sqlite3.Row) -> JournalEntry:
    """The entry a ``tasks`` row holds; columns a newer release added (unknown here) are left out."""
    values = {name: value for name, value in dict(row).items() if name in _ENTRY_FIELDS}
    values["request"] = json.loads(values["request"])
    values["status"] = TaskStatus(values["status"])
    values["path"] = Path(values["path"]) if values["path"] else None
    return JournalEntry(**values)

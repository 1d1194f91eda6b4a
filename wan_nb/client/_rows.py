"""What the journal hands back (one frozen dataclass per table) and how rows are written and read.

Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wan_nb.client._runs import run_of
from wan_nb.client._summary import fingerprint, request_of, summarize
from wan_nb.models import Task, TaskError, TaskStatus, Usage, VideoRequest

__all__ = [
    "STATE_COLUMNS",
    "JournalEntry",
    "PlannedRequest",
    "UnansweredCreate",
    "describe_request",
    "entry",
    "public_base_url",
    "state",
]

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
    """The request summary (see ``_summary.summarize``)."""
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
    """How long a success ran by the service's clock (``_runs.run_of``): what paces later waits of its kind."""

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
            usage=Usage(billed_seconds=self.billed_seconds, resolution=self.short_side)
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
    }


_ENTRY_FIELDS = frozenset(field.name for field in fields(JournalEntry))


def entry(row: sqlite3.Row) -> JournalEntry:
    """The entry a ``tasks`` row holds; columns a newer release added (unknown here) are left out."""
    values = {name: value for name, value in dict(row).items() if name in _ENTRY_FIELDS}
    values["request"] = json.loads(values["request"])
    values["status"] = TaskStatus(values["status"])
    values["path"] = Path(values["path"]) if values["path"] else None
    return JournalEntry(**values)

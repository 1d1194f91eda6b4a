"""The task journal: every submitted task, durably, so a dead kernel or a killed process loses nothing.

SQLite in WAL mode, one long-lived connection per journal (guarded by a lock, so the client can write from a
worker thread), every operation its own short transaction committed before the method returns; several
processes (a notebook and ``wan-nb resume``) can share one file. ``record`` — the new task id, the thing that
costs money to lose — commits with ``synchronous=FULL`` (fsynced: it survives even a power cut); state updates
commit with ``synchronous=NORMAL``, which in WAL mode survives a killed process or kernel (the failure the
journal exists for) and is re-derivable from the server anyway. An update that changes nothing is not written.
Rows hold a request *summary* (``_summary``): a prompt excerpt, the parameters and each medium's kind and name,
never the key and never a ``data:`` payload or raw bytes.

A create is journaled *before* it is sent (``sending``), because the moment between the server accepting it and
the answer reaching disk is exactly where a killed process would lose a billed task. The row goes when the
answer settles it: replaced by the task (``record``, same transaction) or dropped when the server refused
(``refused``). What is left — an ``unanswered`` create — is a task that may exist, to be looked for upstream.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wan_nb.client._summary import fingerprint, summarize
from wan_nb.client.providers import data_home
from wan_nb.models import Task, TaskError, TaskStatus, VideoRequest

__all__ = ["Journal", "JournalEntry", "UnansweredCreate", "fingerprint", "summarize"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT NOT NULL, provider TEXT NOT NULL, host TEXT NOT NULL, base_url TEXT, dialect TEXT NOT NULL,
    request TEXT NOT NULL, request_fingerprint TEXT NOT NULL,
    status TEXT NOT NULL, status_raw TEXT NOT NULL, video_url TEXT,
    error_code TEXT, error_message TEXT, request_id TEXT,
    created REAL NOT NULL, updated REAL NOT NULL, path TEXT,
    PRIMARY KEY (provider, task_id)
)
"""
_CREATES = """
CREATE TABLE IF NOT EXISTS creates (
    create_id TEXT PRIMARY KEY, provider TEXT NOT NULL, base_url TEXT NOT NULL,
    request TEXT NOT NULL, request_fingerprint TEXT NOT NULL, sent REAL NOT NULL, problem TEXT
)
"""
_STATE = ("status", "status_raw", "video_url", "error_code", "error_message", "request_id")


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
    """The request summary (see :func:`summarize`)."""
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

    @property
    def downloaded(self) -> bool:
        return self.path is not None and self.path.is_file()

    def to_task(self) -> Task:
        """The last recorded state as a Task (for re-attaching or downloading without a query)."""
        error = TaskError(self.error_code or "Unknown", self.error_message or "") if self.error_code else None
        return Task(
            id=self.task_id,
            status=self.status,
            provider=self.provider,
            status_raw=self.status_raw,
            video_url=self.video_url,
            error=error,
            request_id=self.request_id,
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


class Journal:
    """SQLite journal at ``path`` (default ``$WAN_NB_HOME/journal.sqlite3``)."""

    def __init__(self, path: Path | str | None = None, *, timeout: float = 30.0) -> None:
        self.path = Path(path) if path is not None else data_home() / "journal.sqlite3"
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the client writes from asyncio.to_thread workers; the lock serialises them.
        self._db = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._written: dict[tuple[str, str], dict[str, Any]] = {}
        with self._transaction(durable=True) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            db.execute(_CREATES)
            columns = {row["name"] for row in db.execute("PRAGMA table_info(tasks)")}
            if "base_url" not in columns:  # a journal written before base URLs were kept
                db.execute("ALTER TABLE tasks ADD COLUMN base_url TEXT")

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def close(self) -> None:
        """Close the connection (also done when the journal is garbage-collected)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        # `timeout` waits out other processes' writers; the lock keeps this process's threads in turn.
        with self._lock:
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            with self._db:  # commits before the block is left, or rolls back
                yield self._db

    def sending(self, *, provider: str, base_url: str, request: VideoRequest) -> str:
        """Note a create about to be sent; returns its ``create_id`` for ``record`` / ``refused`` / ``unsure``.

        ``synchronous=NORMAL``: a killed process keeps the row (WAL), which is the failure this guards.
        """
        create_id = uuid.uuid4().hex
        row = (create_id, provider, _public_base_url(base_url), *_describe_request(request), time.time())
        with self._transaction() as db:
            db.execute("INSERT INTO creates VALUES (?, ?, ?, ?, ?, ?, NULL)", row)
        return create_id

    def refused(self, create_id: str) -> None:
        """The server answered the create with an error: no task exists, nothing to look for."""
        with self._transaction() as db:
            db.execute("DELETE FROM creates WHERE create_id = ?", (create_id,))

    def unsure(self, create_id: str, problem: str) -> None:
        """The create got no usable answer (a reset, a timeout, a 5xx): a task may exist."""
        with self._transaction() as db:
            db.execute("UPDATE creates SET problem = ? WHERE create_id = ?", (problem, create_id))

    def unanswered(
        self, *, provider: str | None = None, since: float | None = None
    ) -> list[UnansweredCreate]:
        """Creates sent but never settled, oldest first; ``since`` (Unix time) drops older ones."""
        query = "SELECT * FROM creates WHERE (? IS NULL OR provider = ?) AND sent >= ? ORDER BY sent"
        with self._transaction() as db:
            rows = db.execute(query, (provider, provider, since or 0.0)).fetchall()
        return [UnansweredCreate(**{**dict(row), "request": json.loads(row["request"])}) for row in rows]

    def record(
        self,
        task: Task,
        *,
        base_url: str,
        dialect: str,
        request: VideoRequest,
        create_id: str | None = None,
    ) -> None:
        """Journal a freshly submitted task (call before handing the task to the user).

        ``create_id`` (from ``sending``) is settled in the same transaction: the task row replaces it.
        """
        now, api = time.time(), _public_base_url(base_url)
        summary, digest = _describe_request(request)
        row = {
            "task_id": task.id,
            "provider": task.provider,
            "host": urlsplit(api).netloc,
            "base_url": api,
            "dialect": dialect,
            "request": summary,
            "request_fingerprint": digest,
            **_state(task),
            "created": now,
            "updated": now,
        }
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with self._transaction(durable=True) as db:
            db.execute(f"INSERT OR REPLACE INTO tasks ({names}) VALUES ({marks})", row)
            db.execute("DELETE FROM creates WHERE create_id = ?", (create_id,))
        self._written[(task.provider, task.id)] = _state(task)

    def is_current(self, task: Task) -> bool:
        """True when this journal last wrote exactly ``task``'s state: an ``update`` would write nothing.

        A dictionary lookup, safe on the event loop: callers skip the worker-thread hop for most polls.
        """
        return self._written.get((task.provider, task.id)) == _state(task)

    def update(self, task: Task) -> None:
        """Record a new state of a journaled task (unknown tasks are ignored; an unchanged state is not written)."""
        if self.is_current(task):
            return
        state, key = _state(task), (task.provider, task.id)
        sets = ", ".join(f"{name} = :{name}" for name in _STATE)
        params = {**state, "updated": time.time(), "task_id": task.id, "provider": task.provider}
        with self._transaction() as db:
            db.execute(
                f"UPDATE tasks SET {sets}, updated = :updated WHERE task_id = :task_id AND provider = :provider",
                params,
            )
        self._written[key] = state

    def set_path(self, task_id: str, path: Path) -> None:
        """Remember where the task's video was saved."""
        with self._transaction() as db:
            db.execute(
                "UPDATE tasks SET path = ?, updated = ? WHERE task_id = ?", (str(path), time.time(), task_id)
            )

    def entries(
        self, *, unfinished: bool = False, provider: str | None = None, base_url: str | None = None
    ) -> list[JournalEntry]:
        """Journaled tasks, oldest first; ``unfinished`` keeps those not yet in a terminal state.

        ``base_url`` keeps the tasks created on that API (rows from before base URLs were kept: on its host).
        """
        clauses, params = ["1 = 1"], []
        if provider is not None:
            clauses.append("provider = ?")
            params.append(provider)
        if base_url is not None:
            api = _public_base_url(base_url)
            clauses.append("(base_url = ? OR (base_url IS NULL AND host = ?))")
            params += [api, urlsplit(api).netloc]
        query = f"SELECT * FROM tasks WHERE {' AND '.join(clauses)} ORDER BY created, task_id"
        with self._transaction() as db:
            rows = db.execute(query, params).fetchall()
        found = [_entry(row) for row in rows]
        return [entry for entry in found if not entry.status.is_terminal] if unfinished else found


def _describe_request(request: VideoRequest) -> tuple[str, str]:
    return json.dumps(summarize(request), ensure_ascii=False), fingerprint(request)


def _public_base_url(url: str) -> str:
    """The base URL without user:password, query or fragment, as it is written and compared."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _state(task: Task) -> dict[str, Any]:
    return {
        "status": task.status.value,
        "status_raw": task.status_raw,
        "video_url": task.video_url,
        "error_code": task.error.code if task.error else None,
        "error_message": task.error.message if task.error else None,
        "request_id": task.request_id,
    }


def _entry(row: sqlite3.Row) -> JournalEntry:
    values = dict(row)
    values["request"] = json.loads(values["request"])
    values["status"] = TaskStatus(values["status"])
    values["path"] = Path(values["path"]) if values["path"] else None
    return JournalEntry(**values)

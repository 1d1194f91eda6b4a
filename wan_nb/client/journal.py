"""The task journal: every submitted task, durably, so a dead kernel or a killed process loses nothing.

SQLite in WAL mode, one long-lived connection per journal (guarded by a lock, so the client can write from a
worker thread), every operation its own short transaction committed before the method returns; several
processes (a notebook and ``wan-nb resume``) can share one file. ``record`` — the new task id, the thing that
costs money to lose — is fsynced before it returns (it survives even a power cut; ``sync=False`` leaves that
fsync to a later :meth:`Journal.sync`, so a writer can share one fsync among several records); everything else
commits with ``synchronous=NORMAL``, which in WAL mode survives a killed process or kernel (the failure the
journal exists for). An update that changes nothing is not written. Task rows hold a request *summary*
(``_journal_rows``): a prompt excerpt, the parameters and each medium's kind and name, never the key and never a
``data:`` payload or raw bytes.

Three tables, one life cycle:

- ``planned``: the requests of a batch, written before the first is sent (``plan``), whole, so ``resume`` can
  send what a killed batch never did. A planned request is *claimed* by the create that sends it.
- ``creates``: a create about to be sent (``sending``), because the moment between the server accepting it and
  the answer reaching disk is where a killed process would lose a billed task. The answer settles it: replaced
  by the task (``record``, same transaction, which also retires its planned row) or dropped when the server
  refused (``refused``: the planned row, if any, is unclaimed again). What is left — an ``unanswered`` create —
  is a task that may exist, to be looked for upstream; its planned row stays claimed and is never re-sent.
- ``tasks``: every task the service answered with, and its last known state.

A journal written by an earlier release is opened as it is: missing columns are added (NULL in old rows) and
the index is built; nothing is rewritten. Reading ignores columns this release does not know
(``_journal_rows.entry``), so a file a newer wan_nb extended stays readable here.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wan_nb.client._journal_rows import (
    STATE_COLUMNS,
    JournalEntry,
    Kind,
    PlannedRequest,
    UnansweredCreate,
    describe_request,
    entry,
    fingerprint,
    kind_of_summary,
    public_base_url,
    state,
    summarize,
)
from wan_nb.client.providers import data_home
from wan_nb.errors import WanError
from wan_nb.models import Task, VideoRequest

__all__ = ["Journal", "JournalEntry", "PlannedRequest", "UnansweredCreate", "fingerprint", "summarize"]

_RECENT_ROWS = 1000
"""Rows ``recent_runs`` reads at most (newest first): 20 runs for each of 50 kinds."""

# A poll that leaves these out keeps what an earlier answer said (the expiry, the rewrite, the usage).
_KEPT = frozenset(
    {"expires", "actual_prompt", "billed_seconds", "short_side", "run_seconds", "input_seconds"}
)


class Journal:
    """SQLite journal at ``path`` (default ``$WAN_NB_HOME/journal.sqlite3``)."""

    def __init__(self, path: Path | str | None = None, *, timeout: float = 30.0) -> None:
        self.path = Path(path) if path is not None else data_home() / "journal.sqlite3"
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the client writes from a worker thread; the lock serialises threads.
        self._db = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._synchronous = ""
        self._written: dict[tuple[str, str], dict[str, Any]] = {}
        # A create's description, kept from ``sending`` for the ``record`` that settles it (computed once).
        self._described: dict[str, tuple[str, str]] = {}
        with self._transaction(durable=True) as db:
            _prepare(db)

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
            mode = "FULL" if durable else "NORMAL"
            if mode != self._synchronous:  # a PRAGMA per transaction would cost more than the insert
                self._db.execute(f"PRAGMA synchronous={mode}")
                self._synchronous = mode
            with self._db:  # commits before the block is left, or rolls back
                yield self._db

    def sync(self) -> None:
        """fsync what earlier ``record(sync=False)`` calls committed (one fsync for all of them).

        Committed WAL frames sit in the page cache; an fsync of the WAL file through any descriptor makes them
        durable, which is exactly what ``synchronous=FULL`` does at each commit.
        """
        wal = self.path.with_name(self.path.name + "-wal")
        with self._lock:
            target = wal if wal.exists() else self.path
            descriptor = os.open(target, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    # --- batches -------------------------------------------------------------------------------------------

    def plan(self, requests: Sequence[str], *, provider: str, base_url: str) -> list[str]:
        """Write a batch's requests (replayable JSON) before any is sent; their plan ids, in order."""
        batch, now, api = uuid.uuid4().hex, time.time(), public_base_url(base_url)
        ids = [uuid.uuid4().hex for _ in requests]
        rows = [(ids[i], batch, i, provider, api, text, now) for i, text in enumerate(requests)]
        with self._transaction() as db:
            db.executemany("INSERT INTO planned VALUES (?, ?, ?, ?, ?, ?, ?, NULL)", rows)
        return ids

    def planned(self, *, provider: str | None = None, base_url: str | None = None) -> list[PlannedRequest]:
        """Planned requests not yet claimed by a create, oldest batch first."""
        api = public_base_url(base_url) if base_url is not None else None
        query = (
            "SELECT plan_id, batch_id, position, provider, base_url, request, planned FROM planned "
            "WHERE create_id IS NULL AND (? IS NULL OR provider = ?) AND (? IS NULL OR base_url = ?) "
            "ORDER BY planned, batch_id, position"
        )
        with self._transaction() as db:
            rows = db.execute(query, (provider, provider, api, api)).fetchall()
        return [PlannedRequest(**dict(row)) for row in rows]

    def unplan(self, plan_id: str) -> None:
        """Drop a planned request that can no longer be sent (its local file is gone, say)."""
        with self._transaction() as db:
            db.execute("DELETE FROM planned WHERE plan_id = ?", (plan_id,))

    # --- creates -------------------------------------------------------------------------------------------

    def sending(
        self, *, provider: str, base_url: str, request: VideoRequest, plan_id: str | None = None
    ) -> str:
        """Note a create about to be sent; returns its ``create_id`` for ``record`` / ``refused`` / ``unsure``.

        With ``plan_id`` the planned request is claimed in the same transaction; WanError when another
        process (a ``wan-nb resume`` next to a running batch) claimed it first, so it is never sent twice.
        ``synchronous=NORMAL``: a killed process keeps the row (WAL), which is the failure this guards.
        """
        create_id = uuid.uuid4().hex
        described = describe_request(request)
        row = (create_id, provider, public_base_url(base_url), *described, time.time())
        with self._transaction() as db:
            if plan_id is not None:
                claim = "UPDATE planned SET create_id = ? WHERE plan_id = ? AND create_id IS NULL"
                if db.execute(claim, (create_id, plan_id)).rowcount != 1:
                    raise WanError(f"planned request {plan_id} was already sent by another process")
            db.execute("INSERT INTO creates VALUES (?, ?, ?, ?, ?, ?, NULL)", row)
        self._described[create_id] = described
        return create_id

    def refused(self, create_id: str) -> None:
        """The server answered the create with an error: no task exists; a planned request is unclaimed."""
        self._described.pop(create_id, None)
        with self._transaction() as db:
            db.execute("DELETE FROM creates WHERE create_id = ?", (create_id,))
            db.execute("UPDATE planned SET create_id = NULL WHERE create_id = ?", (create_id,))

    def unsure(self, create_id: str, problem: str) -> None:
        """The create got no usable answer (a reset, a timeout, a 5xx): a task may exist."""
        self._described.pop(create_id, None)
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

    # --- tasks ---------------------------------------------------------------------------------------------

    def record(
        self,
        task: Task,
        *,
        base_url: str,
        dialect: str,
        request: VideoRequest,
        create_id: str | None = None,
        sync: bool = True,
    ) -> None:
        """Journal a freshly submitted task (call before handing the task to the user).

        ``create_id`` (from ``sending``) is settled in the same transaction: the task row replaces it.
        ``sync=False``: committed but not yet fsynced; call :meth:`sync` before handing out the task id.
        """
        now, api = time.time(), public_base_url(base_url)
        known = self._described.pop(create_id, None) if create_id is not None else None
        summary, digest = known or describe_request(request)
        row = {
            "task_id": task.id,
            "provider": task.provider,
            "host": urlsplit(api).netloc,
            "base_url": api,
            "dialect": dialect,
            "request": summary,
            "request_fingerprint": digest,
            **state(task),
            "created": now,
            "updated": now,
        }
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with self._transaction(durable=sync) as db:
            db.execute(f"INSERT OR REPLACE INTO tasks ({names}) VALUES ({marks})", row)
            db.execute("DELETE FROM creates WHERE create_id = ?", (create_id,))
            db.execute("DELETE FROM planned WHERE create_id = ?", (create_id,))
        self._written[(task.provider, task.id)] = state(task)

    def is_current(self, task: Task) -> bool:
        """True when this journal last wrote exactly ``task``'s state: an ``update`` would write nothing.

        A dictionary lookup, safe on the event loop: callers skip the worker-thread hop for most polls.
        """
        return self._written.get((task.provider, task.id)) == state(task)

    def update(self, task: Task) -> None:
        """Record a new state of a journaled task (unknown tasks are ignored; an unchanged state is not written)."""
        if self.is_current(task):
            return
        new, key = state(task), (task.provider, task.id)
        # A poll that says nothing of the result's expiry keeps what is known (set_expired, an earlier poll).
        sets = ", ".join(
            f"{name} = COALESCE(:{name}, {name})" if name in _KEPT else f"{name} = :{name}"
            for name in STATE_COLUMNS
        )
        params = {**new, "updated": time.time(), "task_id": task.id, "provider": task.provider}
        with self._transaction() as db:
            db.execute(
                f"UPDATE tasks SET {sets}, updated = :updated WHERE task_id = :task_id AND provider = :provider",
                params,
            )
        self._written[key] = new

    def set_path(self, task_id: str, path: Path) -> None:
        """Remember where the task's video was saved."""
        with self._transaction() as db:
            db.execute(
                "UPDATE tasks SET path = ?, updated = ? WHERE task_id = ?", (str(path), time.time(), task_id)
            )

    def set_expired(self, task_id: str) -> None:
        """The task's result URL no longer works (a download found it gone): ``resume`` stops trying."""
        now = time.time()
        with self._transaction() as db:
            db.execute("UPDATE tasks SET expires = ?, updated = ? WHERE task_id = ?", (now, now, task_id))

    def recent_runs(self, base_url: str) -> list[tuple[Kind, float]]:
        """(kind, run seconds) of the latest successes created on that API whose run the service timed,
        oldest first: what a new client's waits start from (``_runs``)."""
        query = (
            "SELECT request, run_seconds FROM tasks WHERE base_url = ? AND run_seconds > 0 "
            "ORDER BY updated DESC LIMIT ?"
        )
        with self._transaction() as db:
            rows = db.execute(query, (public_base_url(base_url), _RECENT_ROWS)).fetchall()
        found = []
        for row in reversed(rows):
            try:
                kind = kind_of_summary(json.loads(row["request"]))
            except ValueError:  # a row another tool wrote badly: it teaches nothing
                continue
            if kind is not None:
                found.append((kind, float(row["run_seconds"])))
        return found

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
            api = public_base_url(base_url)
            clauses.append("(base_url = ? OR (base_url IS NULL AND host = ?))")
            params += [api, urlsplit(api).netloc]
        query = f"SELECT * FROM tasks WHERE {' AND '.join(clauses)} ORDER BY created, task_id"
        with self._transaction() as db:
            rows = db.execute(query, params).fetchall()
        found = [entry(row) for row in rows]
        return [item for item in found if not item.status.is_terminal] if unfinished else found


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT NOT NULL, provider TEXT NOT NULL, host TEXT NOT NULL, base_url TEXT, dialect TEXT NOT NULL,
    request TEXT NOT NULL, request_fingerprint TEXT NOT NULL,
    status TEXT NOT NULL, status_raw TEXT NOT NULL, video_url TEXT,
    error_code TEXT, error_message TEXT, request_id TEXT,
    created REAL NOT NULL, updated REAL NOT NULL, path TEXT, expires REAL,
    PRIMARY KEY (provider, task_id))""",
    """CREATE TABLE IF NOT EXISTS creates (
    create_id TEXT PRIMARY KEY, provider TEXT NOT NULL, base_url TEXT NOT NULL,
    request TEXT NOT NULL, request_fingerprint TEXT NOT NULL, sent REAL NOT NULL, problem TEXT)""",
    """CREATE TABLE IF NOT EXISTS planned (
    plan_id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, position INTEGER NOT NULL, provider TEXT NOT NULL,
    base_url TEXT NOT NULL, request TEXT NOT NULL, planned REAL NOT NULL, create_id TEXT)""",
)
# Columns added since the first release: a journal written before them gains them on open.
_ADDED_COLUMNS = {
    "base_url": "TEXT",
    "expires": "REAL",
    "actual_prompt": "TEXT",
    "billed_seconds": "REAL",
    "short_side": "INTEGER",
    "run_seconds": "REAL",
    "input_seconds": "REAL",
}

# What ``Journal.recent_runs`` reads, newest first, without a scan of a long journal.
_RUNS_INDEX = "CREATE INDEX IF NOT EXISTS tasks_by_api ON tasks (base_url, updated)"


def _prepare(db: sqlite3.Connection) -> None:
    """WAL mode, the tables, the columns added since the first release, the index (inside a transaction): an
    older file catches up."""
    db.execute("PRAGMA journal_mode=WAL")
    for table in _SCHEMA:
        db.execute(table)
    columns = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}  # (cid, name, type, ...)
    for name, kind in _ADDED_COLUMNS.items():
        if name not in columns:
            db.execute(f"ALTER TABLE tasks ADD COLUMN {name} {kind}")
    db.execute(_RUNS_INDEX)

"""The client's way to its journal: one writer thread, and one promise that a broken journal never breaks a task.

Why a thread: every journal write is an SQLite commit, and a new task id is fsynced (milliseconds on a busy
disk); on the event loop that would stall the kernel the panel and every other task share. Why one thread fed
by a queue rather than ``asyncio.to_thread`` per call: calls keep their order, no executor hop per call, and
writes that queue up while the disk is busy are taken together, their records fsynced once (group commit), so
a batch of concurrent submits pays for one fsync instead of one each. A caller is answered only after its
write, and a record's fsync, are done: ``submit`` still never hands out a task id that is not on disk.
A write goes on when its caller is cancelled: a task id reaches the journal even if nobody waits any more.

The client and its parts call ``Journal`` methods themselves, through :func:`journaled` (on the writer thread;
no writer, ``journal=False``: nothing happens). The promise: a failing journal (disk full, locked, gone) warns
instead of losing a task id, and the call gives its "nothing" value (None, ``[]``). ``recent_runs`` is read
once on the caller's thread as the client opens the journal (like the open itself; one indexed query).
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from wan_nb.client._journal_rows import Kind
from wan_nb.client.journal import Journal

__all__ = ["JournalWriter", "journaled", "recent_runs"]

T = TypeVar("T")
Work = Callable[[Journal], Any]


class _Job:
    """One call to run (a plain slotted class: a dataclass costs milliseconds at import for nothing here)."""

    __slots__ = ("durable", "future", "loop", "work")

    def __init__(
        self, work: Work, durable: bool, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]
    ) -> None:
        self.work, self.durable, self.loop, self.future = work, durable, loop, future


class JournalWriter:
    """Runs ``Journal`` methods on one daemon thread, started on first use, for callers on any event loop."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def __repr__(self) -> str:
        return f"JournalWriter({self.journal!r})"

    async def call(self, work: Callable[[Journal], T], *, durable: bool = False) -> T:
        """``work(journal)`` on the writer thread; its result, or its exception.

        ``durable``: the work committed without fsync (``record(sync=False)``); the writer fsyncs it, together
        with the other durable work of the burst, before the caller hears back.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(work, durable, loop, future))
        self._ensure_thread()
        return await future

    def close(self) -> None:
        """Finish the writes already queued, then stop the thread (blocks until then: call it off the loop).

        The thread is a daemon, so an interpreter that exits without closing the client never waits for it.
        """
        with self._start:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join()

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="wan_nb-journal", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        while True:
            batch, stop = self._take()
            outcomes = [self._run(job) for job in batch]
            if any(job.durable for job in batch):
                outcomes = self._sync(batch, outcomes)
            for job, outcome in zip(batch, outcomes, strict=True):
                _answer(job, outcome)
            if stop:
                return

    def _take(self) -> tuple[list[_Job], bool]:
        """The next job (waiting for it) plus every job already queued behind it; and whether to stop after."""
        batch: list[_Job] = []
        job = self._jobs.get()
        while job is not None:
            batch.append(job)
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _run(self, job: _Job) -> Any:
        try:
            return job.work(self.journal)
        except Exception as exc:  # handed to the caller, who decides (the client warns)
            return _Failed(exc)

    def _sync(self, batch: list[_Job], outcomes: list[Any]) -> list[Any]:
        try:
            self.journal.sync()
        except OSError as exc:  # the records are committed but not durable: their callers must hear it
            return [_Failed(exc) if job.durable else out for job, out in zip(batch, outcomes, strict=True)]
        return outcomes


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _answer(job: _Job, outcome: Any) -> None:
    with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is left to answer
        job.loop.call_soon_threadsafe(_settle, job.future, outcome)


def _settle(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():  # the caller was cancelled; the write happened anyway
        return
    if isinstance(outcome, _Failed):
        future.set_exception(outcome.error)
    else:
        future.set_result(outcome)


async def journaled(
    writer: JournalWriter | None,
    what: str,
    work: Callable[[Journal], T],
    nothing: T,
    *,
    durable: bool = False,
) -> T:
    """``work(journal)`` on the writer thread (``durable``: see :meth:`JournalWriter.call`); ``nothing``
    without a journal, or with a warning naming ``what`` when the journal failed."""
    if writer is None:
        return nothing
    try:
        return await writer.call(work, durable=durable)
    except (sqlite3.Error, OSError) as exc:
        warnings.warn(f"journal {writer.journal.path}: {what} failed: {exc}", stacklevel=2)
        return nothing


def recent_runs(journal: Journal | None, base_url: str) -> list[tuple[Kind, float]]:
    """The API's recent timed successes (``Journal.recent_runs``), read on the caller's thread: a new client
    reads them once, as it opens the journal; a failing read warns and gives none."""
    if journal is None:
        return []
    try:
        return journal.recent_runs(base_url)
    except (sqlite3.Error, OSError) as exc:
        warnings.warn(f"journal {journal.path}: reading recent run times failed: {exc}", stacklevel=2)
        return []

"""The client's typed way to its journal: one async method per write or read, run on the writer thread.

Every method runs on the client's ``JournalWriter`` thread (the kernel loop never waits on the disk), but
``recent_runs``, read once on the caller's thread as the client opens the journal (like the open itself; one
indexed query). All keep one promise: a failing journal (disk full, locked, gone) warns instead of losing a
task id, and the call returns its "nothing" value (None, ``[]``). Without a journal (``journal=False``) every
call is a no-op.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from wan_nb.client._runs import Kind
from wan_nb.client._writer import JournalWriter
from wan_nb.client.journal import Journal, JournalEntry, PlannedRequest
from wan_nb.models import Task, VideoRequest

__all__ = ["JournalSeam"]

T = TypeVar("T")


class JournalSeam:
    """Typed journal calls for one client (``journal`` None: every call does nothing)."""

    def __init__(self, journal: Journal | None) -> None:
        self.journal = journal
        self.writer = JournalWriter(journal) if journal is not None else None

    def __repr__(self) -> str:
        return f"JournalSeam({self.journal!r})"

    @property
    def spool(self) -> Path | None:
        """Where a batch spools bytes and images it must be able to send later (beside the journal)."""
        return None if self.journal is None else self.journal.path.parent / "spool"

    # --- creates ------------------------------------------------------------------------------------------

    async def sending(
        self, *, provider: str, base_url: str, request: VideoRequest, plan_id: str | None
    ) -> str | None:
        """Note a create about to be sent; its ``create_id`` (None without a journal or when it failed)."""

        def work(j: Journal) -> str:
            return j.sending(provider=provider, base_url=base_url, request=request, plan_id=plan_id)

        return await self._run(work, None, "sending of a create")

    async def record(
        self, task: Task, *, base_url: str, dialect: str, request: VideoRequest, create_id: str | None
    ) -> None:
        """Journal a new task id, fsynced before this returns (it settles ``create_id``)."""

        def work(j: Journal) -> None:
            j.record(
                task, base_url=base_url, dialect=dialect, request=request, create_id=create_id, sync=False
            )

        await self._run(work, None, f"record of task {task.id}", durable=True)

    async def refused(self, create_id: str) -> None:
        await self._run(lambda j: j.refused(create_id), None, "refused of a create")

    async def unsure(self, create_id: str, problem: str) -> None:
        await self._run(lambda j: j.unsure(create_id, problem), None, "unsure of a create")

    # --- tasks --------------------------------------------------------------------------------------------

    def is_current(self, task: Task) -> bool:
        """True when an update would write nothing (or there is no journal): a dictionary lookup, no hop."""
        return self.journal is None or self.journal.is_current(task)

    async def update(self, task: Task) -> None:
        await self._run(lambda j: j.update(task), None, f"update of task {task.id}")

    async def set_path(self, task_id: str, path: Path) -> None:
        await self._run(lambda j: j.set_path(task_id, path), None, f"set_path of task {task_id}")

    async def set_expired(self, task_id: str) -> None:
        await self._run(lambda j: j.set_expired(task_id), None, f"set_expired of task {task_id}")

    async def entries(self, *, provider: str, base_url: str) -> list[JournalEntry]:
        return await self._run(
            lambda j: j.entries(provider=provider, base_url=base_url), [], "reading the tasks"
        )

    def recent_runs(self, base_url: str) -> list[tuple[Kind, float]]:
        """The API's recent timed successes (``Journal.recent_runs``), read on the caller's thread: a new
        client reads them once, as it opens the journal; a failing read warns and gives none."""
        if self.journal is None:
            return []
        try:
            return self.journal.recent_runs(base_url)
        except (sqlite3.Error, OSError) as exc:
            warnings.warn(
                f"journal {self.journal.path}: reading recent run times failed: {exc}", stacklevel=2
            )
            return []

    # --- batches ------------------------------------------------------------------------------------------

    async def plan(self, requests: Sequence[str], *, provider: str, base_url: str) -> list[str] | None:
        """Plan ids for a batch's replayable requests, in order; None when nothing could be planned."""

        def work(j: Journal) -> list[str] | None:
            return j.plan(requests, provider=provider, base_url=base_url)

        return await self._run(work, None, "planning a batch")

    async def planned(
        self, *, provider: str | None = None, base_url: str | None = None
    ) -> list[PlannedRequest]:
        return await self._run(
            lambda j: j.planned(provider=provider, base_url=base_url), [], "reading the planned requests"
        )

    async def unplan(self, plan_id: str) -> None:
        await self._run(lambda j: j.unplan(plan_id), None, f"unplan of {plan_id}")

    async def _run(self, work: Callable[[Journal], T], nothing: T, what: str, *, durable: bool = False) -> T:
        if self.writer is None:
            return nothing
        try:
            return await self.writer.call(work, durable=durable)
        except (sqlite3.Error, OSError) as exc:
            warnings.warn(f"journal {self.writer.journal.path}: {what} failed: {exc}", stacklevel=3)
            return nothing

"""The panel's background work on the kernel's loop: submit, follow, deliver.

``on_click`` handlers run on the kernel's asyncio loop, so a handler must never wait: it spawns a job
(``wan_nb.loop.spawn``, which keeps a strong reference) and returns (notebook_tech.md §2.1). A job's
exception goes to its card (``spawn(on_error=card.fail)``), never to "Task exception was never retrieved".
Jobs run only while the loop is free: between cells, or while a cell ``await``s.

New tasks pass one gate per panel (an ``asyncio.Semaphore`` shared by single runs and compare grids), held from
the create until the task ends: DashScope answers 429 ``Throttling`` past an account's concurrent-task quota
(protocol.md §2). A create refused anyway (another notebook on the same account) is re-sent after its
``Retry-After`` until the job's deadline (``client.submit(patience=...)``): a 429 created nothing. Downloads
happen outside the gate, like ``client.map``'s, through a second one: at most ``DELIVERIES`` videos are saved,
played and given their stills at once. Tasks of a grid end together, and 50 deliveries at once made the
loop's work per turn (every download's chunks, players, posters) add up to ~60 ms of lag (``bench/startup.py``);
four at a time keep it under 50 ms, and a shared link is no faster for more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from os import PathLike
from typing import Any

from wan_nb.client import AsyncWanClient
from wan_nb.loop import spawn
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.widgets._lab import stills
from wan_nb.widgets.card import TaskCard

__all__ = ["DELIVERIES", "Jobs", "follow", "run_request"]

Dest = str | PathLike[str]
DELIVERIES = 4
"""Videos a panel saves and shows at once (its second gate: ``deliveries=``)."""


class Jobs:
    """The running jobs (strong references), the last one started, and a way to await them all."""

    def __init__(self, on_end: Callable[[], object] = lambda: None) -> None:
        """``on_end`` is called after each job ends, however it ended (its outcome is on its card)."""
        self.running: set[asyncio.Task[None]] = set()
        self.last: asyncio.Task[None] | None = None
        self._on_end = on_end

    def start(self, job: Coroutine[Any, Any, None], card: TaskCard) -> asyncio.Task[None]:
        """Run ``job`` in the background; its exception (or its cancellation) is shown on ``card``."""
        task = spawn(job, on_error=card.fail)
        self.running.add(task)
        task.add_done_callback(partial(self._ended, card))
        self.last = task
        return task

    async def idle(self) -> None:
        """Return once no job is running (jobs started meanwhile are awaited too)."""
        while self.running:
            await asyncio.wait(set(self.running))

    def _ended(self, card: TaskCard, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        if task.cancelled():
            card.fail(asyncio.CancelledError("stopped following this task (it goes on server-side)"))
        self._on_end()

    def cancel(self) -> None:
        """Stop every job (the tasks themselves keep running server-side; the journal remembers them)."""
        for task in self.running:
            task.cancel()


async def run_request(
    client: AsyncWanClient,
    request: VideoRequest,
    card: TaskCard,
    *,
    out: Dest,
    patience: float,
    gate: asyncio.Semaphore,
    deliveries: asyncio.Semaphore,
) -> None:
    """Submit ``request`` once ``gate`` has a free slot, follow it to the end, then deliver its video (once
    ``deliveries`` has a free slot)."""
    if gate.locked():
        card.notice("waiting for a free slot: the panel runs at most `concurrency` tasks at a time")
    async with gate:
        task = await client.submit(request, patience=patience)
        card.show(task)
        task = await _watch(client, task, card, patience)
    if task.status is TaskStatus.SUCCEEDED:
        async with deliveries:
            await deliver(client, task, card, out=out)


async def follow(
    client: AsyncWanClient,
    task: Task,
    card: TaskCard,
    *,
    out: Dest,
    patience: float,
    deliveries: asyncio.Semaphore,
) -> None:
    """Show each new state of ``task`` until it ends (or ``patience`` seconds pass), then its video."""
    task = await _watch(client, task, card, patience)
    if task.status is TaskStatus.SUCCEEDED:
        async with deliveries:
            await deliver(client, task, card, out=out)


async def _watch(client: AsyncWanClient, task: Task, card: TaskCard, patience: float) -> Task:
    """Show each new state of ``task`` on ``card``; returns the last one (terminal unless WaitTimeout)."""
    async for state in client.watch(task, timeout=patience):
        card.show(state)
        task = state
    return task


async def deliver(client: AsyncWanClient, task: Task, card: TaskCard, *, out: Dest) -> None:
    """Play a finished task: an https result at once from its URL, then the saved file's link.

    The file is saved even when the URL plays: signed result URLs die after 24 h (protocol.md §2); then the
    card shows the result's stills (a contact sheet), which static outputs and a glance at a grid can read.
    """
    card.play(task)  # the result URL: nothing on disk yet
    if task.path is None or not await asyncio.to_thread(task.path.exists):
        task = task.evolve(path=await client.download(task, out))
    await card.play_soon(task)
    sheet = await stills(task)  # decoded in a worker thread: the loop stays free
    if sheet is not None:
        card.show_poster(sheet)

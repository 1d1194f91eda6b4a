"""The panel's background work on the kernel's loop: submit, follow, deliver.

``on_click`` handlers run on the kernel's asyncio loop, so a handler must never wait: it spawns a job
(``wan_nb.loop.spawn``, which keeps a strong reference) and returns (notebook_tech.md §2.1). A job's
exception goes to its card (``spawn(on_error=card.fail)``), never to "Task exception was never retrieved".
Jobs run only while the loop is free: between cells, or while a cell ``await``s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from os import PathLike
from typing import Any

from wan_nb.client import AsyncWanClient
from wan_nb.loop import spawn
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.widgets.card import TaskCard

__all__ = ["Jobs", "follow", "run_request"]

Dest = str | PathLike[str]


class Jobs:
    """The running jobs (strong references), the last one started, and a way to await them all."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()
        self.last: asyncio.Task[None] | None = None

    def start(self, job: Coroutine[Any, Any, None], card: TaskCard) -> asyncio.Task[None]:
        """Run ``job`` in the background; its exception (or its cancellation) is shown on ``card``."""
        task = spawn(_shown_on(card, job), on_error=card.fail)
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        self.last = task
        return task

    async def idle(self) -> None:
        """Return once no job is running (jobs started meanwhile are awaited too)."""
        while self.running:
            await asyncio.wait(set(self.running))

    def cancel(self) -> None:
        """Stop every job (the tasks themselves keep running server-side; the journal remembers them)."""
        for task in self.running:
            task.cancel()


async def _shown_on(card: TaskCard, job: Coroutine[Any, Any, None]) -> None:
    try:
        await job
    except asyncio.CancelledError:
        card.fail(asyncio.CancelledError("stopped following this task (it goes on server-side)"))
        raise


async def run_request(
    client: AsyncWanClient,
    request: VideoRequest,
    card: TaskCard,
    *,
    out: Dest,
    patience: float,
    limit: asyncio.Semaphore | None = None,
) -> None:
    """Submit ``request`` and follow it to the end; ``limit`` bounds how many run at once (compare grids)."""
    gate: AbstractAsyncContextManager[Any] = limit if limit is not None else nullcontext()
    async with gate:
        task = await client.submit(request)
        card.show(task)
        await follow(client, task, card, out=out, patience=patience)


async def follow(client: AsyncWanClient, task: Task, card: TaskCard, *, out: Dest, patience: float) -> None:
    """Show each new state of ``task`` until it ends (or ``patience`` seconds pass), then its video."""
    async for state in client.watch(task, timeout=patience):
        card.show(state)
        task = state
    if task.status is TaskStatus.SUCCEEDED:
        await deliver(client, task, card, out=out)


async def deliver(client: AsyncWanClient, task: Task, card: TaskCard, *, out: Dest) -> None:
    """Play a finished task: an https result at once from its URL, then the saved file's link.

    The file is saved even when the URL plays: signed result URLs die after 24 h (protocol.md §2).
    """
    card.play(task)
    if task.path is None or not task.path.exists():
        task = task.evolve(path=await client.download(task, out))
    card.play(task)

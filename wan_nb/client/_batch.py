"""Batches for ``AsyncWanClient.map`` and ``AsyncWanClient.resume``: bounded concurrency, results as they finish.

``map`` validates every request before submitting any, so a typo in item 40 costs nothing for items 1-39.
A create answered 429 is re-submitted after ``Retry-After`` until the batch's deadline: DashScope and the relay
refuse a throttled create before creating anything, so nothing was billed. Nothing else about a create is
retried (a transport error may mean the task exists). ``concurrency`` bounds tasks *in flight on the server*
(submit until finished); downloads happen outside that bound, so a slot the server has freed is refilled
without waiting for the previous video to land on disk. ``resume`` walks the journal: unfinished tasks are waited for and downloaded, finished
ones not yet on disk are downloaded, nothing is downloaded twice.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING

from wan_nb.client.journal import JournalEntry
from wan_nb.errors import RateLimitError, TaskFailed, ValidationError, WaitTimeout, WanError
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.validation import validate

if TYPE_CHECKING:
    from wan_nb.client.client import AsyncWanClient

__all__ = ["BatchItem", "map_requests", "resume"]

Dest = str | PathLike[str]
Job = Callable[[], Awaitable["BatchItem"]]

THROTTLE_BACKOFF = 2.0  # seconds, doubled per attempt (up to THROTTLE_CAP), when a 429 has no Retry-After
THROTTLE_CAP = 30.0


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One finished item of a batch: its Task (with ``.path`` when downloaded) or the error that stopped it."""

    index: int
    """Position in the requests given to ``map`` (or in the journal's list, for ``resume``)."""
    request: VideoRequest | None
    """The request (None for ``resume``: the journal keeps only a summary)."""
    task: Task | None
    """The last state seen, when a task was created."""
    error: WanError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def map_requests(
    client: AsyncWanClient, requests: Sequence[VideoRequest], *, concurrency: int, out: Dest, timeout: float
) -> AsyncIterator[BatchItem]:
    """Validate all, then generate each; raises ValidationError naming ``requests[i]`` before any request."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    for index, request in enumerate(requests):
        try:
            validate(request, client.dialect)
        except ValidationError as exc:
            raise ValidationError(f"requests[{index}].{exc.field}", exc.message) from exc
    folder, slots = _folder(out), asyncio.Semaphore(concurrency)
    jobs = [
        _job(_generate, client, slots, index, request, folder, timeout)
        for index, request in enumerate(requests)
    ]
    return _pool(jobs)


def _folder(out: Dest) -> str:
    """``out`` as a folder (trailing separator): many tasks must never share one file name."""
    return os.path.join(os.fspath(out), "")


def _job(run: Callable[..., Awaitable[BatchItem]], *args: object) -> Job:
    return lambda: run(*args)


async def _generate(
    client: AsyncWanClient,
    slots: asyncio.Semaphore,
    index: int,
    request: VideoRequest,
    out: Dest,
    wait_limit: float,
) -> BatchItem:
    task: Task | None = None
    try:
        async with slots:
            task = await _submit(client, request, wait_limit)
            task = await client.wait(task, timeout=wait_limit)
        task = task.evolve(path=await client.download(task, out))
    except WanError as exc:
        return BatchItem(index, request, _task_of(exc, task), exc)
    return BatchItem(index, request, task, None)


async def _submit(client: AsyncWanClient, request: VideoRequest, limit: float) -> Task:
    """``submit``, re-tried after each explicit 429 (the server created nothing) for up to ``limit`` seconds."""
    started, attempt = client.poll.clock(), 0
    while True:
        try:
            return await client.submit(request)
        except RateLimitError as exc:
            wait = exc.retry_after
            if wait is None:
                wait = min(THROTTLE_BACKOFF * 2**attempt, THROTTLE_CAP)
            if client.poll.clock() - started + wait > limit:
                raise
            await client.poll.sleep(wait)
            attempt += 1


def _task_of(exc: WanError, task: Task | None) -> Task | None:
    return exc.task if isinstance(exc, TaskFailed | WaitTimeout) else task


def resume(
    client: AsyncWanClient, *, out: Dest, timeout: float, concurrency: int
) -> AsyncIterator[BatchItem]:
    """Jobs for the journal entries of this provider and base URL that still need waiting or downloading."""
    if client.journal is None:
        raise ValidationError(
            "journal", "resume needs the journal; this client was created with journal=False"
        )
    entries = client.journal.entries(provider=client.provider, base_url=client.base_url)
    todo = [entry for entry in entries if _pending(entry)]
    slots, folder = asyncio.Semaphore(concurrency), _folder(out)
    jobs = [_job(_finish, client, slots, index, entry, folder, timeout) for index, entry in enumerate(todo)]
    return _pool(jobs)


def _pending(entry: JournalEntry) -> bool:
    if not entry.status.is_terminal:
        return True
    return entry.status is TaskStatus.SUCCEEDED and not entry.downloaded


async def _finish(
    client: AsyncWanClient,
    slots: asyncio.Semaphore,
    index: int,
    entry: JournalEntry,
    out: Dest,
    wait_limit: float,
) -> BatchItem:
    task = entry.to_task()
    try:
        if not task.done:
            async with slots:
                task = await client.wait(task.id, timeout=wait_limit)
        task = task.evolve(path=await client.download(task, out))
    except WanError as exc:
        return BatchItem(index, None, _task_of(exc, task), exc)
    return BatchItem(index, None, task, None)


async def _pool(jobs: list[Job]) -> AsyncIterator[BatchItem]:
    """Run every job (each bounds itself with the batch's semaphore); yield results as they land.

    Leaving the iteration early cancels what is still running: those tasks stay in the journal for resume().
    """
    results: asyncio.Queue[BatchItem | BaseException] = asyncio.Queue()

    async def run(job: Job) -> None:
        try:
            await results.put(await job())
        except Exception as exc:  # a bug, not a WanError: surface it to the consumer
            await results.put(exc)

    running = [asyncio.create_task(run(job)) for job in jobs]
    try:
        for _ in jobs:
            item = await results.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

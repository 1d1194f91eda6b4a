"""Batches for ``AsyncWanClient.map`` and ``AsyncWanClient.resume``: bounded concurrency, results as they finish.

``map`` validates every request before submitting any, so a typo in item 40 costs nothing for items 1-39.
A create answered 429 is re-submitted after ``Retry-After``: DashScope and the relay refuse a throttled create
before creating anything, so nothing was billed. Nothing else about a create is retried (a transport error may
mean the task exists). ``resume`` walks the journal: unfinished tasks are waited for and downloaded, finished
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

THROTTLED_CREATE_ATTEMPTS = 5
THROTTLE_BACKOFF = 5.0  # seconds, doubled per attempt, when a 429 carries no Retry-After


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
    folder = _folder(out)
    jobs = [
        _job(_generate, client, index, request, folder, timeout) for index, request in enumerate(requests)
    ]
    return _pool(jobs, concurrency)


def _folder(out: Dest) -> str:
    """``out`` as a folder (trailing separator): many tasks must never share one file name."""
    return os.path.join(os.fspath(out), "")


def _job(run: Callable[..., Awaitable[BatchItem]], *args: object) -> Job:
    return lambda: run(*args)


async def _generate(
    client: AsyncWanClient, index: int, request: VideoRequest, out: Dest, wait_limit: float
) -> BatchItem:
    task: Task | None = None
    try:
        task = await _submit(client, request)
        task = await client.wait(task, timeout=wait_limit)
        task = task.evolve(path=await client.download(task, out))
    except WanError as exc:
        return BatchItem(index, request, _task_of(exc, task), exc)
    return BatchItem(index, request, task, None)


async def _submit(client: AsyncWanClient, request: VideoRequest) -> Task:
    """``submit``, re-tried only after an explicit 429 (the server created nothing)."""
    for attempt in range(THROTTLED_CREATE_ATTEMPTS):
        try:
            return await client.submit(request)
        except RateLimitError as exc:
            if attempt == THROTTLED_CREATE_ATTEMPTS - 1:
                raise
            wait = exc.retry_after if exc.retry_after is not None else THROTTLE_BACKOFF * 2**attempt
            await client.poll.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


def _task_of(exc: WanError, task: Task | None) -> Task | None:
    return exc.task if isinstance(exc, TaskFailed | WaitTimeout) else task


def resume(
    client: AsyncWanClient, *, out: Dest, timeout: float, concurrency: int
) -> AsyncIterator[BatchItem]:
    """Jobs for this provider+host's journal entries that still need waiting or downloading."""
    if client.journal is None:
        raise ValidationError(
            "journal", "resume needs the journal; this client was created with journal=False"
        )
    entries = client.journal.entries(provider=client.provider, host=client.host)
    todo = [entry for entry in entries if _pending(entry)]
    jobs = [_job(_finish, client, index, entry, _folder(out), timeout) for index, entry in enumerate(todo)]
    return _pool(jobs, concurrency)


def _pending(entry: JournalEntry) -> bool:
    if not entry.status.is_terminal:
        return True
    return entry.status is TaskStatus.SUCCEEDED and not entry.downloaded


async def _finish(
    client: AsyncWanClient, index: int, entry: JournalEntry, out: Dest, wait_limit: float
) -> BatchItem:
    task = entry.to_task()
    try:
        if not task.done:
            task = await client.wait(task.id, timeout=wait_limit)
        task = task.evolve(path=await client.download(task, out))
    except WanError as exc:
        return BatchItem(index, None, _task_of(exc, task), exc)
    return BatchItem(index, None, task, None)


async def _pool(jobs: list[Job], concurrency: int) -> AsyncIterator[BatchItem]:
    """Run ``jobs`` on ``concurrency`` workers; yield each result as it lands; cancel the rest on exit."""
    results: asyncio.Queue[BatchItem | BaseException] = asyncio.Queue()
    pending = iter(jobs)  # shared: each job is taken by exactly one worker

    async def worker() -> None:
        for job in pending:
            try:
                await results.put(await job())
            except Exception as exc:  # a bug, not a WanError: surface it to the consumer
                await results.put(exc)

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(jobs)))]
    try:
        for _ in jobs:
            item = await results.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

"""Batches for ``AsyncWanClient.map`` and ``AsyncWanClient.resume``: bounded concurrency, results as they finish.

``map`` validates every request (once) before submitting any, so a typo in item 40 costs nothing for items 1-39, then
plans the whole batch in the journal (``_plan``) before the first create, so a batch killed half-way is finished
by ``resume``: it sends the planned requests that were never sent (each exactly once: sending claims it).
A create answered 429 is re-submitted after ``Retry-After`` until the batch's deadline: DashScope and the relay
refuse a throttled create before creating anything, so nothing was billed. Nothing else about a create is
retried (a transport error may mean the task exists). ``concurrency`` bounds tasks *in flight on the server*
(submit until finished); downloads happen outside that bound, so a slot the server has freed is refilled
without waiting for the previous video to land on disk. ``resume`` walks the journal: unfinished tasks are
waited for and downloaded, finished ones not yet on disk (and not expired) are downloaded, planned requests
are sent; nothing is downloaded twice.
``Batch`` holds what a batch uses (the creator, the journal's writer thread, the client's public ``wait`` and
``download``), handed in by the client.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Protocol

from wan_nb.client._create import Creator
from wan_nb.client._journal_seam import JournalWriter, journaled
from wan_nb.client.journal import JournalEntry, PlannedRequest
from wan_nb.client.providers import provider_capabilities
from wan_nb.errors import TaskFailed, ValidationError, WaitTimeout, WanError
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.validation import validate

__all__ = ["Batch", "BatchItem", "map_requests", "resume"]

Dest = str | PathLike[str]
Job = Callable[[], Awaitable["BatchItem"]]


class Wait(Protocol):
    async def __call__(self, task: Task | str, *, timeout: float = ...) -> Task: ...  # noqa: ASYNC109


class Download(Protocol):
    async def __call__(self, task: Task | str, dest: Dest = ...) -> Path: ...


@dataclass(frozen=True, slots=True)
class Batch:
    """What a batch works with: creates go through ``creator``, waits and downloads through the client's own."""

    creator: Creator
    writer: JournalWriter | None
    """The journal's writer thread; None without a journal (``journal=False``)."""
    wait: Wait
    download: Download


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One finished item of a batch: its Task (with ``.path`` when downloaded) or the error that stopped it."""

    index: int
    """Position in the requests given to ``map`` (or in the list of work ``resume`` found)."""
    request: VideoRequest | None
    """The request (for ``resume``: a planned request it sent; None for a task the journal only summarises)."""
    task: Task | None
    """The last state seen, when a task was created."""
    error: WanError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def map_requests(
    batch: Batch, requests: Sequence[VideoRequest], *, concurrency: int, out: Dest, timeout: float
) -> AsyncIterator[BatchItem]:
    """Validate all, then generate each; raises ValidationError naming ``requests[i]`` before any request."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    for index, request in enumerate(requests):
        try:
            validate(
                request,
                batch.creator.wire.capabilities,
                cloud=batch.creator.cloud,
                providers=provider_capabilities(),
            )
        except ValidationError as exc:
            raise ValidationError(f"requests[{index}].{exc.field}", exc.message) from exc
    return _map(batch, list(requests), concurrency, out, timeout)


async def _map(
    batch: Batch, requests: list[VideoRequest], concurrency: int, out: Dest, wait_limit: float
) -> AsyncIterator[BatchItem]:
    plan_ids = await _plan(batch, requests)
    folder, slots = _folder(out), asyncio.Semaphore(concurrency)
    jobs = [
        _job(_generate, batch, slots, index, request, folder, wait_limit, plan_ids[index])
        for index, request in enumerate(requests)
    ]
    async for item in _pool(batch, jobs):
        yield item


async def _plan(batch: Batch, requests: list[VideoRequest]) -> list[str | None]:
    """Write the batch into the journal before anything is sent; plan ids (None each without a journal)."""
    spool = _spool(batch)
    if spool is None:
        return [None] * len(requests)
    from wan_nb.client._plan import replayable  # only batches plan: not paid at `import wan_nb`

    texts = await asyncio.to_thread(lambda: [replayable(request, spool) for request in requests])
    where = _where(batch)
    ids = await journaled(
        batch.writer,
        "planning a batch",
        lambda j: j.plan(texts, provider=where["provider"], base_url=where["base_url"]),
        None,
    )
    return list(ids) if ids is not None else [None] * len(requests)


def _where(batch: Batch) -> dict[str, str]:
    return {"provider": batch.creator.provider, "base_url": batch.creator.base_url}


def _spool(batch: Batch) -> Path | None:
    """Where a batch spools bytes and images it must be able to send later (beside the journal)."""
    return None if batch.writer is None else batch.writer.journal.path.parent / "spool"


async def _sweep_spool(batch: Batch) -> None:
    spool = _spool(batch)
    if spool is None:
        return
    from wan_nb.client._plan import sweep

    needed: list[PlannedRequest] = await journaled(
        batch.writer, "reading the planned requests", lambda j: j.planned(), []
    )
    await asyncio.to_thread(sweep, spool, [plan.request for plan in needed])


def _folder(out: Dest) -> str:
    """``out`` as a folder (trailing separator): many tasks must never share one file name."""
    return os.path.join(os.fspath(out), "")


def _job(run: Callable[..., Awaitable[BatchItem]], *args: object) -> Job:
    return lambda: run(*args)


async def _generate(
    batch: Batch,
    slots: asyncio.Semaphore,
    index: int,
    request: VideoRequest,
    out: Dest,
    wait_limit: float,
    plan_id: str | None,
) -> BatchItem:
    task: Task | None = None
    try:
        async with slots:
            task = await batch.creator.create(request, patience=wait_limit, plan_id=plan_id)
            task = await batch.wait(task, timeout=wait_limit)
        task = task.evolve(path=await batch.download(task, out))
    except WanError as exc:
        return BatchItem(index, request, _task_of(exc, task), exc)
    return BatchItem(index, request, task, None)


def _task_of(exc: WanError, task: Task | None) -> Task | None:
    return exc.task if isinstance(exc, TaskFailed | WaitTimeout) else task


def resume(batch: Batch, *, out: Dest, timeout: float, concurrency: int) -> AsyncIterator[BatchItem]:
    """Journaled work of this provider and base URL: tasks to wait for or download, planned requests to send."""
    if batch.writer is None:
        raise ValidationError(
            "journal", "resume needs the journal; this client was created with journal=False"
        )
    return _resume(batch, out, timeout, concurrency)


async def _resume(batch: Batch, out: Dest, wait_limit: float, concurrency: int) -> AsyncIterator[BatchItem]:
    where = _where(batch)
    entries: list[JournalEntry] = await journaled(
        batch.writer,
        "reading the tasks",
        lambda j: j.entries(provider=where["provider"], base_url=where["base_url"]),
        [],
    )
    planned: list[PlannedRequest] = await journaled(
        batch.writer, "reading the planned requests", lambda j: j.planned(**where), []
    )
    todo = [entry for entry in entries if _pending(entry)]
    slots, folder = asyncio.Semaphore(concurrency), _folder(out)
    jobs = [_job(_finish, batch, slots, i, entry, folder, wait_limit) for i, entry in enumerate(todo)]
    jobs += [
        _job(_send_planned, batch, slots, len(todo) + i, plan, folder, wait_limit)
        for i, plan in enumerate(planned)
    ]
    async for item in _pool(batch, jobs):
        yield item


def _pending(entry: JournalEntry) -> bool:
    if not entry.status.is_terminal:
        return True
    return entry.status is TaskStatus.SUCCEEDED and not entry.downloaded and not entry.expired


async def _finish(
    batch: Batch,
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
                task = await batch.wait(task, timeout=wait_limit)
        task = task.evolve(path=await batch.download(task, out))
    except WanError as exc:
        return BatchItem(index, None, _task_of(exc, task), exc)
    return BatchItem(index, None, task, None)


async def _send_planned(
    batch: Batch,
    slots: asyncio.Semaphore,
    index: int,
    plan: PlannedRequest,
    out: Dest,
    wait_limit: float,
) -> BatchItem:
    """A request a killed batch never sent; one that can no longer be sent (its file is gone) is dropped."""
    from wan_nb.client._plan import rebuild

    try:
        request = rebuild(plan.request)
        validate(
            request,
            batch.creator.wire.capabilities,
            cloud=batch.creator.cloud,
            providers=provider_capabilities(),
        )
    except (ValidationError, TypeError, ValueError) as exc:
        await journaled(batch.writer, f"unplan of {plan.plan_id}", lambda j: j.unplan(plan.plan_id), None)
        message = f"planned request {plan.position} of batch {plan.batch_id} dropped: {exc}"
        return BatchItem(index, None, None, ValidationError("request", message))
    return await _generate(batch, slots, index, request, out, wait_limit, plan.plan_id)


async def _pool(batch: Batch, jobs: list[Job]) -> AsyncIterator[BatchItem]:
    """Run every job (each bounds itself with the batch's semaphore); yield results as they land.

    Leaving the iteration early cancels what is still running: those tasks stay in the journal for resume().
    At the end, spooled media no planned request needs any more are swept.
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
        await _sweep_spool(batch)

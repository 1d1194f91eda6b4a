"""The poll loop behind ``AsyncWanClient.watch`` and ``wait``: a deadline, a schedule, and patience with failed polls.

- The deadline bounds everything, a poll in flight included: one GET retried through long ``Retry-After``
  answers (up to a minute each, in ``_retry``) must not keep a ``timeout=30`` wait alive for minutes.
  Cutting a GET short is safe: it changes nothing server-side. The poll due at the deadline still gets
  ``LAST_POLL_GRACE``, so a wait overruns its ``timeout`` by at most that.
- A poll that failed past its retries does not end the wait: the task runs on, billed, whatever the poll did.
  A 429 waits out its ``Retry-After``; 5xx, a broken connection or an unreadable answer (a proxy's page) are
  tolerated ``POLL_FAILURES_TOLERATED`` times in a row, so a brief outage never abandons a paid task while a host
  that stays down is reported. 401/403 end the wait at once: no later poll can succeed with that key.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wan_nb.errors import InvalidResponse, RateLimitError, ServerError, TransportError, WaitTimeout
from wan_nb.models import Task, TaskStatus

if TYPE_CHECKING:
    from wan_nb.client.client import AsyncWanClient

__all__ = ["POLL_FAILURES_TOLERATED", "watch"]

log = logging.getLogger("wan_nb.client")
POLL_FAILURES_TOLERATED = 5
LAST_POLL_GRACE = 5.0
"""Seconds a poll may always take, even at the deadline: a task that finished just in time is still seen."""


async def watch(client: AsyncWanClient, task: Task | str, timeout: float | None) -> AsyncIterator[Task]:  # noqa: ASYNC109
    """Yield the task's state each time it changes, until a terminal state; WaitTimeout past ``timeout``."""
    if isinstance(task, Task) and task.done:
        yield task
        return
    task_id = task.id if isinstance(task, Task) else task
    clock, start = client.poll.clock, client.poll.clock()
    deadline = math.inf if timeout is None else start + timeout
    last: Task | None = None
    age = _age(task)
    attempt, failures = client.poll.first_attempt(age), 0
    if isinstance(task, Task) and attempt == 0 and (wait := _first_query_due(client, task)) is not None:
        # Its create answered a moment ago and no task of its kind has ever ended this soon: asking now
        # would only hear the create's answer again. The first query is the quick check for a failure.
        yield task
        last, attempt = task, 1
        await client.poll.sleep(min(wait, deadline - clock()))
    while True:
        polled = await _poll_before(client, task_id, failures, deadline - clock())
        current, hint = polled or (None, None)
        failures = 0 if current is not None else failures + 1
        if current is not None:
            if last is None or _state(last) != _state(current):
                yield current
            last = current
            if current.done:
                client.runs.ended(current, clock())
                return
        remaining = deadline - clock()
        if polled is None or remaining <= 0:
            seen = last or (task if isinstance(task, Task) else Task(task_id, TaskStatus.UNKNOWN))
            raise WaitTimeout(seen, timeout or 0.0)
        wait = _delay(client, current, hint, clock() - start + age, attempt)
        if attempt >= 1 and not _hinted(current, hint):  # after the quick check for an instant failure
            wait = _until_possible(client, task_id, wait)
        await client.poll.sleep(min(wait, remaining))
        attempt += 1


async def _poll_before(
    client: AsyncWanClient, task_id: str, failures: int, remaining: float
) -> tuple[Task | None, float | None] | None:
    """One poll, cut short (None) when the wait's deadline, plus a grace for the poll at the deadline, passes.

    The budget runs on the loop's clock, the wait's on ``client.poll.clock``: the same in real use (monotonic);
    tests that inject a fake poll clock keep real polls under the grace.
    """
    limit = None if math.isinf(remaining) else max(remaining, LAST_POLL_GRACE)
    try:
        async with asyncio.timeout(limit) as budget:
            return await _poll_once(client, task_id, failures)
    except TimeoutError:
        if budget.expired():
            return None
        raise


async def _poll_once(client: AsyncWanClient, task_id: str, failures: int) -> tuple[Task | None, float | None]:
    """One GET: the task, or (None, a Retry-After hint) for a failure the wait outlives."""
    try:
        return await client.get(task_id), None
    except RateLimitError as exc:
        return None, exc.retry_after
    except (ServerError, TransportError, InvalidResponse) as exc:
        if failures >= POLL_FAILURES_TOLERATED:
            raise
        log.debug("poll of task %s failed (%s); waiting on", task_id, exc)
        return None, None


def _delay(
    client: AsyncWanClient, current: Task | None, hint: float | None, elapsed: float, attempt: int
) -> float:
    if current is not None:
        return client.poll.next_wait(current, elapsed, attempt)
    return hint if hint is not None else client.poll.delay(elapsed, attempt)


def _hinted(current: Task | None, hint: float | None) -> bool:
    return hint is not None or (current is not None and current.poll_after is not None)


def _until_possible(client: AsyncWanClient, task_id: str, wait: float) -> float:
    """When tasks of this kind have succeeded before: no poll before the shortest of them, one right at it."""
    possible = client.runs.until_possible(task_id, client.poll.clock())
    return possible if possible is not None and possible > 0 else wait


def _first_query_due(client: AsyncWanClient, task: Task) -> float | None:
    """Seconds until the first query of a task this client just created, when asking at once is pointless."""
    now = client.poll.clock()
    created, possible = client.runs.age(task.id, now), client.runs.until_possible(task.id, now)
    if created is None or possible is None:
        return None
    due = client.poll.delay(0.0, 0) - created  # the first quick check, counted from the create
    return due if 0 < due < possible else None


def _age(task: Task | str) -> float:
    """Seconds since the task was created, when the Task says (a bare id: 0, a fresh start)."""
    if not isinstance(task, Task) or task.created_at is None:
        return 0.0
    return max(0.0, (datetime.now(UTC) - task.created_at).total_seconds())


def _state(task: Task) -> tuple[object, ...]:
    return (task.status, task.status_raw, task.progress, task.video_url, task.error)

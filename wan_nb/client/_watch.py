"""The poll loop behind ``AsyncWanClient.watch`` and ``wait``: the I/O of a wait (a deadline, a query, a sleep).

How long each sleep lasts is ``_poll.next_delay``'s decision alone (server hint, dialect floor, the kind's
shortest run, the progress trend, the schedule); this loop gathers what it weighs (the task's age, the last
answer, the run times, the first progress reading) and keeps the rest:

- The deadline bounds everything, a poll in flight included: one GET retried through long ``Retry-After``
  answers (up to a minute each, in ``_retry``) must not keep a ``timeout=30`` wait alive for minutes.
  Cutting a GET short is safe: it changes nothing server-side. The poll due at the deadline still gets
  ``LAST_POLL_GRACE``, so a wait overruns its ``timeout`` by at most that.
- A poll that failed past its retries does not end the wait: the task runs on, billed, whatever the poll did.
  A 429 waits out its ``Retry-After``; 5xx, a broken connection or an unreadable answer (a proxy's page) are
  tolerated ``POLL_FAILURES_TOLERATED`` times in a row (``policy``), so a brief outage never abandons a paid
  task while a host that stays down is reported. 401/403 end the wait at once: no later poll can succeed with
  that key.
``Watcher`` holds what a wait uses (the one query of a task's state, the schedule, the run times, the floor),
handed in by the client.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from wan_nb.client._poll import PollSchedule, Reading, next_delay
from wan_nb.client._runs import RunTimes
from wan_nb.client.policy import LAST_POLL_GRACE, POLL_FAILURES_TOLERATED
from wan_nb.errors import InvalidResponse, RateLimitError, ServerError, TransportError, WaitTimeout
from wan_nb.models import Task, TaskStatus
from wan_nb.validation import check_task_id

__all__ = ["Query", "Watcher"]

log = logging.getLogger("wan_nb.client")
Polled = tuple[Task | None, float | None]


class Query(Protocol):
    """One query of a task's state (one GET, retried on transient failures; journaled): what ``get`` answers."""

    async def __call__(self, task_id: str) -> Task: ...


@dataclass(frozen=True, slots=True)
class Watcher:
    """Waits on tasks of one client: ``get`` is its one query, ``floor`` its dialect's fewest seconds between polls."""

    get: Query
    poll: PollSchedule
    runs: RunTimes
    floor: float = 0.0

    async def watch(self, task: Task | str, timeout: float | None) -> AsyncIterator[Task]:  # noqa: ASYNC109
        """Yield the task's state each time it changes, until a terminal state; WaitTimeout past ``timeout``."""
        if isinstance(task, Task) and task.done:
            yield task
            return
        task_id = check_task_id(task.id if isinstance(task, Task) else task)
        clock, start = self.poll.clock, self.poll.clock()
        deadline = math.inf if timeout is None else start + timeout
        last: Task | None = None
        first: Reading | None = None  # the first progress reading of a running task
        age = _age(task)
        attempt, failures = self.poll.first_attempt(age), 0
        if isinstance(task, Task) and attempt == 0 and (wait := self._first_query_due(task, age)) > 0:
            # Its create answered a moment ago and no task of its kind has ever ended this soon: asking now
            # would only hear the create's answer again. The first query is the quick check for a failure.
            yield task
            last, attempt = task, 1
            await self.poll.sleep(min(wait, deadline - clock()))
        while True:
            polled = await self._poll_before(task_id, failures, deadline - clock())
            current, hint = polled or (None, None)
            failures = 0 if current is not None else failures + 1
            if current is not None:
                if last is None or _state(last) != _state(current):
                    yield current
                last = current
                self.runs.note(current, clock())
                if current.done:
                    self.runs.ended(current, clock())
                    return
            remaining = deadline - clock()
            if polled is None or remaining <= 0:
                seen = last or (task if isinstance(task, Task) else Task(task_id, TaskStatus.UNKNOWN))
                raise WaitTimeout(seen, timeout or 0.0)
            now = clock()
            reading = _reading(current, now)
            first = first or reading
            wait = next_delay(
                self.poll,
                age=now - start + age,
                attempt=attempt,
                hint=current.poll_after if current is not None else hint,  # a poll's hint, or a 429's
                floor=self.floor,
                possible_in=self.runs.until_possible(task_id, now),
                trend=(first, reading) if first is not None and reading is not None else None,
            )
            await self.poll.sleep(min(wait, remaining))
            attempt += 1

    async def _poll_before(self, task_id: str, failures: int, remaining: float) -> Polled | None:
        """One poll, cut short (None) when the wait's deadline, plus a grace for the poll at the deadline, passes.

        The budget runs on the loop's clock, the wait's on ``poll.clock``: the same in real use (monotonic);
        tests that inject a fake poll clock keep real polls under the grace.
        """
        limit = None if math.isinf(remaining) else max(remaining, LAST_POLL_GRACE)
        try:
            async with asyncio.timeout(limit) as budget:
                return await self._poll_once(task_id, failures)
        except TimeoutError:
            if budget.expired():
                return None
            raise

    async def _poll_once(self, task_id: str, failures: int) -> Polled:
        """One GET: the task, or (None, a Retry-After hint) for a failure the wait outlives."""
        try:
            return await self.get(task_id), None
        except RateLimitError as exc:
            return None, exc.retry_after
        except (ServerError, TransportError, InvalidResponse) as exc:
            if failures >= POLL_FAILURES_TOLERATED:
                raise
            log.debug("poll of task %s failed (%s); waiting on", task_id, exc)
            return None, None

    def _first_query_due(self, task: Task, age: float) -> float:
        """Seconds until the first query of a task this client just created (0: ask now)."""
        now = self.poll.clock()
        created = self.runs.age(task.id, now)
        if created is None:  # a task this client did not create: what it holds may be old
            return 0.0
        return next_delay(
            self.poll,
            age=age,
            attempt=0,
            floor=self.floor,
            possible_in=self.runs.until_possible(task.id, now),
            created=created,
        )


def _reading(current: Task | None, now: float) -> Reading | None:
    """(now, progress) of a running task whose answer carries progress; None otherwise."""
    if current is None or current.status is not TaskStatus.RUNNING or current.progress is None:
        return None
    return (now, current.progress) if 0.0 < current.progress < 1.0 else None


def _age(task: Task | str) -> float:
    """Seconds since the task was created, when the Task says (a bare id: 0, a fresh start)."""
    if not isinstance(task, Task) or task.created_at is None:
        return 0.0
    return max(0.0, (datetime.now(UTC) - task.created_at).total_seconds())


def _state(task: Task) -> tuple[object, ...]:
    return (task.status, task.status_raw, task.progress, task.video_url, task.error)

"""The poll loop behind ``AsyncWanClient.watch`` and ``wait``: a deadline, a schedule, and patience with failed polls.

- The deadline bounds everything, a poll in flight included: one GET retried through long ``Retry-After``
  answers (up to a minute each, in ``_retry``) must not keep a ``timeout=30`` wait alive for minutes.
  Cutting a GET short is safe: it changes nothing server-side. The poll due at the deadline still gets
  ``LAST_POLL_GRACE``, so a wait overruns its ``timeout`` by at most that.
- A poll that failed past its retries does not end the wait: the task runs on, billed, whatever the poll did.
  A 429 waits out its ``Retry-After``; 5xx, a broken connection or an unreadable answer (a proxy's page) are
  tolerated ``POLL_FAILURES_TOLERATED`` times in a row (``policy``), so a brief outage never abandons a paid
  task while a host that stays down is reported. 401/403 end the wait at once: no later poll can succeed with
  that key.
- Where answers carry progress, waits follow the progress trend since the first reading
  (``PollSchedule.predicted_wait``): fewer polls, and one just past the end the trend predicts.
- No wait of the schedule's is shorter than the dialect's ``poll_floor`` (the relay: 3 s, protocol.md §3); a
  server's own hint (``Retry-After``) is obeyed as given.
``Watcher`` holds what a wait uses (the client's ``get``, the schedule, the run times, the floor), handed in by
the client.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from wan_nb.client._poll import PollSchedule
from wan_nb.client._runs import RunTimes
from wan_nb.client.policy import LAST_POLL_GRACE, POLL_FAILURES_TOLERATED
from wan_nb.errors import InvalidResponse, RateLimitError, ServerError, TransportError, WaitTimeout
from wan_nb.models import Task, TaskStatus

__all__ = ["Watcher"]

log = logging.getLogger("wan_nb.client")
Polled = tuple[Task | None, float | None]


@dataclass(frozen=True, slots=True)
class Watcher:
    """Waits on tasks of one client: ``get`` is its one poll, ``floor`` its dialect's fewest seconds between polls."""

    get: Callable[[str], Awaitable[Task]]
    poll: PollSchedule
    runs: RunTimes
    floor: float = 0.0

    async def watch(self, task: Task | str, timeout: float | None) -> AsyncIterator[Task]:  # noqa: ASYNC109
        """Yield the task's state each time it changes, until a terminal state; WaitTimeout past ``timeout``."""
        if isinstance(task, Task) and task.done:
            yield task
            return
        task_id = task.id if isinstance(task, Task) else task
        clock, start = self.poll.clock, self.poll.clock()
        deadline = math.inf if timeout is None else start + timeout
        last: Task | None = None
        trend: tuple[float, float] | None = None  # the first (clock, progress) reading of a running task
        age = _age(task)
        attempt, failures = self.poll.first_attempt(age), 0
        if isinstance(task, Task) and attempt == 0 and (wait := self._first_query_due(task)) is not None:
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
            trend = trend or _reading(current, clock())
            wait = self._next_wait(task_id, current, hint, clock() - start + age, attempt)
            await self.poll.sleep(min(self._predicted(wait, trend, current, hint), remaining))
            attempt += 1

    def _next_wait(
        self, task_id: str, current: Task | None, hint: float | None, elapsed: float, attempt: int
    ) -> float:
        # The quick waits are for a task's first seconds: one polled late (after a skip to its kind's shortest
        # run) goes on at the cadence its age calls for, not 6 and 12 s.
        attempt = max(attempt, self.poll.first_attempt(elapsed))
        if _hinted(current, hint):  # the server said when: obey it
            return self._delay(current, hint, elapsed, attempt)
        wait = max(self._delay(current, hint, elapsed, attempt), self.floor)
        if attempt >= 1:  # after the quick check for an instant failure
            wait = self._until_possible(task_id, wait)
        return wait

    def _predicted(
        self, wait: float, trend: tuple[float, float] | None, current: Task | None, hint: float | None
    ) -> float:
        """``wait``, or what the progress trend predicts (``PollSchedule.predicted_wait``), never under the floor."""
        now = _reading(current, self.poll.clock())
        if trend is None or now is None or _hinted(current, hint):
            return wait
        return max(self.poll.predicted_wait(trend, now, wait), self.floor)

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

    def _delay(self, current: Task | None, hint: float | None, elapsed: float, attempt: int) -> float:
        if current is not None:
            return self.poll.next_wait(current, elapsed, attempt)
        return hint if hint is not None else self.poll.delay(elapsed, attempt)

    def _until_possible(self, task_id: str, wait: float) -> float:
        """When tasks of this kind have succeeded before: no poll before the task (after the queue its answers
        reported) has run as long as the shortest of them, one right then."""
        possible = self.runs.until_possible(task_id, self.poll.clock())
        return max(possible, self.floor) if possible is not None and possible > 0 else wait

    def _first_query_due(self, task: Task) -> float | None:
        """Seconds until the first query of a task this client just created, when asking at once is pointless."""
        now = self.poll.clock()
        created, possible = self.runs.age(task.id, now), self.runs.until_possible(task.id, now)
        if created is None or possible is None:
            return None
        due = max(self.poll.delay(0.0, 0), self.floor) - created  # the first quick check, from the create
        return due if 0 < due < possible else None


def _reading(current: Task | None, now: float) -> tuple[float, float] | None:
    """(now, progress) of a running task whose answer carries progress; None otherwise."""
    if current is None or current.status is not TaskStatus.RUNNING or current.progress is None:
        return None
    return (now, current.progress) if 0.0 < current.progress < 1.0 else None


def _hinted(current: Task | None, hint: float | None) -> bool:
    return hint is not None or (current is not None and current.poll_after is not None)


def _age(task: Task | str) -> float:
    """Seconds since the task was created, when the Task says (a bare id: 0, a fresh start)."""
    if not isinstance(task, Task) or task.created_at is None:
        return 0.0
    return max(0.0, (datetime.now(UTC) - task.created_at).total_seconds())


def _state(task: Task) -> tuple[object, ...]:
    return (task.status, task.status_raw, task.progress, task.video_url, task.error)

"""The poll schedule: a pure, injectable policy for how long to wait between two task queries.

Server hints win (``Task.poll_after``, from ``Retry-After`` or ``openai-poll-after-ms``). Otherwise:

- the first polls are quick (1, 1, 2, 2 s): they catch instant failures (a create the upstream rejects a
  moment later) and the simulator's few-second tasks;
- then the wait is ``ratio`` x the time already waited, never under ``floor`` = 3 s (the relay asks for no
  faster than one query per 3 s per task; DashScope allows 20 task queries/s per account) and never over
  ``cap`` = 10 s, so a task is noticed within about 5 % of its run time, and at most 5 s late on average.

Real tasks take 45-300 s (native.md §6: 720P/5 s measured at 45-155 s). Figures from :func:`figures`, for
finish times spread uniformly over ±10 % of the nominal length, zero network latency, GETs counting the first
immediate one:

=====================================  ===============  ===============  ===============  ===============
schedule                               60 s: GETs       60 s: notice     150 s: GETs      150 s: notice
=====================================  ===============  ===============  ===============  ===============
``PollSchedule()`` (this default)      14.9             4.5 s            23.9             5.0 s
dashscope SDK 1.x (1,1,2,2,2,4,4,4,5…)  17.5             2.5 s            35.5             2.5 s
=====================================  ===============  ===============  ===============  ===============

So: 15 % fewer queries on a one-minute task and a third fewer on a 150 s task, for 2-2.5 s more latency, and
the gap widens with length (300 s: 38.9 vs 65.5 GETs). ``tests/test_poll.py`` recomputes the table.

Two things the schedule alone does not know, added by the wait loop (``_watch``): a task this client created a
moment ago is not queried at once (the create just answered its state: one GET fewer than the table), and once
a task of the same kind has succeeded, no query is made between the first quick one and the shortest run seen
(``_runs``): a batch's later tasks are each queried about three times, and seen done the moment they can be.
When a wait re-attaches to an older task, it starts at the pace the task's age calls for (``first_attempt``).
Must not import anything above ``wan_nb.models``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from wan_nb.models import Task

__all__ = ["DASHSCOPE_SDK", "Figures", "PollSchedule", "figures", "simulate"]


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """How long to wait between polls, plus the clock and sleep the waits use (inject fakes in tests)."""

    quick: tuple[float, ...] = (1.0, 1.0, 2.0, 2.0)
    """The first waits, in order, before the proportional rule applies."""
    ratio: float = 0.25
    """After the quick waits: wait ``ratio`` x the seconds already waited..."""
    floor: float = 3.0
    """...but never less (the relay's one query per 3 s per task)..."""
    cap: float = 10.0
    """...and never more (completion is noticed at most ``cap`` s late)."""
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False, compare=False)

    def delay(self, elapsed: float, attempt: int) -> float:
        """Seconds to wait after poll number ``attempt`` (0-based), ``elapsed`` seconds into the wait."""
        if attempt < len(self.quick):
            return self.quick[attempt]
        return min(self.cap, max(self.floor, self.ratio * elapsed))

    def first_attempt(self, age: float) -> int:
        """How many quick waits a task ``age`` seconds old has already outlived: a wait that re-attaches to
        an older task (``resume``, a second ``wait``) starts past them, at the pace its age calls for."""
        total, attempt = 0.0, 0
        for wait in self.quick:
            total += wait
            if total > age:
                break
            attempt += 1
        return attempt

    def next_wait(self, task: Task, elapsed: float, attempt: int) -> float:
        """The server's hint when the last answer carried one, else :meth:`delay`."""
        if task.poll_after is not None:
            return max(task.poll_after, 0.0)
        return self.delay(elapsed, attempt)


# The dashscope SDK 1.x wait loop (native.md §5.2): 1,1,2,2,2,4,4,4 then 5 s forever.
DASHSCOPE_SDK = PollSchedule(quick=(1, 1, 2, 2, 2, 4, 4, 4), ratio=0.0, floor=5.0, cap=5.0)


@dataclass(frozen=True, slots=True)
class Figures:
    gets: float
    """Task queries until completion is seen (including the first, immediate one)."""
    notice: float
    """Seconds between the task finishing and the client seeing it."""


def simulate(schedule: PollSchedule, task_seconds: float) -> Figures:
    """Poll a task that finishes after ``task_seconds`` (queries take no time); count GETs and lateness."""
    elapsed, gets, attempt = 0.0, 1, 0
    while elapsed < task_seconds:
        elapsed += schedule.delay(elapsed, attempt)
        attempt += 1
        gets += 1
    return Figures(gets, elapsed - task_seconds)


def figures(
    schedule: PollSchedule, task_seconds: float, *, spread: float = 0.2, samples: int = 1000
) -> Figures:
    """:func:`simulate` averaged over finish times uniform in ``task_seconds`` x (1 ± spread/2)."""
    low = task_seconds * (1 - spread / 2)
    runs = [simulate(schedule, low + task_seconds * spread * (i + 0.5) / samples) for i in range(samples)]
    return Figures(sum(r.gets for r in runs) / samples, sum(r.notice for r in runs) / samples)

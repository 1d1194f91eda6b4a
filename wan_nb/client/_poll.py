"""The poll schedule: a pure, injectable policy for how long to wait between two task queries.

Server hints win (``Task.poll_after``, from ``Retry-After`` or ``openai-poll-after-ms``). Otherwise:

- the first waits grow quickly (1, 3, 6, 12 s: polls at 0, 1, 4, 10, 22 s): they catch instant failures (a
  create the upstream rejects a moment later) and short tasks (the simulator's), for 5 GETs in the first 22 s
  where the official SDK spends 10;
- then the wait is ``floor`` = 4.3 s, the cadence that notices a task about 2.15 s after it ends on average (a
  blind cadence d notices d/2 late), sooner than the SDK's 5 s by a margin a 50-task measurement can see (at 4.6 s
  the expected gain, 0.13 s, was below one run's noise); from ~140 s it grows as ``ratio`` (3 %) of the
  time already waited, up to ``cap`` = 10 s, so long tasks cost fewer queries.
- Each dialect's own minimum (``Capabilities.poll_floor``: the relay asks for no more than one query per 3 s per
  task) is applied by :func:`next_delay` to every wait, the first quick ones too.

Real tasks take 45-300 s (native.md §6: 720P/5 s measured at 45-155 s). Figures (``bench/_schedules.figures``),
for finish times spread uniformly over ±10 % of the nominal length, zero network latency, GETs counting the
first immediate one:

=====================================  ===============  ===============  ===============  ===============
schedule                               60 s: GETs       60 s: notice     150 s: GETs      150 s: notice
=====================================  ===============  ===============  ===============  ===============
``PollSchedule()`` (this default)      14.3             2.1 s            35.2             2.2 s
dashscope SDK 1.x (1,1,2,2,2,4,4,4,5…)  17.5             2.5 s            35.5             2.5 s
=====================================  ===============  ===============  ===============  ===============

``tests/unit/test_poll.py`` recomputes the table; ``python -m bench --only polling`` measures it against the SDK.

Two things the schedule alone does not know, added by :func:`next_delay`: a task this client created a
moment ago is not queried at once (the create just answered its state: one GET fewer than the table), and once
tasks of the same kind have succeeded on this API (this session, or earlier ones through the journal), no query
is made between the first quick one and the moment the task, after the queue its answers report, has run as
long as the shortest of their recent runs (``_runs``): later tasks of a kind are each queried about three
times before their cadence starts, and a task as fast as its fastest sibling is seen done the moment it can be.
When a wait re-attaches to an older task, it starts at the pace the task's age calls for (``first_attempt``).
Where the server reports progress (the gateway, the relay), the wait loop keeps the first reading and
:func:`next_delay` waits :meth:`predicted_wait`: 80 % of the time the trend says is left while that is longer than the schedule's
wait (polls close in on the predicted end), then one poll just past the predicted end, then the schedule again.
Must not import anything above ``wan_nb.models``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from wan_nb.client import policy

__all__ = ["END_SLACK", "MIN_RISE", "PollSchedule", "Reading", "next_delay"]

END_SLACK = 0.02
"""Share of a task's run added past the end its progress predicts: a 0-100 bar moves in 1 % steps."""
MIN_RISE = 0.15
"""How far the bar must have moved before its trend is trusted: two readings of a 0-100 bar are each up to a
point off (the simulator's and the gateways' bars start at 1), so a rise of 15 points errs by at most ~13 %,
which ``eta_share`` absorbs; a rise of 3 points could err by 60 % and overshoot the end by half a run."""


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """How long to wait between polls, plus the clock and sleep the waits use (inject fakes in tests)."""

    quick: tuple[float, ...] = (1.0, 3.0, 6.0, 12.0)
    """The first waits, in order, before the proportional rule applies."""
    ratio: float = 0.03
    """After the quick waits: wait ``ratio`` x the seconds already waited..."""
    floor: float = 4.3
    """...but never less (a task is noticed floor/2 s late on average, the SDK's 5 s cadence gives 2.5 s)..."""
    cap: float = 10.0
    """...and never more (completion is noticed at most ``cap`` s late)."""
    eta_share: float = 0.8
    """While a task's progress rises between polls (the gateway's and the relay's 0-100), the next poll waits at
    least this share of the time the trend says is left: polls close in on the predicted end (each one with a
    better estimate) instead of counting the cadence through the whole run."""
    clock: Callable[[], float] = field(default=policy.clock, repr=False, compare=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=policy.sleep, repr=False, compare=False)

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

    def predicted_wait(self, first: tuple[float, float], now: tuple[float, float], wait: float) -> float:
        """The wait before the next poll of a task whose progress rose from ``first`` to ``now`` ((clock, 0-1)
        pairs), given the schedule's ``wait``: far from the end the trend predicts, ``eta_share`` of the time left
        (no poll that could not find it done), once the bar rose ``MIN_RISE``; near it, just past it (the end plus ``END_SLACK`` of the run, a
        0-100 bar's one-point step), never under the first quick wait; ``wait`` itself while there is no trend."""
        (then, done_then), (at, done) = first, now
        if not 0.0 < done < 1.0 or done - done_then < MIN_RISE or at <= then:
            return wait
        run = (at - then) / (done - done_then)
        left = (1.0 - done) * run
        if self.eta_share * left > wait:
            return self.eta_share * left
        shortest = self.quick[0] if self.quick else self.floor
        return max(min(wait, left + END_SLACK * run), shortest)


Reading = tuple[float, float]
"""(clock, progress 0-1) of a running task whose answer carried progress."""


def next_delay(
    schedule: PollSchedule,
    *,
    age: float,
    attempt: int,
    hint: float | None = None,
    floor: float = 0.0,
    possible_in: float | None = None,
    trend: tuple[Reading, Reading] | None = None,
    created: float | None = None,
) -> float:
    """Seconds until the next query of a task: every rule of a wait's pace, in order, and nothing else.

    ``age``: seconds since the task was created (its ``created_at``, else since this wait began); ``attempt``:
    the wait's polls so far, 0-based. ``hint``: the server's own (``Task.poll_after``, a 429's
    ``Retry-After``). ``floor``: the dialect's ``poll_floor``. ``possible_in``: seconds until the task can be
    done, its create plus the queue its answers reported plus its kind's shortest recent run, minus now
    (``RunTimes.until_possible``; None while no task of its kind succeeded). ``trend``: the first and the latest
    progress readings. ``created``: seconds since this client saw the task's create answered, while that answer
    is the only one (before the wait's first query); None otherwise.

    1. Before the first query of a task just created, of a kind that has succeeded before: the create's answer
       stands until the first quick check (the schedule's first wait, at least the floor, from the create),
       unless the task can be done before then; 0 (ask now) otherwise.
    2. The server's hint, as given: it knows.
    3. The schedule (``delay``; a task older than its quick waits starts at the pace its age calls for), never
       under the dialect's floor.
    4. After the quick check for an instant failure, when the kind's shortest run says when the task can be
       done: no poll before then, one right then (never under the floor).
    5. A progress trend moves that wait (``predicted_wait``), never under the floor.
    """
    if created is not None:
        due = max(schedule.delay(0.0, 0), floor) - created
        return due if possible_in is not None and 0 < due < possible_in else 0.0
    if hint is not None:
        return max(hint, 0.0)
    attempt = max(attempt, schedule.first_attempt(age))
    wait = max(schedule.delay(age, attempt), floor)
    if attempt >= 1 and possible_in is not None and possible_in > 0:
        wait = max(possible_in, floor)
    if trend is not None:
        wait = max(schedule.predicted_wait(*trend, wait), floor)
    return wait

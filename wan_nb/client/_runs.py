"""How long tasks of each kind take on one API, so a wait need not poll before a task can be done.

Tasks of one kind (same model, resolution or size, duration and media roles) take similar times: the grid of a
prompt exploration, the items of a ``map``, the settings a user comes back to the next day. Once one has
succeeded, no poll is useful between the first quick one (which catches a create refused a moment later) and
the moment the task has run as long as the shortest recent run of its kind, and a poll that lands exactly
there catches a task as fast as its fastest sibling: that is the whole rule.
A request's kind and a success's run are the journal's facts (``_journal_rows.kind_of``, ``run_of``), read
from there: the journal keeps them, this module only paces by them.

- A *run* is counted on the service's own clock, so no clock skew enters: from when it started running
  (native ``scheduled_time``) or else from its submit (the gateway's ``created_at``), to its end (``end_time``,
  ``completed_at``). The relay's flat poll has no timestamps: there the client's own clock (create answered →
  success seen), which over-estimates by at most one poll interval and is not kept past the session.
- A task's earliest end is its create (on the client's clock) plus the shortest run; once an answer gives
  both its submit and its start, plus the time it queued too (``scheduled_time`` − ``submit_time``, again one
  clock): on a busy service, minutes of queue are not polled through.
- "Recent": the last ``KEPT`` successes per kind. The journal keeps each success's run (``run_seconds``), and
  a client opening it starts from that API's recent runs (``Journal.recent_runs``): a returning user's first
  batch is already paced. Runs are keyed by the API's base URL, so a simulator's seconds never pace the real
  service's minutes; the in-process simulator's knobs change between sessions, so its runs are not reloaded.
- Server timestamps are untrusted: a run over ``LONGEST_RUN`` teaches nothing (one poisoned run would stop
  polls for hours), and a reported queue counts only up to the task's age on this client's clock (a task seen
  running started before now) and is taken once, from the first answer that gives a start: a lying clock
  can delay the notice by at most one shortest run, once.
- Only successes teach: a failure can come at any moment. A task faster than all recent ones is noticed late
  by the difference, once, and then teaches the new shortest.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from wan_nb.client._journal_rows import Kind, kind_of, run_of
from wan_nb.models import Task, TaskStatus, VideoRequest

__all__ = ["KEPT", "LONGEST_RUN", "RunTimes", "queue_of"]

KEPT = 20
"""Recent successes kept per kind: the shortest of 20 is a low quantile, and moves when the service does."""
LONGEST_RUN = 7200.0
"""Seconds past which a reported run is not believed: Wan's longest tasks (15 s at 1080P) take ~10 minutes
(native.md §3.1: 11:07:35 → 11:17:11), so two hours is a clock or a server gone wrong."""


def queue_of(task: Task) -> float:
    """Seconds the task waited before it started running, by the service's clock; 0 while not known."""
    if task.started_at is None or task.created_at is None:
        return 0.0
    return max(0.0, (task.started_at - task.created_at).total_seconds())


@dataclass(slots=True)
class _Created:
    kind: Kind
    at: float
    """When this client saw the create answered (the poll schedule's clock)."""
    queued: float | None = None
    """How long it queued, once an answer said (``note``)."""


class RunTimes:
    """Recent successful runs per kind; which kind each task of this client is, and when it was created."""

    def __init__(self, recent: Iterable[tuple[Kind, float]] = ()) -> None:
        """``recent``: earlier (kind, run seconds) pairs, oldest first (``Journal.recent_runs``)."""
        self._tasks: dict[str, _Created] = {}
        self._runs: dict[Kind, deque[float]] = {}
        for kind, run in recent:
            self._learn(kind, run)

    def created(self, task_id: str, request: VideoRequest, now: float) -> None:
        """Remember a task this client created (``now`` on the poll schedule's clock)."""
        self._tasks[task_id] = _Created(kind_of(request), now)

    def age(self, task_id: str, now: float) -> float | None:
        """Seconds since this client saw the task created; None for a task it did not create."""
        known = self._tasks.get(task_id)
        return None if known is None else now - known.at

    def shortest(self, kind: Kind) -> float | None:
        """The shortest recent run of ``kind``; None when none succeeded yet."""
        runs = self._runs.get(kind)
        return min(runs) if runs else None

    def until_possible(self, task_id: str, now: float) -> float | None:
        """Seconds until the task can be done: its create, plus the queue an answer reported, plus the shortest
        run of its kind, minus ``now``; None when nothing is known."""
        known = self._tasks.get(task_id)
        shortest = None if known is None else self.shortest(known.kind)
        if known is None or shortest is None:
            return None
        return known.at + (known.queued or 0.0) + shortest - now

    def note(self, task: Task, now: float) -> None:
        """Take the queue from the first answer that says when the task started (later ones cannot move it):
        at most the task's age, since a task seen running started before now."""
        known = self._tasks.get(task.id)
        if known is not None and known.queued is None and task.started_at is not None:
            known.queued = min(queue_of(task), max(now - known.at, 0.0))

    def ended(self, task: Task, now: float) -> None:
        """Learn from a task that reached a terminal state (only a success says how long the work takes)."""
        known = self._tasks.pop(task.id, None)
        if known is None or task.status is not TaskStatus.SUCCEEDED:
            return
        run = run_of(task)
        self._learn(known.kind, now - known.at if run is None else run)

    def _learn(self, kind: Kind, run: float) -> None:
        if not 0 < run <= LONGEST_RUN:
            return
        self._runs.setdefault(kind, deque(maxlen=KEPT)).append(run)

"""How long this client's tasks take, per kind of request, so a wait need not poll before a task can be done.

Tasks of one kind (same model, resolution or size, duration and media roles) take similar times: the grid of a
prompt exploration, the items of a ``map``. Once one has succeeded, no poll is useful between the first quick
one (which catches a create refused a moment later) and the shortest run seen for that kind, and a poll that
lands exactly there catches a task as fast as its fastest sibling: that is the whole rule. Run times come from
the service's own clock when it gives both ends (native ``submit_time``/``end_time``, the gateway's
``created_at``/``completed_at``), else from this client's (create answered → success seen; the relay's flat
poll has no timestamps), which over-estimates by at most one poll interval. Only successes teach: a failure can
come at any moment. A task faster than any seen so far is noticed late by the difference, never lost.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

from wan_nb.models import Task, TaskStatus, VideoRequest

__all__ = ["RunTimes", "kind_of"]

Kind = tuple[str, str, int, tuple[str, ...]]


def kind_of(request: VideoRequest) -> Kind:
    """What decides how long a task runs, as far as the client can tell."""
    shape = request.resolution or request.size or ""
    return (request.model, shape, request.duration, tuple(request.media()))


class RunTimes:
    """Shortest successful run per kind; which kind each task of this client is, and when it was created."""

    def __init__(self) -> None:
        self._tasks: dict[str, tuple[Kind, float]] = {}
        self._shortest: dict[Kind, float] = {}

    def created(self, task_id: str, request: VideoRequest, now: float) -> None:
        """Remember a task this client created (``now`` on the poll schedule's clock)."""
        self._tasks[task_id] = (kind_of(request), now)

    def age(self, task_id: str, now: float) -> float | None:
        """Seconds since this client saw the task created; None for a task it did not create."""
        known = self._tasks.get(task_id)
        return None if known is None else now - known[1]

    def until_possible(self, task_id: str, now: float) -> float | None:
        """Seconds until the task has run as long as the shortest of its kind; None when nothing is known."""
        known = self._tasks.get(task_id)
        if known is None or known[0] not in self._shortest:
            return None
        kind, created = known
        return created + self._shortest[kind] - now

    def ended(self, task: Task, now: float) -> None:
        """Learn from a task that reached a terminal state (only a success says how long the work takes)."""
        known = self._tasks.pop(task.id, None)
        if known is None or task.status is not TaskStatus.SUCCEEDED:
            return
        kind, created = known
        if task.created_at is not None and task.finished_at is not None:
            run = (task.finished_at - task.created_at).total_seconds()
        else:
            run = now - created
        if run > 0:
            self._shortest[kind] = min(run, self._shortest.get(kind, run))

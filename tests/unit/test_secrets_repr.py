"""A task's repr keeps its raw wire body out: a body that echoed a header could not leak a key through it."""

from __future__ import annotations

from tests.fixtures.secrets import CANARY, assert_no_canary
from wan_nb.models import Task, TaskStatus


def test_task_repr_never_shows_raw_fields() -> None:
    """``Task.raw`` (the wire body) stays out of the repr, so a body that echoed a header could not leak."""
    task = Task(id="t", status=TaskStatus.RUNNING, raw={"echo": CANARY})
    assert_no_canary(repr(task), str(task))

"""Chain the next try from the last one: each helper returns ``dataclasses.replace(request, ...)``.

```python
from wan_nb.lab import chain
task = await client.generate(request)                       # a finished, downloaded task
again = chain.reuse_seed(task, request, prompt="a cat turns its head slowly")
onward = chain.next_from_last_frame(task, request)          # its last frame starts the next clip
longer = chain.continue_clip(task, request, dialect=client.capabilities)   # native first_clip: the clip goes on
edited = chain.edit_and_rerun(task, request, negative_prompt="blur")
```

``request`` is the request that made ``task`` (a Task does not carry it: ``client.map`` items and the panel's
cards do). Keyword ``changes`` are applied last, like ``dataclasses.replace``. With ``dialect=`` the new request
is validated for it (``ValidationError`` naming the field, before anything is sent): ``continue_clip`` needs a
dialect and model that take ``first_clip`` (native wan2.7; the gateway and wan2.6 refuse it), and a clip of
2-10 s (native.md §1.2).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from wan_nb.errors import ValidationError
from wan_nb.media.stills import poster
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.validation import Carriage, validate

__all__ = ["continue_clip", "edit_and_rerun", "next_from_last_frame", "reuse_seed"]


def reuse_seed(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """The same request and seed again (change the prompt, say, and see only what the prompt changes).

    ValidationError when the try had no seed: the service picks one then and does not report it.
    """
    if request.seed is None:
        raise ValidationError(
            "seed",
            f"task {task.id} let the service pick its seed, which it does not report; "
            "give requests a seed to make tries repeatable",
        )
    return _checked(replace(request, **changes), dialect)


def next_from_last_frame(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """A request whose first frame is the task's last (``poster(task, at="last")``, full size).

    The previous request's ``last_frame``, ``first_clip`` and ``driving_audio`` belonged to that clip and are
    dropped; the prompt, seed and settings carry over.
    """
    still = poster(_finished_file(task), at="last")
    following = replace(request, first_frame=still, last_frame=None, first_clip=None, driving_audio=None)
    return _checked(replace(following, **changes), dialect)


def continue_clip(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """A request that continues the task's video (native ``first_clip``: the result itself, 2-10 s).

    ``first_frame`` and ``driving_audio`` go (wan2.7 takes ``first_clip`` alone or with a ``last_frame``).
    """
    clip = _finished_file(task)
    following = replace(request, first_clip=clip, first_frame=None, driving_audio=None)
    return _checked(replace(following, **changes), dialect)


def edit_and_rerun(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """The request that made ``task``, with ``changes`` (a new prompt, duration...), to send again."""
    del task  # the request says everything a rerun needs; the task is here for the same call shape
    return _checked(replace(request, **changes), dialect)


def _finished_file(task: Task) -> Path:
    if task.status is not TaskStatus.SUCCEEDED or task.path is None:
        state = task.status.value.lower()
        raise ValidationError(
            "task",
            f"task {task.id} is {state} and has no downloaded video; chain from a finished, downloaded task",
        )
    if not task.path.is_file():
        raise ValidationError("task", f"task {task.id}'s video {task.path} is gone; download it again")
    return task.path


def _checked(request: VideoRequest, dialect: Carriage | None) -> VideoRequest:
    if dialect is not None:
        validate(request, dialect)
    return request

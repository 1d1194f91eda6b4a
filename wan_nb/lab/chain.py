"""Chain the next try from the last one: the same task again, or a result carried into another task.

```python
from wan_nb.lab import chain
task = await client.generate(request)                       # a finished, downloaded task
again = chain.reuse_seed(task, request, prompt="a cat turns its head slowly")
onward = chain.next_from_last_frame(task, request)          # its last frame starts the next clip
longer = chain.continue_clip(task, request, dialect=client.capabilities)   # native first_clip: the clip goes on
edited = chain.edit_and_rerun(task, request, negative_prompt="blur")

# across the family's tasks (each sets the model from wan_nb.family's table)
night = chain.edit_clip(task, request, prompt="make it night, with falling snow")   # wan2.7-videoedit
cast = chain.as_reference(task, request, prompt="Image 1 walks into a library")     # wan2.7-r2v
cast = chain.as_reference(task, request, prompt="Video 1 dances", kind="video")     # the clip itself
moving = chain.animate_frame(task, request, at="middle")    # wan2.7-i2v from the middle frame
text = chain.other_task(task, request, "wan3.0-video")      # the same prompt, seed and settings elsewhere
```

``request`` is the request that made ``task`` (a Task does not carry it: ``client.map`` items and the panel's
cards do); ``edit_clip`` and ``as_reference`` also go without it (after ``wan_nb.generate(prompt=...)``, which
returns the Task alone), carrying over nothing but the result. Every helper sets ``parent=task.id`` (the journal and the history show which try came from which;
it is never sent). Keyword ``changes`` are applied last, like ``dataclasses.replace``. With ``dialect=`` the
new request is validated for it (``ValidationError`` naming the field, before anything is sent):
``continue_clip`` needs a dialect and model that take ``first_clip`` (native wan2.7; the gateway and wan2.6
refuse it), and a clip of 2-10 s (native.md §1.2); the gateway carries image-to-video only, so ``edit_clip``
and ``as_reference`` are refused there.

The cross-task helpers keep what the new model's row takes (``wan_nb.family.ModelSpec``) and drop the rest:

- ``edit_clip``: the result is the ``video`` to edit; ``duration`` None keeps the source's length (videoedit's
  ``0``); the earlier frames, clip, audio and references go (they belonged to the clip's making, and the
  instruction names none); ``audio_setting="origin"`` keeps the clip's sound.
- ``as_reference``: the result's still (``kind="image"``, the frame at ``at``) or the clip itself
  (``kind="video"``) is ``references[0]``, so the prompt names it "Image 1" or "Video 1"; earlier frames and
  references go. A reference video caps the duration at 2-10 s (family.md §2.2): a longer one falls back to
  the model's default.
- ``animate_frame``: the frame at ``at`` (``"first"``, ``"middle"``, ``"last"`` or seconds) starts an
  image-to-video try with the same prompt.
- ``other_task``: the same prompt, seed and settings on ``model``; inputs that model does not take go, and
  one it needs but the request lacks (a first frame for image-to-video, references, a video to edit) is a
  ValidationError naming it, unless ``changes`` gives it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from wan_nb import media
from wan_nb.errors import ValidationError
from wan_nb.family import FRAME_ROLES, WAN27_EDIT, WAN27_I2V, WAN27_R2V, ModelSpec, spec_of
from wan_nb.media.stills import poster
from wan_nb.models import MediaInput, Reference, Task, TaskStatus, VideoRequest
from wan_nb.validation import Carriage, validate

__all__ = [
    "At",
    "animate_frame",
    "as_reference",
    "continue_clip",
    "edit_and_rerun",
    "edit_clip",
    "next_from_last_frame",
    "other_task",
    "reuse_seed",
]

At = Literal["first", "middle", "last"] | float
"""Which frame of a result: the first, the middle, the last, or seconds from the start."""


def reuse_seed(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """The same request and seed again (change the prompt, say, and see only what the prompt changes).

    ValidationError when the try had no seed: the service picks one then and does not report it.
    """
    _arguments(task, request)
    if request.seed is None:
        raise ValidationError(
            "seed",
            f"task {task.id} let the service pick its seed, which it does not report; "
            "give requests a seed to make tries repeatable",
        )
    return _checked(replace(replace(request, parent=task.id), **changes), dialect)


def next_from_last_frame(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """A request whose first frame is the task's last (``poster(task, at="last")``, full size).

    The previous request's ``last_frame``, ``first_clip`` and ``driving_audio`` belonged to that clip and are
    dropped (and on Wan 3.0, which never mixes frames and references, its references); the prompt, seed and
    settings carry over.
    """
    _arguments(task, request)
    still = poster(_finished_file(task), at="last")
    # Wan 3.0 takes frames or references, never both (family.md §6, third-party): the frame replaces them
    references = () if spec_of(request.chosen_model).frames_exclude_references else request.references
    following = replace(
        request,
        first_frame=still,
        last_frame=None,
        first_clip=None,
        driving_audio=None,
        references=references,
        parent=task.id,
    )
    return _checked(replace(following, **changes), dialect)


def continue_clip(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """A request that continues the task's video (native ``first_clip``: the result itself, 2-10 s).

    ``first_frame`` and ``driving_audio`` go (wan2.7 takes ``first_clip`` alone or with a ``last_frame``). A
    try of another task (text, references, an edit) goes on as image-to-video (``wan2.7-i2v``, the model that
    takes a clip to continue), keeping its prompt, seed and settings; an older image model keeps its name, and
    validation says it takes no clip.
    """
    _arguments(task, request)
    clip = _finished_file(task)
    spec = spec_of(request.chosen_model)
    stays = spec.takes("first_clip") or spec.task == WAN27_I2V.task
    base = request if stays else _carried(task, request, WAN27_I2V)
    following = replace(base, first_clip=clip, first_frame=None, driving_audio=None, parent=task.id)
    return _checked(replace(following, **changes), dialect)


def edit_and_rerun(
    task: Task, request: VideoRequest, *, dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """The request that made ``task``, with ``changes`` (a new prompt, duration...), to send again."""
    _arguments(task, request)
    return _checked(replace(replace(request, parent=task.id), **changes), dialect)


def edit_clip(
    task: Task,
    request: VideoRequest | None = None,
    *,
    prompt: str = "",
    dialect: Carriage | None = None,
    **changes: Any,
) -> VideoRequest:
    """Video editing (``wan2.7-videoedit``) of the task's result: ``prompt`` is the instruction ("make it
    night"); ``duration`` None keeps the source's length, 2-10 cuts it from the start. Without ``request``
    (``wan_nb.generate(prompt=...)`` returns only the Task) nothing else carries over: the model's defaults."""
    made = VideoRequest(prompt=prompt) if request is None else request
    _arguments(task, made)
    clip = _finished_file(task)
    following = replace(
        _carried(task, made, WAN27_EDIT), prompt=prompt, video=clip, references=(), duration=None
    )
    return _checked(replace(following, **changes), dialect)


def as_reference(
    task: Task,
    request: VideoRequest | None = None,
    *,
    prompt: str,
    kind: Literal["image", "video"] = "image",
    at: At = "last",
    voice: MediaInput | None = None,
    dialect: Carriage | None = None,
    **changes: Any,
) -> VideoRequest:
    """References-to-video (``wan2.7-r2v``) with the task's result as ``references[0]``: its frame at ``at``
    (``kind="image"``: the prompt names it "Image 1") or the clip itself (``kind="video"``: "Video 1"), with
    an optional ``voice`` (wav/mp3, 1-10 s). Without ``request``, nothing else carries over."""
    made = VideoRequest(prompt=prompt) if request is None else request
    _arguments(task, made)
    clip = _finished_file(task)
    if kind == "image":
        medium: Path = _still(clip, at)
    elif kind == "video":
        medium = clip
    else:
        raise ValidationError(
            "kind", f'must be "image" (a frame of the result) or "video" (the clip), got {kind!r}'
        )
    spec = WAN27_R2V
    following = replace(
        _carried(task, made, spec),
        **_NO_FRAMES,
        prompt=prompt,
        references=(Reference(medium, voice=voice, kind=kind),),
    )
    durations = spec.reference_video_durations
    if kind == "video" and durations is not None and following.duration not in durations:
        following = replace(following, duration=None)  # a reference video allows 2-10 s (family.md §2.2)
    return _checked(replace(following, **changes), dialect)


def animate_frame(
    task: Task, request: VideoRequest, *, at: At = "last", dialect: Carriage | None = None, **changes: Any
) -> VideoRequest:
    """Image-to-video (``wan2.7-i2v``) from the task's frame at ``at`` (full size), with the same prompt, seed
    and settings; the earlier frames, clip, audio, references and source video go."""
    _arguments(task, request)
    still = _still(_finished_file(task), at)
    frames = {**_NO_FRAMES, "first_frame": still}
    following = replace(_carried(task, request, WAN27_I2V), **frames, references=())
    return _checked(replace(following, **changes), dialect)


def other_task(
    task: Task,
    request: VideoRequest,
    model: str | ModelSpec,
    *,
    dialect: Carriage | None = None,
    **changes: Any,
) -> VideoRequest:
    """The same prompt, seed and settings on another ``model`` (a name of ``wan_nb.family.MODELS`` or its row),
    keeping only the inputs that model takes.

    ValidationError naming the input ``model`` needs and the request lacks (``first_frame`` for
    image-to-video, ``references``, ``video``), unless ``changes`` gives it.
    """
    _arguments(task, request)
    spec = model if isinstance(model, ModelSpec) else spec_of(model)
    following = replace(_carried(task, request, spec), **changes)
    if not isinstance(model, ModelSpec) and "model" not in changes:
        following = replace(following, model=model)  # a dated snapshot stays that snapshot
    _check_needs(following, spec)
    return _checked(following, dialect)


_NO_FRAMES: dict[str, Any] = dict.fromkeys(FRAME_ROLES)
"""The single media of a request (first/last frame, driving audio, first clip): they belonged to its clip."""


def _carried(task: Task, request: VideoRequest, spec: ModelSpec) -> VideoRequest:
    """``request`` on ``spec``'s model, chained from ``task``: what that model does not take is dropped."""
    dropped: dict[str, Any] = {role: None for role in FRAME_ROLES if not spec.takes(role)}
    resolution = request.resolution
    if isinstance(resolution, str) and resolution.upper() not in spec.resolutions:
        resolution = None
    return replace(
        request,
        model=spec.model,
        allow_unknown_model=False,
        parent=task.id,
        **dropped,
        references=_references(request.references, spec),
        video=request.video if spec.source_video is not None else None,
        ratio=request.ratio if request.ratio in spec.ratios else None,
        audio_setting=request.audio_setting if request.audio_setting in spec.audio_settings else None,
        negative_prompt=request.negative_prompt if spec.negative_prompt_chars else None,
        resolution=resolution,
        duration=request.duration if request.duration in spec.durations else None,
    )


def _references(references: tuple[Reference, ...], spec: ModelSpec) -> tuple[Reference, ...]:
    """The references ``spec`` takes: of a kind it takes (unknown kinds stay for validation to name), with a
    voice only where it takes voices."""
    kinds = spec.reference_kinds or {}
    if spec.references[1] == 0:
        return ()
    kept = []
    for index, reference in enumerate(references):
        kind = reference.kind or media.told_kind(reference.medium, f"references[{index}]")
        if kind is None or kind in kinds:
            kept.append(reference if spec.voices else replace(reference, voice=None))
    return tuple(kept)


def _check_needs(request: VideoRequest, spec: ModelSpec) -> None:
    """The input ``spec`` cannot go without, when the request has none (clearer than validation's general
    message: it says which helper makes one from the task)."""
    name = f"{request.chosen_model} ({spec.task_name})"
    if spec.source_video is not None and request.video is None:
        raise ValidationError(
            "video",
            f"{name} edits a video and this request has none; give video=... (chain.edit_clip uses the result)",
        )
    if spec.references[0] > 0 and not request.references:
        raise ValidationError(
            "references",
            f"{name} needs {spec.references[0]}-{spec.references[1]} references and this request has none; give "
            "references=[...] (chain.as_reference makes the result one)",
        )
    if frozenset() not in spec.frame_sets and not request.media():
        raise ValidationError(
            "first_frame",
            f"{name} starts from a frame and this request has none; give first_frame=... "
            "(chain.animate_frame uses a frame of the result)",
        )


def _still(clip: Path, at: object) -> Path:
    """The frame of ``clip`` at ``at``, full size (a valid first frame or reference image), as a JPEG beside it."""
    if at == "middle":
        info = media.video_info(media.classify(clip, "at"))
        if info is None or not info.duration_s:
            raise ValidationError("at", f"cannot read the length of {clip.name} to find its middle frame")
        return poster(clip, at=info.duration_s / 2)
    if at in ("first", "last") or (isinstance(at, int | float) and not isinstance(at, bool)):
        return poster(clip, at=at)
    raise ValidationError("at", f'must be "first", "middle", "last" or seconds from the start, got {at!r}')


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


def _arguments(task: object, request: object) -> None:
    """A clear line for the easy slip of passing a prompt, or a task, where the other belongs."""
    if not isinstance(task, Task):
        raise TypeError(f"task: must be the Task to chain from, got {type(task).__name__}")
    if not isinstance(request, VideoRequest):
        raise TypeError(
            f"request: must be the VideoRequest that made task {task.id} (a Task does not carry it), "
            f"got {type(request).__name__}"
        )


def _checked(request: VideoRequest, dialect: Carriage | None) -> VideoRequest:
    if dialect is not None:
        validate(request, dialect)
    return request

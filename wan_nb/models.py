"""The common model every dialect translates to and from: frozen dataclasses, no wire field names.

Owns: :class:`VideoRequest` (what the user asks for), :class:`Task` (what the service says),
:class:`TaskStatus` (six canonical states), :class:`TaskError`, :class:`Usage`.
Imports nothing from wan_nb (nor httpx, asyncio, ipywidgets): a ``Task``'s card is drawn by the function
``wan_nb`` hands :func:`draw_cards_with` as it loads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from wan_nb.family import FRAME_ROLES, FrameRole, ReferenceKind, choose_model, spec_of

__all__ = [
    "MEDIA_ROLES",
    "MediaInput",
    "MediaRole",
    "Reference",
    "Task",
    "TaskError",
    "TaskStatus",
    "Usage",
    "VideoRequest",
    "draw_cards_with",
]

MediaRole = FrameRole
MEDIA_ROLES: tuple[MediaRole, ...] = FRAME_ROLES

# A medium: an http(s)/oss/data URL string, a local path (str or PathLike), raw bytes, or a PIL image.
MediaInput = str | os.PathLike[str] | bytes | Any


class TaskStatus(StrEnum):
    """Canonical task states. Wire spellings map onto these through tables in ``protocols/``."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """True once the task can no longer change.

        UNKNOWN is terminal: DashScope answers it for a task that does not exist or is older than 24 h,
        and a value no table knows is safer reported than waited on until the deadline.
        """
        return self in _TERMINAL


_TERMINAL = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED, TaskStatus.UNKNOWN})


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference for references-to-video (and Wan 3.0): a character, a prop or a scene to keep.

    ``medium`` is an image or a video (Wan 3.0 also audio) in any form a medium takes; ``voice`` (wav/mp3,
    1-10 s) gives that character its timbre (``reference_voice`` on the wire); ``kind`` says ``"image"``,
    ``"video"`` or ``"audio"`` where the medium cannot (a URL without an extension, raw bytes of a clip).
    The prompt names references per kind, in order: "Image 1", "Image 2", "Video 1"...
    """

    medium: MediaInput
    voice: MediaInput | None = None
    kind: ReferenceKind | None = None

    def __repr__(self) -> str:
        shown = [_describe(self.medium)]
        if self.voice is not None:
            shown.append(f"voice={_describe(self.voice)}")
        if self.kind is not None:
            shown.append(f"kind={self.kind!r}")
        return f"Reference({', '.join(shown)})"


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """One video request for any model of the Wan family, independent of the wire dialect that will carry it.

    What it is made from picks the model when ``model`` is None: a ``video`` to edit → ``wan2.7-videoedit``,
    ``references`` → ``wan2.7-r2v``, a ``first_frame``/``last_frame``/``first_clip`` → ``wan2.7-i2v``, a prompt
    alone → ``wan2.7-t2v`` (Wan 3.0 only when named). Media may each be an http(s) URL, an ``oss://`` URL, a
    ``data:`` URI, a local path (``str`` or ``pathlib.Path``), raw ``bytes`` or a PIL image. Validation happens
    in ``wan_nb.validation``, before any request.
    """

    prompt: str = ""
    """What should happen in the video (at most 5000 characters; Wan 3.0: 20000). Required for text and
    references; for references, name them as "Image 1", "Video 1" (numbered per kind, in order)."""
    first_frame: MediaInput | None = None
    """The image the video starts from (image-to-video; on references-to-video, with at least one reference)."""
    negative_prompt: str | None = None
    """What to avoid (at most 500 characters; native providers only; Wan 3.0 has none)."""
    last_frame: MediaInput | None = None
    """The image the video ends on (native providers only)."""
    driving_audio: MediaInput | None = None
    """wav/mp3 speech or music, 2-30 s: lip-sync on image-to-video, the soundtrack text-to-video follows
    (``input.audio_url``) (native providers only)."""
    first_clip: MediaInput | None = None
    """A 2-10 s mp4/mov clip to continue (native providers only)."""
    resolution: str | None = None
    """``"720P"`` or ``"1080P"`` (Wan 3.0 also ``"480P"``); ``None`` means 720P unless ``size`` is given."""
    size: str | None = None
    """``"1280x720"`` style; mapped to the nearest resolution on native providers."""
    duration: int | None = None
    """Output length in whole seconds; ``None``: the model's default (5; video editing keeps the source's
    length, ``0``). Image and text 2-15, references 2-15 (2-10 with a reference video), editing 0 or 2-10 (cuts
    the source), Wan 3.0 2-30 or -1 (the model picks)."""
    seed: int | None = None
    """0-2147483647 for repeatable results; ``None`` lets the service pick."""
    prompt_extend: bool | None = None
    """Let the service rewrite the prompt (native default: true)."""
    watermark: bool | None = None
    """Add the "AI generated" corner label (native default: false)."""
    audio: bool | None = None
    """Generate a soundtrack (``generate_audio`` / ``parameters.audio``)."""
    model: str | None = None
    """A model of :data:`wan_nb.family.MODELS` (or a dated snapshot of one); ``None`` chooses from the inputs
    (:attr:`chosen_model`)."""
    allow_unknown_model: bool = False
    """Send a ``model`` wan_nb does not know (a genuinely new model) instead of refusing it."""
    references: tuple[Reference, ...] = ()
    """References to keep in the video (references-to-video: 1-5 images and videos; video editing: up to 4
    images; Wan 3.0: up to 10 images, 5 videos, 5 audio): media, or :class:`Reference` for a voice or a kind.
    Any sequence is accepted and kept as a tuple of :class:`Reference`."""
    video: MediaInput | None = None
    """The video to edit (mp4/mov, 2-10 s): video editing only."""
    ratio: str | None = None
    """``"16:9"``, ``"9:16"``, ``"1:1"``, ``"4:3"`` or ``"3:4"`` (Wan 3.0 also ``"adaptive"``): text,
    references and editing (omitted: 16:9, or the source's aspect when editing). Image-to-video follows its
    image."""
    audio_setting: str | None = None
    """Video editing: ``"auto"`` (the model decides whether to make new sound) or ``"origin"`` (keep the
    source's)."""
    parent: str | None = None
    """The id of the task this try was chained from (``wan_nb.lab.chain`` sets it): kept in the journal and
    shown in the history so a chain of tries can be followed; never sent."""

    def __post_init__(self) -> None:
        given: object = self.references
        if given is None:  # None means no references, as for every other input
            object.__setattr__(self, "references", ())
            return
        if isinstance(given, Mapping):  # iterating would give its keys: "file not found: a"
            raise TypeError(
                f"references: got a {type(given).__name__}; pass a list of media or wan_nb.Reference(medium, "
                "voice=..., kind=...)"
            )
        if not isinstance(given, tuple) or not all(isinstance(item, Reference) for item in given):
            if isinstance(given, str | bytes | os.PathLike) or not isinstance(given, Iterable):
                given = (given,)  # one medium where a list was meant
            items = tuple(item if isinstance(item, Reference) else Reference(item) for item in given)
            object.__setattr__(self, "references", items)

    @property
    def chosen_model(self) -> str:
        """``model``, or the model the inputs choose when it is None."""
        if self.model is not None:
            return self.model
        frames = any(getattr(self, role) is not None for role in ("first_frame", "last_frame", "first_clip"))
        return choose_model(video=self.video is not None, references=bool(self.references), frames=frames)

    @property
    def chosen_duration(self) -> int:
        """``duration``, or the chosen model's default when it is None."""
        if self.duration is not None:
            return self.duration
        return spec_of(self.chosen_model).default_duration

    def media(self) -> dict[MediaRole, MediaInput]:
        """The single media that are set, by role, in wire order (references and the source video apart)."""
        return {role: getattr(self, role) for role in MEDIA_ROLES if getattr(self, role) is not None}

    def inputs(self) -> dict[str, MediaInput]:
        """Every medium of the request by the field that names it in messages: ``first_frame``...,
        ``video``, ``references[0]``, ``references[0].voice``."""
        found: dict[str, MediaInput] = {role: value for role, value in self.media().items()}
        if self.video is not None:
            found["video"] = self.video
        for index, reference in enumerate(self.references):
            found[f"references[{index}]"] = reference.medium
            if reference.voice is not None:
                found[f"references[{index}].voice"] = reference.voice
        return found

    def __repr__(self) -> str:
        # Media may be megabytes of bytes or a data: URI: show their kind and size, never the payload.
        shown = [f"prompt={_clip(self.prompt)!r}"]
        shown += [f"{role}={_describe(value)}" for role, value in self.media().items()]
        if self.video is not None:
            shown.append(f"video={_describe(self.video)}")
        if self.references:
            shown.append(f"references=[{', '.join(map(repr, self.references))}]")
        for name in ("negative_prompt", "resolution", "size", "ratio", "audio_setting", "seed", "prompt_extend",
                     "watermark", "audio"):  # fmt: skip
            value = getattr(self, name)
            if value is not None:
                shown.append(f"{name}={value!r}")
        known = self.duration is None and isinstance(self.chosen_model, str)
        shown.append(f"duration={self.chosen_duration if known else self.duration}")
        shown.append(f"model={self.chosen_model!r}" + ("" if self.model is not None else " (chosen)"))
        if self.allow_unknown_model:
            shown.append("allow_unknown_model=True")
        return f"VideoRequest({', '.join(shown)})"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(value: object) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and value.startswith("data:"):
        return f"<data URI, {len(value)} chars>"
    if isinstance(value, str | os.PathLike):
        return repr(os.fspath(value))
    return f"<{type(value).__name__}>"


@dataclass(frozen=True, slots=True)
class TaskError:
    """Why a task failed, as the service said it."""

    code: str
    """Upstream code, e.g. ``DataInspectionFailed``."""
    message: str
    """Upstream message, unmodified (escape it before putting it in HTML)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """What the service reports it billed."""

    billed_seconds: float | None = None
    """Seconds billed (DashScope ``usage.duration``: input video + output video; fractional for edits)."""
    video_seconds: float | None = None
    """Length of the produced video."""
    video_count: int | None = None
    resolution: int | None = None
    """Short side in pixels (DashScope ``SR``: 480, 720 or 1080)."""
    input_seconds: float | None = None
    """Seconds of input video billed (``input_video_duration``: a first clip, reference videos, the source of
    an edit); ``billed_seconds`` is this plus the output."""


@dataclass(frozen=True, slots=True)
class Task:
    """One server-side task, as last seen. Immutable: every poll yields a new Task."""

    id: str
    status: TaskStatus
    provider: str = ""
    """Which provider's table entry produced it (``dashscope``, ``gateway``, ``relay``, ``sim``...)."""
    status_raw: str = ""
    """The status exactly as the wire spelled it (kept even when the tables do not know it)."""
    progress: float | None = None
    """0-1 when the service reports progress; None when it does not (native DashScope)."""
    video_url: str | None = None
    """Where the result can be fetched (a signed URL valid for 24 h, or the gateway's content URL)."""
    error: TaskError | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    """When ``video_url`` stops working, if known."""
    request_id: str | None = None
    """The request id of the response that produced this state (quote it to support)."""
    usage: Usage | None = None
    prompt: str | None = None
    """The prompt as the service echoed it (``actual_prompt`` when it was rewritten)."""
    path: Path | None = None
    """The downloaded file, once there is one."""
    poll_after: float | None = field(default=None, repr=False)
    """Seconds the server asked us to wait before polling again (Retry-After / poll-after hints)."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The wire body this state was parsed from."""

    @property
    def done(self) -> bool:
        """True once the status is terminal."""
        return self.status.is_terminal

    def evolve(self, **changes: Any) -> Task:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def _repr_html_(self) -> str:
        return _draw_card(self)


_draw_card: Callable[[Task], str]


def draw_cards_with(draw: Callable[[Task], str]) -> None:
    """Make ``draw`` the HTML Jupyter shows for every Task (``Task._repr_html_``).

    ``wan_nb`` hands it ``wan_nb.display.html.task_card`` as it loads (importing ``wan_nb.models`` loads
    ``wan_nb`` first). The card embeds a poster of the video, which takes PyAV: handed over rather than
    imported, it leaves the base model free of presentation code, of PyAV and of import cycles.
    """
    global _draw_card
    _draw_card = draw

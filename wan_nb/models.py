"""The common model every dialect translates to and from: frozen dataclasses, no wire field names.

Owns: :class:`VideoRequest` (what the user asks for), :class:`Task` (what the service says),
:class:`TaskStatus` (six canonical states), :class:`TaskError`, :class:`Usage`.
Imports nothing from wan_nb (nor httpx, asyncio, ipywidgets): a ``Task``'s card is drawn by the function
``wan_nb`` hands :func:`draw_cards_with` as it loads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "MEDIA_ROLES",
    "MediaInput",
    "MediaRole",
    "Task",
    "TaskError",
    "TaskStatus",
    "Usage",
    "VideoRequest",
    "draw_cards_with",
]

DEFAULT_MODEL = "wan2.7-i2v"

MediaRole = Literal["first_frame", "last_frame", "driving_audio", "first_clip"]
MEDIA_ROLES: tuple[MediaRole, ...] = ("first_frame", "last_frame", "driving_audio", "first_clip")

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
class VideoRequest:
    """One image-to-video request, independent of the wire dialect that will carry it.

    Media (``first_frame``, ``last_frame``, ``driving_audio``, ``first_clip``) may each be an
    http(s) URL, an ``oss://`` URL, a ``data:`` URI, a local path (``str`` or ``pathlib.Path``),
    raw ``bytes`` or a PIL image. Validation happens in ``wan_nb.validation``, before any request.
    """

    prompt: str = ""
    """What should happen in the video (at most 5000 characters)."""
    first_frame: MediaInput | None = None
    """The image the video starts from (required unless ``first_clip`` is given)."""
    negative_prompt: str | None = None
    """What to avoid (at most 500 characters; native providers only)."""
    last_frame: MediaInput | None = None
    """The image the video ends on (native providers only)."""
    driving_audio: MediaInput | None = None
    """wav/mp3 speech or music the subject lip-syncs to, 2-30 s (native providers only)."""
    first_clip: MediaInput | None = None
    """A 2-10 s mp4/mov clip to continue (native providers only)."""
    resolution: str | None = None
    """``"720P"`` or ``"1080P"``; ``None`` means 720P unless ``size`` is given."""
    size: str | None = None
    """``"1280x720"`` style; mapped to the nearest resolution on native providers."""
    duration: int = 5
    """Output length in whole seconds, 2-15."""
    seed: int | None = None
    """0-2147483647 for repeatable results; ``None`` lets the service pick."""
    prompt_extend: bool | None = None
    """Let the service rewrite the prompt (native default: true)."""
    watermark: bool | None = None
    """Add the "AI generated" corner label (native default: false)."""
    audio: bool | None = None
    """Generate a soundtrack (``generate_audio`` / ``parameters.audio``)."""
    model: str = DEFAULT_MODEL
    """``wan2.7-i2v`` (default) or an older ``wan2.6-i2v``-style model: only known image-to-video models."""
    allow_unknown_model: bool = False
    """Send a ``model`` wan_nb does not know (a genuinely new i2v model) instead of refusing it."""

    def media(self) -> dict[MediaRole, MediaInput]:
        """The media that are set, by role, in wire order."""
        return {role: getattr(self, role) for role in MEDIA_ROLES if getattr(self, role) is not None}

    def __repr__(self) -> str:
        # Media may be megabytes of bytes or a data: URI: show their kind and size, never the payload.
        shown = [f"prompt={_clip(self.prompt)!r}"]
        shown += [f"{role}={_describe(value)}" for role, value in self.media().items()]
        for name in ("negative_prompt", "resolution", "size", "seed", "prompt_extend", "watermark", "audio"):
            value = getattr(self, name)
            if value is not None:
                shown.append(f"{name}={value!r}")
        shown += [f"duration={self.duration}", f"model={self.model!r}"]
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
    """Seconds billed (DashScope ``usage.duration``: input clip + output video)."""
    video_seconds: float | None = None
    """Length of the produced video."""
    video_count: int | None = None
    resolution: int | None = None
    """Short side in pixels (DashScope ``SR``: 720 or 1080)."""


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

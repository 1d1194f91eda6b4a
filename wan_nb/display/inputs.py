"""What a try was made from, as HTML: its task and model, its inputs, and the seconds it was billed.

Shared by the panel's cards and ``wan_nb.report``, so both show a try the same way:

- :func:`model_line`: "text-to-video · wan2.7-t2v" (the task's name from the family table).
- :func:`inputs_html`: a row of small figures, each labelled as the prompt names it: reference images and
  videos "Image 1", "Video 1" (numbered per kind, in order, family.md §2.2), the source of an edit and a clip to
  continue with their poster and length, and (``frames=True``) the first and last frames.
- :func:`journaled_inputs_html`: the same labels from a journal row's summary (the history's cards), each input
  shown by its name (the journal keeps no payloads and no folders).
- :func:`billed_text`: "billed 5 s out + 4.04 s in" once the service reported its usage (wan2.7 bills input
  video seconds at the output's rate: ``usage.duration`` is their sum, family.md §3).
- :func:`duration_text`: "5 s"; a duration that is no length says what it means: "the source's length" (an
  edit's 0), "the model picks" (Wan 3.0's -1), with the length made once the usage reports it.

Thumbnails are ``data:`` JPEGs made from local media only (a link is shown by its name: the report page fetches
nothing, and a card never makes the browser call a signed URL); a video's still is its first frame, decoded in
memory (nothing is written beside a user's file). Pillow and PyAV load inside the functions that use them.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wan_nb import media
from wan_nb.display.html import escape
from wan_nb.errors import WanError
from wan_nb.family import spec_of
from wan_nb.models import MediaInput, Usage, VideoRequest

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "THUMB_WIDTH",
    "billed",
    "billed_text",
    "duration_text",
    "inputs_html",
    "journaled_inputs_html",
    "model_line",
    "out_and_in",
    "seconds",
]

THUMB_WIDTH = 64
"""Pixels a thumbnail is shown wide (made twice that, for sharp high-density screens)."""
THUMB_SOURCE_CAP = 20 * 1024 * 1024
"""Largest image a thumbnail is made from (the service's own image limit, family.md §8)."""
VIDEO_SOURCE_CAP = 100 * 1024 * 1024
"""Largest uploaded video a still is decoded from (the service's own video limit, family.md §8)."""
THUMBS_KEPT = 64
"""Thumbnails kept in memory, of files by identity and of bytes by digest (a few KB each)."""
_MUTED = "color:#6b7280"


def model_line(request: VideoRequest) -> str:
    """The try's task and model, as text: ``"text-to-video · wan2.7-t2v"``."""
    return f"{spec_of(request.chosen_model).task_name} · {request.chosen_model}"


def billed(usage: Usage | None) -> tuple[float, float] | None:
    """(seconds of output, seconds of input video) the service billed; None before it reported them."""
    if usage is None or usage.billed_seconds is None:
        return None
    taken = usage.input_seconds or 0.0
    made = usage.video_seconds if usage.video_seconds is not None else usage.billed_seconds - taken
    return made, taken


def billed_text(usage: Usage | None) -> str:
    """``"billed 5 s out + 4.04 s in"`` (``"billed 5 s out"`` without input video); "" before the usage is
    known."""
    found = billed(usage)
    return "" if found is None else "billed " + out_and_in(*found)


def out_and_in(made: float, taken: float) -> str:
    """``"5 s out + 4.04 s in"``; ``"5 s out"`` when no input video was billed."""
    return f"{seconds(made)} out" + (f" + {seconds(taken)} in" if taken else "")


def duration_text(request: VideoRequest, usage: Usage | None = None) -> str:
    """The try's duration as a person reads it: ``"5 s"``; videoedit's 0 is ``"the source's length"`` and Wan
    3.0's -1 ``"the model picks"`` (family.md §8), each followed by the length made once the usage says it
    (``"the model picks (12 s)"``)."""
    duration = request.chosen_duration
    spec = spec_of(request.chosen_model)
    if duration == 0 and spec.source_video is not None:
        said = "the source's length"
    elif duration < 0 and duration in spec.durations:
        said = "the model picks"
    else:
        return seconds(duration)
    found = billed(usage)
    return said + (f" ({seconds(found[0])})" if found is not None and found[0] > 0 else "")


def seconds(value: float) -> str:
    """``5 s``, ``4.04 s``: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def inputs_html(request: VideoRequest | None, *, frames: bool = False, width: int = THUMB_WIDTH) -> str:
    """The request's inputs as a row of labelled thumbnails; "" when it has none to show."""
    if request is None:
        return ""
    shown: list[tuple[str, MediaInput | None, str]] = []  # (label, medium, field)
    for role, value in request.media().items():
        if role == "first_clip" or (frames and role in ("first_frame", "last_frame")):
            shown.append((_ROLE_LABELS[role], value, role))
    if request.video is not None:
        shown.append(("source", request.video, "video"))
    counts: dict[str, int] = {}
    for index, reference in enumerate(request.references):
        field = f"references[{index}]"
        kind = reference.kind or media.told_kind(reference.medium, field)
        shown.append((_reference_label(kind, counts, reference.voice is not None), reference.medium, field))
    return _row([(label, value, field, None) for label, value, field in shown], width)


def journaled_inputs_html(described: object, *, frames: bool = False) -> str:
    """The inputs a journal row names (``summarize``'s ``media``: each field's kind and file name, and a
    reference's kind), labelled as :func:`inputs_html` labels a live request's, each shown by its name: the
    journal keeps neither payloads nor folders. "" when it names none."""
    if not isinstance(described, Mapping):
        return ""
    shown: list[tuple[str, MediaInput | None, str, str | None]] = []
    counts: dict[str, int] = {}
    for field, about in described.items():
        if not isinstance(field, str) or not isinstance(about, Mapping) or field.endswith(".voice"):
            continue
        name = about.get("name")
        kept = name if isinstance(name, str) else _UNNAMED.get(str(about.get("kind")), "an input")
        if field.startswith("references["):
            kind = about.get("reference")
            known = kind if kind in ("image", "video", "audio") else None
            voiced = f"{field}.voice" in described
            shown.append((_reference_label(known, counts, voiced), None, field, kept))
        elif field == "video" or field == "first_clip" or (frames and field in _ROLE_LABELS):
            shown.append((_ROLE_LABELS.get(field, "source"), None, field, kept))
    return _row(shown, THUMB_WIDTH)


_UNNAMED = {"bytes": "an upload", "data": "a data: URI"}
"""How an input without a name is shown (``summarize`` keeps only its kind and size)."""


def _reference_label(kind: str | None, counts: dict[str, int], voiced: bool) -> str:
    """ "Image 2", "Video 1 + voice": numbered per kind in order, as the prompt names them (family.md §2.2)."""
    noun = kind or "reference"
    counts[noun] = counts.get(noun, 0) + 1
    return f"{noun.capitalize()} {counts[noun]}" + (" + voice" if voiced else "")


def _row(shown: list[tuple[str, MediaInput | None, str, str | None]], width: int) -> str:
    if not shown:
        return ""
    figures = "".join(_figure(label, value, field, width, name) for label, value, field, name in shown)
    return f'<div class="wan-inputs" style="display:flex;flex-wrap:wrap;gap:6px;margin:2px 0">{figures}</div>'


_ROLE_LABELS = {"first_frame": "first frame", "last_frame": "last frame", "first_clip": "clip to continue"}


def _figure(label: str, value: MediaInput | None, field: str, width: int, name: str | None = None) -> str:
    """One labelled input: its still (and length) when ``value`` is there to read, else ``name``."""
    still, length, found = _still(value, field, width) if value is not None else ("", None, "")
    name = name or found
    caption = label + (f" · {seconds(length)}" if length else "")
    picture = (
        f'<img src="{escape(still)}" alt="{escape(label)}" style="max-width:{width}px;max-height:{width}px;'
        'display:block">'
        if still
        else f'<div style="{_MUTED};font-size:85%;max-width:{width * 2}px;overflow-wrap:anywhere">'
        f"{escape(name)}</div>"
    )
    return (
        f'<figure class="wan-input" style="margin:0">{picture}'
        f'<figcaption style="{_MUTED};font-size:80%">{escape(caption)}</figcaption></figure>'
    )


def _still(value: MediaInput, field: str, width: int) -> tuple[str, float | None, str]:
    """(a ``data:`` JPEG or "", the video's length or None, a name to show instead of a still)."""
    try:
        medium = media.classify(value, field)
    except (WanError, TypeError):
        return "", None, type(value).__name__
    name = media.filename_for(medium) if medium.kind in ("file", "url", "oss") else field
    if not medium.is_local:
        return "", None, name  # a link: never fetched here
    try:
        if medium.kind != "file":
            video = media.reference_kind(medium) == "video"  # an uploaded source or reference clip
            _, data = media.read(medium, VIDEO_SOURCE_CAP if video else THUMB_SOURCE_CAP)
            if video:
                info = media.video_info(medium, data)
                return _bytes_thumbnail(data, width, video=True), info.duration_s if info else None, name
            return _bytes_thumbnail(data, width), None, name
        path = Path(str(medium.value))
        stat = path.stat()
        identity = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, width)
        if media.reference_kind(medium) == "video":
            info = media.video_info(medium)
            return _video_thumbnail(*identity), info.duration_s if info is not None else None, name
        return _file_thumbnail(*identity), None, name
    except (WanError, OSError, ValueError):
        return "", None, name


@functools.lru_cache(maxsize=THUMBS_KEPT)
def _video_thumbnail(path: str, size: int, modified: int, width: int) -> str:
    """The first frame of a video file as a small JPEG ``data:`` URI ("" when it cannot be decoded)."""
    del size, modified  # part of the key: an edited file is read again
    return _first_frame(path, width)


def _first_frame(source: str | io.BytesIO, width: int) -> str:
    import av

    try:
        with av.open(source, mode="r") as container:
            frame: Any = next(container.decode(video=0))
            picture: Image.Image = frame.to_image()
    except (av.error.FFmpegError, StopIteration, ValueError, OSError):
        return ""
    return _jpeg(picture, width)


@functools.lru_cache(maxsize=THUMBS_KEPT)
def _file_thumbnail(path: str, size: int, modified: int, width: int) -> str:
    """:func:`_thumbnail` of an image file, cached by its identity: a compare grid shows one reference in
    every cell, and a card is built on the kernel's loop."""
    del modified  # part of the key: an edited file is read again
    if size > THUMB_SOURCE_CAP:
        return ""
    return _thumbnail(Path(path).read_bytes(), width)


_BYTES_SEEN: dict[tuple[str, int], str] = {}
"""Thumbnails of uploaded bytes by content digest (a compare grid shows one upload in every cell)."""


def _bytes_thumbnail(data: bytes | None, width: int, *, video: bool = False) -> str:
    if data is None:
        return ""
    key = (hashlib.sha256(data).hexdigest(), width)
    if key not in _BYTES_SEEN:
        if len(_BYTES_SEEN) >= THUMBS_KEPT:
            del _BYTES_SEEN[next(iter(_BYTES_SEEN))]  # the oldest
        _BYTES_SEEN[key] = _first_frame(io.BytesIO(data), width) if video else _thumbnail(data, width)
    return _BYTES_SEEN[key]


def _thumbnail(data: bytes | None, width: int) -> str:
    """A small JPEG of an image, as a ``data:`` URI ("" without data)."""
    from PIL import Image

    if data is None:
        return ""

    with Image.open(io.BytesIO(data)) as picture:
        return _jpeg(picture, width)


def _jpeg(picture: Image.Image, width: int) -> str:
    picture.thumbnail((width * 2, width * 2))
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=80)
    return media.to_data_uri(out.getvalue(), "image/jpeg")

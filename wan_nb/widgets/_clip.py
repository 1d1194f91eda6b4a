"""What a picked video shows in the form: its length, its size and a poster, read off the kernel loop.

A source video to edit and a reference video cost input seconds (``usage.duration`` is input + output,
family.md §3) and must last 2-10 s (an edit's source) or 1-30 s (a reference): the form shows the length as
soon as the clip is picked, from the MP4's ``moov`` box (``media.video_info``, no decoding), and its first frame
as a poster (``media.stills.poster``: PyAV, in a worker thread). The poster is written beside a link to (or, for
an upload, a copy of) the clip in ``$WAN_NB_HOME/clips`` (the user's own folder, not a shared temporary one),
never beside the user's file. A link is not fetched (the service reads it): it shows
its name only.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from wan_nb import media
from wan_nb.client.providers import data_home
from wan_nb.errors import WanError

__all__ = ["POSTER_WIDTH", "ClipFacts", "clip_facts"]

POSTER_WIDTH = 120
_CACHE = "clips"


@dataclass(frozen=True, slots=True)
class ClipFacts:
    """What is known of a picked clip: its length and size when the header says, and a JPEG poster."""

    seconds: float | None
    width: int | None
    height: int | None
    poster: bytes | None

    def text(self) -> str:
        """``4.0 s · 640×360``; empty when nothing is known."""
        parts = [f"{self.seconds:.1f} s"] if self.seconds else []
        if self.width and self.height:
            parts.append(f"{self.width}×{self.height}")
        return " · ".join(parts)


def clip_facts(value: object, field: str) -> ClipFacts:
    """The facts of a local clip (a path or bytes); a link or an unreadable clip gives what could be read.

    Blocking (reads the header, decodes one frame): call it in a worker thread."""
    try:
        medium = media.classify(value, field)
        if not medium.is_local:
            return ClipFacts(None, None, None, None)
        info = media.video_info(medium)
    except (WanError, OSError, TypeError):
        return ClipFacts(None, None, None, None)
    if info is None:
        return ClipFacts(None, None, None, None)
    return ClipFacts(info.duration_s, info.width, info.height, _poster(medium))


def _poster(medium: media.Medium) -> bytes | None:
    from wan_nb.media.stills import poster

    try:
        return poster(_cached_copy(medium), width=POSTER_WIDTH).read_bytes()
    except (WanError, OSError, ValueError):  # PyAV's InvalidDataError is a ValueError
        return None


def _cached_copy(medium: media.Medium) -> Path:
    """The clip under ``$WAN_NB_HOME/clips`` (named by its content or its file's identity), so its poster is
    written there and not beside the user's file."""
    folder = data_home() / _CACHE
    folder.mkdir(parents=True, exist_ok=True)
    if medium.kind == "file":
        source = Path(os.fsdecode(medium.value)).resolve()
        stat = source.stat()
        name = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]
        target = folder / f"{name}{source.suffix.lower() or '.mp4'}"
        if not target.exists():
            target.symlink_to(source)
        return target
    data = media.load(medium)
    target = folder / f"{hashlib.sha256(data).hexdigest()[:24]}.mp4"
    if not target.exists():
        target.write_bytes(data)
    return target

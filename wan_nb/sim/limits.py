"""Upstream's limits on the media a task reads (native.md §1.2 media table; §1.3 for the older ``audio_url``).

| role | formats | limits |
|---|---|---|
| first_frame, last_frame | JPEG, PNG, BMP, WEBP | each side 240–8000 px, aspect 1:8–8:1, ≤ 20 MB |
| driving_audio | wav, mp3 | 2–30 s (older models' ``audio_url``: 3–30 s), ≤ 15 MB; longer than ``duration``: truncated |
| first_clip | mp4, mov | 2–10 s, each side 240–4096 px, aspect 1:8–8:1, ≤ 100 MB |
| reference_image (r2v, videoedit, Wan 3.0) | as first_frame | (family.md §2.2) |
| reference_video (r2v, Wan 3.0) | mp4, mov | 1–30 s, sides and size as first_clip (family.md §2.2) |
| video (videoedit) | mp4, mov | 2–10 s, as first_clip (family.md §2.2) |
| reference_voice (r2v) | wav, mp3 | 1–10 s, ≤ 15 MB (family.md §2.2) |
| reference_audio (Wan 3.0) | wav, mp3 | ≤ 15 MB; 1–15 s each (their total is ≤ 15 s, family.md §6; the per-item floor is a guess) |

Checked when the task runs, on the media the simulator can read (``data:`` URIs, its own ``oss://`` uploads and
results, loopback URLs); a public URL is never fetched and renders a placeholder card instead. Upstream accepts
the create and fails the task: HTTP 200, ``task_status`` FAILED, ``output.code`` InvalidParameter (native.md §3.1:
"typical runtime codes: InvalidParameter", example message "The size is not match …"). The message names the
request field and the limit, ending in the field path like the create-time errors ("…: input.media.0.url").
"MB" is read as MiB, the looser reading (as the client's wan_nb/validation.py does).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from wan_nb.sim import media, validate
from wan_nb.sim.render import RenderSpec

MB = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    noun: str
    formats: tuple[str, ...]  # as shown in messages; matched case-insensitively
    max_mb: int
    sides: tuple[int, int] | None = None  # each side, px
    aspect: int | None = None  # N: from 1:N to N:1
    seconds: tuple[int, int] | None = None


IMAGE = Limit("image", ("JPEG", "PNG", "BMP", "WEBP"), 20, sides=(240, 8000), aspect=8)
AUDIO = Limit("audio", ("wav", "mp3"), 15, seconds=(2, 30))
LEGACY_AUDIO = replace(AUDIO, seconds=(3, 30))  # wan2.6 and older: audio_url 3–30 s (native.md §1.3)
CLIP = Limit("video", ("mp4", "mov"), 100, sides=(240, 4096), aspect=8, seconds=(2, 10))
REFERENCE_VIDEO = replace(CLIP, seconds=(1, 30))
VOICE = replace(AUDIO, seconds=(1, 10))
REFERENCE_AUDIO = replace(AUDIO, seconds=(1, 15))
# The limit of each kind of medium (validate.kind_of); images are the rest.
LIMITS = {
    "first_clip": CLIP,
    "video": CLIP,
    "reference_video": REFERENCE_VIDEO,
    "reference_voice": VOICE,
    "reference_audio": REFERENCE_AUDIO,
}
BILLED = frozenset({"first_clip", "reference_video", "video"})  # input seconds count (family.md §3)


@dataclass(frozen=True)
class Facts:
    """What a medium is: its format (None when unreadable), pixel size and length where they apply."""

    format: str | None
    size: tuple[int, int] | None = None
    seconds: float | None = None
    oversized: bool = False  # too many pixels for Pillow to even open: far beyond every side limit


@dataclass
class Checked:
    """The media as fetched for the check (the render reuses them), and the input videos' seconds (billed:
    a first_clip, r2v's reference videos, videoedit's source)."""

    fallback: media.Resolver
    fetched: dict[str, bytes] = field(default_factory=dict)
    clip_seconds: float = 0.0

    def resolve(self, url: str) -> bytes | None:
        data = self.fetched.get(url)
        return data if data is not None else self.fallback(url)


def limit_for(role: str, model: str) -> Limit:
    kind = validate.kind_of(role)
    if kind == "driving_audio":
        return AUDIO if validate.rule_for(model).media_protocol else LEGACY_AUDIO
    return LIMITS.get(kind, IMAGE)


def check(spec: RenderSpec, resolve: media.Resolver) -> Checked:
    """Raise ``media.MediaError`` for the first medium that cannot be read or is out of its limits."""
    checked = Checked(resolve)
    totals: defaultdict[str, float] = defaultdict(float)  # seconds per kind, for Wan 3.0's caps on the sum
    for role, url in spec.media.items():
        data = _fetch(role, url, spec.fields.get(role, role), resolve)
        if data is None:
            continue  # a public URL: not fetched offline, a placeholder card stands in for it
        checked.fetched[url] = data
        limit = limit_for(role, spec.model)
        facts = inspect(limit, data)
        problem = _problem(limit, facts, len(data))
        if problem:
            kind = validate.kind_of(role)
            raise media.MediaError(f"The {kind} {limit.noun} {problem}: {spec.fields.get(role, role)}")
        if validate.kind_of(role) in BILLED and facts.seconds is not None:
            checked.clip_seconds += facts.seconds
        totals[validate.kind_of(role)] += facts.seconds or 0.0
    _check_totals(totals, validate.rule_for(spec.model).media)
    return checked


def _check_totals(totals: Mapping[str, float], rule: validate.MediaRule | None) -> None:
    """Wan 3.0: reference videos, and reference audios, at most 15 s together (family.md §6)."""
    for kind, most in (rule.totals if rule else {}).items():
        if totals.get(kind, 0.0) > most:
            raise media.MediaError(
                f"The {kind} media last {totals.get(kind, 0.0):.2f} s together, it should be at most {most} s: input.media"
            )


def _fetch(role: str, url: str, where: str, resolve: media.Resolver) -> bytes | None:
    """An unreadable loopback URL fails the task naming the URL and the field; upstream's own wording for
    a URL it cannot download is not documented."""
    try:
        return media.fetch(url, resolve)
    except media.FetchError as error:
        raise media.MediaError(
            f"The {role} at {url} could not be fetched ({error.reason}): {where}"
        ) from error


def inspect(limit: Limit, data: bytes) -> Facts:
    if limit.noun == "image":
        return _image_facts(data)
    return _container_facts(data, video=limit.noun == "video")


def _problem(limit: Limit, facts: Facts, size: int) -> str | None:
    """The first limit broken (bytes, format, sides, aspect, length), as the middle of the message."""
    if size > limit.max_mb * MB:
        return f"file size {size / MB:.1f} MB is out of range, it should be at most {limit.max_mb} MB"
    if facts.oversized and limit.sides:
        return f"size is out of range, each side should be at most {limit.sides[1]} px"
    if facts.format is None or facts.format.upper() not in {name.upper() for name in limit.formats}:
        allowed = ", ".join(limit.formats)
        return f"format {facts.format or 'unrecognised'} is not supported, it should be one of {allowed}"
    return _shape_problem(limit, facts.size) or _length_problem(limit, facts.seconds)


def _shape_problem(limit: Limit, size: tuple[int, int] | None) -> str | None:
    if size is None:
        return None
    shown = f"{size[0]}x{size[1]}"
    if limit.sides and not limit.sides[0] <= min(size) <= max(size) <= limit.sides[1]:
        low, high = limit.sides
        return f"size {shown} is out of range, each side should be between {low} and {high} px"
    if limit.aspect and max(size) > limit.aspect * min(size):
        return f"aspect ratio {shown} is out of range, it should be between 1:{limit.aspect} and {limit.aspect}:1"
    return None


def _length_problem(limit: Limit, seconds: float | None) -> str | None:
    if not limit.seconds or seconds is None or limit.seconds[0] <= seconds <= limit.seconds[1]:
        return None
    low, high = limit.seconds
    return f"duration {seconds:.2f} s is out of range, it should be between {low} and {high} s"


def _image_facts(data: bytes) -> Facts:
    """The header only (Pillow opens lazily). Pillow refuses over ~179 Mpx: more than 8000 px on some side."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return Facts(image.format, image.size)
    except Image.DecompressionBombError:
        return Facts(None, oversized=True)
    except (UnidentifiedImageError, OSError):
        return Facts(None)


def _container_facts(data: bytes, video: bool) -> Facts:
    """The demuxer's names (``mov,mp4,m4a,3gp,3g2,mj2`` covers mp4 and mov), sides and length, from headers."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            streams: Any = container.streams.video if video else container.streams.audio
            if not streams:
                return Facts(None)  # no picture in a "video", no sound in an "audio": not that kind of medium
            context, names = streams[0].codec_context, container.format.name.split(",")
            size = (context.width, context.height) if video else None
            return Facts(_allowed_name(names, video), size, _seconds(container, streams[0]))
    except (av.error.FFmpegError, ValueError):
        return Facts(None)


def _allowed_name(names: list[str], video: bool) -> str:
    """The allowed format among the demuxer's names, else its first name (``matroska``, ``ogg``...)."""
    wanted = CLIP.formats if video else AUDIO.formats
    return next((name for name in names if name in wanted), names[0])


def _seconds(container: Any, stream: Any) -> float | None:
    """The container's duration (mp4: ``mvhd``, the longest track), else the stream's; None when unknown."""
    if container.duration is not None:
        return float(container.duration) / 1_000_000  # AV_TIME_BASE
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None

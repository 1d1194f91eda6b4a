"""``validate(request, capabilities)``: refuse a request that cannot work, before anything is sent or billed.

Raises :class:`~wan_nb.errors.ValidationError` (``"field: message"``, one line naming what is allowed), or
``TypeError`` for a wrong Python type (a list as a prompt, ``"yes"`` as a flag, a number as a medium);
a ``duration`` or ``seed`` that is no integer (``5.0``, ``True``) is a ValidationError, as issue 2 says.
The first problem is raised, cheapest first: model, texts, flags, duration, resolution/size, seed,
fields the dialect lacks, the media combination, each medium's kind, then local content (size, headers).

Decisions where the wire facts are silent:

* Models: only the image-to-video models of the :data:`MODELS` table (protocol.md §2, research/native.md
  §1.2-1.3) and their dated snapshots (``wan2.7-i2v-2026-04-25``) are sent. Other Wan families (``-t2v``,
  ``-r2v``, ``-kf2v``, ``-videoedit``, image models) and other names are refused, listing the known models:
  each would be a paid request that cannot do image-to-video. The escape hatch for a genuinely new i2v model is
  ``VideoRequest(model=..., allow_unknown_model=True)``: it gets its family's limits (``wan2.7*`` wan2.7-i2v's,
  an older prefix loose legacy ones, anything else wan2.7's with 480P allowed) and the server judges the rest.
* Figures native.md marks UNCONFIRMED (older models' durations) are checked loosely (2-15).
* ``resolution`` is case-insensitive (``"720p"`` passes; the protocols send it upper-case). ``size`` is
  ``WxH`` or ``W*H``, positive; with both, the size's short side must be nearest that resolution.
* "MB" is MiB: the looser reading, so a file the server would take is never refused.
* Remote media (http(s), oss) are not fetched, only their scheme checked. ``oss://`` URLs belong to the
  DashScope account that uploaded them, so only a dialect that uploads to OSS (``accepts_oss``) may carry them. For a cloud
  service (``cloud=True``, the client's answer) a link to this machine, a private or link-local address, a
  ``.local`` name or a Jupyter ``/files/`` link is refused with the hint to pass the local path (it is
  uploaded). A server on loopback (the simulator, a local relay) may fetch those, so ``cloud=False`` lets them
  through.
* Which fields a dialect carries is its ``protocols`` capabilities' ``carries``: validation asks, it never
  compares a dialect's name.
* Local images must decode: Pillow's full decode when it is importable, else a structural check (the format's
  closing marker or declared length). HEIC/HEIF, AVIF, TIFF, SVG and GIF are refused with how to convert them.
  A ``data:`` URI needs ``data:<type>/<subtype>[;base64],``; one longer than its medium's size limit allows is
  refused before it is decoded. A clip or audio whose length cannot be read is refused (damaged or unfinished).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Protocol

from wan_nb import media
from wan_nb.errors import ValidationError
from wan_nb.media.rules import MediaLimits, check_content, check_reachable
from wan_nb.models import MEDIA_ROLES, MediaRole, VideoRequest

__all__ = [
    "MODELS",
    "Carriage",
    "MediaLimits",
    "ModelLimits",
    "check_task_id",
    "model_limits",
    "nearest_resolution",
    "validate",
]

SEED_MAX = 2_147_483_647  # parameters.seed is [0, 2^31 - 1] (native.md §1.2)
# Fields a dialect may not carry (the gateway: prompt, first image, size, seconds, seed, generate_audio only,
# protocol.md §1, §4), in the order they are reported; the dialect's capabilities say which it carries.
OPTIONAL_FIELDS = (
    "negative_prompt",
    "last_frame",
    "driving_audio",
    "first_clip",
    "prompt_extend",
    "watermark",
)
FLAGS = ("prompt_extend", "watermark", "audio", "allow_unknown_model")
_SIZE = re.compile(r"^([0-9]+)[xX*]([0-9]+)$")


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """One model's rules, for validation and for showing in the panel."""

    model: str
    legacy: bool
    """True when the body carries ``input.img_url``/``audio_url`` instead of ``input.media`` (native.md §1.3)."""
    media_sets: tuple[frozenset[MediaRole], ...]
    resolutions: tuple[str, ...]
    default_resolution: str
    durations: tuple[int, ...]
    prompt_chars: int
    negative_prompt_chars: int
    image: MediaLimits
    audio: MediaLimits
    clip: MediaLimits

    def limits_for(self, role: MediaRole) -> MediaLimits:
        return self.clip if role == "first_clip" else self.audio if role == "driving_audio" else self.image


def _sets(names: str) -> tuple[frozenset[MediaRole], ...]:
    by_name: dict[str, MediaRole] = {role: role for role in MEDIA_ROLES}
    return tuple(frozenset(by_name[part] for part in name.split("+")) for name in names.split())


def _seconds(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


# fmt: off
_FRAMES = ("jpeg", "png", "bmp", "webp")
# wan2.7-i2v (native.md §1.2): frames 240-8000 px, 1:8-8:1, ≤ 20 MB; audio wav/mp3 2-30 s ≤ 15 MB;
# first_clip mp4/mov 2-10 s, 240-4096 px, 1:8-8:1, ≤ 100 MB; durations 2-15; 720P/1080P only.
WAN27 = ModelLimits(
    model="wan2.7-i2v", legacy=False, resolutions=("720P", "1080P"), default_resolution="720P",
    media_sets=_sets("first_frame first_frame+driving_audio first_frame+last_frame "
                     "first_frame+last_frame+driving_audio first_clip first_clip+last_frame"),
    durations=_seconds(2, 15), prompt_chars=5000, negative_prompt_chars=500,
    image=MediaLimits("an image", _FRAMES, 20, side=(240, 8000), aspect=8),
    audio=MediaLimits("audio", ("wav", "mp3"), 15, seconds=(2, 30)),
    clip=MediaLimits("a video", ("mp4", "mov"), 100, side=(240, 4096), aspect=8, seconds=(2, 10)),
)
# Older first-frame models (native.md §1.3): img_url 360-2000 px ≤ 10 MB (no aspect limit published),
# audio_url 3-30 s ≤ 15 MB on wan2.5/2.6 only; prompt ≤ 2000. Per-model durations are UNCONFIRMED
# (5/10/15 vs any integer 2-15), so 2-15 unless an official page fixes them.
WAN26 = replace(
    WAN27, model="wan2.6-i2v", legacy=True, media_sets=_sets("first_frame first_frame+driving_audio"),
    prompt_chars=2000, image=MediaLimits("an image", _FRAMES, 10, side=(360, 2000)),
    audio=MediaLimits("audio", ("wav", "mp3"), 15, seconds=(3, 30)),
)
WAN22 = replace(WAN26, model="wan2.2-i2v-plus", media_sets=_sets("first_frame"), prompt_chars=800)
_FLASH = MediaLimits("an image", _FRAMES, 20, side=(360, 2000))  # modelstream's -flash page: ≤ 20 MB
_MODELS = (
    WAN27,
    WAN26,
    replace(WAN26, model="wan2.6-i2v-flash", image=_FLASH),
    replace(WAN26, model="wan2.5-i2v-preview", resolutions=("480P", "720P", "1080P")),
    # official zh legacy page: wan2.2-i2v-plus 480P/1080P, 5 s; wan2.2-i2v-flash 480P/720P
    replace(WAN22, resolutions=("480P", "1080P"), default_resolution="1080P", durations=(5,)),
    replace(WAN22, model="wan2.2-i2v-flash", resolutions=("480P", "720P"), image=_FLASH),
    # same page: wanx2.1-i2v-turbo 480P/720P, 3/4/5 s; wanx2.1-i2v-plus 720P, 5 s
    replace(WAN22, model="wanx2.1-i2v-turbo", resolutions=("480P", "720P"), durations=(3, 4, 5)),
    replace(WAN22, model="wanx2.1-i2v-plus", resolutions=("720P",), durations=(5,)),
)
# fmt: on
MODELS: dict[str, ModelLimits] = {limits.model: limits for limits in _MODELS}
_ANY_RESOLUTION = ("480P", "720P", "1080P")
# Unknown names: the family fixes the body shape (protocols.native reads `legacy` from here); the server judges the rest.
FAMILIES: tuple[tuple[tuple[str, ...], ModelLimits], ...] = (
    (("wan2.7",), WAN27),
    (("wan2.6-", "wan2.5-", "wan2.2-", "wanx2.1-", "wanx2.0-"), replace(WAN26, resolutions=_ANY_RESOLUTION)),
    (("",), replace(WAN27, resolutions=_ANY_RESOLUTION)),
)


def model_limits(model: str) -> ModelLimits:
    """The rules for ``model``: its own, its snapshot's base model's, or its family's generic ones."""
    bases = [name for name in MODELS if model == name or model.startswith(name + "-")]
    if bases:
        return MODELS[max(bases, key=len)]  # wan2.6-i2v-flash beats wan2.6-i2v
    return next(limits for prefixes, limits in FAMILIES if model.startswith(prefixes))


def nearest_resolution(size: str, model: str) -> str:
    """The model's resolution whose short side is nearest ``size``'s (ties go to the smaller)."""
    short = min(_parse_size(size))
    return min(model_limits(model).resolutions, key=lambda res: (abs(short - int(res[:-1])), int(res[:-1])))


def check_task_id(task_id: object) -> str:
    """``task_id`` when it can be one (a non-empty line of printable text, at most 256 characters)."""
    if not isinstance(task_id, str):
        raise TypeError(f"task_id: expected a Task or a task id string, got {type(task_id).__name__}")
    if not task_id.strip() or len(task_id) > 256 or any(ord(ch) < 32 or ord(ch) == 127 for ch in task_id):
        shown = task_id if len(task_id) <= 60 else task_id[:59] + "…"
        raise ValidationError("task_id", f"{shown!r} is not a task id (printable text, 1-256 characters)")
    return task_id


class Carriage(Protocol):
    """What validation asks of a dialect: ``protocols.base.Capabilities`` (this room sits below protocols)."""

    @property
    def name(self) -> str: ...
    @property
    def carries(self) -> frozenset[str]: ...
    @property
    def accepts_oss(self) -> bool: ...


def validate(
    request: VideoRequest, dialect: Carriage, *, cloud: bool = True
) -> dict[MediaRole, media.Medium | media.Content]:
    """Raise the first problem with ``request`` for a dialect (its ``capabilities``); else its media, by role:
    a link as classified, a local medium as the :class:`~wan_nb.media.Content` read and sniffed here, so that a
    create sends it without reading it again.

    ``cloud``: the service fetches media from the internet (the client says; False for a loopback server).
    """
    limits = _check_model(request.model, request.allow_unknown_model)
    for check in _SCALAR_CHECKS:
        check(request, limits)
    _check_dialect_fields(request, dialect)
    _check_media_set(request, limits)
    found = {role: media.classify(value, role) for role, value in request.media().items()}
    for role, medium in found.items():
        if medium.kind == "oss" and not dialect.accepts_oss:
            raise ValidationError(role, _OSS_ELSEWHERE.format(dialect.name))
        if medium.kind == "url" and cloud:
            check_reachable(medium)
    return {
        role: check_content(medium, limits.limits_for(role), request.model) if medium.is_local else medium
        for role, medium in found.items()
    }


_OSS_ELSEWHERE = (
    "oss:// URLs belong to the DashScope account that uploaded them and work only with native providers, "
    "not {}; give an http(s) URL, a path or bytes"
)


# Other Wan task families (native.md §1): each has its own endpoint and inputs; an i2v request to them is billed
# and cannot work. Matched on the name's parts, so "wan2.5-t2v-preview" and "wanx2.1-t2i-turbo" are both seen.
_OTHER_FAMILIES = (
    ("t2v", "a text-to-video model"),
    ("r2v", "a reference-to-video model"),
    ("kf2v", "a first-and-last-frame model with its own endpoint"),
    ("videoedit", "a video-editing model"),
    ("vace", "a video-editing model"),
    ("s2v", "a speech-to-video model with its own endpoint"),
    ("animate", "a character-animation model"),
    ("t2i", "an image model"),
    ("i2i", "an image model"),
    ("image", "an image model"),
    ("imageedit", "an image model"),
)
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$|-\d{4,8}$")


def _check_model(model: object, allow_unknown: object) -> ModelLimits:
    if not isinstance(model, str):
        raise TypeError(f"model: must be a string such as 'wan2.7-i2v', got {type(model).__name__}")
    known = ", ".join(MODELS)
    if not model.strip():
        raise ValidationError("model", f"is empty; known models: {known}")
    if model in MODELS or (_SNAPSHOT.search(model) and _SNAPSHOT.sub("", model) in MODELS):
        return model_limits(model)
    if allow_unknown is True:
        return model_limits(model)
    parts = re.split(r"[-_.\s]+", model.lower())
    family = next((what for part, what in _OTHER_FAMILIES if part in parts), None)
    if family is not None:
        said = f"{model!r} is {family}; this path sends image-to-video requests only"
    else:
        close = difflib.get_close_matches(model.strip().lower(), MODELS, n=1, cutoff=0.6)
        said = f"{model!r} is not a known image-to-video model" + (
            f" (did you mean {close[0]}?)" if close else ""
        )
    raise ValidationError(
        "model",
        f"{said}; known: {known}; for a new i2v model pass VideoRequest(..., allow_unknown_model=True)",
    )


def _check_texts(request: VideoRequest, limits: ModelLimits) -> None:
    negative = "" if request.negative_prompt is None else request.negative_prompt
    texts: tuple[tuple[str, object, int], ...] = (
        ("prompt", request.prompt, limits.prompt_chars),
        ("negative_prompt", negative, limits.negative_prompt_chars),
    )
    for field, text, most in texts:
        if not isinstance(text, str):
            raise TypeError(f"{field}: must be a string, got {type(text).__name__}")
        if len(text) > most:
            raise ValidationError(field, f"{len(text)} characters; at most {most} for {request.model}")


def _check_flags(request: VideoRequest, limits: ModelLimits) -> None:
    for field in FLAGS:
        value = getattr(request, field)
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{field}: must be True, False or None, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_duration(request: VideoRequest, limits: ModelLimits) -> None:
    value, allowed = request.duration, limits.durations
    if not _is_int(value) or value not in allowed:
        contiguous = allowed == _seconds(allowed[0], allowed[-1]) and len(allowed) > 2
        shown = f"{allowed[0]}-{allowed[-1]}" if contiguous else " or ".join(map(str, allowed))
        raise ValidationError(
            "duration", f"must be whole seconds, {shown} for {request.model}; got {value!r}"
        )


def _check_resolution(request: VideoRequest, limits: ModelLimits) -> None:
    resolution, size = request.resolution, request.size
    for field, value in (("resolution", resolution), ("size", size)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{field}: must be a string such as '720P' or '1280x720', got {value!r}")
    allowed = ", ".join(limits.resolutions)
    if resolution is not None and resolution.upper() not in limits.resolutions:
        raise ValidationError(
            "resolution", f"{resolution!r} is not offered by {request.model}; allowed: {allowed}"
        )
    if size is None:
        return
    if not _SIZE.match(size) or 0 in _parse_size(size):
        raise ValidationError("size", f"{size!r} is malformed; expected WIDTHxHEIGHT such as 1280x720")
    nearest = nearest_resolution(size, request.model)
    if resolution is not None and nearest != resolution.upper():
        raise ValidationError(
            "size", f"{size} is {nearest} but resolution is {resolution}; give one or the other"
        )


def _parse_size(size: str) -> tuple[int, int]:
    width, height = _SIZE.findall(size)[0]
    return int(width), int(height)


def _check_seed(request: VideoRequest, limits: ModelLimits) -> None:
    seed = request.seed
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= SEED_MAX):
        raise ValidationError("seed", f"must be an integer from 0 to {SEED_MAX}, or None; got {seed!r}")


_SCALAR_CHECKS = (_check_texts, _check_flags, _check_duration, _check_resolution, _check_seed)


def _check_dialect_fields(request: VideoRequest, dialect: Carriage) -> None:
    for field in OPTIONAL_FIELDS:
        if field in dialect.carries:
            continue
        if getattr(request, field) not in (None, ""):  # an empty text box is no negative prompt
            raise ValidationError(
                field,
                f"exists only on native providers (dashscope, relay); the {dialect.name} dialect cannot send it",
            )


def _check_media_set(request: VideoRequest, limits: ModelLimits) -> None:
    given = frozenset(request.media())
    if given in limits.media_sets:
        return
    offered = frozenset().union(*limits.media_sets)
    starts = [role for role in _SHOWN_ORDER[:2] if role in offered]
    if not given & set(starts):
        raise ValidationError(starts[0], f"is required by {request.model} (give {' or '.join(starts)})")
    # Blame the medium whose removal leaves an allowed set, looking from the last role back.
    extra = [r for r in reversed(MEDIA_ROLES) if r in given and given - {r} in limits.media_sets]
    blamed = extra[0] if extra else next(r for r in reversed(MEDIA_ROLES) if r in given)
    allowed = "; ".join(_shown(roles) for roles in limits.media_sets)
    raise ValidationError(
        blamed, f"cannot go with {_shown(given - {blamed})} on {request.model}; allowed sets: {allowed}"
    )


_SHOWN_ORDER: tuple[MediaRole, ...] = ("first_frame", "first_clip", "last_frame", "driving_audio")


def _shown(roles: frozenset[MediaRole]) -> str:
    return " + ".join(role for role in _SHOWN_ORDER if role in roles)

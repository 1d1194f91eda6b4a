"""``validate(request, capabilities)``: refuse a request that cannot work, before anything is sent or billed.

Raises :class:`~wan_nb.errors.ValidationError` (``"field: message"``, one line naming what is allowed), or
``TypeError`` for a wrong Python type (a list as a prompt, ``"yes"`` as a flag, a number as a medium);
a ``duration`` or ``seed`` that is no integer (``5.0``, ``True``) is a ValidationError, as issue 2 says.
The first problem is raised, cheapest first: model, texts, flags, duration, resolution/size, seed,
fields the dialect lacks, the media combination, each medium's kind, then local content (size, headers).

Decisions where the wire facts are silent:

* Models: the rows of :data:`wan_nb.family.MODELS` (the Wan 2.7 family, Wan 3.0 and older i2v models) and their
  dated snapshots (``wan2.7-t2v-2026-04-25``) are sent; ``model=None`` is chosen from the inputs
  (``VideoRequest.chosen_model``). Other Wan families (``-kf2v``, ``-s2v``, ``-animate``, image models) and other
  names are refused, listing the known models. The escape hatch for a genuinely new model is
  ``VideoRequest(model=..., allow_unknown_model=True)``: it gets its family's rules and the server judges the rest.
* Each model's rules come from its row (research/family.md §8): which inputs it takes and how many, durations,
  ratios, resolutions, ``audio_setting``, a required prompt, r2v's first frame never alone, Wan 3.0's frames and
  references never mixed, and each medium's limits (reference videos 1-30 s, voices 1-10 s, a source video
  2-10 s). A prompt that names "Image 3" with two reference images (or "视频2" with one video) is refused: the
  model would look for a reference that is not there. Which tasks a dialect carries is its ``tasks``: the
  gateway documents image-to-video only (family.md §5).
* A reference's kind (image, video, audio) is its ``Reference.kind``, else what its header or its name's
  extension says; a link that says neither is refused with how to name it.
* Figures native.md marks UNCONFIRMED (older models' durations) are checked loosely (2-15).
* ``resolution`` is case-insensitive (``"720p"`` passes; the protocols send it upper-case). ``size`` is
  ``WxH`` or ``W*H``, positive; with both, the size's short side must be nearest that resolution. On a model
  that picks its shape by ``ratio`` (t2v, r2v, videoedit, Wan 3.0) a size must be one of its ratios' shapes
  (within 2%), which is then the ``ratio`` sent (:func:`ratio_of`); with both, they must agree.
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
  r2v, videoedit and Wan 3.0 take Base64 for images only (family.md §2.2, §6): a ``data:`` video or audio there,
  or a local one on a dialect that cannot upload it (it would go inline), is refused naming a public URL or a
  native provider. A ``data:`` URI needs ``data:<type>/<subtype>[;base64],``; one longer than its medium's size
  limit allows is refused before it is decoded. A clip or audio whose length cannot be read is refused (damaged
  or unfinished).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Protocol, get_args

from wan_nb import media
from wan_nb.errors import ValidationError
from wan_nb.family import (
    MODELS,
    TASKS,
    WAN27_EDIT,
    WAN27_I2V,
    WAN27_R2V,
    MediaLimits,
    ModelSpec,
    ReferenceKind,
    Task,
    snapshot_base,
    spec_of,
)
from wan_nb.media.rules import check_content, check_reachable
from wan_nb.models import MEDIA_ROLES, MediaRole, VideoRequest

__all__ = [
    "MODELS",
    "Carriage",
    "Checked",
    "MediaLimits",
    "ModelLimits",
    "check_task_id",
    "ignored_ratio",
    "model_limits",
    "nearest_resolution",
    "ratio_of",
    "reference_kinds",
    "sending_notes",
    "task_refusal",
    "unnamed_reference",
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


ModelLimits = ModelSpec
"""The name this module's table had before the family grew into :mod:`wan_nb.family`."""
Checked = dict[str, "media.Medium | media.Content"]
"""What :func:`validate` returns: every medium of the request by its field (``first_frame``, ``video``,
``references[0]``, ``references[0].voice``): a link as classified, a local medium as the content read and
sniffed here, so a create sends it without reading it again."""


def model_limits(model: str) -> ModelSpec:
    """The rules for ``model`` (:func:`wan_nb.family.spec_of`)."""
    return spec_of(model)


def nearest_resolution(size: str, model: str) -> str:
    """The model's resolution whose short side is nearest ``size``'s (ties go to the smaller)."""
    short = min(_parse_size(size))
    return min(model_limits(model).resolutions, key=lambda res: (abs(short - int(res[:-1])), int(res[:-1])))


def ratio_of(request: VideoRequest) -> str | None:
    """``ratio`` as sent: the request's, else, on a model that takes one, the ratio ``size`` has (validation
    refuses a size of no such shape): ``size="1080x1920"`` on text-to-video is a portrait, as asked, not the
    model's default 16:9 at 1080P (family.md §2.1: t2v/r2v/videoedit pick the shape by ``ratio`` only)."""
    if request.ratio is not None or request.size is None or not _SIZE.match(request.size):
        return request.ratio
    return _shape_of(request.size, spec_of(request.chosen_model).ratios)


def _shape_of(size: str, ratios: tuple[str, ...]) -> str | None:
    """The ratio of ``ratios`` that ``size`` is, within 2% (the documented sizes round: 1104x832 is 4:3)."""
    width, height = _parse_size(size)
    for ratio in ratios:
        across, _, down = ratio.partition(":")
        if (
            across.isdigit()
            and down.isdigit()
            and abs(width * int(down) / (height * int(across)) - 1) <= 0.02
        ):
            return ratio
    return None


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
    @property
    def tasks(self) -> frozenset[Task]: ...


def validate(
    request: VideoRequest,
    dialect: Carriage,
    *,
    cloud: bool = True,
    providers: Mapping[str, Carriage] | None = None,
) -> Checked:
    """Raise the first problem with ``request`` for a dialect (its ``capabilities``); else its media by field
    (:data:`Checked`): links as classified, local media read and sniffed once.

    ``cloud``: the service fetches media from the internet (the client says; False for a loopback server).
    ``providers``: name → capabilities of the providers one may use; those that carry the request's task are
    named when this dialect does not.
    """
    model = request.chosen_model
    spec = _check_model(model, request.allow_unknown_model)
    _check_task(spec, model, dialect, providers or {})
    for check in _SCALAR_CHECKS:
        check(request, spec)
    _check_duration(request, spec)
    _check_dialect_fields(request, dialect)
    _check_frames(request, spec)
    kinds = _check_references(request, spec)
    _check_source(request, spec)
    _check_prompt_names(request, spec, kinds)
    found = {field: media.classify(value, field) for field, value in request.inputs().items()}
    for field, medium in found.items():
        if medium.kind == "oss" and not dialect.accepts_oss:
            raise ValidationError(field, _OSS_ELSEWHERE.format(dialect.name))
        if spec.inline_images_only:
            _check_linked(medium, _moving_kind(field, kinds), model, dialect, providers or {})
        if medium.kind == "url" and cloud:
            check_reachable(medium)
    checked: Checked = {
        field: check_content(medium, _limits_of(field, spec, kinds), model) if medium.is_local else medium
        for field, medium in found.items()
    }
    _check_reference_seconds(checked, spec, kinds, model, request.chosen_duration)
    return checked


def _check_reference_seconds(
    checked: Checked, spec: ModelSpec, kinds: Sequence[ReferenceKind | None], model: str, duration: int
) -> None:
    """Wan 3.0's reference videos, and its reference audio, last 15 s each in all, and with a video the input
    and output seconds together at most 30 (family.md §6, third-party): the local ones are measured; a link's
    length, and the length the model picks (``-1``), are the service's to judge."""
    if spec.reference_seconds is None:
        return
    for kind in ("video", "audio"):
        seconds = 0.0
        for index, found in enumerate(kinds):
            item = checked.get(f"references[{index}]")
            if (
                found == kind
                and isinstance(item, media.Content)
                and not isinstance(item.info, media.ImageInfo)
            ):
                seconds += item.info.duration_s or 0.0
        if seconds > spec.reference_seconds:
            raise ValidationError(
                "references",
                f"the {kind} references last {seconds:.1f} s in all; at most {spec.reference_seconds:g} s for {model}",
            )
        cap = spec.video_in_and_out_seconds
        if kind == "video" and cap is not None and seconds and duration > 0 and seconds + duration > cap:
            raise ValidationError(
                "duration",
                f"{duration} s out with {seconds:.1f} s of reference video in is {seconds + duration:.1f} s; "
                f"{model} takes at most {cap:g} s in and out together (a shorter duration, or -1)",
            )


def _moving_kind(field: str, kinds: Sequence[ReferenceKind | None]) -> str | None:
    """``"video"`` or ``"audio"`` when the medium at ``field`` is one; None for an image."""
    if field in ("video", "first_clip"):
        return "video"
    if field == "driving_audio" or field.endswith(".voice"):
        return "audio"
    if field.startswith("references["):
        kind = kinds[int(field[len("references[") : field.index("]")])]
        return kind if kind in ("video", "audio") else None
    return None


def _check_linked(
    medium: media.Medium, kind: str | None, model: str, dialect: Carriage, providers: Mapping[str, Carriage]
) -> None:
    """r2v, videoedit and Wan 3.0 take Base64 for images only; a video or audio goes by URL or ``oss://``
    (family.md §2.2, §6, §8). A dialect that cannot upload would inline a local file as ``data:`` (uploads.py)."""
    if kind is None or medium.kind in ("url", "oss"):
        return
    uploaders = [name for name, carriage in providers.items() if carriage.accepts_oss]
    native = f"a native provider ({', '.join(uploaders)})" if uploaders else "a native provider"
    if medium.kind == "data":
        why, fix = "not as a data: URI", f"or a local file with {native}, which uploads it"
    elif dialect.accepts_oss:
        return
    else:
        why = f"and the {dialect.name} dialect cannot upload a local file (it would go as Base64)"
        fix = f"or use {native}, which uploads local files"
    raise ValidationError(
        medium.field, f"{model} takes {kind} by URL or oss:// only, {why}; give a public http(s) URL, {fix}"
    )


def sending_notes(request: VideoRequest, checked: Checked) -> list[str]:
    """What the client warns of as it sends ``request`` (``checked``: what :func:`validate` returned): things
    the service documents but that are not refusals here. Checking a request, as the panel does before it
    offers a chain action, says nothing.

    - ``ratio`` ignored: r2v takes the first frame's aspect (family.md §8: "warn it is ignored").
    - A local image with transparency: the service documents "PNG (no alpha)" (native.md §1.2, family.md
      §2.2). Not refused: whether the service refuses it is not confirmed, and i2v has always sent them.
    """
    notes = [note] if (note := ignored_ratio(request)) is not None else []
    for field, item in checked.items():
        if isinstance(item, media.Content) and isinstance(item.info, media.ImageInfo) and item.info.has_alpha:
            notes.append(
                f"{field}: {item.filename} has transparency (an alpha channel); the service documents images "
                "without it (PNG, no alpha). It is sent as it is: if the task fails or shows black where the "
                'picture was clear, flatten it first, e.g. PIL.Image.open(path).convert("RGB")'
            )
    return notes


def ignored_ratio(request: VideoRequest) -> str | None:
    """Why ``ratio`` will be ignored, or None: r2v takes the first frame's aspect (family.md §8)."""
    spec = spec_of(request.chosen_model)
    if spec.ratio_follows_first_frame and request.ratio is not None and request.first_frame is not None:
        return (
            f"ratio: {request.ratio!r} is ignored by {request.chosen_model} when a first_frame is given: the "
            "video takes the first frame's aspect"
        )
    return None


def reference_kinds(request: VideoRequest) -> list[ReferenceKind | None]:
    """Each reference's kind: its ``Reference.kind``, else what its header or name says (None: cannot tell)."""
    return [
        reference.kind or media.reference_kind(media.classify(reference.medium, f"references[{index}]"))
        for index, reference in enumerate(request.references)
    ]


def _kinds_if_known(request: VideoRequest) -> list[ReferenceKind | None]:
    """:func:`reference_kinds` where it can tell; a reference it cannot read is judged later, in its turn."""
    try:
        return reference_kinds(request)
    except (ValidationError, TypeError, OSError):
        return []


_OSS_ELSEWHERE = (
    "oss:// URLs belong to the DashScope account that uploaded them and work only with native providers, "
    "not {}; give an http(s) URL, a path or bytes"
)


# Other Wan task families (native.md §1): each has its own endpoint and inputs; a request to them is billed
# and cannot work. Matched on the name's parts, so "wan2.5-t2v-preview" and "wanx2.1-t2i-turbo" are both seen.
_OLDER = "of an older generation"
_OTHER_FAMILIES = (
    ("t2v", f"a text-to-video model {_OLDER}"),
    ("r2v", f"a reference-to-video model {_OLDER}"),
    ("kf2v", "a first-and-last-frame model with its own endpoint"),
    ("videoedit", f"a video-editing model {_OLDER}"),
    ("vace", "a video-editing model"),
    ("s2v", "a speech-to-video model with its own endpoint"),
    ("animate", "a character-animation model"),
    ("t2i", "an image model"),
    ("i2i", "an image model"),
    ("image", "an image model"),
    ("imageedit", "an image model"),
)


def _check_model(model: object, allow_unknown: object) -> ModelSpec:
    if not isinstance(model, str):
        raise TypeError(
            f"model: must be a string such as 'wan2.7-i2v' or 'wan2.7-t2v', got {type(model).__name__}"
        )
    known = ", ".join(MODELS)
    if not model.strip():
        raise ValidationError("model", f"is empty; known models: {known}")
    if model in MODELS or snapshot_base(model) is not None:
        return spec_of(model)
    if allow_unknown is True:
        return spec_of(model)
    lower = model.strip().lower()
    if lower in MODELS or snapshot_base(lower) is not None:
        # The service's model names are exact and case-sensitive: a variant is "Model not exist", not another
        # family.
        raise ValidationError(
            "model",
            f"{model!r} is not a model name (names are exact, case-sensitive): did you mean {lower!r}?",
        )
    parts = re.split(r"[-_.\s]+", lower)
    # A variant of a model wan_nb sends (wan2.7-t2v-turbo) is no older family: suggest the model itself.
    bases = [name for name in MODELS if lower.startswith(f"{name}-")]
    # A task of a generation whose one model does every task (wan3.0-t2v: "Model not exist", family.md §6) is
    # no older family either: suggest that model.
    generation = lower.split("-")[0]
    omni = [name for name, spec in MODELS.items() if spec.task == "omni" and name.split("-")[0] == generation]
    family = None if bases else next((what for part, what in _OTHER_FAMILIES if part in parts), None)
    if family is not None and omni and family.endswith(_OLDER):
        said = f"{model!r} is not a model name (did you mean {omni[0]!r}? one model for "
        said += f"{MODELS[omni[0]].task_name})"
    elif family is not None:
        said = f"{model!r} is {family}, which wan_nb does not send"
    else:
        close = [max(bases, key=len)] if bases else []
        close = close or difflib.get_close_matches(lower, MODELS, n=1, cutoff=0.6)
        said = f"{model!r} is not a known Wan video model" + (f" (did you mean {close[0]}?)" if close else "")
    raise ValidationError(
        "model",
        f"{said}; known: {known}; for a new model pass VideoRequest(..., allow_unknown_model=True)",
    )


def _check_task(spec: ModelSpec, model: str, dialect: Carriage, providers: Mapping[str, Carriage]) -> None:
    refusal = task_refusal(spec, dialect, providers, model=model)
    if refusal is not None:
        raise ValidationError("model", refusal)


def task_refusal(
    spec: ModelSpec, dialect: Carriage, providers: Mapping[str, Carriage], *, model: str | None = None
) -> str | None:
    """Why ``dialect`` cannot carry ``spec``'s task, naming the ``providers`` that take it (None: it can).

    The panel says this beside its task picker before Generate; :func:`validate` refuses with the same line."""
    if spec.task in dialect.tasks:
        return None
    takers = [name for name, carriage in providers.items() if spec.task in carriage.tasks]
    carried = " and ".join(TASKS[task] for task in TASKS if task in dialect.tasks)
    where = f"; providers that take it: {', '.join(takers)}" if takers else "; use a native provider"
    return (
        f"{model or spec.model} is {spec.task_name}, which the {dialect.name} dialect does not carry (it "
        f"documents {carried} only){where}"
    )


def _check_texts(request: VideoRequest, spec: ModelSpec) -> None:
    negative = "" if request.negative_prompt is None else request.negative_prompt
    texts: tuple[tuple[str, object, int], ...] = (
        ("prompt", request.prompt, spec.prompt_chars),
        ("negative_prompt", negative, spec.negative_prompt_chars),
    )
    for field, text, most in texts:
        if not isinstance(text, str):
            raise TypeError(f"{field}: must be a string, got {type(text).__name__}")
        if most == 0 and text:
            raise ValidationError(field, f"{request.chosen_model} has none; say what to avoid in the prompt")
        if len(text) > most:
            raise ValidationError(field, f"{len(text)} characters; at most {most} for {request.chosen_model}")
    if spec.prompt_required and not request.prompt.strip():
        raise ValidationError("prompt", f"is required by {request.chosen_model} ({spec.task_name})")
    if spec.prompt_or_media and not request.prompt.strip() and not request.inputs():
        raise ValidationError("prompt", f"give a prompt, media or both to {request.chosen_model}")


def _check_flags(request: VideoRequest, spec: ModelSpec) -> None:
    for field in FLAGS:
        value = getattr(request, field)
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{field}: must be True, False or None, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_duration(request: VideoRequest, spec: ModelSpec) -> None:
    value, allowed, why = request.chosen_duration, spec.durations, ""
    if spec.reference_video_durations is not None and "video" in _kinds_if_known(request):
        allowed, why = spec.reference_video_durations, " with a reference video"
    if not _is_int(value) or value not in allowed:
        raise ValidationError(
            "duration",
            f"must be whole seconds, {_durations(allowed)} for {request.chosen_model}{why}; got {value!r}",
        )


def _durations(allowed: tuple[int, ...]) -> str:
    """``2-15``; ``0 (keep the source's length) or 2-10``; ``-1 (the model picks) or 2-30``."""
    said = {0: "0 (keep the source's length)", -1: "-1 (the model picks)"}
    special = [said[value] for value in allowed if value in said]
    plain = [value for value in allowed if value not in said]
    contiguous = len(plain) > 2 and plain == list(range(plain[0], plain[-1] + 1))
    shown = f"{plain[0]}-{plain[-1]}" if contiguous else " or ".join(map(str, plain))
    return " or ".join([*special, shown])


def _check_resolution(request: VideoRequest, spec: ModelSpec) -> None:
    resolution, size = request.resolution, request.size
    for field, value in (("resolution", resolution), ("size", size)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{field}: must be a string such as '720P' or '1280x720', got {value!r}")
    allowed = ", ".join(spec.resolutions)
    if resolution is not None and resolution.upper() not in spec.resolutions:
        raise ValidationError(
            "resolution", f"{resolution!r} is not offered by {request.chosen_model}; allowed: {allowed}"
        )
    if size is None:
        return
    if not _SIZE.match(size) or 0 in _parse_size(size):
        raise ValidationError("size", f"{size!r} is malformed; expected WIDTHxHEIGHT such as 1280x720")
    nearest = nearest_resolution(size, request.chosen_model)
    if resolution is not None and nearest != resolution.upper():
        raise ValidationError(
            "size", f"{size} is {nearest} but resolution is {resolution}; give one or the other"
        )
    shapes = [ratio for ratio in spec.ratios if ":" in ratio]
    if not shapes:
        return  # the output takes the input's shape (image-to-video): size picks the resolution only
    shape = _shape_of(size, spec.ratios)
    if shape is None:
        raise ValidationError(
            "size",
            f"{size} is none of the shapes {request.chosen_model} makes ({', '.join(shapes)}); "
            "give ratio= and resolution= instead",
        )
    if request.ratio is not None and request.ratio != shape:
        raise ValidationError(
            "size", f"{size} is {shape} but ratio is {request.ratio}; give one or the other"
        )


def _parse_size(size: str) -> tuple[int, int]:
    width, height = _SIZE.findall(size)[0]
    return int(width), int(height)


def _check_seed(request: VideoRequest, spec: ModelSpec) -> None:
    seed = request.seed
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= SEED_MAX):
        raise ValidationError("seed", f"must be an integer from 0 to {SEED_MAX}, or None; got {seed!r}")


def _check_ratio(request: VideoRequest, spec: ModelSpec) -> None:
    ratio = request.ratio
    if ratio is None:
        return
    if not isinstance(ratio, str):
        raise TypeError(f"ratio: must be a string such as '16:9', got {ratio!r}")
    if not spec.ratios:
        raise ValidationError(
            "ratio", f"{request.chosen_model} takes none ({spec.task_name} follows its image); leave it out"
        )
    if ratio not in spec.ratios:
        raise ValidationError(
            "ratio", f"{ratio!r} is not offered by {request.chosen_model}; allowed: {', '.join(spec.ratios)}"
        )


def _check_audio_setting(request: VideoRequest, spec: ModelSpec) -> None:
    setting = request.audio_setting
    if setting is None:
        return
    if not spec.audio_settings:
        raise ValidationError(
            "audio_setting", f"only video editing takes it ({WAN27_EDIT.model}), not {request.chosen_model}"
        )
    if setting not in spec.audio_settings:
        raise ValidationError(
            "audio_setting",
            f"{setting!r}; allowed: 'auto' (the model decides the sound) or 'origin' (keep the source's)",
        )


_SCALAR_CHECKS = (
    _check_texts,
    _check_flags,
    _check_resolution,
    _check_seed,
    _check_ratio,
    _check_audio_setting,
)


def _check_dialect_fields(request: VideoRequest, dialect: Carriage) -> None:
    for field in OPTIONAL_FIELDS:
        if field in dialect.carries:
            continue
        if getattr(request, field) not in (None, ""):  # an empty text box is no negative prompt
            raise ValidationError(
                field,
                f"exists only on native providers (dashscope, relay); the {dialect.name} dialect cannot send it",
            )


def _check_frames(request: VideoRequest, spec: ModelSpec) -> None:
    given = frozenset(request.media())
    if given in spec.frame_sets:
        if spec.frame_needs_reference and given and not request.references:
            raise ValidationError(
                "first_frame",
                f"cannot go alone on {request.chosen_model}: give at least one reference (an image or a video)",
            )
        if spec.frames_exclude_references and given and request.references:
            raise ValidationError(
                "references",
                f"{request.chosen_model} takes frames (first_frame, last_frame) or references, never both",
            )
        return
    offered = frozenset().union(*spec.frame_sets)
    stray = [role for role in MEDIA_ROLES if role in given and role not in offered]
    if stray and spec.task != "image":  # an i2v model's refusal names the allowed sets, below
        raise ValidationError(
            stray[0],
            f"is not an input of {request.chosen_model} ({spec.task_name}){_hint(stray[0], request, spec)}",
        )
    starts = [role for role in _SHOWN_ORDER[:2] if role in offered]
    if starts and not given & set(starts):
        raise ValidationError(
            starts[0], f"is required by {request.chosen_model} (give {' or '.join(starts)})"
        )
    # Blame the medium whose removal leaves an allowed set, looking from the last role back.
    extra = [r for r in reversed(MEDIA_ROLES) if r in given and given - {r} in spec.frame_sets]
    blamed = extra[0] if extra else next(r for r in reversed(MEDIA_ROLES) if r in given)
    allowed = "; ".join(_shown(roles) for roles in spec.frame_sets if roles)
    raise ValidationError(
        blamed,
        f"cannot go with {_shown(given - {blamed})} on {request.chosen_model}; allowed sets: {allowed}",
    )


def _hint(role: MediaRole, request: VideoRequest, spec: ModelSpec) -> str:
    """How to animate a frame or continue a clip the chosen model does not take: with ``model=None`` the model
    was chosen by the inputs (a video to edit, else references), so say which one chose it."""
    if role not in ("first_frame", "last_frame", "first_clip"):
        return ""
    kind: ReferenceKind = "video" if role == "first_clip" else "image"
    as_reference = ", or pass it as a reference" if kind in (spec.reference_kinds or {}) else ""
    use = f"{'continue' if role == 'first_clip' else 'animate'} it ({WAN27_I2V.model}){as_reference}"
    if request.model is not None:
        return f"; leave model=None to {use}"
    chooser = "video" if request.video is not None else "references"
    chose = {"video": "the video to edit chose", "references": "the references chose"}[chooser]
    return f", which {chose}; leave out {chooser} to {use}"


def _check_references(request: VideoRequest, spec: ModelSpec) -> list[ReferenceKind | None]:
    count, (fewest, most) = len(request.references), spec.references
    if count and most == 0:
        raise ValidationError(
            "references",
            f"{request.chosen_model} ({spec.task_name}) takes none; leave model=None ({WAN27_R2V.model})",
        )
    if count < fewest:
        raise ValidationError(
            "references", f"{request.chosen_model} needs {fewest}-{most} (images or videos); got {count}"
        )
    if count > most:
        raise ValidationError("references", f"{count} given; at most {most} for {request.chosen_model}")
    kinds = reference_kinds(request)
    caps = spec.reference_kinds or {}
    for index, (reference, kind) in enumerate(zip(request.references, kinds, strict=True)):
        field = f"references[{index}]"
        if kind is None:
            named = " or ".join(f"kind={name!r}" for name in caps)
            raise ValidationError(
                field,
                f"cannot tell an image from a video here (no extension, no known header); pass "
                f"wan_nb.Reference(..., kind=...) with {named} (on the command line: --reference "
                f"LINK:kind={'|'.join(caps)})",
            )
        if kind not in get_args(ReferenceKind):
            allowed = " or ".join(f"kind={name!r}" for name in caps)
            raise ValidationError(field, f"kind={kind!r} is no kind; {request.chosen_model} takes {allowed}")
        if kind not in caps:
            takes = " and ".join(f"{k}s" for k in caps)
            raise ValidationError(field, f"is {_a(kind)}; {request.chosen_model} takes {takes} as references")
        if reference.voice is not None and (not spec.voices or kind == "audio"):
            raise ValidationError(
                f"{field}.voice", f"voices go on image or video references of {WAN27_R2V.model} only"
            )
    for kind, cap in caps.items():
        if kinds.count(kind) > cap:
            raise ValidationError(
                "references", f"{kinds.count(kind)} {kind}s; at most {cap} for {request.chosen_model}"
            )
    return kinds


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _check_source(request: VideoRequest, spec: ModelSpec) -> None:
    if spec.source_video is None and request.video is not None:
        raise ValidationError(
            "video",
            f"only video editing ({WAN27_EDIT.model}) takes a video to edit, not {request.chosen_model}; "
            "to continue a clip use first_clip",
        )
    if spec.source_video is not None and request.video is None:
        raise ValidationError("video", f"is required by {request.chosen_model}: the clip to edit")


# "Image 1", "Video 2", "Audio 1" (family.md §2.2: capitalised, a space before the digit) and 图1/视频2/音频1.
# A number that goes on into a unit is a quantity, not a name: "视频10秒" (a 10-second video), "Video 30 fps",
# "Image 4k"; the Chinese form has no word boundaries, so its number must end before another digit or a unit.
_UNIT = (
    r"(?:\.\d|\s*(?:秒|分钟|分|小时|帧|年|岁|个|次|天|倍|%|米)|(?:s|ms|p|k|K)\b"
    r"|\s*(?:sec|secs|seconds?|min|mins|minutes?|hours?|fps|px|frames?|years?|yrs?|times)\b)"
)
_NAMED = re.compile(rf"\b(Image|Video|Audio) ?(\d+)(?!\d|{_UNIT})\b|(?<!\d)(图|视频|音频)(\d+)(?!\d|{_UNIT})")
# The most references of one kind any model takes: a larger number ("Video 2000") names no reference.
_MOST_OF_A_KIND = max(count for spec in MODELS.values() for count in (spec.reference_kinds or {}).values())
_KIND_NAMED: dict[str, ReferenceKind] = {
    "Image": "image", "Video": "video", "Audio": "audio", "图": "image", "视频": "video", "音频": "audio",
}  # fmt: skip


def _check_prompt_names(
    request: VideoRequest, spec: ModelSpec, kinds: Sequence[ReferenceKind | None]
) -> None:
    if spec.references[1] == 0 or not isinstance(request.prompt, str):
        return
    missing = unnamed_reference(request.prompt, kinds)
    if missing is not None:
        raise ValidationError("prompt", missing)


def unnamed_reference(prompt: str, kinds: Sequence[ReferenceKind | None]) -> str | None:
    """The first reference ``prompt`` names that ``kinds`` (the references' kinds, in order) does not hold,
    explained; None when every name is there. The panel shows it live under the prompt."""
    for match in _NAMED.finditer(prompt):
        word = match.group(1) or match.group(3)
        number = int(match.group(2) or match.group(4))
        kind = _KIND_NAMED[word]
        have = kinds.count(kind)
        if 1 <= number <= have or number > _MOST_OF_A_KIND:
            continue
        label = word if match.group(3) else f"{word} "  # 图1, Image 1
        there = {0: f"no {kind} reference", 1: f"one {kind} reference ({label}1)"}.get(
            have, f"{have} {kind} references ({label}1-{have})"
        )
        verb = "are" if have > 1 else "is"
        return f"names {match.group(0)}, but there {verb} {there}; references are numbered per kind, in order"
    return None


def _limits_of(field: str, spec: ModelSpec, kinds: Sequence[ReferenceKind | None]) -> MediaLimits:
    if field == "video" and spec.source_video is not None:
        return spec.source_video
    if field.startswith("references["):
        index = int(field[len("references[") : field.index("]")])
        if field.endswith(".voice") and spec.voice is not None:
            return spec.voice
        kind = kinds[index]
        if kind is not None:
            return spec.reference_limits(kind)
    by_role: dict[str, MediaRole] = {role: role for role in MEDIA_ROLES}
    return spec.limits_for(by_role[field])


_SHOWN_ORDER: tuple[MediaRole, ...] = ("first_frame", "first_clip", "last_frame", "driving_audio")


def _shown(roles: frozenset[MediaRole]) -> str:
    return " + ".join(role for role in _SHOWN_ORDER if role in roles) or "nothing"

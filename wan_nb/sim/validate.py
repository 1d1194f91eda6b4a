"""Upstream validation of a native create body (protocol.md §2, native.md §1.2-1.3), dialect-neutral.

Failures raise ``Invalid(status, code, message)``; each dialect spells it in its own error shape. Messages follow
the pydantic style the service shows ("Field required: input.media", native.md §6); where family.md §2.2 quotes
upstream's own words they are used verbatim ("Only first frame provided is not allowed", "Input should be
'reference_image', 'reference_video' or 'first_frame': input.media.1.type").

The models are one table (``MODELS``): a row says what a model family accepts (family.md §2.1 parameter
matrix, §2.2 media rules, §6 Wan 3.0, §8 per-model rules):

| family | prompt | input.media | audio | ratio | duration |
|---|---|---|---|---|---|
| i2v (wan2.7) | optional | first_frame, last_frame, driving_audio, first_clip: 6 combos | driving_audio | — | 2–15 |
| t2v | required | refused; ``input.audio_url`` wav/mp3 2–30 s | audio_url | 5 values, 16:9 | 2–15 |
| r2v | required | reference_image + reference_video 1–5, first_frame ≤ 1 never alone | reference_voice on references, 1–10 s | 5 values, 16:9 | 2–15; 2–10 with a reference_video |
| videoedit | optional | video = 1, reference_image ≤ 4 | ``audio_setting`` auto or origin | 5 values, default: the source's | 0 (keep) or 2–10 |
| wan3.0-video(-prime) | prompt or media, ≤ 20000, no negative_prompt | {first_frame, last_frame} xor {reference_image ≤ 10, reference_video ≤ 5, reference_audio ≤ 5} | reference_audio | adaptive + 5 values | -1 (smart) or 2–30 |

Resolutions 720P|1080P (Wan 3.0 also 480P), default 1080P on every model (family.md §2.1, §8). A dated snapshot
(``wan2.7-t2v-2026-04-25``) is its family (family.md §8: "model family by prefix").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wan_nb.sim import prompt as prompt_words

MEDIA_TYPES = ("first_frame", "last_frame", "driving_audio", "first_clip")
# The allowed media sets (native.md §1.2): driving_audio never with first_clip.
MEDIA_SETS = frozenset(
    frozenset(combo)
    for combo in (
        ("first_frame",),
        ("first_frame", "driving_audio"),
        ("first_frame", "last_frame"),
        ("first_frame", "last_frame", "driving_audio"),
        ("first_clip",),
        ("first_clip", "last_frame"),
    )
)
LEGACY_FIELDS = {"first_frame": "input.img_url", "driving_audio": "input.audio_url"}  # native.md §1.3
URL_SCHEMES = ("http://", "https://", "oss://", "data:")
SEED_MAX = 2147483647


@dataclass(frozen=True)
class MediaRule:
    """What ``input.media`` may hold for a family other than i2v (whose six combinations are MEDIA_SETS)."""

    types: tuple[str, ...]  # allowed ``type`` values, in the order upstream's message lists them
    most: Mapping[str, int]  # at most this many items of a type
    least: Mapping[str, int] = field(default_factory=dict)  # at least (videoedit: exactly one video)
    references: tuple[int, int] | None = None  # r2v: reference_image + reference_video between these
    alone_refused: str | None = None  # r2v: a first_frame without any reference is refused
    groups: tuple[frozenset[str], frozenset[str]] | None = None  # Wan 3.0: never one of each group
    voice_on: tuple[str, ...] = ()  # the types an item's ``reference_voice`` may ride on
    required: bool = True  # Wan 3.0: prompt or media, so media may be absent
    totals: Mapping[str, int] = field(default_factory=dict)  # Wan 3.0: seconds of a kind together (limits.py)
    # The types (and ``reference_voice``) that go by URL or oss:// only: Base64 is documented for images alone
    # (family.md §2.2, §6). The refusal is INFERRED from the docs, not an observed upstream answer.
    links_only: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelRule:
    media_protocol: bool  # wan2.7: input.media; older: input.img_url / input.audio_url
    resolutions: tuple[str, ...]
    durations: tuple[int, ...]  # may start with a special value: 0 = keep the source, -1 = smart
    audio: bool  # the model can produce sound
    prompt_max: int
    family: str = "i2v"  # what the renderer makes of it: i2v | t2v | r2v | videoedit | wan3
    media: MediaRule | None = None  # None: i2v's combinations (or the legacy img_url)
    no_media: bool = False  # t2v: ``input.media`` is refused, its audio is ``input.audio_url``
    prompt_required: bool = False
    negative_prompt: bool = True  # Wan 3.0 has none
    ratios: tuple[str, ...] = ()  # ``parameters.ratio`` values; (): not a field of this model (i2v)
    default_ratio: str = ""  # "": the output follows the input (videoedit: the source's aspect)
    default_duration: int = 5
    video_durations: tuple[int, ...] = ()  # r2v: the durations allowed once a reference_video is given
    audio_settings: tuple[str, ...] = ()  # videoedit: parameters.audio_setting
    billed_float: bool = False  # videoedit bills fractional seconds (family.md §3)
    usage_ratio: bool = False  # usage carries ``ratio`` (t2v, r2v, Wan 3.0 examples)
    usage_fps: bool = False  # Wan 3.0 usage adds ``fps`` (family.md §6)
    unified: bool = True  # served by the unified /v1/videos gateway (documented for i2v only, family.md §5)


_MODERN = tuple(range(2, 16))
RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")  # family.md §2.1
_HD = ("720P", "1080P")
_R2V = MediaRule(
    ("reference_image", "reference_video", "first_frame"),
    {"reference_image": 5, "reference_video": 5, "first_frame": 1},
    references=(1, 5),
    alone_refused="Only first frame provided is not allowed",  # live upstream answer (family.md §2.2)
    voice_on=("reference_image", "reference_video"),
    links_only=("reference_video", "reference_voice"),
)
_EDIT = MediaRule(
    ("video", "reference_image"),
    {"video": 1, "reference_image": 4},
    least={"video": 1},
    links_only=("video",),
)
_FRAMES = frozenset({"first_frame", "last_frame"})
_REFERENCES = frozenset({"reference_image", "reference_video", "reference_audio"})
_WAN3 = MediaRule(
    ("first_frame", "last_frame", "reference_image", "reference_video", "reference_audio"),
    {"first_frame": 1, "last_frame": 1, "reference_image": 10, "reference_video": 5, "reference_audio": 5},
    groups=(_FRAMES, _REFERENCES),
    required=False,
    totals={"reference_video": 15, "reference_audio": 15},
    links_only=("reference_video", "reference_audio"),
)
_T2V = ModelRule(
    media_protocol=True,
    resolutions=_HD,
    durations=_MODERN,
    audio=True,
    prompt_max=5000,
    family="t2v",
    no_media=True,
    prompt_required=True,
    ratios=RATIOS,
    default_ratio="16:9",
    usage_ratio=True,
    unified=False,
)
_R2V_RULE = ModelRule(
    media_protocol=True,
    resolutions=_HD,
    durations=_MODERN,
    audio=True,
    prompt_max=5000,
    family="r2v",
    media=_R2V,
    prompt_required=True,
    ratios=RATIOS,
    default_ratio="16:9",
    video_durations=tuple(range(2, 11)),
    usage_ratio=True,
    unified=False,
)
_EDIT_RULE = ModelRule(
    media_protocol=True,
    resolutions=_HD,
    durations=(0, *range(2, 11)),
    audio=True,
    prompt_max=5000,
    family="videoedit",
    media=_EDIT,
    ratios=RATIOS,
    default_duration=0,
    audio_settings=("auto", "origin"),
    billed_float=True,
    unified=False,
)
_WAN3_RULE = ModelRule(
    media_protocol=True,
    resolutions=("480P", *_HD),
    durations=(-1, *range(2, 31)),
    audio=True,
    prompt_max=20000,
    family="wan3",
    media=_WAN3,
    negative_prompt=False,
    ratios=("adaptive", *RATIOS),
    default_ratio="adaptive",
    usage_ratio=True,
    usage_fps=True,
    unified=False,
)
MODELS: Mapping[str, ModelRule] = {
    "wan2.7-i2v": ModelRule(True, ("720P", "1080P"), _MODERN, True, 5000),
    "wan2.7-t2v": _T2V,
    "wan2.7-r2v": _R2V_RULE,
    "wan2.7-videoedit": _EDIT_RULE,
    "wan3.0-video": _WAN3_RULE,
    "wan3.0-video-prime": _WAN3_RULE,
    "wan2.6-i2v": ModelRule(False, ("720P", "1080P"), _MODERN, True, 1500),
    "wan2.6-i2v-flash": ModelRule(False, ("720P", "1080P"), _MODERN, True, 1500),
    "wan2.5-i2v-preview": ModelRule(False, ("480P", "720P", "1080P"), (5, 10), True, 2000),
    "wan2.2-i2v-plus": ModelRule(False, ("480P", "1080P"), (5,), False, 800),
    "wan2.2-i2v-flash": ModelRule(False, ("480P", "720P"), (5,), False, 800),
    "wanx2.1-i2v-plus": ModelRule(False, ("720P",), (5,), False, 800),
    "wanx2.1-i2v-turbo": ModelRule(False, ("480P", "720P"), (3, 4, 5), False, 800),
}
SHORT_SIDE = {"480P": 480, "720P": 720, "1080P": 1080}


class Invalid(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Job:
    model: str
    prompt: str
    media: Mapping[str, str]  # role -> url
    fields: Mapping[str, str]  # role -> the request field that carried it ("input.media.0.url")
    duration: int
    resolution: str
    audio: bool
    watermark: bool
    seed: int | None
    prompt_extend: bool = True  # the service rewrites the prompt (output.actual_prompt), native.md §1.2
    family: str = "i2v"
    ratio: str = ""  # "": the output follows its input
    audio_setting: str = "auto"


def bad(message: str, code: str = "InvalidParameter") -> Invalid:
    return Invalid(400, code, message)


def rule_for(model: str) -> ModelRule:
    """Dated snapshots (``wan2.7-i2v-2026-04-25``) share their family's rule."""
    if "kf2v" in model:
        # Keyframe models live under /image2video/: the service answers "url error" (native.md §2).
        raise bad("url error, please check url!")
    for name, rule in MODELS.items():
        if model == name or (model.startswith(name + "-") and model[len(name) + 1 :][:1].isdigit()):
            return rule
    raise bad("Model not exist.")


def validate(body: Any, oss_ok: Callable[[str, str], Invalid | None]) -> Job:
    """The whole check; ``oss_ok(url, model)`` returns the error for an unusable ``oss://`` URL."""
    if not isinstance(body, Mapping):
        raise bad("Request body must be a JSON object.")
    model = body.get("model")
    if not model or not isinstance(model, str):
        raise bad('Required parameter "model" missing from request.', "BadRequest.EmptyModel")
    rule = rule_for(model)
    payload = body.get("input")
    if not isinstance(payload, Mapping) or not payload:
        raise bad('Required parameter "input" missing from request.', "BadRequest.EmptyInput")
    params = body.get("parameters") or {}
    if not isinstance(params, Mapping):
        raise bad("Input should be a valid dictionary: parameters")
    prompt = _text(payload, "prompt", rule.prompt_max)
    if rule.negative_prompt:
        _text(payload, "negative_prompt", 500)
    elif "negative_prompt" in payload:
        raise bad("Extra inputs are not permitted: input.negative_prompt")
    if rule.prompt_required and not prompt.strip():
        raise bad("Field required: input.prompt")
    media, fields = _inputs(payload, rule)
    if not media and not prompt.strip():  # Wan 3.0: "prompt or media required" (family.md §6)
        raise bad("Field required: input.prompt or input.media")
    for role, url in media.items():
        _check_url(role, url, model, oss_ok)
    duration = _duration(params, rule)
    if rule.video_durations and duration not in rule.video_durations and _has(media, "reference_video"):
        low, high = rule.video_durations[0], rule.video_durations[-1]
        raise bad(f"Input should be between {low} and {high} with a reference_video: parameters.duration")
    return Job(
        model=model,
        prompt=prompt,
        media=media,
        fields=fields,
        duration=prompt_words.smart_seconds(prompt) if duration == -1 else duration,
        resolution=_resolution(params, rule),
        audio=rule.audio and _flag(params, "audio", True),
        watermark=_flag(params, "watermark", False),
        seed=_seed(params),
        prompt_extend=_flag(params, "prompt_extend", True),
        family=rule.family,
        ratio=_choice(params, "ratio", rule.ratios, rule.default_ratio),
        audio_setting=_choice(params, "audio_setting", rule.audio_settings, "auto"),
    )


def kind_of(role: str) -> str:
    """A role names one medium: its type, numbered per kind when a type may repeat ("reference_image.2"), and a
    voice rides on its item ("reference_voice.reference_image.1")."""
    return role.split(".", 1)[0]


def _has(media: Mapping[str, str], kind: str) -> bool:
    return any(kind_of(role) == kind for role in media)


def _inputs(payload: Mapping[str, Any], rule: ModelRule) -> tuple[dict[str, str], dict[str, str]]:
    """The media by role and where each sat in the body (for messages)."""
    if not rule.media_protocol:
        media = _legacy_media(payload)
        return media, {role: LEGACY_FIELDS[role] for role in media}
    if rule.no_media:
        return _text_to_video_audio(payload)
    if rule.media is None:
        media = _media(payload)
        return media, {role: f"input.media.{index}.url" for index, role in enumerate(media)}
    return _family_media(payload, rule.media)


def _text_to_video_audio(payload: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """t2v takes no ``media``; its one optional medium is ``input.audio_url`` (family.md §2.1)."""
    if "media" in payload:
        raise bad("Extra inputs are not permitted: input.media")
    audio_url = payload.get("audio_url")
    if audio_url is None:
        return {}, {}
    if not isinstance(audio_url, str) or not audio_url:
        raise bad("Input should be a valid string: input.audio_url")
    return {"driving_audio": audio_url}, {"driving_audio": "input.audio_url"}


def _family_media(payload: Mapping[str, Any], rule: MediaRule) -> tuple[dict[str, str], dict[str, str]]:
    items = payload.get("media")
    if not items:
        if rule.required:
            raise bad("Field required: input.media")
        return {}, {}
    if not isinstance(items, list):
        raise bad("Input should be a valid list: input.media")
    media: dict[str, str] = {}
    fields: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for index, item in enumerate(items):
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind not in rule.types:
            raise bad(f"Input should be {_one_of(rule.types)}: input.media.{index}.type")
        url = item.get("url")
        if not isinstance(url, str) or not url:
            raise bad(f"Field required: input.media.{index}.url")
        _check_linked(kind, url, f"input.media.{index}.url", rule)
        counts[kind] += 1
        # Numbered per kind in media order, as prompts address them ("Image 1", "Video 1": family.md §2.2).
        role = kind if rule.most[kind] == 1 else f"{kind}.{counts[kind]}"
        media[role], fields[role] = url, f"input.media.{index}.url"
        voice = item.get("reference_voice")
        if voice is not None:
            where = f"input.media.{index}.reference_voice"
            if kind not in rule.voice_on:
                raise bad(f"reference_voice is only allowed on {_one_of(rule.voice_on)}: {where}")
            if not isinstance(voice, str) or not voice:
                raise bad(f"Input should be a valid string: {where}")
            _check_linked("reference_voice", voice, where, rule)
            media[f"reference_voice.{role}"], fields[f"reference_voice.{role}"] = voice, where
    _check_counts(counts, rule)
    return media, fields


def _check_linked(kind: str, url: str, where: str, rule: MediaRule) -> None:
    # Inferred from the docs (family.md §2.2: "public URL or oss:// (Base64 not listed)"; §6: "video/audio: URL
    # or oss:// only"), not observed: the upstream wording of this refusal is unknown.
    if kind in rule.links_only and url.startswith("data:"):
        raise bad(f"Base64 data is not supported for {kind}, only a public URL or an oss:// URL: {where}")


def _check_counts(counts: Counter[str], rule: MediaRule) -> None:
    for kind in rule.types:
        wanted = rule.least.get(kind, 0)
        if wanted == rule.most[kind] and counts[kind] != wanted:
            raise bad(f"Exactly {wanted} '{kind}' required, got {counts[kind]}: input.media")
        if counts[kind] > rule.most[kind]:
            raise bad(f"At most {rule.most[kind]} '{kind}' allowed, got {counts[kind]}: input.media")
    if rule.references:
        references = counts["reference_image"] + counts["reference_video"]
        if references == 0 and rule.alone_refused:
            raise bad(rule.alone_refused)
        low, high = rule.references
        if not low <= references <= high:
            raise bad(
                f"reference_image and reference_video should number between {low} and {high}, "
                f"got {references}: input.media"
            )
    if rule.groups and all(any(counts[kind] for kind in group) for group in rule.groups):
        frames, others = (" / ".join(sorted(group)) for group in rule.groups)
        raise bad(f"{frames} cannot be combined with {others}: input.media")


def _one_of(names: tuple[str, ...]) -> str:
    """pydantic's enum wording: 'a', 'b' or 'c'."""
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _choice(params: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    """A string parameter with a fixed set of values; a model without the parameter ignores it (as i2v
    always has: family.md §2.1 "ratio: not used")."""
    if not allowed or name not in params:
        return default
    value = params[name]
    if value not in allowed:
        raise bad(f"Input should be {_one_of(allowed)}: parameters.{name}")
    return str(value)


def _text(payload: Mapping[str, Any], name: str, limit: int) -> str:
    # null is no text: the dashscope SDK 1.x always sends "prompt": null when the caller gives none (an edit or
    # an i2v try without a prompt, its own examples), and the service takes those calls
    value = payload.get(name)
    value = "" if value is None else value
    if not isinstance(value, str):
        raise bad(f"Input should be a valid string: input.{name}")
    if len(value) > limit:
        raise bad(f"String should have at most {limit} characters: input.{name}")
    return value


def _media(payload: Mapping[str, Any]) -> dict[str, str]:
    items = payload.get("media")
    if not items:
        raise bad("Field required: input.media")
    if not isinstance(items, list):
        raise bad("Input should be a valid list: input.media")
    media: dict[str, str] = {}
    for index, item in enumerate(items):
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind not in MEDIA_TYPES:
            allowed = ", ".join(f"'{name}'" for name in MEDIA_TYPES)
            raise bad(f"Input should be {allowed}: input.media.{index}.type")
        if kind in media:
            raise bad(f"Each media type may appear at most once, got two '{kind}': input.media")
        url = item.get("url")
        if not isinstance(url, str) or not url:
            raise bad(f"Field required: input.media.{index}.url")
        media[kind] = url
    if frozenset(media) not in MEDIA_SETS:
        raise bad(f"Unsupported media combination: {'+'.join(media)}: input.media")
    return media


def _legacy_media(payload: Mapping[str, Any]) -> dict[str, str]:
    img_url = payload.get("img_url")
    if not isinstance(img_url, str) or not img_url:
        raise bad("Field required: input.img_url")
    media = {"first_frame": img_url}
    if isinstance(payload.get("audio_url"), str) and payload["audio_url"]:
        media["driving_audio"] = payload["audio_url"]
    return media


def _check_url(role: str, url: str, model: str, oss_ok: Callable[[str, str], Invalid | None]) -> None:
    if not url.startswith(URL_SCHEMES):
        raise bad("Invalid URL provided in your request.", "InvalidURL")
    problem = oss_ok(url, model) if url.startswith("oss://") else None
    if problem:
        raise problem


def _duration(params: Mapping[str, Any], rule: ModelRule) -> int:
    default = rule.default_duration if rule.default_duration in rule.durations else rule.durations[0]
    value = params.get("duration", default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad("Input should be a valid integer: parameters.duration")
    if value not in rule.durations:
        special = [str(item) for item in rule.durations if item < 2]  # 0 = keep the source, -1 = smart
        span = tuple(item for item in rule.durations if item >= 2)
        low, high = span[0], span[-1]
        if span == tuple(range(low, high + 1)):
            either = "".join(f"{item} or " for item in special)
            raise bad(f"Input should be {either}between {low} and {high}: parameters.duration")
        raise bad(f"Input should be one of {list(rule.durations)}: parameters.duration")
    return value


def _resolution(params: Mapping[str, Any], rule: ModelRule) -> str:
    default = "1080P" if "1080P" in rule.resolutions else rule.resolutions[-1]
    value = params.get("resolution", default)
    text = value.upper() if isinstance(value, str) else ""
    if text not in rule.resolutions:
        allowed = " or ".join(f"'{name}'" for name in rule.resolutions)
        raise bad(f"Input should be {allowed}: parameters.resolution")
    return text


def _flag(params: Mapping[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise bad(f"Input should be a valid boolean: parameters.{name}")
    return value


def _seed(params: Mapping[str, Any]) -> int | None:
    value = params.get("seed")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= SEED_MAX:
        raise bad(f"Input should be an integer between 0 and {SEED_MAX}: parameters.seed")
    return value

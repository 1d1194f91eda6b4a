"""Upstream validation of a native create body (protocol.md §2, native.md §1.2-1.3), dialect-neutral.

Failures raise ``Invalid(status, code, message)``; each dialect spells it in its own error shape. Messages follow
the pydantic style the service shows ("Field required: input.media", native.md §6).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
class ModelRule:
    media_protocol: bool  # wan2.7: input.media; older: input.img_url / input.audio_url
    resolutions: tuple[str, ...]
    durations: tuple[int, ...]
    audio: bool  # the model can produce sound
    prompt_max: int


_MODERN = tuple(range(2, 16))
MODELS: Mapping[str, ModelRule] = {
    "wan2.7-i2v": ModelRule(True, ("720P", "1080P"), _MODERN, True, 5000),
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
    _text(payload, "negative_prompt", 500)
    media = _media(payload) if rule.media_protocol else _legacy_media(payload)
    for role, url in media.items():
        _check_url(role, url, model, oss_ok)
    return Job(
        model=model,
        prompt=prompt,
        media=media,
        fields=_fields(media, rule),
        duration=_duration(params, rule),
        resolution=_resolution(params, rule),
        audio=rule.audio and _flag(params, "audio", True),
        watermark=_flag(params, "watermark", False),
        seed=_seed(params),
        prompt_extend=_flag(params, "prompt_extend", True),
    )


def _text(payload: Mapping[str, Any], name: str, limit: int) -> str:
    value = payload.get(name, "")
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


def _fields(media: Mapping[str, str], rule: ModelRule) -> dict[str, str]:
    """Where each medium sat in the body, for messages; ``media`` keeps the list's order (one role per item)."""
    if rule.media_protocol:
        return {role: f"input.media.{index}.url" for index, role in enumerate(media)}
    return {role: LEGACY_FIELDS[role] for role in media}


def _check_url(role: str, url: str, model: str, oss_ok: Callable[[str, str], Invalid | None]) -> None:
    if not url.startswith(URL_SCHEMES):
        raise bad("Invalid URL provided in your request.", "InvalidURL")
    problem = oss_ok(url, model) if url.startswith("oss://") else None
    if problem:
        raise problem


def _duration(params: Mapping[str, Any], rule: ModelRule) -> int:
    value = params.get("duration", 5 if 5 in rule.durations else rule.durations[0])
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad("Input should be a valid integer: parameters.duration")
    if value not in rule.durations:
        low, high = rule.durations[0], rule.durations[-1]
        if rule.durations == tuple(range(low, high + 1)):
            raise bad(f"Input should be between {low} and {high}: parameters.duration")
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

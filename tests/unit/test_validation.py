"""wan_nb.validation: every rule of issue 2 "Behaviour 1", table-driven, plus each dialect's happy paths.

A row names the request's fields; a string value ``"@name"`` is the test medium ``name`` made by
``test_media.make_media``. Each bad row asserts the exception type, its field, and fragments that must
appear in the one-line message (the allowed values).
"""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.media import make_media
from wan_nb import media
from wan_nb.errors import ValidationError, WanError
from wan_nb.models import VideoRequest
from wan_nb.protocols import dialect as wire
from wan_nb.validation import MODELS, model_limits, nearest_resolution, validate


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("media"))


def _resolve(value: Any, files: dict[str, Path]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return str(files[value[1:]])
    if isinstance(value, str) and value.startswith("data@"):
        raw = files[value[5:]].read_bytes()
        return "data:application/octet-stream;base64," + base64.b64encode(raw).decode()
    if isinstance(value, str) and value.startswith("bytes@"):
        return files[value[6:]].read_bytes()
    if isinstance(value, str) and value.startswith("path@"):
        return files[value[5:]]
    if isinstance(value, str) and value.startswith("file@"):
        return files[value[5:]].as_uri()
    return value


def request(files: dict[str, Path], **fields: Any) -> VideoRequest:
    return VideoRequest(**{name: _resolve(value, files) for name, value in fields.items()})


FF = {"first_frame": "@ok.png"}
URL = "https://example.com/cat.png"
V, T = ValidationError, TypeError
NOT_GATEWAY = ["only on native", "dashscope, relay"]
CLIP = {"first_frame": None, "first_clip": "@3s.mp4"}

# fmt: off
# id, fields (over first_frame=ok.png), dialect, error, field, fragments the message must hold
BAD_ROWS: list[tuple[str, dict[str, Any], str, type[Exception], str, list[str]]] = [
    ("model-int", {"model": 123}, "native", T, "model", ["string", "wan2.7-i2v"]),
    ("model-empty", {"model": " "}, "native", V, "model", ["wan2.7-i2v", "wan2.6-i2v"]),
    ("prompt-long", {"prompt": "x" * 5001}, "native", V, "prompt", ["5001", "at most 5000"]),
    ("prompt-none", {"prompt": None}, "native", T, "prompt", ["string", "NoneType"]),
    ("prompt-list", {"prompt": ["a"]}, "native", T, "prompt", ["string", "list"]),
    ("neg-long", {"negative_prompt": "x" * 501}, "native", V, "negative_prompt", ["at most 500"]),
    ("neg-int", {"negative_prompt": 5}, "native", T, "negative_prompt", ["string"]),
    ("prompt-2.6", {"prompt": "x" * 2001, "model": "wan2.6-i2v"}, "native", V, "prompt", ["at most 2000"]),
    ("prompt-2.2", {"prompt": "x" * 801, "model": "wan2.2-i2v-plus"}, "native", V, "prompt", ["at most 800"]),
    ("watermark-str", {"watermark": "yes"}, "native", T, "watermark", ["True, False or None"]),
    ("extend-int", {"prompt_extend": 1}, "native", T, "prompt_extend", ["True, False or None"]),
    ("audio-str", {"audio": "true"}, "unified", T, "audio", ["True, False or None"]),
    ("duration-1", {"duration": 1}, "native", V, "duration", ["2-15", "got 1"]),
    ("duration-16", {"duration": 16}, "native", V, "duration", ["2-15", "got 16"]),
    ("duration-float", {"duration": 5.0}, "native", V, "duration", ["whole seconds", "2-15"]),
    ("duration-bool", {"duration": True}, "native", V, "duration", ["2-15", "True"]),
    ("duration-str", {"duration": "5"}, "unified", V, "duration", ["2-15", "'5'"]),
    ("duration-2.2", {"duration": 10, "model": "wan2.2-i2v-plus"}, "native", V, "duration", ["5 for wan2.2"]),
    ("duration-2.1", {"duration": 6, "model": "wanx2.1-i2v-turbo"}, "native", V, "duration", ["3-5"]),
    ("res-480", {"resolution": "480P"}, "native", V, "resolution", ["720P, 1080P"]),
    ("res-4k", {"resolution": "4K"}, "native", V, "resolution", ["'4K'", "720P, 1080P"]),
    ("res-int", {"resolution": 720}, "native", T, "resolution", ["'720P'"]),
    ("res-2.2", {"resolution": "720P", "model": "wan2.2-i2v-plus"}, "native", V, "resolution", ["480P, 1080P"]),
    ("size-dash", {"size": "1280-720"}, "unified", V, "size", ["WIDTHxHEIGHT", "1280x720"]),
    ("size-zero", {"size": "0x720"}, "unified", V, "size", ["WIDTHxHEIGHT"]),
    ("size-half", {"size": "1280x"}, "unified", V, "size", ["malformed"]),
    ("size-negative", {"size": "-1280x720"}, "unified", V, "size", ["malformed"]),
    ("size-int", {"size": 1280}, "unified", T, "size", ["1280x720"]),
    ("size-vs-res", {"size": "1920x1080", "resolution": "720P"}, "unified", V, "size", ["1080P", "720P"]),
    ("seed-negative", {"seed": -1}, "native", V, "seed", ["0 to 2147483647"]),
    ("seed-big", {"seed": 2**31}, "native", V, "seed", ["0 to 2147483647"]),
    ("seed-float", {"seed": 1.5}, "native", V, "seed", ["integer"]),
    ("seed-bool", {"seed": True}, "native", V, "seed", ["integer"]),
    ("u-negative", {"negative_prompt": "blur"}, "unified", V, "negative_prompt", NOT_GATEWAY),
    ("u-last", {"last_frame": "@ok.png"}, "unified", V, "last_frame", NOT_GATEWAY),
    ("u-audio", {"driving_audio": "@3s.wav"}, "unified", V, "driving_audio", NOT_GATEWAY),
    ("u-clip", {"first_clip": "@3s.mp4"}, "unified", V, "first_clip", NOT_GATEWAY),
    ("u-extend", {"prompt_extend": False}, "unified", V, "prompt_extend", NOT_GATEWAY),
    ("u-watermark", {"watermark": False}, "unified", V, "watermark", NOT_GATEWAY),
    ("no-media", {"first_frame": None, "model": "wan2.7-i2v"}, "native", V, "first_frame", ["first_frame or first_clip"]),
    ("last-only", {"first_frame": None, "last_frame": "@ok.png"}, "native", V, "first_frame", ["required"]),
    ("audio-only", {"first_frame": None, "driving_audio": "@3s.wav", "model": "wan2.7-i2v"}, "relay", V, "first_frame", ["required"]),
    ("frame+clip", {"first_clip": "@3s.mp4"}, "native", V, "first_clip", ["first_frame", "first_clip + last_frame"]),
    ("clip+audio", CLIP | {"driving_audio": "@3s.wav"}, "native", V, "driving_audio", ["go with first_clip"]),
    ("2.6-last", {"last_frame": "@ok.png", "model": "wan2.6-i2v"}, "native", V, "last_frame", ["wan2.6-i2v"]),
    ("2.2-audio", {"driving_audio": "@3s.wav", "model": "wan2.2-i2v-plus"}, "native", V, "driving_audio", ["sets: first_frame"]),
    ("2.6-clip", CLIP | {"model": "wan2.6-i2v"}, "native", V, "first_frame", ["required by wan2.6-i2v"]),
    ("ftp", {"first_frame": "ftp://example.com/cat.png"}, "native", V, "first_frame", ["ftp:", "allowed: http(s)://"]),
    ("s3", {"first_frame": "s3://bucket/cat.png"}, "native", V, "first_frame", ["s3:", "oss://"]),
    ("gs", {"first_frame": "gs://bucket/cat.png"}, "relay", V, "first_frame", ["gs:", "data: URI"]),
    ("javascript", {"first_frame": "javascript:alert(1)"}, "unified", V, "first_frame", ["javascript:", "PIL image"]),
    ("no-host", {"first_frame": "http://"}, "native", V, "first_frame", ["no host"]),
    ("empty", {"first_frame": ""}, "native", V, "first_frame", ["empty", "allowed"]),
    ("frame-int", {"first_frame": 42}, "native", T, "first_frame", ["int", "PIL image"]),
    ("audio-list", {"driving_audio": ["a.wav"]}, "native", T, "driving_audio", ["list", "a local path"]),
    ("oss-unified", {"first_frame": "oss://d/x.png"}, "unified", V, "first_frame", ["only with native", "unified"]),
    ("oss-relay", {"first_frame": "oss://d/x.png"}, "relay", V, "first_frame", ["only with native", "relay"]),
    ("missing", {"first_frame": "cat.png"}, "native", V, "first_frame", ["file not found: cat.png"]),
    ("missing-url", {"first_frame": "file:///no/cat.png"}, "relay", V, "first_frame", ["file not found: /no/cat.png"]),
    ("directory", {"first_frame": "@folder"}, "native", V, "first_frame", ["directory"]),
    ("text", {"first_frame": "@text.png"}, "native", V, "first_frame", ["not an image", "JPEG, PNG, BMP, WEBP"]),
    ("gif", {"first_frame": "@ok.gif"}, "native", V, "first_frame", ["GIF", "JPEG, PNG, BMP, WEBP"]),
    ("mp3-frame", {"first_frame": "@3s.mp3"}, "native", V, "first_frame", ["MP3", "JPEG, PNG, BMP, WEBP"]),
    ("small", {"first_frame": "@small.png"}, "native", V, "first_frame", ["239x400", "240-8000 px"]),
    ("wide", {"first_frame": "@wide.png"}, "native", V, "first_frame", ["8001x300", "240-8000 px"]),
    ("tall", {"first_frame": "@tall.png"}, "native", V, "first_frame", ["1:8.33", "1:8 to 8:1"]),
    ("huge", {"first_frame": "@huge.png"}, "native", V, "first_frame", ["21.0 MB", "at most 20 MB"]),
    ("last-small", {"last_frame": "@small.png"}, "native", V, "last_frame", ["240-8000 px"]),
    ("data-no-comma", {"first_frame": "data:image/png;base64"}, "unified", V, "first_frame", ["malformed"]),
    ("data-bad-b64", {"first_frame": "data:image/png;base64,@@"}, "unified", V, "first_frame", ["base64"]),
    ("data-text", {"first_frame": "data@text.png"}, "unified", V, "first_frame", ["not an image"]),
    ("bytes-small", {"first_frame": "bytes@small.png"}, "relay", V, "first_frame", ["240-8000 px"]),
    ("bytes-junk", {"first_frame": b"garbage"}, "native", V, "first_frame", ["not an image"]),
    ("wav-1s", {"driving_audio": "@1s.wav"}, "native", V, "driving_audio", ["1.0 s", "2-30 s"]),
    ("wav-31s", {"driving_audio": "@31s.wav"}, "native", V, "driving_audio", ["31.0 s", "2-30 s"]),
    ("mp3-1s", {"driving_audio": "@1s.mp3"}, "relay", V, "driving_audio", ["2-30 s"]),
    ("mp3-31s", {"driving_audio": "@31s.mp3"}, "native", V, "driving_audio", ["2-30 s"]),
    ("audio-huge", {"driving_audio": "@huge.wav"}, "native", V, "driving_audio", ["16.0 MB", "at most 15 MB"]),
    ("audio-png", {"driving_audio": "@ok.png"}, "native", V, "driving_audio", ["PNG", "WAV, MP3"]),
    ("audio-text", {"driving_audio": "@text.png"}, "native", V, "driving_audio", ["not audio", "WAV, MP3"]),
    ("clip-1s", CLIP | {"first_clip": "@1s.mp4"}, "native", V, "first_clip", ["1.0 s", "2-10 s"]),
    ("clip-11s", CLIP | {"first_clip": "@11s.mp4"}, "native", V, "first_clip", ["11.0 s", "2-10 s"]),
    ("clip-small", CLIP | {"first_clip": "@small.mp4"}, "native", V, "first_clip", ["128x128", "240-4096 px"]),
    ("clip-png", CLIP | {"first_clip": "@ok.png"}, "native", V, "first_clip", ["not a video", "MP4, MOV"]),
    ("clip-huge", CLIP | {"first_clip": "@huge.mp4"}, "native", V, "first_clip", ["101.0 MB", "at most 100 MB"]),
    ("2.6-small", {"first_frame": "@legacy_small.png", "model": "wan2.6-i2v"}, "native", V, "first_frame", ["360-2000 px"]),
    ("2.5-big", {"first_frame": "@legacy_big.png", "model": "wan2.5-i2v-preview"}, "relay", V, "first_frame", ["360-2000 px"]),
    ("2.6-11mb", {"first_frame": "@padded.png", "model": "wan2.6-i2v"}, "native", V, "first_frame", ["at most 10 MB"]),
    ("2.6-audio-2s", {"driving_audio": "@2s.wav", "model": "wan2.6-i2v"}, "native", V, "driving_audio", ["3-30 s"]),
]
BAD = [pytest.param(*row[1:], id=row[0]) for row in BAD_ROWS]

# id, fields (over first_frame=ok.png), dialect
GOOD_ROWS: list[tuple[str, dict[str, Any], str]] = [
    ("png", {}, "native"),
    ("jpeg", {"first_frame": "@ok.jpg"}, "native"),
    ("bmp", {"first_frame": "@ok.bmp"}, "relay"),
    ("webp", {"first_frame": "@ok.webp"}, "unified"),
    ("edges", {"first_frame": "@min.png", "last_frame": "@eight.png"}, "native"),
    ("frame+wav", {"driving_audio": "@3s.wav"}, "native"),
    ("frame+last+mp3", {"driving_audio": "@2s.mp3", "last_frame": "@ok.jpg"}, "native"),
    ("clip", CLIP, "native"),
    ("mov+last", CLIP | {"first_clip": "@3s.mov", "last_frame": "@ok.png"}, "relay"),
    ("faststart", CLIP | {"first_clip": "@faststart.mp4"}, "native"),
    ("pathlib", {"first_frame": "path@ok.png"}, "native"),
    ("file-url", {"first_frame": "file@ok.png"}, "relay"),
    ("data-uri", {"first_frame": "data@ok.png"}, "unified"),
    ("bytes", {"first_frame": "bytes@ok.webp"}, "unified"),
    ("urls", {"first_frame": URL, "last_frame": URL, "driving_audio": URL}, "native"),
    ("oss", {"first_frame": "oss://dashscope-instant/a/cat.png"}, "native"),
    ("lower-case-res", {"resolution": "1080p", "duration": 2, "seed": 0}, "native"),
    ("size+res", {"size": "1280*720", "resolution": "720P", "duration": 15, "seed": 2**31 - 1}, "native"),
    ("long-texts", {"prompt": "x" * 5000, "negative_prompt": "y" * 500, "watermark": True}, "relay"),
    ("flags", {"prompt_extend": False, "audio": True}, "native"),
    ("snapshot", {"model": "wan2.7-i2v-2026-04-25", "resolution": "720P"}, "native"),
    ("wan2.7-other", CLIP | {"model": "wan2.7-i2v-pro", "allow_unknown_model": True}, "native"),
    ("2.6", {"model": "wan2.6-i2v", "driving_audio": "@3s.mp3", "duration": 10}, "native"),
    ("2.6-flash-20mb", {"model": "wan2.6-i2v-flash", "first_frame": "@padded.png"}, "native"),
    ("2.5-480", {"model": "wan2.5-i2v-preview", "resolution": "480P"}, "native"),
    ("2.2", {"model": "wan2.2-i2v-plus", "resolution": "480P", "size": "854x480"}, "native"),
    ("2.1-turbo", {"model": "wanx2.1-i2v-turbo", "duration": 3}, "native"),
    ("unknown-model", {"model": "wan3.0-i2v", "resolution": "480P", "allow_unknown_model": True}, "native"),
    (
        "unknown-legacy",
        {"model": "wan2.5-future", "driving_audio": "@3s.wav", "allow_unknown_model": True},
        "native",
    ),
    ("gateway", {"first_frame": URL, "size": "1920x1080", "seed": 7, "audio": True}, "unified"),
    ("gateway-local", {"resolution": "1080P", "duration": 10, "prompt": "a cat"}, "unified"),
    ("gateway-empty-negative", {"negative_prompt": "", "watermark": None}, "unified"),
]
# fmt: on


@pytest.mark.parametrize(("fields", "dialect", "error", "field", "fragments"), BAD)
def test_bad_requests(
    files: dict[str, Path],
    fields: dict[str, Any],
    dialect: str,
    error: type[Exception],
    field: str,
    fragments: list[str],
) -> None:
    with pytest.raises(error) as caught:
        validate(request(files, **(FF | fields)), wire(dialect).capabilities)
    message = str(caught.value)
    assert message.startswith(f"{field}: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    if isinstance(caught.value, ValidationError):
        assert caught.value.field == field
        assert isinstance(caught.value, WanError) and isinstance(caught.value, ValueError)


def test_there_are_at_least_forty_bad_inputs() -> None:
    assert len(BAD) >= 40


GOOD = [pytest.param(*row[1:], id=row[0]) for row in GOOD_ROWS]


@pytest.mark.parametrize(("fields", "dialect"), GOOD)
def test_good_requests(files: dict[str, Path], fields: dict[str, Any], dialect: str) -> None:
    validate(request(files, **(FF | fields)), wire(dialect).capabilities)


def test_a_pil_image_is_validated_like_a_file() -> None:
    from PIL import Image

    validate(VideoRequest(first_frame=Image.new("RGB", (640, 480))), wire("unified").capabilities)
    with pytest.raises(ValidationError, match=r"^first_frame: is 100x100 px; allowed: 240-8000 px"):
        validate(VideoRequest(first_frame=Image.new("RGB", (100, 100))), wire("native").capabilities)


def test_validate_returns_links_as_classified_and_local_media_as_read(files: dict[str, Path]) -> None:
    # What it read goes on to the upload or the data: URI, so that a create reads each medium once.
    clip = files["3s.mp4"]
    checked = validate(VideoRequest(first_clip=clip, last_frame=URL), wire("native").capabilities)
    assert set(checked) == {"last_frame", "first_clip"}
    assert checked["last_frame"] == media.classify(URL, "last_frame")
    content = checked["first_clip"]
    assert isinstance(content, media.Content) and content.data == clip.read_bytes()
    assert (content.info.format, content.mime, content.filename) == ("mp4", "video/mp4", "3s.mp4")
    assert len(repr(content)) < 300  # never megabytes of payload


def test_cheap_rules_come_before_reading_media(files: dict[str, Path]) -> None:
    bad_everything = request(files, first_frame="@huge.png", duration=99, last_frame="@ok.png")
    with pytest.raises(ValidationError, match=r"^duration: "):
        validate(bad_everything, wire("unified").capabilities)
    with pytest.raises(ValidationError, match=r"^last_frame: exists only on native"):
        validate(dataclasses.replace(bad_everything, duration=5), wire("unified").capabilities)


def test_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unified, native, relay") as caught:
        wire("openai")
    assert not isinstance(caught.value, WanError)


@pytest.mark.parametrize(
    ("model", "base"),
    [
        ("wan2.7-i2v", "wan2.7-i2v"),
        ("wan2.7-i2v-2026-04-25", "wan2.7-i2v"),
        ("wan2.7-anything", "wan2.7-i2v"),
        ("wan2.6-i2v-flash", "wan2.6-i2v-flash"),
        ("wan2.6-i2v-flash-2026-01-01", "wan2.6-i2v-flash"),
        ("wan2.6-i2v-2026-01-01", "wan2.6-i2v"),
        ("wan2.2-i2v-plus", "wan2.2-i2v-plus"),
    ],
)
def test_model_limits_lookup(model: str, base: str) -> None:
    assert model_limits(model) == MODELS[base]


def test_model_limits_are_a_table() -> None:
    limits = model_limits("wan2.7-i2v")
    assert (limits.resolutions, limits.durations[0], limits.durations[-1]) == (("720P", "1080P"), 2, 15)
    assert (limits.image.side, limits.image.aspect, limits.clip.seconds) == ((240, 8000), 8, (2, 10))
    assert [model_limits(name).legacy for name in ("wan2.7-i2v", "wan2.6-i2v", "wanx2.1-xyz")] == [
        False,
        True,
        True,
    ]
    assert model_limits("wan2.9-x").resolutions == ("480P", "720P", "1080P")
    for each in MODELS.values():
        assert each.default_resolution in each.resolutions


@pytest.mark.parametrize(
    ("size", "model", "resolution"),
    [
        ("1280x720", "wan2.7-i2v", "720P"),
        ("720*1280", "wan2.7-i2v", "720P"),
        ("1920x1080", "wan2.7-i2v", "1080P"),
        ("1600x900", "wan2.7-i2v", "720P"),  # a tie goes to the smaller
        ("640x480", "wan2.7-i2v", "720P"),
        ("640x480", "wan2.5-i2v-preview", "480P"),
        ("1280x720", "wan2.2-i2v-plus", "480P"),
    ],
)
def test_nearest_resolution(size: str, model: str, resolution: str) -> None:
    assert nearest_resolution(size, model) == resolution

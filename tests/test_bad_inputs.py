"""The bad-input catalogue (issue 6): one table of malformed inputs through the API, the CLI and the panel.

Each input must give a one-line error that names the offending field exactly, and must cost nothing: zero
HTTP requests. "Zero" is proven twice: a counting transport or server that would receive any request (the
API and the panel get ``AsyncWanClient(transport=...)``; the CLI, which builds its own client, gets a
counting loopback server as ``--base-url``), and an audit hook on ``socket.connect``/``getaddrinfo`` that
sees any connection or name lookup the process makes, to any host.

Every row of :data:`CATALOGUE` goes through every surface that can express it. A surface skips a row only
with the reason written in the row, and :func:`test_skip_reasons_match_what_each_surface_can_express`
checks that a reason is given exactly when the surface cannot express the row (so no row is dropped
silently, and no stale reason hides one that became expressible).

The one accepted exception to "one line": argparse's own refusals (a flag's value is not an int, a required
flag is missing) print argparse's usage block before the single error line, and name the *flag*
(``--duration``) rather than the field. That is argparse's fixed format, and it happens before wan_nb runs.
"""

from __future__ import annotations

import asyncio
import io
import math
import re
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from socket_watch import SocketWatch

from wan_nb.cli.output import EXIT_USAGE, PROG
from wan_nb.client import AsyncWanClient
from wan_nb.errors import ConfigError, ValidationError, WanError
from wan_nb.models import VideoRequest

MB = 1024 * 1024
BASE_PROMPT = "a cat turns its head"


# --- zero requests ------------------------------------------------------------------------------------------


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every request that reaches the wire; answers 500 so a leak can never pass as success."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(500, json={"code": "InternalError", "message": "no request was expected"})


# --- media --------------------------------------------------------------------------------------------------


def _png(path: Path, size: tuple[int, int], kind: str = "PNG") -> Path:
    from PIL import Image

    Image.new("RGB", size, "teal").save(path, kind)
    return path


def _wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (int(6000 * math.sin(i / 9)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(v.to_bytes(2, "little", signed=True) for v in frames))
    return buffer.getvalue()


def _sparse(path: Path, size: int, head: bytes) -> Path:
    with open(path, "wb") as out:
        out.write(head)
        out.truncate(size)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Named media files; a table value ``"@name"`` stands for the path (or URL) of ``name``."""
    folder = tmp_path_factory.mktemp("bad-media")
    text = folder / "notes.png"
    text.write_text("this is not an image\n")
    (folder / "empty.png").write_bytes(b"")
    (folder / "drawing.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg' width='480' height='400'/>")
    for name, seconds in (("short.wav", 1.0), ("long.wav", 31.0), ("ok.wav", 3.0)):
        (folder / name).write_bytes(_wav_bytes(seconds))
    (folder / "a-folder").mkdir()
    _foreign_and_broken(folder)
    found = {
        "ok": _png(folder / "ok.png", (480, 400)),
        "tiny": _png(folder / "tiny.png", (100, 100)),
        "wide": _png(folder / "wide.png", (8100, 300)),
        "thin": _png(folder / "thin.png", (250, 2400)),  # 1:9.6, beyond 1:8
        "gif": _png(folder / "cat.gif", (480, 400), "GIF"),
        "huge": _sparse(folder / "huge.png", 21 * MB, b"\x89PNG\r\n\x1a\n"),
        "big_wav": _sparse(folder / "big.wav", 16 * MB, b"RIFF"),
        "text": text,
        "empty": folder / "empty.png",
        "svg": folder / "drawing.svg",
        "short": folder / "short.wav",
        "long": folder / "long.wav",
        "ok_wav": folder / "ok.wav",
        "missing": folder / "no-such-file.png",
        "folder": folder / "a-folder",
    }
    found |= {path.stem.replace("-", "_"): path for path in (folder / "more").iterdir()}
    return {**{name: str(path) for name, path in found.items()}, "text_url": text.as_uri()}


def _foreign_and_broken(folder: Path) -> None:
    """Issue 10's media: phone and print formats, cut-short and corrupt files, clips, a positive control."""
    from PIL import Image
    from test_media import _video

    more = folder / "more"
    more.mkdir()
    brand = b"\x00\x00\x00\x1cftyp%s\x00\x00\x00\x00mif1miaf%s" + bytes(4000)
    (more / "iphone.heic").write_bytes(brand % (b"heic", b"heic"))
    (more / "photo.avif").write_bytes(brand % (b"avif", b"avif"))
    Image.new("RGB", (480, 400), "teal").save(more / "scan.tiff", "TIFF")
    png = _png(more / "whole.png", (480, 400)).read_bytes()
    (more / "whole.png").unlink()
    (more / "cut-png.png").write_bytes(png[: len(png) // 2])
    corrupt = bytearray(png)
    idat = png.index(b"IDAT")
    corrupt[idat + 6 : idat + 30] = bytes(24)  # the chunk's CRC no longer matches
    (more / "corrupt-png.png").write_bytes(bytes(corrupt))
    noisy = Image.effect_noise((480, 400), 60).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=90)
    (more / "cut-jpeg.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (more / "jpeg-as-png.png").write_bytes(buffer.getvalue())  # a positive control
    (more / "no-data.wav").write_bytes(_wav_bytes(3.0)[:36])  # RIFF + fmt, the data chunk lost
    _video(more / "clip-11s.mp4", 11)
    _video(more / "clip-3s.mp4", 3)
    (more / "clip-unfinished.mp4").write_bytes(
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(900)
    )


def _resolve(value: Any, media: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return media[value[1:]]
    return value


# --- the catalogue ------------------------------------------------------------------------------------------

# Why a surface cannot express a row (the row then runs through the other surfaces only).
CLI_NO_FLAG = "`wan-nb generate` has no flag for this field"
CLI_WORDS = "the shell passes words: this non-string value would be a different (string) row"
CLI_VALID_WORD = "as a word this parses to a valid value ('5' is the int 5): a typed-API mistake only"
CLI_BYTES = "the CLI takes a path or URL, not bytes (the same bytes in a file are the file rows)"
PANEL_TEXT = "a Textarea holds only text"
PANEL_SLIDER = "the Seconds slider offers only 2-15"
PANEL_SEED = "the Seed box is bounded to 0-2147483647"
PANEL_SIZE = "Size is a dropdown of the dialect's valid sizes"
PANEL_MODEL = "the form has no model input"
PANEL_CHECKBOX = "a checkbox holds only True/False"
PANEL_MEDIA = "a media input holds a typed URL/path or an upload's bytes"
PANEL_GATEWAY = "on the gateway the form disables native-only inputs and leaves them out of the request"
PANEL_NO_CLIP = "the form has no first_clip input"


@dataclass(frozen=True)
class Bad:
    """One malformed input: fields over a valid request, and the field its error must name."""

    id: str
    fields: dict[str, Any]
    field: str
    provider: str = "dashscope"
    cli: str | None = None  # why the CLI cannot express it; None: it can
    panel: str | None = None  # why the panel cannot express it; None: it can
    cloud_only: bool = False
    """Refused only for a cloud service (a link the cloud cannot fetch): the CLI aims at the provider's own URL,
    not the loopback counting server (a loopback API may fetch such links)."""


CATALOGUE: list[Bad] = [
    # first_frame: missing, unreadable, not an image, outside the limits, unsupported URL
    Bad("frame-none", {"first_frame": None}, "first_frame"),
    Bad("frame-missing-file", {"first_frame": "@missing"}, "first_frame"),
    Bad("frame-relative-missing", {"first_frame": "no-such-frame-7f3a.png"}, "first_frame"),
    Bad("frame-is-folder", {"first_frame": "@folder"}, "first_frame"),
    Bad("frame-not-image", {"first_frame": "@text"}, "first_frame"),
    Bad("frame-empty-file", {"first_frame": "@empty"}, "first_frame"),
    Bad("frame-gif", {"first_frame": "@gif"}, "first_frame"),
    Bad("frame-svg", {"first_frame": "@svg"}, "first_frame"),
    Bad("frame-too-small", {"first_frame": "@tiny"}, "first_frame"),
    Bad("frame-too-wide", {"first_frame": "@wide"}, "first_frame"),
    Bad("frame-aspect", {"first_frame": "@thin"}, "first_frame"),
    Bad("frame-over-20MB", {"first_frame": "@huge"}, "first_frame"),
    Bad("frame-ftp", {"first_frame": "ftp://example.com/cat.png"}, "first_frame"),
    Bad("frame-javascript", {"first_frame": "javascript:alert(1)"}, "first_frame"),
    Bad("frame-file-url-not-image", {"first_frame": "@text_url"}, "first_frame"),
    Bad("frame-http-no-host", {"first_frame": "http://"}, "first_frame"),
    Bad("frame-bad-data-uri", {"first_frame": "data:image/png;base64,@@@"}, "first_frame"),
    Bad("frame-data-uri-text", {"first_frame": "data:text/plain;base64,aGVsbG8="}, "first_frame"),
    Bad("frame-bytes-not-image", {"first_frame": b"definitely not a picture"}, "first_frame", cli=CLI_BYTES),
    Bad("frame-empty-bytes", {"first_frame": b""}, "first_frame", cli=CLI_BYTES),
    Bad("frame-int", {"first_frame": 12345}, "first_frame", cli=CLI_WORDS, panel=PANEL_MEDIA),
    # last_frame
    Bad("last-frame-not-image", {"last_frame": "@text"}, "last_frame"),
    Bad("last-frame-missing", {"last_frame": "@missing"}, "last_frame"),
    Bad("last-frame-too-small", {"last_frame": "@tiny"}, "last_frame"),
    Bad("last-frame-aspect", {"last_frame": "@thin"}, "last_frame"),
    Bad("last-frame-ftp", {"last_frame": "ftp://example.com/end.png"}, "last_frame"),
    Bad("last-frame-bytes-gif", {"last_frame": b"GIF89a" + b"\0" * 20}, "last_frame", cli=CLI_BYTES),
    # driving_audio
    Bad("audio-not-audio", {"driving_audio": "@text"}, "driving_audio"),
    Bad("audio-is-image", {"driving_audio": "@ok"}, "driving_audio"),
    Bad("audio-too-short", {"driving_audio": "@short"}, "driving_audio"),
    Bad("audio-too-long", {"driving_audio": "@long"}, "driving_audio"),
    Bad("audio-over-15MB", {"driving_audio": "@big_wav"}, "driving_audio"),
    Bad("audio-missing", {"driving_audio": "@missing"}, "driving_audio"),
    Bad("audio-is-folder", {"driving_audio": "@folder"}, "driving_audio"),
    Bad("audio-ftp", {"driving_audio": "ftp://example.com/voice.wav"}, "driving_audio"),
    Bad("audio-bytes-text", {"driving_audio": b"plain text, not audio"}, "driving_audio", cli=CLI_BYTES),
    Bad("audio-bytes-too-short", {"driving_audio": _wav_bytes(1.0)}, "driving_audio", cli=CLI_BYTES),
    # prompts (characters are counted, not bytes)
    Bad("prompt-5001", {"prompt": "x" * 5001}, "prompt"),
    Bad("prompt-5001-cjk", {"prompt": "猫" * 5001}, "prompt"),
    Bad("prompt-none", {"prompt": None}, "prompt", panel=PANEL_TEXT),
    Bad("prompt-int", {"prompt": 7}, "prompt", cli=CLI_WORDS, panel=PANEL_TEXT),
    Bad("negative-501", {"negative_prompt": "n" * 501}, "negative_prompt", cli=CLI_NO_FLAG),
    Bad("negative-501-emoji", {"negative_prompt": "🐱" * 501}, "negative_prompt", cli=CLI_NO_FLAG),
    # duration
    Bad("duration-0", {"duration": 0}, "duration", panel=PANEL_SLIDER),
    Bad("duration-1", {"duration": 1}, "duration", panel=PANEL_SLIDER),
    Bad("duration-16", {"duration": 16}, "duration", panel=PANEL_SLIDER),
    Bad("duration-negative", {"duration": -5}, "duration", panel=PANEL_SLIDER),
    Bad("duration-float", {"duration": 5.5}, "duration", panel=PANEL_SLIDER),
    Bad("duration-word", {"duration": "five"}, "duration", panel=PANEL_SLIDER),
    Bad("duration-str", {"duration": "5"}, "duration", cli=CLI_VALID_WORD, panel=PANEL_SLIDER),
    # resolution and size
    Bad("resolution-480P", {"resolution": "480P"}, "resolution", panel=PANEL_SIZE),
    Bad("resolution-4K", {"resolution": "4K"}, "resolution", panel=PANEL_SIZE),
    Bad("resolution-no-unit", {"resolution": "720"}, "resolution", panel=PANEL_SIZE),
    Bad("resolution-int", {"resolution": 720}, "resolution", cli=CLI_WORDS, panel=PANEL_SIZE),
    Bad("size-star", {"size": "1280*720x"}, "size", cli=CLI_NO_FLAG, panel=PANEL_SIZE),
    Bad("size-words", {"size": "big"}, "size", cli=CLI_NO_FLAG, panel=PANEL_SIZE),
    Bad(
        "size-vs-resolution",
        {"size": "1920x1080", "resolution": "720P"},
        "size",
        cli=CLI_NO_FLAG,
        panel=PANEL_SIZE,
    ),
    # seed
    Bad("seed-negative", {"seed": -1}, "seed", panel=PANEL_SEED),
    Bad("seed-too-big", {"seed": 2**31}, "seed", panel=PANEL_SEED),
    Bad("seed-float", {"seed": 4.2}, "seed", panel=PANEL_SEED),
    Bad("seed-word", {"seed": "abc"}, "seed", panel=PANEL_SEED),
    Bad("seed-str", {"seed": "42"}, "seed", cli=CLI_VALID_WORD, panel=PANEL_SEED),
    # model
    Bad("model-empty", {"model": ""}, "model", panel=PANEL_MODEL),
    Bad("model-blank", {"model": "   "}, "model", panel=PANEL_MODEL),
    Bad("model-int", {"model": 26}, "model", cli=CLI_WORDS, panel=PANEL_MODEL),
    # switches (the CLI's --audio is the driving audio, not the soundtrack switch)
    Bad("watermark-str", {"watermark": "yes"}, "watermark", cli=CLI_NO_FLAG, panel=PANEL_CHECKBOX),
    Bad("audio-flag-str", {"audio": "off"}, "audio", cli=CLI_NO_FLAG, panel=PANEL_CHECKBOX),
    Bad("prompt-extend-int", {"prompt_extend": 2}, "prompt_extend", cli=CLI_NO_FLAG, panel=PANEL_CHECKBOX),
    # the unified gateway: native-only fields, and its own media checks
    Bad(
        "gateway-driving-audio", {"driving_audio": "@ok_wav"}, "driving_audio", "gateway", panel=PANEL_GATEWAY
    ),
    Bad("gateway-last-frame", {"last_frame": "@ok"}, "last_frame", "gateway", panel=PANEL_GATEWAY),
    Bad(
        "gateway-negative",
        {"negative_prompt": "blur"},
        "negative_prompt",
        "gateway",
        CLI_NO_FLAG,
        PANEL_GATEWAY,
    ),
    Bad("gateway-watermark", {"watermark": True}, "watermark", "gateway", CLI_NO_FLAG, PANEL_GATEWAY),
    Bad(
        "gateway-prompt-extend",
        {"prompt_extend": False},
        "prompt_extend",
        "gateway",
        CLI_NO_FLAG,
        PANEL_GATEWAY,
    ),
    Bad("gateway-frame-not-image", {"first_frame": "@text"}, "first_frame", "gateway"),
    Bad("gateway-frame-too-small", {"first_frame": "@tiny"}, "first_frame", "gateway"),
    Bad("gateway-frame-oss", {"first_frame": "oss://bucket/cat.png"}, "first_frame", "gateway"),
    Bad("gateway-frame-missing", {"first_frame": "@missing"}, "first_frame", "gateway"),
    Bad("gateway-prompt-5001", {"prompt": "g" * 5001}, "prompt", "gateway"),
    # the relay
    Bad("relay-duration-99", {"duration": 99}, "duration", "relay", panel=PANEL_SLIDER),
    Bad("relay-frame-oss", {"first_frame": "oss://bucket/cat.png"}, "first_frame", "relay"),
    Bad("relay-frame-ftp", {"first_frame": "ftp://example.com/cat.png"}, "first_frame", "relay"),
    Bad("relay-audio-too-long", {"driving_audio": "@long"}, "driving_audio", "relay"),
    Bad("relay-last-frame-not-image", {"last_frame": "@text"}, "last_frame", "relay"),
    # issue 10: models of other Wan families, typos and other vendors' names (each a paid request that fails)
    Bad("model-t2v", {"model": "wan2.7-t2v"}, "model", panel=PANEL_MODEL),
    Bad("model-r2v", {"model": "wan2.6-r2v"}, "model", panel=PANEL_MODEL),
    Bad("model-kf2v", {"model": "wan2.1-kf2v-plus"}, "model", panel=PANEL_MODEL),
    Bad("model-videoedit", {"model": "wan2.7-videoedit"}, "model", panel=PANEL_MODEL),
    Bad("model-t2i", {"model": "wan2.5-t2i-preview"}, "model", panel=PANEL_MODEL),
    Bad("model-image", {"model": "wan2.7-image"}, "model", panel=PANEL_MODEL),
    Bad("model-typo-swapped", {"model": "wan2.7-iv2"}, "model", panel=PANEL_MODEL),
    Bad("model-typo-no-dot", {"model": "wan27-i2v"}, "model", panel=PANEL_MODEL),
    Bad("model-upper-case", {"model": "WAN2.7-I2V"}, "model", panel=PANEL_MODEL),
    Bad("model-trailing-space", {"model": "wan2.7-i2v "}, "model", panel=PANEL_MODEL),
    Bad("model-other-vendor", {"model": "sora-2"}, "model", panel=PANEL_MODEL),
    Bad("model-relay-t2v", {"model": "wan2.6-t2v"}, "model", "relay", panel=PANEL_MODEL),
    # links the cloud can never fetch: this machine, private networks, Jupyter's own file links
    Bad("frame-jupyter-localhost", {"first_frame": "http://localhost:8888/files/cat.png"}, "first_frame",
        cloud_only=True),
    Bad("frame-loopback-ip", {"first_frame": "http://127.0.0.1:8000/cat.png"}, "first_frame", cloud_only=True),
    Bad("frame-ipv6-loopback", {"first_frame": "http://[::1]:8000/cat.png"}, "first_frame", cloud_only=True),
    Bad("frame-private-10", {"first_frame": "http://10.0.0.5/cat.png"}, "first_frame", cloud_only=True),
    Bad("frame-private-192", {"first_frame": "https://192.168.1.20/cat.png"}, "first_frame", cloud_only=True),
    Bad("frame-metadata-ip", {"first_frame": "http://169.254.169.254/latest/meta-data"}, "first_frame",
        cloud_only=True),
    Bad("frame-dot-local", {"first_frame": "http://my-mac.local/cat.png"}, "first_frame", cloud_only=True),
    Bad("frame-jupyterhub-files", {"first_frame": "https://hub.example.org/user/alice/files/cat.png"},
        "first_frame", cloud_only=True),
    Bad("frame-sub-localhost", {"first_frame": "http://notebook.localhost/cat.png"}, "first_frame",
        cloud_only=True),
    Bad("audio-localhost", {"driving_audio": "http://localhost/voice.wav"}, "driving_audio", cloud_only=True),
    Bad("last-frame-private", {"last_frame": "http://172.16.0.9/end.png"}, "last_frame", cloud_only=True),
    Bad("gateway-frame-localhost", {"first_frame": "http://localhost:8888/files/cat.png"}, "first_frame",
        "gateway", cloud_only=True),
    Bad("relay-frame-private", {"first_frame": "http://10.1.2.3/cat.png"}, "first_frame", "relay",
        cloud_only=True),
    # formats the service refuses (each with how to convert), cut-short and corrupt files
    Bad("frame-heic", {"first_frame": "@iphone"}, "first_frame"),
    Bad("frame-avif", {"first_frame": "@photo"}, "first_frame"),
    Bad("frame-tiff", {"first_frame": "@scan"}, "first_frame"),
    Bad("frame-truncated-png", {"first_frame": "@cut_png"}, "first_frame"),
    Bad("frame-truncated-jpeg", {"first_frame": "@cut_jpeg"}, "first_frame"),
    Bad("frame-corrupt-png", {"first_frame": "@corrupt_png"}, "first_frame"),
    Bad("last-frame-heic", {"last_frame": "@iphone"}, "last_frame"),
    Bad("gateway-frame-heic", {"first_frame": "@iphone"}, "first_frame", "gateway"),
    Bad("frame-data-uri-no-type", {"first_frame": "data:base64,iVBORw0KGgo="}, "first_frame"),
    Bad("frame-data-uri-28MB", {"first_frame": "data:image/png;base64," + "A" * (28 * MB)}, "first_frame"),
    Bad("audio-no-data-chunk", {"driving_audio": "@no_data"}, "driving_audio"),
    Bad("clip-11s", {"first_frame": None, "first_clip": "@clip_11s"}, "first_clip", cli=CLI_NO_FLAG,
        panel=PANEL_NO_CLIP),
    Bad("clip-unfinished", {"first_frame": None, "first_clip": "@clip_unfinished"}, "first_clip",
        cli=CLI_NO_FLAG, panel=PANEL_NO_CLIP),
    Bad("clip-is-image", {"first_frame": None, "first_clip": "@ok"}, "first_clip", cli=CLI_NO_FLAG,
        panel=PANEL_NO_CLIP),
    Bad("clip-heic", {"first_frame": None, "first_clip": "@iphone"}, "first_clip", cli=CLI_NO_FLAG,
        panel=PANEL_NO_CLIP),
    # type traps: bool is an int in Python, a numeric string is no number
    Bad("duration-true", {"duration": True}, "duration", cli=CLI_WORDS, panel=PANEL_SLIDER),
    Bad("seed-true", {"seed": True}, "seed", cli=CLI_WORDS, panel=PANEL_SEED),
    Bad("duration-str-float", {"duration": "5.0"}, "duration", panel=PANEL_SLIDER),
]  # fmt: skip
IDS = [bad.id for bad in CATALOGUE]


def _request(media: dict[str, str], fields: dict[str, Any]) -> VideoRequest:
    merged = {"prompt": BASE_PROMPT, "first_frame": "@ok", "duration": 5, **fields}
    return VideoRequest(**{name: _resolve(value, media) for name, value in merged.items()})


def assert_names_exactly(error: BaseException, field: str) -> None:
    """One line that starts with ``field:``; a ValidationError's ``.field`` is ``field`` itself."""
    text = str(error)
    assert text and "\n" not in text, f"not one line: {text!r}"
    assert text.startswith(f"{field}: "), f"does not start with {field!r}: {text!r}"
    if isinstance(error, ValidationError):
        assert error.field == field, (error.field, field)
    else:  # typed-API mistakes (prompt=7) are TypeErrors, as Python's own are; the message names the field
        assert isinstance(error, TypeError), type(error)


# --- the API ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", CATALOGUE, ids=IDS)
async def test_api_refuses_before_any_request(media: dict[str, str], bad: Bad) -> None:
    wire = CountingTransport()
    with SocketWatch() as net:
        async with AsyncWanClient(
            bad.provider, api_key="sk-never-sent", transport=wire, journal=False
        ) as client:
            with pytest.raises((ValidationError, TypeError)) as caught:
                await client.submit(_request(media, bad.fields))
    assert_names_exactly(caught.value, bad.field)
    assert wire.requests == []
    assert net.events == []


async def test_map_refuses_the_whole_batch_naming_the_item(media: dict[str, str]) -> None:
    """A typo in item 3 costs nothing for items 0-2: map validates all before it submits any."""
    wire = CountingTransport()
    good = _request(media, {})
    requests = [good, good, good, _request(media, {"duration": 40})]
    async with AsyncWanClient("dashscope", api_key="sk-never-sent", transport=wire, journal=False) as client:
        with pytest.raises(ValidationError) as caught:
            client.map(requests)
    assert_names_exactly(caught.value, "requests[3].duration")  # the item's index, then its field
    assert wire.requests == []


# (id, constructor arguments, field) — refused by the constructor, before any client exists
CONFIG_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-provider", {"provider": "dashscope-mars", "api_key": "sk-x"}, "provider"),
    ("provider-without-key", {"provider": "dashscope"}, "api_key"),
    ("gateway-without-key", {"provider": "gateway"}, "api_key"),
    (
        "key-over-plain-http",
        {"provider": "dashscope", "api_key": "sk-x", "base_url": "http://example.com"},
        "base_url",
    ),
    (
        "base-url-not-http",
        {"provider": "dashscope", "api_key": "sk-x", "base_url": "ftp://127.0.0.1"},
        "base_url",
    ),
    ("key-without-provider", {"api_key": "sk-x"}, "provider"),
    # issue 10: a pasted key or URL (never httpx's "header injection" ValueError)
    ("key-inner-newline", {"provider": "dashscope", "api_key": "sk-abc\nX-Injected: 1"}, "api_key"),
    ("key-inner-space", {"provider": "gateway", "api_key": "sk-abc def"}, "api_key"),
    ("key-control-char", {"provider": "relay", "api_key": "sk-abc\x00"}, "api_key"),
    ("base-url-no-scheme", {"provider": "dashscope", "api_key": "sk-x", "base_url": "dashscope.aliyuncs.com"},
     "base_url"),
    ("base-url-inner-space", {"provider": "gateway", "api_key": "sk-x", "base_url": "https://api.example .com"},
     "base_url"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "field"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_client_configuration_is_refused_up_front(arguments: dict[str, Any], field: str) -> None:
    wire = CountingTransport()
    provider = arguments.pop("provider", None)
    with SocketWatch() as net, pytest.raises(ConfigError) as caught:
        AsyncWanClient(provider, transport=wire, journal=False, **arguments)
    assert_names_exactly(caught.value, field)
    assert wire.requests == []
    assert net.events == []


@pytest.mark.parametrize(
    ("variable", "value"), [("DASHSCOPE_API_KEY", "sk-a\nb"), ("WAN_NB_BASE_URL", "api.example.com")]
)
def test_a_bad_variable_is_named(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-fine")
    monkeypatch.setenv(variable, value)
    with SocketWatch() as net, pytest.raises(ConfigError) as caught:
        AsyncWanClient("dashscope", transport=CountingTransport(), journal=False)
    assert_names_exactly(caught.value, "base_url" if variable == "WAN_NB_BASE_URL" else variable)
    assert net.events == []


# --- positive controls: valid but unusual inputs that must pass -----------------------------------------------

# (id, provider, fields over a valid request)
POSITIVE: list[tuple[str, str, dict[str, Any]]] = [
    ("jpeg-saved-as-png", "sim", {"first_frame": "@jpeg_as_png"}),
    ("first-clip-3s", "sim", {"first_frame": None, "first_clip": "@clip_3s"}),
    ("relay-with-a-local-file", "sim-relay", {"first_frame": "@ok"}),
    ("gateway-with-a-local-file", "sim-gateway", {"first_frame": "@jpeg_as_png"}),
    ("dated-snapshot", "sim", {"model": "wan2.7-i2v-2026-04-25"}),
]


@pytest.mark.parametrize(("provider", "fields"), [p[1:] for p in POSITIVE], ids=[p[0] for p in POSITIVE])
async def test_unusual_but_valid_inputs_reach_the_service(
    media: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    provider: str,
    fields: dict[str, Any],
) -> None:
    monkeypatch.setenv("WAN_NB_HOME", str(tmp_path))
    async with AsyncWanClient(provider, journal=False) as client:
        task = await client.submit(_request(media, fields))  # the simulator checks the wire body too
    assert task.id and not task.done


def test_a_loopback_api_may_fetch_local_links_and_a_new_model_can_be_sent_on_purpose(
    media: dict[str, str],
) -> None:
    from wan_nb.validation import validate

    local = _request(media, {"first_frame": "http://localhost:8888/files/cat.png"})
    validate(local, "native", cloud=False)  # the simulator, a relay on this machine
    with pytest.raises(ValidationError, match="pass the local file"):
        validate(local, "native", cloud=True)
    new = _request(media, {"model": "wan3.0-i2v", "allow_unknown_model": True})
    validate(new, "native")


async def test_a_key_and_url_pasted_with_whitespace_are_cleaned() -> None:
    wire = CountingTransport()
    async with AsyncWanClient(
        "dashscope", api_key="  sk-pasted\n", base_url=" https://dashscope.aliyuncs.com/\n", transport=wire,
        journal=False, max_retries=0,
    ) as client:  # fmt: skip
        assert client.base_url == "https://dashscope.aliyuncs.com"
        with pytest.raises(WanError):
            await client.get("task-1")
    assert wire.requests[0].headers["authorization"] == "Bearer sk-pasted"


# --- the CLI ------------------------------------------------------------------------------------------------

CLI_FLAGS = {
    "first_frame": "--image",
    "prompt": "--prompt",
    "last_frame": "--last-frame",
    "driving_audio": "--audio",
    "resolution": "--resolution",
    "duration": "--duration",
    "seed": "--seed",
    "model": "--model",
}
REQUIRED_FLAGS = {"--image", "--prompt"}
INT_FLAGS = {"--duration", "--seed"}
INT_WORD = re.compile(r"[-+]?\d+")


@dataclass(frozen=True)
class CliForm:
    options: dict[str, str]  # flag → word, over the valid defaults
    usage_flag: str | None  # argparse refuses before wan_nb runs, naming this flag


def cli_form(bad: Bad, media: dict[str, str]) -> CliForm | None:
    """The ``wan-nb generate`` flags that express ``bad``, or None when the CLI cannot express it."""
    options = {"--image": media["ok"], "--prompt": BASE_PROMPT, "--duration": "5"}
    usage_flag = None
    for name, value in bad.fields.items():
        flag = CLI_FLAGS.get(name)
        if flag is None:
            return None
        if value is None:  # "not given": a mistake only for a required flag, which argparse reports
            if flag not in REQUIRED_FLAGS:
                return None
            del options[flag]
            usage_flag = flag
            continue
        if isinstance(value, bytes | bool) or (isinstance(value, int) and flag not in INT_FLAGS):
            return None
        word = str(_resolve(value, media))
        if flag in INT_FLAGS and INT_WORD.fullmatch(word):
            if not isinstance(value, int):  # "5" is a fine word: the bad value is the str type itself
                return None
        elif flag in INT_FLAGS:
            usage_flag = flag  # argparse's type=int refuses "5.5" and "five"
        options[flag] = word
    return CliForm(options, usage_flag)


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []  # one server per test, one list

    def _count(self) -> None:
        _Counter.hits.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _count

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server counting every request; the CLI's ``--base-url``."""
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Counter.hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-never-sent")
    monkeypatch.setenv("WAN_API_KEY", "sk-never-sent")
    monkeypatch.chdir(tmp_path)  # relative paths in the table resolve against an empty folder


def run_cli(words: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, list[Any]]:
    from wan_nb.cli import main

    with SocketWatch() as net:
        code = main(words)
    captured = capsys.readouterr()
    return code, captured.out, captured.err, net.events


def assert_usage_refusal(err: str, flag: str, prog: str = f"{PROG} generate") -> None:
    """argparse's format: its usage block (``usage: wan-nb generate`` and indented continuation lines), then
    exactly one error line naming the flag. The documented exception to "one line"."""
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith(f"usage: {prog}"), lines
    assert all(line.startswith(" ") for line in lines[1:-1]), lines
    assert lines[-1].startswith(f"{prog}: error: "), lines
    assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", lines[-1]), (flag, lines[-1])


def assert_one_error_line(err: str, field: str) -> None:
    """``wan-nb: error: <field>: <message>`` (wan_nb.cli.output.fail), one line, the field exactly."""
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith(f"{PROG}: error: {field}: "), err


CLI_CASES = [bad for bad in CATALOGUE if bad.cli is None]


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("bad", CLI_CASES, ids=[bad.id for bad in CLI_CASES])
def test_cli_refuses_with_exit_2_and_one_line(
    media: dict[str, str],
    counting_server: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    bad: Bad,
) -> None:
    url, hits = counting_server
    form = cli_form(bad, media)
    assert form is not None
    words = ["generate", *(w for pair in form.options.items() for w in pair)]
    words += ["--provider", bad.provider, "--out", str(tmp_path / "out")]
    if not bad.cloud_only:  # a loopback API may fetch local links: aim at the provider's own (cloud) URL
        words += ["--base-url", url]
    code, out, err, events = run_cli(words, capsys)
    assert code == EXIT_USAGE, err
    assert out == ""
    if form.usage_flag is not None:
        assert_usage_refusal(err, form.usage_flag)
    else:
        assert_one_error_line(err, bad.field)
    assert hits == []
    assert events == []


# (id, argv after `generate` and the valid defaults, the flag argparse must name): refusals with no API form
CLI_ONLY_USAGE: list[tuple[str, list[str], str]] = [
    ("provider-unknown", ["--provider", "nowhere"], "--provider"),
    ("timeout-not-a-number", ["--timeout", "soon"], "--timeout"),
    ("unknown-flag", ["--size", "1280x720"], "--size"),  # the top-level parser reports strays
]


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("extra", "flag"), [c[1:] for c in CLI_ONLY_USAGE], ids=[c[0] for c in CLI_ONLY_USAGE]
)
def test_cli_usage_errors_name_the_flag_and_send_nothing(
    media: dict[str, str],
    counting_server: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    flag: str,
) -> None:
    url, hits = counting_server
    words = ["generate", "--image", media["ok"], "--prompt", BASE_PROMPT, "--base-url", url, *extra]
    code, out, err, events = run_cli(words, capsys)
    assert code == EXIT_USAGE, err
    assert out == ""
    assert_usage_refusal(err, flag, PROG if flag == "--size" else f"{PROG} generate")
    assert hits == []
    assert events == []


# --- the panel ----------------------------------------------------------------------------------------------

PANEL_MEDIA_ROLES = ("first_frame", "last_frame", "driving_audio")
PANEL_TEXTS = ("prompt", "negative_prompt")
NATIVE_ONLY = ("last_frame", "driving_audio", "negative_prompt", "watermark", "prompt_extend")


def panel_form(bad: Bad) -> list[tuple[str, Any]] | None:
    """The form inputs that express ``bad``, or None when the panel cannot express it."""
    if bad.provider == "gateway" and any(name in NATIVE_ONLY for name in bad.fields):
        return None
    for name, value in bad.fields.items():
        if name in PANEL_TEXTS and isinstance(value, str):
            continue
        if name in PANEL_MEDIA_ROLES and (value is None or isinstance(value, str | bytes)):
            continue
        return None
    return list(bad.fields.items())


def _enter(panel: Any, name: str, value: Any) -> None:
    """What a user does: type into a text box or the URL box, upload a file, or clear a medium."""
    if name in PANEL_TEXTS:
        getattr(panel.form, name).value = value
        return
    medium = getattr(panel.form, name)
    if value is None:
        medium.set(None)
    elif isinstance(value, bytes):  # the browser's upload, as the widget's comm delivers it
        upload = {"name": f"{name}.bin", "type": "", "size": len(value), "content": memoryview(value)}
        medium.upload.set_state({"value": [{**upload, "last_modified": 0}]})
    else:
        medium.url.value = value


PANEL_CASES = [bad for bad in CATALOGUE if bad.panel is None]


@pytest.mark.parametrize("bad", PANEL_CASES, ids=[bad.id for bad in PANEL_CASES])
async def test_panel_explains_beside_the_field_and_sends_nothing(media: dict[str, str], bad: Bad) -> None:
    from wan_nb.widgets import WanPanel

    steps = panel_form(bad)
    assert steps is not None
    wire = CountingTransport()
    with SocketWatch() as net:
        async with AsyncWanClient(
            bad.provider, api_key="sk-never-sent", transport=wire, journal=False
        ) as client:
            panel = WanPanel(client, prompt=BASE_PROMPT, first_frame=media["ok"], history=False)
            for name, value in steps:
                _enter(panel, name, _resolve(value, media))
            panel.generate.click()
            # Before anything is closed or cancelled: no job was ever started, nothing reached the wire.
            assert panel.last_job is None and panel.jobs == set() and panel.cards == []
            assert wire.requests == []
            await asyncio.sleep(0.05)  # a job spawned despite that would have sent by now
            assert wire.requests == []
            await panel.aclose()
    assert net.events == []
    assert list(panel.form.errors) == [bad.field], (panel.form.errors, panel.message.value)
    shown = panel.form.errors[bad.field]
    assert shown and "\n" not in shown, shown
    assert panel.message.value == ""


# --- the counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", CATALOGUE, ids=IDS)
def test_skip_reasons_match_what_each_surface_can_express(media: dict[str, str], bad: Bad) -> None:
    """A surface skips a row only with a reason, and only when it really cannot express it."""
    assert (bad.cli is None) == (cli_form(bad, media) is not None), (bad.id, bad.cli)
    assert (bad.panel is None) == (panel_form(bad) is not None), (bad.id, bad.panel)


def test_each_surface_gets_at_least_forty_inputs() -> None:
    ids = [bad.id for bad in CATALOGUE]
    assert len(ids) == len(set(ids)), "duplicate ids"
    api = len(CATALOGUE) + len(CONFIG_CASES) + 1  # + the map batch
    issue_10 = IDS[IDS.index("model-t2v") :]
    assert len(issue_10) >= 25 and len(POSITIVE) >= 3, len(issue_10)
    cli = len(CLI_CASES) + len(CLI_ONLY_USAGE)
    panel = len(PANEL_CASES)
    assert min(api, cli, panel) >= 40, {"api": api, "cli": cli, "panel": panel}

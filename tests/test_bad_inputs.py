"""The bad-input catalogue (issue 6): malformed inputs through the API, the CLI and the panel.

Each input must give a one-line error that names the offending field, and must cost nothing: zero HTTP
requests. The proof of "zero" is a counting transport injected with ``AsyncWanClient(transport=...)`` (API and
panel) and, for the CLI (which builds its own client), a loopback HTTP server that counts every request it
receives and is the CLI's ``--base-url``.
"""

from __future__ import annotations

import io
import math
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from wan_nb.client import AsyncWanClient
from wan_nb.errors import ConfigError, ValidationError
from wan_nb.models import VideoRequest

MB = 1024 * 1024


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every request that reaches the wire; answers 500 so a leak can never pass as success."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(500, json={"code": "InternalError", "message": "no request was expected"})


# --- media -----------------------------------------------------------------------------------------------


def _png(path: Path, size: tuple[int, int]) -> Path:
    from PIL import Image

    Image.new("RGB", size, "teal").save(path, "PNG")
    return path


def _wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (int(6000 * math.sin(i / 9)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(v.to_bytes(2, "little", signed=True) for v in frames))
    return path


def _sparse(path: Path, size: int, head: bytes) -> Path:
    with open(path, "wb") as out:
        out.write(head)
        out.truncate(size)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-media")
    text = folder / "notes.png"
    text.write_text("this is not an image\n")
    found = {
        "ok": _png(folder / "ok.png", (480, 400)),
        "tiny": _png(folder / "tiny.png", (100, 100)),
        "wide": _png(folder / "wide.png", (8100, 300)),
        "thin": _png(folder / "thin.png", (250, 2400)),  # 1:9.6, beyond 1:8
        "huge": _sparse(folder / "huge.png", 21 * MB, b"\x89PNG\r\n\x1a\n"),
        "text": text,
        "short": _wav(folder / "short.wav", 1.0),
        "long": _wav(folder / "long.wav", 31.0),
        "ok_wav": _wav(folder / "ok.wav", 3.0),
        "big_wav": _sparse(folder / "big.wav", 16 * MB, b"RIFF"),
        "missing": folder / "no-such-file.png",
    }
    found["folder"] = folder / "a-folder"
    found["folder"].mkdir()
    return found


# --- the API catalogue -------------------------------------------------------------------------------------

# (id, fields over a valid native request, dialect/provider, the field the message must name)
OK = "@ok"
API_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("no-first-frame", {"first_frame": None}, "dashscope", "first_frame"),
    ("duration-0", {"duration": 0}, "dashscope", "duration"),
    ("duration-1", {"duration": 1}, "dashscope", "duration"),
    ("duration-16", {"duration": 16}, "dashscope", "duration"),
    ("duration-float", {"duration": 5.5}, "dashscope", "duration"),
    ("duration-str", {"duration": "5"}, "dashscope", "duration"),
    ("duration-negative", {"duration": -5}, "dashscope", "duration"),
    ("resolution-480P", {"resolution": "480P"}, "dashscope", "resolution"),
    ("resolution-4K", {"resolution": "4K"}, "dashscope", "resolution"),
    ("resolution-int", {"resolution": 720}, "dashscope", "resolution"),
    ("size-star", {"resolution": None, "size": "1280*720x"}, "dashscope", "size"),
    ("size-words", {"resolution": None, "size": "big"}, "dashscope", "size"),
    ("seed-negative", {"seed": -1}, "dashscope", "seed"),
    ("seed-too-big", {"seed": 2**31}, "dashscope", "seed"),
    ("seed-str", {"seed": "42"}, "dashscope", "seed"),
    ("seed-float", {"seed": 4.2}, "dashscope", "seed"),
    ("prompt-5001", {"prompt": "x" * 5001}, "dashscope", "prompt"),
    ("prompt-none", {"prompt": None}, "dashscope", "prompt"),
    ("prompt-int", {"prompt": 7}, "dashscope", "prompt"),
    ("negative-501", {"negative_prompt": "n" * 501}, "dashscope", "negative_prompt"),
    ("frame-missing-file", {"first_frame": "@missing"}, "dashscope", "first_frame"),
    ("frame-is-folder", {"first_frame": "@folder"}, "dashscope", "first_frame"),
    ("frame-not-image", {"first_frame": "@text"}, "dashscope", "first_frame"),
    ("frame-too-small", {"first_frame": "@tiny"}, "dashscope", "first_frame"),
    ("frame-too-wide", {"first_frame": "@wide"}, "dashscope", "first_frame"),
    ("frame-aspect", {"first_frame": "@thin"}, "dashscope", "first_frame"),
    ("frame-over-20MB", {"first_frame": "@huge"}, "dashscope", "first_frame"),
    ("frame-ftp", {"first_frame": "ftp://example.com/cat.png"}, "dashscope", "first_frame"),
    ("frame-javascript", {"first_frame": "javascript:alert(1)"}, "dashscope", "first_frame"),
    ("frame-bad-data-uri", {"first_frame": "data:image/png;base64,@@@"}, "dashscope", "first_frame"),
    ("frame-bytes-not-image", {"first_frame": b"definitely not a picture"}, "dashscope", "first_frame"),
    ("frame-empty-bytes", {"first_frame": b""}, "dashscope", "first_frame"),
    ("frame-int", {"first_frame": 12345}, "dashscope", "first_frame"),
    ("last-frame-not-image", {"last_frame": "@text"}, "dashscope", "last_frame"),
    ("audio-not-audio", {"driving_audio": "@text"}, "dashscope", "driving_audio"),
    ("audio-too-short", {"driving_audio": "@short"}, "dashscope", "driving_audio"),
    ("audio-too-long", {"driving_audio": "@long"}, "dashscope", "driving_audio"),
    ("audio-over-15MB", {"driving_audio": "@big_wav"}, "dashscope", "driving_audio"),
    ("audio-missing", {"driving_audio": "@missing"}, "dashscope", "driving_audio"),
    ("model-empty", {"model": ""}, "dashscope", "model"),
    ("model-int", {"model": 26}, "dashscope", "model"),
    ("watermark-str", {"watermark": "yes"}, "dashscope", "watermark"),
    ("audio-flag-str", {"audio": "off"}, "dashscope", "audio"),
    ("prompt-extend-int", {"prompt_extend": 2}, "dashscope", "prompt_extend"),
    ("gateway-driving-audio", {"driving_audio": "@ok_wav"}, "gateway", "driving_audio"),
    ("gateway-last-frame", {"last_frame": OK}, "gateway", "last_frame"),
    ("gateway-negative", {"negative_prompt": "blur"}, "gateway", "negative_prompt"),
    ("gateway-watermark", {"watermark": True}, "gateway", "watermark"),
    ("gateway-prompt-extend", {"prompt_extend": False}, "gateway", "prompt_extend"),
    ("relay-duration-99", {"duration": 99}, "relay", "duration"),
]


def _resolve(value: Any, media: dict[str, Path]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return str(media[value[1:]])
    return value


def _request(media: dict[str, Path], fields: dict[str, Any]) -> VideoRequest:
    base: dict[str, Any] = {"prompt": "a cat turns its head", "first_frame": OK, "duration": 5}
    if fields.get("size"):
        base["resolution"] = None
    merged = {**base, **fields}
    return VideoRequest(**{name: _resolve(value, media) for name, value in merged.items()})


def assert_one_line_naming(error: BaseException, field: str) -> None:
    text = str(error)
    assert text and "\n" not in text, f"not one line: {text!r}"
    assert field in text, f"{field!r} not named in {text!r}"
    if isinstance(error, ValidationError):
        assert error.field == field or error.field.endswith(field), (error.field, field)


@pytest.mark.parametrize(
    ("fields", "provider", "field"), [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES]
)
async def test_api_refuses_before_any_request(
    media: dict[str, Path], fields: dict[str, Any], provider: str, field: str
) -> None:
    wire = CountingTransport()
    async with AsyncWanClient(provider, api_key="sk-never-sent", transport=wire, journal=False) as client:
        with pytest.raises((ValidationError, TypeError)) as caught:
            await client.submit(_request(media, fields))
    assert_one_line_naming(caught.value, field)
    assert wire.requests == []


async def test_map_refuses_the_whole_batch_naming_the_item(media: dict[str, Path]) -> None:
    """A typo in item 3 costs nothing for items 0-2: map validates all before it submits any."""
    wire = CountingTransport()
    good = _request(media, {})
    requests = [good, good, good, _request(media, {"duration": 40})]
    async with AsyncWanClient("dashscope", api_key="sk-never-sent", transport=wire, journal=False) as client:
        with pytest.raises(ValidationError) as caught:
            client.map(requests)
    assert_one_line_naming(caught.value, "duration")
    assert "requests[3]" in str(caught.value)
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
]


@pytest.mark.parametrize(
    ("arguments", "field"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_client_configuration_is_refused_up_front(arguments: dict[str, Any], field: str) -> None:
    wire = CountingTransport()
    provider = arguments.pop("provider", None)
    with pytest.raises(ConfigError) as caught:
        AsyncWanClient(provider, transport=wire, journal=False, **arguments)
    assert_one_line_naming(caught.value, field)
    assert wire.requests == []


# --- the CLI ----------------------------------------------------------------------------------------------


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by design: one server, one list

    def _count(self) -> None:
        _Counter.hits.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = do_HEAD = _count

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Counter.hits
    server.shutdown()
    server.server_close()


# (id, generate arguments after --image/--prompt defaults, the field or flag the message must name)
CLI_CASES: list[tuple[str, list[str], str]] = [
    ("duration-20", ["--duration", "20"], "duration"),
    ("duration-1", ["--duration", "1"], "duration"),
    ("resolution-4K", ["--resolution", "4K"], "resolution"),
    ("seed-negative", ["--seed", "-5"], "seed"),
    ("image-missing", ["--image", "@missing"], "first_frame"),
    ("image-not-image", ["--image", "@text"], "first_frame"),
    ("image-too-small", ["--image", "@tiny"], "first_frame"),
    ("prompt-too-long", ["--prompt", "p" * 5001], "prompt"),
    ("audio-too-short", ["--audio", "@short"], "driving_audio"),
    ("last-frame-not-image", ["--last-frame", "@text"], "last_frame"),
    ("gateway-audio", ["--provider", "gateway", "--audio", "@ok_wav"], "driving_audio"),
    ("model-unknown-empty", ["--model", ""], "model"),
]


def _cli_words(media: dict[str, Path], extra: list[str], base_url: str) -> list[str]:
    words = ["generate", "--image", str(media["ok"]), "--prompt", "a cat", "--base-url", base_url]
    if "--provider" not in extra:
        words += ["--provider", "dashscope"]
    return words + [str(media[w[1:]]) if w.startswith("@") else w for w in extra]


@pytest.mark.parametrize(("extra", "field"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_refuses_with_exit_2_and_one_line(
    media: dict[str, Path],
    counting_server: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    field: str,
) -> None:
    from wan_nb.cli import main

    url, hits = counting_server
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-never-sent")
    monkeypatch.setenv("WAN_API_KEY", "sk-never-sent")
    code = main(_cli_words(media, extra, url))
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.count("\n") == 0 and err.startswith("wan-nb: error:"), err
    assert field in err, err
    assert hits == []


# (id, argv, the flag argparse's error line must name) — refused before a client exists
USAGE_CASES: list[tuple[str, list[str], str]] = [
    (
        "duration-not-int",
        ["generate", "--image", "x.png", "--prompt", "p", "--duration", "five"],
        "--duration",
    ),
    ("seed-not-int", ["generate", "--image", "x.png", "--prompt", "p", "--seed", "1.5"], "--seed"),
    ("image-required", ["generate", "--prompt", "p"], "--image"),
    (
        "provider-unknown",
        ["generate", "--image", "x.png", "--prompt", "p", "--provider", "nowhere"],
        "--provider",
    ),
]


@pytest.mark.parametrize(("words", "flag"), [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES])
def test_cli_usage_errors_exit_2_naming_the_flag(
    capsys: pytest.CaptureFixture[str], words: list[str], flag: str
) -> None:
    """argparse's own refusals: exit 2, the usage line plus one error line naming the flag; nothing sent."""
    from wan_nb.cli import main

    assert main(words) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert err_lines[-1].startswith("wan-nb generate: error:") and flag in err_lines[-1], err_lines


# --- the panel --------------------------------------------------------------------------------------------


def _wav_bytes(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


# (id, {form input: value}, the field the error must name)
PANEL_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("prompt-5001", {"prompt": "x" * 5001}, "prompt"),
    ("negative-501", {"negative_prompt": "n" * 501}, "negative_prompt"),
    ("no-first-frame", {"first_frame": None}, "first_frame"),
    ("first-frame-not-image", {"first_frame": b"<html>not an image</html>"}, "first_frame"),
    ("first-frame-missing-path", {"first_frame": "@missing"}, "first_frame"),
    ("first-frame-ftp-url", {"first_frame": "ftp://example.com/a.png"}, "first_frame"),
    ("first-frame-too-small", {"first_frame": "@tiny"}, "first_frame"),
    ("last-frame-not-image", {"last_frame": b"GIF89a-but-not-really"}, "last_frame"),
    ("audio-too-short", {"driving_audio": _wav_bytes(1.0)}, "driving_audio"),
    ("audio-not-audio", {"driving_audio": b"plain text, not audio"}, "driving_audio"),
]


@pytest.mark.parametrize(("inputs", "field"), [c[1:] for c in PANEL_CASES], ids=[c[0] for c in PANEL_CASES])
async def test_panel_explains_beside_the_field_and_sends_nothing(
    media: dict[str, Path], inputs: dict[str, Any], field: str
) -> None:
    from wan_nb.widgets import WanPanel

    wire = CountingTransport()
    async with AsyncWanClient("dashscope", api_key="sk-never-sent", transport=wire, journal=False) as client:
        panel = WanPanel(client, prompt="a cat", first_frame=media["ok"], history=False)
        for name, value in inputs.items():
            value = _resolve(value, media)
            if name in ("prompt", "negative_prompt"):
                getattr(panel.form, name).value = value
            else:
                getattr(panel.form, name).set(value)
        panel.generate.click()
        shown = panel.form.errors.get(field) or panel.message.value
        await panel.aclose()
    assert shown, f"no explanation for {field}: errors={panel.form.errors} message={panel.message.value!r}"
    assert "\n" not in shown.strip()
    assert field in panel.form.errors or field in panel.message.value
    assert panel.cards == [] and panel.jobs == set()
    assert wire.requests == []


def test_the_catalogue_has_at_least_forty_inputs() -> None:
    tables = (API_CASES, CONFIG_CASES, CLI_CASES, USAGE_CASES, PANEL_CASES)
    total = sum(len(table) for table in tables) + 1  # + the map batch
    assert total >= 40, total

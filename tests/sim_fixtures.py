"""Helpers for the simulator's tests: a hand-driven clock, media as data: URIs, an in-process client."""

from __future__ import annotations

import asyncio
import base64
import http.server
import io
import math
import socket
import threading
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from wan_nb.sim import SimApp, create_app

BASE = "http://sim.localhost"
KEY = "sk-sim-test"
NATIVE_CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
ASYNC = {"X-DashScope-Async": "enable", "Authorization": f"Bearer {KEY}"}
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class FakeClock:
    now: float = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def png_bytes(width: int = 640, height: int = 360, colour: str = "teal") -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, width // 2, height // 2), fill="orange")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def wav_bytes(seconds: float = 3.0, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(8000 * math.sin(2 * math.pi * 330 * i / rate)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(sample.to_bytes(2, "little", signed=True) for sample in samples))
    return buffer.getvalue()


def native_body(media: list[dict[str, str]] | None = None, **parameters: Any) -> dict[str, Any]:
    media = media if media is not None else [{"type": "first_frame", "url": data_uri(png_bytes())}]
    params = {"resolution": "720P", "duration": 2} | parameters
    return {"model": "wan2.7-i2v", "input": {"prompt": "a cat", "media": media}, "parameters": params}


@contextmanager
def sim(**knobs: Any) -> Iterator[SimApp]:
    app = create_app(**knobs)
    try:
        yield app
    finally:
        app.close()


@contextmanager
def served(app: SimApp) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread: yields ``http://127.0.0.1:PORT``."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# path -> (status, headers, body) for ``loopback_server``
Answer = Callable[[str], tuple[int, dict[str, str], bytes]]


@contextmanager
def loopback_server(answer: Answer) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 answering GETs with ``answer(path)``; yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = answer(self.path)
            self.send_response(status)
            for name, value in (headers | {"Content-Length": str(len(body))}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def client(app: SimApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


def probe(data: bytes) -> dict[str, Any]:
    """What a player sees: codecs, pixel format, size, duration, and whether moov precedes mdat."""
    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        return {
            "video": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "size": (video.codec_context.width, video.codec_context.height),
            "duration": float(container.duration or 0) / 1_000_000,
            "audio": audio.codec_context.name if audio else None,
            "faststart": 0 <= data.find(b"moov") < data.find(b"mdat"),
        }


async def wait_final(http: httpx.AsyncClient, task_id: str, clock: FakeClock | None = None) -> dict[str, Any]:
    """Poll a native task until it is final; the fake clock jumps past the task time, the render is real."""
    for _ in range(1200):
        if clock is not None:
            clock.advance(60)
        body: dict[str, Any] = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()
        if body["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {task_id} never finished")

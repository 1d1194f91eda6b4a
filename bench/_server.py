"""The simulator served by uvicorn in a child process, with a read-only stats route for the harness.

Why a child process: on a 2-core machine a server sharing the benchmarked client's interpreter would share
its GIL, so the client's CPU and latency figures would include the server's work. The child serves
``wan_nb.sim.create_app(**knobs)`` unchanged, wrapped by a tiny ASGI shim that answers
``GET /__bench/stats`` with the app's counters (requests per route, creates per fingerprint, faults); every
other request goes to the simulator as is. Loopback only.

Run as ``python -m bench._server PORT KNOBS_JSON`` (the harness does this through :class:`SimServer`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
STATS_PATH = "/__bench/stats"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stats_payload(app: Any) -> dict[str, Any]:
    stats = app.stats
    return {
        "requests": dict(stats.requests),
        "responses": {str(k): v for k, v in stats.responses.items()},
        "creates": dict(stats.creates),
        "faults": dict(stats.faults),
        "duplicates": stats.duplicates(),
    }


def with_stats_route(app: Any) -> App:
    """``app`` plus ``GET /__bench/stats``; the simulator never sees (or counts) that request."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == STATS_PATH:
            body = json.dumps(stats_payload(app)).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapped


def main(argv: list[str]) -> None:
    import uvicorn

    from wan_nb.sim import create_app

    port, knobs = int(argv[0]), json.loads(argv[1])
    app = create_app(**knobs)
    # lifespan="on": uvicorn's shutdown reaches the app (it closes its render pool). No access log: the
    # log line per request would cost the server CPU the benchmark does not want to measure.
    uvicorn.run(with_stats_route(app), host="127.0.0.1", port=port, log_level="warning", lifespan="on")


class SimServer:
    """``with SimServer(task_time=0) as sim: sim.url, sim.stats()``: a fresh simulator per benchmark."""

    def __init__(self, port: int | None = None, **knobs: Any) -> None:
        """``port``: a fixed one (a second simulator on the API URL of an earlier one); by default a free one."""
        # show_prompt off: benchmark prompts differ by number only, so every task shares one render (the
        # client is measured, not the renderer; bench/render.py times that).
        self.knobs = {"require_key": True, "show_prompt": False, **knobs}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SimServer:
        command = [sys.executable, "-m", "bench._server", str(self.port), json.dumps(self.knobs, default=str)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._process = subprocess.Popen(command, cwd=ROOT, env=env)
        self._wait_ready()
        return self

    def _wait_ready(self, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"simulator exited with {self._process.returncode}")
            try:
                httpx.get(self.url + STATS_PATH, timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("simulator did not start within 30 s")

    def stats(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(self.url + STATS_PATH, timeout=10.0).json()
        return answer

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1:])

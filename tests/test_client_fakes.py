"""Shared fakes for the client tests (imported by the other test_client*/test_journal/test_download modules).

``FakeService`` is a scripted DashScope-native (or unified / relay) server behind ``httpx.MockTransport``: plain
handler functions, no patching. ``FakeTime`` is an injectable clock + sleep so waits finish in microseconds.
The two tests at the bottom check the fakes themselves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from wan_nb.client import AsyncWanClient, Journal, PollSchedule
from wan_nb.client._retry import RetryTransport
from wan_nb.models import VideoRequest

CANARY = "sk-CANARY-5ec7e7-do-not-leak"
STORAGE = "result.oss.example"
VIDEO = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 40
REQUEST = VideoRequest(prompt="a cat turns its head", first_frame="https://example.com/cat.png")
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still a point where other tasks run and cancellation lands

    def schedule(self, **kwargs: Any) -> PollSchedule:
        return PollSchedule(clock=self.clock, sleep=self.sleep, **kwargs)


@dataclass
class FakeService:
    """Create → PENDING; each query moves a task one step along ``script``; the storage host serves ``video``."""

    script: Sequence[str] = ("PENDING", "RUNNING", "SUCCEEDED")
    video: bytes = VIDEO
    dialect: str = "native"
    failure: tuple[str, str] | None = None  # (code, message) reported by a FAILED state
    overrides: dict[tuple[str, str], list[httpx.Response | Exception]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    polls: dict[str, int] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        scripted = self.overrides.get((request.method, request.url.path))
        if scripted:
            answer = scripted.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        if request.url.host == STORAGE:
            return self.storage(request)
        return self.api(request)

    def api(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith(("/video-synthesis", "/v1/videos")):
            task_id = f"task-{len(self.polls) + 1}"
            self.polls[task_id] = 0
            return httpx.Response(200, json=self.body(task_id, self.script[0]))
        if request.method == "POST" and path.endswith("/cancel"):
            self.polls[path.split("/")[-2]] = 10**6
            return httpx.Response(200, json={"request_id": "rid-cancel"})
        if request.method == "GET" and path == "/api/v1/tasks":
            tasks = [self.body(task_id, "RUNNING")["output"] for task_id in self.polls]
            return httpx.Response(200, json={"tasks": tasks})
        task_id = path.rstrip("/").split("/")[-1]
        if task_id not in self.polls:
            return httpx.Response(
                404, json={"code": "NotFound", "message": "no such task", "request_id": "rid-404"}
            )
        self.polls[task_id] += 1
        status = (
            "CANCELED"
            if self.polls[task_id] >= 10**6
            else self.script[min(self.polls[task_id], len(self.script) - 1)]
        )
        return httpx.Response(200, json=self.body(task_id, status))

    def body(self, task_id: str, status: str) -> dict[str, Any]:
        url = f"https://{STORAGE}/{task_id}.mp4?Expires=4102444800&Signature=abc"
        if self.dialect == "unified":
            spelled = {"PENDING": "queued", "RUNNING": "in_progress", "SUCCEEDED": "completed"}.get(
                status, status.lower()
            )
            body: dict[str, Any] = {"id": task_id, "object": "video", "status": spelled}
            if status == "SUCCEEDED":
                body["metadata"] = {"url": url}
            if status == "FAILED" and self.failure:
                body["error"] = {"code": self.failure[0], "message": self.failure[1]}
            return body
        output: dict[str, Any] = {"task_id": task_id, "task_status": status}
        if status == "SUCCEEDED":
            output["video_url"] = url
        if status == "FAILED" and self.failure:
            output["code"], output["message"] = self.failure
        return {"request_id": f"rid-{task_id}", "output": output}

    def storage(self, request: httpx.Request) -> httpx.Response:
        start = 0
        if "range" in request.headers:
            start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
            headers = {"Content-Range": f"bytes {start}-{len(self.video) - 1}/{len(self.video)}"}
            return httpx.Response(206, content=self.video[start:], headers=headers)
        return httpx.Response(200, content=self.video)

    def seen(self, method: str, path_suffix: str = "", host: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.method == method
            and r.url.path.endswith(path_suffix)
            and (host is None or r.url.host == host)
        ]


def make_client(
    handler: Handler,
    time: FakeTime | None = None,
    *,
    provider: str = "dashscope",
    journal: Journal | bool | None = False,
    max_retries: int = 4,
    **kwargs: Any,
) -> AsyncWanClient:
    """A client over ``handler`` with fake time for both polling and retry backoff."""
    time = time or FakeTime()
    transport = RetryTransport(httpx.MockTransport(handler), max_retries=max_retries, sleep=time.sleep)
    return AsyncWanClient(
        provider,
        api_key=CANARY,
        transport=transport,
        journal=None if journal is True else journal,
        poll=time.schedule(),
        **kwargs,
    )


def scripted(*answers: httpx.Response | Exception) -> Handler:
    """A handler that answers with ``answers`` in order (exceptions are raised)."""
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


def json_response(status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers=[("content-type", "application/json"), *headers]
    )


def png(path: Path, size: tuple[int, int] = (320, 256)) -> Path:
    from PIL import Image

    Image.new("RGB", size, (200, 120, 40)).save(path, format="PNG")
    return path


async def test_fake_service_walks_its_script() -> None:
    service = FakeService()
    async with make_client(service) as client:
        task = await client.wait(await client.submit(REQUEST))
    assert task.status_raw == "SUCCEEDED"
    assert [r.method for r in service.requests] == ["POST", "GET", "GET"]


async def test_fake_time_only_moves_when_sleeping() -> None:
    time = FakeTime()
    await time.sleep(2.5)
    assert (time.clock(), time.sleeps) == (2.5, [2.5])

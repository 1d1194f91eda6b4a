"""A hostile server: every way a gateway, proxy, captive portal, CDN or storage host misbehaves (issue 10).

One stdlib ``http.server`` on 127.0.0.1 plays the API (unified, native or relay routes) and the result host. Each
row of :data:`CASES` scripts its answers and names the error wan_nb must raise. Every case asserts: the error
type; one line; bounded length; the key nowhere in the message, the repr or the formatted traceback (chained
errors included); a time bound; and for downloads, nothing created outside the destination and no non-video
file (nor ``.part``) at the final path. A create that was answered unreadably stays ``unanswered`` in the journal
(the task may exist). The real network transport runs: these are sockets, not mocks.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.fixtures.servers import loopback, serving, url
from wan_nb.client import AsyncWanClient, Journal
from wan_nb.client._poll import PollSchedule
from wan_nb.errors import (
    APIError,
    AuthenticationError,
    DownloadError,
    InvalidResponse,
    RateLimitError,
    ResultExpired,
    ServerError,
    TaskFailed,
    TransportError,
    WaitTimeout,
)
from wan_nb.models import Task, TaskStatus, VideoRequest

KEY = "sk-HOSTILE-canary-4b1d9e"
REQUEST = VideoRequest(prompt="a cat turns its head", first_frame="https://example.com/cat.png")
VIDEO = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 8
MESSAGE_LIMIT = 700  # 300 characters of server text, plus wan_nb's own words around them
NATIVE_CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
CREATE = {"native": NATIVE_CREATE, "relay": "/wan" + NATIVE_CREATE, "unified": "/v1/videos"}
POLL = {"native": "/api/v1/tasks/task-1", "relay": "/v1/tasks/task-1", "unified": "/v1/videos/task-1"}
PROVIDER = {"native": "dashscope", "relay": "relay", "unified": "gateway"}
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
OSS_EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>AccessDenied</Code>\n'
    b"  <Message>Request has expired.</Message>\n  <RequestId>65F1</RequestId>\n</Error>\n"
)

# --- the server ---------------------------------------------------------------------------------------------

Answer = tuple[Any, ...]


def js(status: int, body: Any, **headers: str) -> Answer:
    return ("raw", status, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})


def raw(status: int, body: bytes, kind: str = "text/html", **headers: str) -> Answer:
    return ("raw", status, body, {"Content-Type": kind, **headers} if kind else dict(headers))


STALL: Answer = ("stall",)
HANG_UP: Answer = ("close",)


class Hostile(BaseHTTPRequestHandler):
    routes: ClassVar[dict[tuple[str, str], list[Answer]]] = {}
    hits: ClassVar[list[tuple[str, str, str | None]]] = []
    release: ClassVar[threading.Event] = threading.Event()
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?")[0]
        Hostile.hits.append((self.command, path, self.headers.get("Authorization")))
        queue = Hostile.routes.get((self.command, path))
        if queue is None:
            answer = js(404, {"code": "NotFound", "message": f"no route {path}"})
        else:
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer[0] == "stall":
            Hostile.release.wait(30)
            return
        if answer[0] == "close":
            self.close_connection = True
            return
        _, status, body, headers = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Hostile.routes, Hostile.hits = {}, []
    Hostile.release = threading.Event()
    with serving(loopback(Hostile)) as httpd:
        yield url(httpd)
        Hostile.release.set()  # a stalled handler returns, so the stop is immediate


# --- the cases ----------------------------------------------------------------------------------------------


def native_task(task_id: Any = "task-1", status: Any = "PENDING", **output: Any) -> dict[str, Any]:
    return {"request_id": "r-1", "output": {"task_id": task_id, "task_status": status, **output}}


@dataclass(frozen=True)
class Case:
    id: str
    dialect: str
    action: str  # "submit", "upload" (a submit with a local file), "wait" or "download"
    answers: Callable[[str], dict[str, list[Answer]]]
    """Route path → answers in turn (the last repeats); given the server's base URL."""
    error: type[Exception]
    said: str = ""
    """A fragment the message must hold (the readable part of the server's text)."""
    seconds: float = 5.0
    never: tuple[str, ...] = field(default_factory=tuple)
    """Paths that must never be requested (a redirect's target that must not see the key)."""


def create(dialect: str, *answers: Answer) -> Callable[[str], dict[str, list[Answer]]]:
    return lambda base: {CREATE[dialect]: list(answers)}


def poll(dialect: str, *answers: Answer) -> Callable[[str], dict[str, list[Answer]]]:
    return lambda base: {POLL[dialect]: list(answers)}


def result(*answers: Answer) -> Callable[[str], dict[str, list[Answer]]]:
    return lambda base: {"/result/task-1.mp4": list(answers)}


def result_hop(location: Callable[[str], str]) -> Callable[[str], dict[str, list[Answer]]]:
    return lambda base: {"/result/task-1.mp4": [raw(302, b"", "", Location=location(base))]}


def done_with(url: str) -> Answer:
    return js(200, native_task(status="SUCCEEDED", video_url=url))


HUGE = "x" * 1_000_000
ECHO = f"Invalid API-key provided: {KEY}. Bearer {KEY}"
CASES: list[Case] = [
    # creates answered with something that is no task (each must stay "unanswered" in the journal)
    Case("create-captive-portal-200", "native", "submit",
         create("native", raw(200, b"<html><body><h1>Welcome to Hotel WiFi</h1>Sign in</body></html>")),
         InvalidResponse, "Welcome to Hotel WiFi"),
    Case("create-empty-200", "native", "submit", create("native", raw(200, b"", "")), InvalidResponse),
    Case("create-json-array", "native", "submit", create("native", js(200, [1, 2, 3])), InvalidResponse),
    Case("create-truncated-json", "native", "submit",
         create("native", raw(200, b'{"output": {"task_id": "ab', "application/json")), InvalidResponse),
    Case("create-id-traversal", "native", "submit",
         create("native", js(200, native_task("../../../tmp/owned"))), InvalidResponse, "safe task id"),
    Case("create-id-slash", "native", "submit", create("native", js(200, native_task("a/b"))), InvalidResponse),
    Case("create-id-control-chars", "native", "submit",
         create("native", js(200, native_task("abc\n\x1b[31mred"))), InvalidResponse),
    Case("create-id-10k-chars", "native", "submit",
         create("native", js(200, native_task("a" * 10_000))), InvalidResponse),
    Case("create-id-object", "native", "submit",
         create("native", js(200, native_task({"id": 1}))), InvalidResponse),
    Case("create-output-null", "native", "submit",
         create("native", js(200, {"request_id": "r", "output": None})), InvalidResponse),
    Case("create-output-string", "native", "submit",
         create("native", js(200, {"output": "queued"})), InvalidResponse),
    Case("create-status-number", "unified", "submit",
         create("unified", js(200, {"id": "video_1", "status": 7})), InvalidResponse),
    Case("create-text-ok", "unified", "submit", create("unified", raw(200, b"OK", "text/plain")),
         InvalidResponse, "OK"),
    Case("create-id-dotdot", "relay", "submit", create("relay", js(200, native_task(".."))), InvalidResponse),
    # error answers: one line, bounded, markup reduced, the key redacted
    Case("create-nginx-502-page", "native", "submit", create("native", raw(502, NGINX_502)),
         ServerError, "502 Bad Gateway nginx"),
    Case("create-401-echoes-key", "native", "submit",
         create("native", js(401, {"code": "InvalidApiKey", "message": ECHO})), AuthenticationError, "***"),
    Case("create-403-html-echoes-key", "relay", "submit",
         create("relay", raw(403, f"<html><p>Forbidden for key {KEY}</p></html>".encode())),
         AuthenticationError, "Forbidden for key ***"),
    Case("create-1MB-error", "unified", "submit",
         create("unified", js(400, {"error": {"message": HUGE, "code": "bad"}})), APIError, "…"),
    Case("create-ansi-error", "native", "submit",
         create("native", js(400, {"code": "X", "message": "bad\x1b[2J\r\nFAKE> \u202eevil"})), APIError, "bad"),
    Case("create-429-garbage-retry-after", "relay", "submit",
         create("relay", js(429, {"code": "Throttling", "message": "slow down"}, **{"Retry-After": "soon"})),
         RateLimitError, "slow down"),
    Case("create-redirect-to-other-host", "native", "submit",
         lambda base: {NATIVE_CREATE: [raw(307, b"", "", Location=base.replace("127.0.0.1", "localhost")
                                           + "/steal")]},
         APIError, "307", never=("/steal",)),
    Case("create-never-answers", "native", "submit", create("native", STALL), TransportError, "may exist"),
    Case("create-hangs-up", "unified", "submit", create("unified", HANG_UP), TransportError),
    # polls
    Case("poll-captive-portal-every-time", "native", "wait",
         poll("native", raw(200, b"<html>Please log in</html>")), InvalidResponse, "Please log in"),
    Case("poll-never-answers", "native", "wait", poll("native", STALL), WaitTimeout, "after 2 s"),
    Case("poll-401-mid-wait", "native", "wait",
         poll("native", js(200, native_task(status="RUNNING")), js(401, {"code": "InvalidApiKey",
                                                                          "message": ECHO})),
         AuthenticationError, "***", seconds=3),
    Case("poll-503-retry-after-a-week", "native", "wait",
         poll("native", js(503, {"code": "X", "message": "busy"}, **{"Retry-After": "604800"})),
         ServerError, "busy"),
    Case("poll-429-retry-after-a-week", "native", "wait",
         poll("native", js(429, {"code": "Throttling", "message": "x"}, **{"Retry-After": "604800"})),
         WaitTimeout, "after 2 s"),
    Case("poll-retry-after-http-date", "relay", "wait",
         poll("relay", js(429, {"message": "later"}, **{
             "Retry-After": format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)})),
         WaitTimeout),
    Case("poll-retry-after-nan", "unified", "wait",
         poll("unified", js(429, {"error": {"message": "x"}}, **{"Retry-After": "nan"})), WaitTimeout),
    Case("poll-result-url-file", "native", "wait", poll("native", done_with("file:///etc/passwd")),
         InvalidResponse, "file:///etc/passwd"),
    # Native, not the relay: the relay's 3 s poll floor would outlast the 2 s wait before the sixth bad answer.
    Case("poll-result-url-ftp", "native", "wait", poll("native", done_with("ftp://x/v.mp4")), InvalidResponse),
    Case("poll-result-url-http-internet", "native", "wait",
         poll("native", done_with("http://evil.example/v.mp4")), InvalidResponse),
    Case("poll-status-object", "unified", "wait",
         poll("unified", js(200, {"id": "task-1", "status": {"state": "done"}})), InvalidResponse),
    Case("poll-failed-1MB-multiline-message", "native", "wait",
         poll("native", js(200, native_task(status="FAILED", code="InternalError",
                                            message=("line\n" * 200_000)))), TaskFailed, "line line"),
    # the result host
    Case("result-login-page-200", "native", "download",
         result(raw(200, b"<html><title>Sign in</title><body>Sign in to continue</body></html>")),
         DownloadError, "Sign in to continue"),
    Case("result-json-error-200", "relay", "download",
         result(js(200, {"error": "file not ready"})), DownloadError, "file not ready"),
    Case("result-oss-expired-403", "native", "download", result(raw(403, OSS_EXPIRED, "application/xml")),
         ResultExpired, "expire"),
    Case("result-oss-expired-200", "native", "download", result(raw(200, OSS_EXPIRED, "application/xml")),
         ResultExpired),
    Case("result-octet-stream-not-video", "native", "download",
         result(raw(200, b"\x7fELF" + bytes(500), "application/octet-stream")), DownloadError),
    Case("result-labelled-mp4-but-html", "relay", "download",
         result(raw(200, b"<!DOCTYPE html><html>Oops</html>", "video/mp4")), DownloadError, "Oops"),
    Case("result-500-html", "native", "download", result(raw(500, NGINX_502)), DownloadError, "Bad Gateway"),
    Case("result-redirect-loop", "native", "download", result_hop(lambda base: f"{base}/result/task-1.mp4"),
         DownloadError, "redirected more than 5"),
    Case("result-redirect-to-file", "native", "download", result_hop(lambda base: "file:///etc/passwd"),
         DownloadError, "not an https URL"),
    Case("result-redirect-to-plain-http-internet", "relay", "download",
         result_hop(lambda base: "http://evil.example/v.mp4"), DownloadError, "not an https URL"),
    # the upload host (native: getPolicy, then a form POST of the user's file)
    Case("upload-policy-file-host", "native", "upload",
         lambda base: {"GET /api/v1/uploads": [policy("file:///tmp/steal")]}, InvalidResponse, "upload_host"),
    Case("upload-policy-plain-http-internet", "native", "upload",
         lambda base: {"GET /api/v1/uploads": [policy("http://evil.example/up")]}, InvalidResponse),
    Case("upload-host-403-huge-xml", "native", "upload",
         lambda base: {"GET /api/v1/uploads": [policy(f"{base}/oss-upload")],
                       "POST /oss-upload": [raw(403, b"<Error><Code>AccessDenied</Code><Message>Policy expired"
                                                + b" and more" * 100_000 + b"</Message></Error>",
                                                "application/xml")]},
         AuthenticationError, "Policy expired"),
    Case("content-captive-portal-200", "unified", "download",
         lambda base: {"/v1/videos/task-1/content": [raw(200, b"<html>Portal</html>")]}, DownloadError, "Portal"),
]  # fmt: skip


# --- running a case -----------------------------------------------------------------------------------------

FAST = PollSchedule(quick=(0.05, 0.05), ratio=0.0, floor=0.05, cap=0.05)


def _client(dialect: str, base: str, journal: Journal | None) -> AsyncWanClient:
    return AsyncWanClient(
        PROVIDER[dialect],
        api_key=KEY,
        base_url=base,
        journal=journal if journal is not None else False,
        poll=FAST,
        timeout=1.0,
        max_retries=0,
    )


async def _act(case: Case, client: AsyncWanClient, base: str, dest: Path) -> None:
    if case.action == "submit":
        await client.submit(REQUEST)
    elif case.action == "upload":
        await client.submit(VideoRequest(prompt="a cat", first_frame=_png_bytes()))
    elif case.action == "wait":
        await client.wait("task-1", timeout=2)
    else:
        url = None if case.dialect == "unified" else f"{base}/result/task-1.mp4"
        done = Task("task-1", TaskStatus.SUCCEEDED, provider=PROVIDER[case.dialect], video_url=url)
        await client.download(done, dest)


def _route(key: str, method: str) -> tuple[str, str]:
    """``"POST /path"`` names its method; a bare path takes the action's."""
    verb, _, path = key.rpartition(" ")
    return (verb or method, path)


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def policy(upload_host: str) -> Answer:
    return js(200, {"request_id": "r", "data": {
        "upload_host": upload_host, "upload_dir": "dashscope-instant/abc/2026-12-01/x", "policy": "p",
        "signature": "s", "oss_access_key_id": "id", "max_file_size_mb": 100, "expire_in_seconds": 300}})  # fmt: skip


def assert_clean(error: BaseException) -> None:
    """One line, bounded, no key anywhere a user or a log could see it."""
    text = str(error)
    assert text and "\n" not in text and "\r" not in text and "\x1b" not in text, repr(text)
    assert len(text) <= MESSAGE_LIMIT, len(text)
    shown = text + repr(error) + "".join(traceback.format_exception(error))
    assert KEY not in shown


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_hostile_server(case: Case, server: str, tmp_path: Path) -> None:
    method = "GET" if case.action in ("wait", "download") else "POST"
    Hostile.routes = {_route(key, method): answers for key, answers in case.answers(server).items()}
    journal = Journal(tmp_path / "journal.sqlite3") if case.action == "submit" else None
    dest = tmp_path / "sandbox" / "out"
    dest.mkdir(parents=True)
    started = time.monotonic()
    async with _client(case.dialect, server, journal) as client:
        with pytest.raises(case.error) as caught:
            await _act(case, client, server, dest)
    elapsed = time.monotonic() - started
    assert type(caught.value) is case.error, repr(caught.value)
    assert_clean(caught.value)
    assert case.said in str(caught.value), str(caught.value)
    assert elapsed < case.seconds, elapsed
    assert [hit for hit in Hostile.hits if hit[1] in case.never] == []
    # nothing outside the destination; no non-video file at the final path, no .part
    assert tree(tmp_path / "sandbox") == ["out"]
    assert not (Path("/tmp") / "owned").exists()
    if journal is not None:
        unanswered = journal.unanswered()
        if case.error in (InvalidResponse, ServerError) or (
            case.error is TransportError and "may exist" in str(caught.value)
        ):
            assert len(unanswered) == 1, unanswered  # answered unreadably: the task may exist
        journal.close()


def test_the_table_covers_thirty_misbehaviours_on_every_dialect_and_the_result_host() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    assert {case.dialect for case in CASES} == {"native", "unified", "relay"}
    assert {case.action for case in CASES} == {"submit", "upload", "wait", "download"}


# --- the rules that hold when nothing goes wrong ------------------------------------------------------------


async def test_a_result_redirect_is_followed_without_the_key(server: str, tmp_path: Path) -> None:
    """The gateway's /content (with the key) bounces to storage on the same host: the hop carries no key."""
    Hostile.routes = {
        ("GET", "/v1/videos/task-1/content"): [raw(302, b"", "", Location="/result/task-1.mp4")],
        ("GET", "/result/task-1.mp4"): [raw(200, VIDEO, "video/mp4")],
    }
    async with _client("unified", server, None) as client:
        path = await client.download(Task("task-1", TaskStatus.SUCCEEDED, provider="gateway"), tmp_path)
    assert path.read_bytes() == VIDEO
    (_, _, first_auth), (_, hop, hop_auth) = Hostile.hits
    assert first_auth == f"Bearer {KEY}" and hop == "/result/task-1.mp4" and hop_auth is None


@pytest.mark.parametrize("task_id", ["../escape", "sub/dir", "/abs/path", "../../../tmp/owned"])
async def test_a_task_id_never_leads_a_download_out_of_its_folder(
    server: str, tmp_path: Path, task_id: str
) -> None:
    """A Task built by hand (or an old journal row) carries any id: the final path is checked once resolved."""
    Hostile.routes = {("GET", "/result/x.mp4"): [raw(200, VIDEO, "video/mp4")]}
    dest = tmp_path / "box" / "out"
    done = Task(task_id, TaskStatus.SUCCEEDED, provider="dashscope", video_url=f"{server}/result/x.mp4")
    async with _client("native", server, None) as client:
        with pytest.raises(DownloadError, match="outside") as caught:
            await client.download(done, dest)
    assert_clean(caught.value)
    assert Hostile.hits == []  # refused before any request
    assert tree(tmp_path) == []


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))

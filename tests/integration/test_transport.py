"""The stock network stack (httpx over httpcore, under the GET retries) over real loopback sockets.

Every other client test injects ``MockTransport``/``ASGITransport``; these check what only real bytes show:
the URL and headers go out exactly as httpx built them, bodies are framed and decoded right, each way a
connection can fail becomes the TransportError the journal's rules depend on (only "never connected" is
``sent=False``: no task can exist), the network options are checked before any request, and a client nobody
closed goes quietly. TLS is in ``test_tls.py``, proxies in ``test_proxy.py``.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import logging
import socket
import sys
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures import servers
from tests.fixtures.sim import served
from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.client._api import transport_error
from wan_nb.client._network import Network, build_client
from wan_nb.errors import ConfigError, TransportError
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.sim import create_app

KEY = "sk-transport-test"
CAT = Path(__file__).parents[2] / "examples" / "cat.png"
RUNNING = json.dumps({"request_id": "r1", "output": {"task_id": "t1", "task_status": "RUNNING"}}).encode()
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """A raw TCP server on a free loopback port running ``handler`` per connection."""

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


async def read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    """Request line, headers (lower-case names) and body (Content-Length or chunked)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if line)
    headers = {name.lower(): value for name, value in headers.items()}
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int((await reader.readline()).strip(), 16):
            body += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
    else:
        body = b""
    return head[0], headers, body


def answer(body: bytes, *, status: str = "200 OK", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The client's own httpx client: the stock transport under the retries, built as the client builds it."""
    async with build_client(Network(), timeout=httpx.Timeout(5), max_retries=0) as client:
        yield client


async def test_a_signed_url_and_the_headers_go_out_exactly_as_built(tmp_path: Path) -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line, headers, _ = await read_request(reader)
        seen.append((line, headers))
        writer.write(answer(b"\x00\x00\x00\x18ftypmp42"))
        await writer.drain()

    # OSS signatures are base64: '+', '/' and '=' arrive percent-encoded and must stay so, byte for byte.
    target = "/r/v%20a.mp4?Expires=1790000000&OSSAccessKeyId=LTAI&Signature=ab%2Bcd%2Fef%3D&x=a+b~c"
    async with serving(handler) as url:
        task = Task("t-signed", TaskStatus.SUCCEEDED, provider="dashscope", video_url=url + target)
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, journal=False) as client:
            path = await client.download(task, tmp_path)
    assert path.read_bytes()[4:8] == b"ftyp"
    ((line, headers),) = seen
    assert line == f"GET {target} HTTP/1.1"
    # A result host gets no key, no cookie: only what httpx sends to anyone.
    assert set(headers) <= {"host", "accept", "accept-encoding", "connection", "user-agent"}
    assert headers["user-agent"].startswith("python-httpx/")


async def test_a_refused_connection_is_a_connect_error(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connecting is refused
        with pytest.raises(httpx.ConnectError):
            await http.post(f"http://127.0.0.1:{port}/create", json={})


async def test_a_connection_dropped_after_the_request_is_not_a_connect_error(http: httpx.AsyncClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)  # the request arrived whole; then silence and a close

    async with serving(handler) as url:
        with pytest.raises(httpx.TransportError) as caught:
            await http.post(url + "/create", json={"prompt": "a cat"})
    assert not isinstance(caught.value, httpx.ConnectError | httpx.ConnectTimeout)


async def test_a_body_cut_short_is_a_protocol_error(http: httpx.AsyncClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        await writer.drain()

    async with serving(handler) as url:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(url + "/video.mp4")


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with (
        serving(handler) as url,
        build_client(Network(), timeout=httpx.Timeout(0.2), max_retries=0) as http,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await http.get(url + "/api/v1/tasks/t1")


async def test_chunked_and_gzip_answers_are_decoded_by_httpx(http: httpx.AsyncClient) -> None:
    packed = gzip.compress(json.dumps({"output": {"task_status": "RUNNING"}}).encode())

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        half = len(packed) // 2
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (packed[:half], packed[half:]))
        head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
        writer.write(head.encode() + chunks + b"0\r\n\r\n")
        await writer.drain()

    async with serving(handler) as url:
        response = await http.get(url + "/api/v1/tasks/t1")
    assert response.json() == {"output": {"task_status": "RUNNING"}}


async def test_request_bodies_keep_their_framing(http: httpx.AsyncClient) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # one keep-alive connection serves both requests
            _, headers, body = await read_request(reader)
            received.append((headers, body))
            writer.write(answer(b"{}"))
            await writer.drain()

    async def parts() -> AsyncIterator[bytes]:
        for part in (b"first ", b"second"):
            yield part

    async with serving(handler) as url:
        # A multipart upload has a known length: OSS's form POST gets Content-Length, not chunks.
        await http.post(url + "/upload", data={"key": "dir/cat.png"}, files={"file": ("cat.png", b"\x89PNG")})
        await http.post(url + "/stream", content=parts())
    (form_headers, form), (stream_headers, stream) = received
    assert int(form_headers["content-length"]) == len(form) and "transfer-encoding" not in form_headers
    assert b'name="file"; filename="cat.png"' in form and b"\x89PNG" in form
    assert stream_headers["transfer-encoding"] == "chunked" and stream == b"first second"


async def test_each_failure_says_whether_the_request_can_have_left() -> None:
    request = httpx.Request("POST", "https://user:pw@api.example.com/create")
    never = [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError]
    maybe = [
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.ReadError,
        httpx.WriteError,
        httpx.RemoteProtocolError,
    ]
    for kind in never + maybe:
        error = transport_error(kind("boom", request=request), "POST", str(request.url))
        assert error.sent is (kind in maybe), kind
        assert "pw" not in str(error) and error.url == "https://api.example.com/create"


async def test_the_timeout_parts_reach_httpx() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    timeout = httpx.Timeout(5, read=0.2)
    async with (
        serving(handler) as url,
        AsyncWanClient("dashscope", api_key=KEY, base_url=url, timeout=timeout, max_retries=0) as client,
    ):
        with pytest.raises(TransportError, match="ReadTimeout") as caught:
            await client.get("t1")
    assert caught.value.sent is True and KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"verify": "/no/such/ca.pem"}, "verify", "no CA file or folder at /no/such/ca.pem"),
        ({"verify": 1.5}, "verify", "must be True, False, a CA file path or an ssl.SSLContext"),
        ({"cert": "/no/such/client.pem"}, "cert", "no certificate or key file at '/no/such/client.pem'"),
        ({"cert": ("a",)}, "cert", "must be a certificate file, (certificate, key)"),
        ({"proxy": "ftp://user:secret@p:21"}, "proxy", "a proxy must be http://, https://, socks5://"),
        ({"proxy": 3128}, "proxy", "must be a proxy URL or an httpx.Proxy, not int"),
        ({"trust_env": "no"}, "trust_env", "must be True or False"),
        ({"timeout": 0}, "timeout", "must be seconds > 0 or an httpx.Timeout"),
        ({"timeout": "60"}, "timeout", "must be seconds > 0 or an httpx.Timeout"),
    ],
)
def test_network_options_are_checked_before_any_request(
    options: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ConfigError, match="^" + field) as caught:
        AsyncWanClient("dashscope", api_key=KEY, journal=False, **options)
    assert message in str(caught.value) and "secret" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_ca_file_is_refused_when_the_client_is_built(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(ConfigError, match=f"^verify: cannot load CA certificates from {bundle}"):
        AsyncWanClient("dashscope", api_key=KEY, journal=False, verify=bundle)


@pytest.mark.parametrize(
    ("options", "module", "line"),
    [
        ({"http2": True}, "h2", 'http2: http2=True needs the h2 package: pip install "wan_nb[http2]"'),
        (
            {"proxy": "socks5://127.0.0.1:1080"},
            "socksio",
            'proxy: a socks5:// proxy needs the socksio package: pip install "wan_nb[socks]"',
        ),
    ],
)
def test_a_missing_extra_names_the_pip_line(
    options: dict[str, Any], module: str, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(ConfigError) as caught:
        AsyncWanClient("dashscope", api_key=KEY, journal=False, **options)
    assert str(caught.value) == line


def test_an_injected_client_or_transport_carries_its_own_network() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    with pytest.raises(ConfigError, match=r"^transport: configure TLS, proxies and HTTP/2 on the transport"):
        AsyncWanClient("dashscope", api_key=KEY, journal=False, transport=mock, verify=False)
    with pytest.raises(ConfigError, match=r"^transport: pass transport= or http_client=, not both"):
        AsyncWanClient(
            "dashscope", api_key=KEY, journal=False, transport=mock, http_client=httpx.AsyncClient()
        )


async def test_a_ready_http_client_is_used_as_is_and_left_open() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=RUNNING)

    mine = httpx.AsyncClient(transport=httpx.MockTransport(handler), headers={"X-Mine": "1"})
    async with AsyncWanClient(
        "dashscope", api_key=KEY, base_url="https://dashscope.example/prefix", http_client=mine, journal=False
    ) as client:
        task = await client.get("t1")
    assert task.status is TaskStatus.RUNNING and not mine.is_closed
    ((request,),) = [seen]
    assert str(request.url) == "https://dashscope.example/prefix/api/v1/tasks/t1"
    assert request.headers["authorization"] == f"Bearer {KEY}" and request.headers["x-mine"] == "1"
    await mine.aclose()


async def test_a_client_nobody_closed_goes_quietly(caplog: pytest.LogCaptureFixture) -> None:
    closed = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: the connection stays open until the client closes it
                await read_request(reader)
                writer.write(answer(RUNNING, headers={"Content-Type": "application/json"}))
                await writer.drain()
        except asyncio.IncompleteReadError:
            closed.set()  # EOF: the client closed its socket

    unraisable: list[Any] = []
    gc.collect()  # earlier tests' garbage (a TemporaryDirectory left to the collector) is not this client's
    caplog.set_level(logging.INFO)
    with warnings.catch_warnings():
        # Left to the garbage collector, the keep-alive socket raises ResourceWarning("unclosed <socket ...>")
        # and asyncio's "unclosed transport": both would land in ``unraisable``.
        warnings.simplefilter("error")
        hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
        try:
            async with serving(handler) as url:
                client = AsyncWanClient("dashscope", api_key=KEY, base_url=url)
                task = await client.get("t1")  # a new state: its journal write starts the writer thread
                assert task.status is TaskStatus.RUNNING
                writers = _journal_threads()
                caplog.clear()
                del client
                gc.collect()
                await asyncio.wait_for(closed.wait(), 5)
                for _ in range(100):  # the journal thread is stopped in a worker thread, after the sockets
                    if _journal_threads() < writers:
                        break
                    await asyncio.sleep(0.02)
                gc.collect()
        finally:
            sys.unraisablehook = hook
    assert unraisable == [] and caplog.records == []
    assert _journal_threads() == writers - 1


def _journal_threads() -> int:
    return sum(thread.name == "wan_nb-journal" for thread in threading.enumerate())


async def test_a_create_refused_at_connect_leaves_no_unanswered_create() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url) as client:
            with pytest.raises(TransportError, match="nothing was sent"):
                await client.submit(VideoRequest(prompt="a cat", first_frame="https://example.com/cat.png"))
            assert client.journal is not None and client.journal.unanswered() == []


async def test_a_create_dropped_after_sending_stays_in_the_journal() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async with serving(handler) as url, AsyncWanClient("dashscope", api_key=KEY, base_url=url) as client:
        with pytest.raises(TransportError, match="may or may not have reached the server"):
            await client.submit(VideoRequest(prompt="a cat", first_frame="https://example.com/cat.png"))
        assert client.journal is not None
        (unanswered,) = client.journal.unanswered()
    assert unanswered.problem and unanswered.request["prompt"] == "a cat"


async def test_a_download_cut_short_resumes_with_range(tmp_path: Path) -> None:
    # An MP4's opening box (``ftyp``) first: the download only keeps bodies that are video.
    video, ranges = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 4000, []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, headers, _ = await read_request(reader)
        ranges.append(headers.get("range"))
        if "range" not in headers:  # the first attempt: a third of the body, then the connection dies
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {len(video)}\r\n\r\n".encode()
            )
            writer.write(video[: len(video) // 3])
            await writer.drain()
            return
        start = int(headers["range"].removeprefix("bytes=").rstrip("-"))
        extra = {"Content-Range": f"bytes {start}-{len(video) - 1}/{len(video)}"}
        writer.write(answer(video[start:], status="206 Partial Content", headers=extra))
        await writer.drain()

    async with serving(handler) as url:
        from wan_nb.models import Task

        task = Task(
            "t-range", TaskStatus.SUCCEEDED, provider="dashscope", video_url=url + "/t.mp4?Signature=x"
        )
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, journal=False) as client:
            path = await client.download(task, tmp_path)
    assert path.read_bytes() == video
    assert ranges[0] is None and ranges[1] is not None and int(ranges[1][6:-1]) > 0


@pytest.mark.parametrize("provider", ["dashscope", "gateway", "relay"])
async def test_each_dialect_end_to_end_over_sockets(provider: str, tmp_path: Path) -> None:
    app = create_app(task_time=0.3, api_key=KEY, state_dir=tmp_path / "sim")
    quick = PollSchedule(quick=(), ratio=0.0, floor=0.2, cap=0.2)
    try:
        with served(app) as url:
            async with AsyncWanClient(provider, api_key=KEY, base_url=url, poll=quick) as client:
                # A local file: the native dialect uploads it (getPolicy, then the form POST to the sim's OSS).
                request = VideoRequest(prompt="a cat turns its head", first_frame=CAT, duration=2, seed=3)
                task = await client.generate(request, out=tmp_path / "out")
    finally:
        app.close()
    assert task.status is TaskStatus.SUCCEEDED and task.path is not None
    assert task.path.read_bytes()[4:8] == b"ftyp"
    assert app.stats.duplicates() == {}


def test_a_client_left_unclosed_in_a_real_kernel_prints_nothing() -> None:
    """The notebook case itself: a real ipykernel (jupyter_client, as JupyterLab drives it) whose loop runs on.

    The kernel shows every warning (``ResourceWarning`` is hidden by default) and every WARNING log line, and
    anything either prints reaches the cell as stderr, so an unclosed socket, an asyncio complaint or a
    leftover journal thread would all show here.
    """
    from jupyter_client.manager import KernelManager

    closed = threading.Event()

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(RUNNING)))
            self.end_headers()
            self.wfile.write(RUNNING)

        def handle(self) -> None:
            super().handle()  # returns when the client closes its keep-alive connection
            closed.set()

        def log_message(self, *args: object) -> None:
            pass

    with servers.serving(servers.loopback(KeepAlive)) as server:
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel()
        kernel = manager.client()
        kernel.start_channels()
        try:
            kernel.wait_for_ready(timeout=60)
            cells = [
                "import asyncio, gc, logging, threading, warnings\n"
                "warnings.simplefilter('always')\n"
                "logging.basicConfig(level=logging.WARNING)",
                "from wan_nb.client import AsyncWanClient\n"
                f"client = AsyncWanClient('dashscope', api_key='{KEY}', base_url='http://127.0.0.1:{server.server_port}')\n"
                "print((await client.get('t1')).status.value)",
                "client = None\ngc.collect()\nawait asyncio.sleep(1)\ngc.collect()",
                "print(sum(thread.name == 'wan_nb-journal' for thread in threading.enumerate()))",
            ]
            streams = [_run_cell(kernel, cell) for cell in cells]
        finally:
            kernel.stop_channels()
            manager.shutdown_kernel(now=True)
    assert streams == [("", ""), ("RUNNING\n", ""), ("", ""), ("0\n", "")]
    assert closed.is_set()  # the socket was closed, not just left for the collector


def _run_cell(kernel: Any, code: str) -> tuple[str, str]:
    """(stdout, stderr) of one cell; an error in the cell counts as stderr."""
    msg_id = kernel.execute(code)
    out = err = ""
    while True:
        msg = kernel.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        content = msg["content"]
        if msg["msg_type"] == "stream":
            out, err = (
                (out + content["text"], err) if content["name"] == "stdout" else (out, err + content["text"])
            )
        elif msg["msg_type"] == "error":
            err += f"{content['ename']}: {content['evalue']}"
        elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
            return out, err

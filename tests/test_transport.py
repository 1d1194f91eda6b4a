"""The network transport (``AiohttpTransport``) over real loopback sockets.

Every other client test injects ``MockTransport``/``ASGITransport``; these check what only real bytes show:
the URL and headers go out exactly as httpx built them, bodies are framed and decoded right, and each way a
connection can fail becomes the httpx error the client's rules depend on (only "never connected" is a
``ConnectError``: the journal then knows no task can exist).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sim_fixtures import served

from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.client._transport import AiohttpTransport
from wan_nb.errors import TransportError
from wan_nb.models import TaskStatus, VideoRequest
from wan_nb.sim import create_app

KEY = "sk-transport-test"
CAT = Path(__file__).parents[1] / "examples" / "cat.png"
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
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5) as client:
        yield client


async def test_a_signed_url_and_the_headers_go_out_exactly_as_built(http: httpx.AsyncClient) -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line, headers, _ = await read_request(reader)
        seen.append((line, headers))
        writer.write(answer(b"ok"))
        await writer.drain()

    # OSS signatures are base64: '+', '/' and '=' arrive percent-encoded and must stay so, byte for byte.
    target = "/r/v%20a.mp4?Expires=1790000000&OSSAccessKeyId=LTAI&Signature=ab%2Bcd%2Fef%3D&x=a+b~c"
    async with serving(handler) as url:
        response = await http.get(url + target, headers={"X-Trace": "1"})
    assert response.status_code == 200 and response.text == "ok"
    ((line, headers),) = seen
    assert line == f"GET {target} HTTP/1.1"
    # Nothing of aiohttp's own: no cookie, no second user agent, no chunking of an empty GET.
    assert set(headers) <= {"host", "accept", "accept-encoding", "connection", "user-agent", "x-trace"}
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

    async with serving(handler) as url, httpx.AsyncClient(transport=AiohttpTransport(), timeout=0.2) as http:
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


async def test_cookies_are_kept_by_httpx_only(tmp_path: Path) -> None:
    cookies: list[str | None] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            _, headers, _ = await read_request(reader)
            cookies.append(headers.get("cookie"))
            writer.write(answer(b"{}", headers={"Set-Cookie": "session=s3cr3t; Path=/"}))
            await writer.drain()

    transport = AiohttpTransport()
    async with serving(handler) as url:
        async with httpx.AsyncClient(transport=transport) as first:
            await first.get(url + "/a")
            await first.get(url + "/b")  # httpx's own jar replays it to the same host, as httpx always does
        # Another client over the same transport: aiohttp's jar (if it had one) would replay the cookie.
        async with httpx.AsyncClient(transport=AiohttpTransport()) as second:
            await second.get(url + "/c")
    assert cookies == [None, "session=s3cr3t", None]


async def test_an_http_proxy_receives_the_absolute_url() -> None:
    lines: list[str] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line, _, _ = await read_request(reader)
        lines.append(line)
        writer.write(answer(b"via proxy"))
        await writer.drain()

    async with serving(proxy) as proxy_url:
        transport = AiohttpTransport(proxy=proxy_url)
        async with httpx.AsyncClient(transport=transport) as http:
            response = await http.get("http://api.example.invalid/v1/videos/t1")
    assert response.text == "via proxy"
    assert lines == ["GET http://api.example.invalid/v1/videos/t1 HTTP/1.1"]


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
    video, ranges = bytes(range(256)) * 4000, []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, headers, _ = await read_request(reader)
        ranges.append(headers.get("range"))
        if "range" not in headers:  # the first attempt: a third of the body, then the connection dies
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(video)}\r\n\r\n".encode())
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

"""Proxies chosen per request host, through a recording forward proxy on loopback.

What httpx really does (checked here, not assumed): environment proxies apply to every host ``NO_PROXY`` does
not name, loopback included, so ``NO_PROXY=127.0.0.1`` keeps an API on ``http://127.0.0.1`` direct while the
same server reached as ``http://localhost`` (the upload and result hosts the fake API hands out) goes through
``HTTP_PROXY``. The proxy records each request line and its headers: the API's requests never appear there,
the upload form POST and the result download do, and none of them carries Authorization. An https API behind
``HTTPS_PROXY`` is reached through a CONNECT tunnel: the proxy sees the host and port, never a header inside.
"""

from __future__ import annotations

import http.client
import http.server
import json
import select
import socket
import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import trustme

from tests.fixtures.servers import loopback, serving, url
from wan_nb.client import AsyncWanClient
from wan_nb.errors import ConfigError
from wan_nb.models import TaskStatus, VideoRequest

KEY = "sk-proxy-test"
CAT = Path(__file__).parents[2] / "examples" / "cat.png"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(2000)
CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"


@dataclass
class Seen:
    """What a server received: (request line, lower-cased headers) in arrival order."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [line for line, _ in self.requests]

    def authorized(self) -> list[str]:
        return [line for line, headers in self.requests if "authorization" in headers]


@contextmanager
def origin() -> Iterator[tuple[int, Seen]]:
    """A fake DashScope on 127.0.0.1: getPolicy, the OSS form POST, create, query and the result file.

    The upload and result hosts it hands out are ``localhost`` on the same port: another host name for the
    same server, which ``NO_PROXY=127.0.0.1`` does not cover.
    """
    seen = Seen()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._note()
            other = f"http://localhost:{self.server.server_address[1]}"
            if self.path.startswith("/api/v1/uploads"):
                policy = {"upload_host": f"{other}/oss", "upload_dir": "dashscope-instant/t", "policy": "p"}
                self._send({"request_id": "r0", "data": policy | {"signature": "s", "max_file_size_mb": 100}})
            elif self.path.startswith("/api/v1/tasks/"):
                output = {
                    "task_id": "t1",
                    "task_status": "SUCCEEDED",
                    "video_url": f"{other}/r/t1.mp4?Signature=x",
                }
                self._send({"request_id": "r2", "output": output})
            else:
                self._send(VIDEO, "video/mp4")

        def do_POST(self) -> None:
            self._note()
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == CREATE:
                self._send({"request_id": "r1", "output": {"task_id": "t1", "task_status": "PENDING"}})
            else:
                self._send(b"", "text/plain")  # OSS: 200 with success_action_status=200

        def _note(self) -> None:
            seen.requests.append((self.requestline, {k.lower(): v for k, v in self.headers.items()}))

        def _send(self, body: object, kind: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with serving(loopback(Handler)) as server:
        yield server.server_port, seen


@contextmanager
def forward_proxy() -> Iterator[tuple[str, Seen]]:
    """A recording HTTP forward proxy on 127.0.0.1: absolute-URI GET/POST are relayed, CONNECT is tunnelled."""
    seen = Seen()

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._relay()

        def do_POST(self) -> None:
            self._relay()

        def do_CONNECT(self) -> None:
            self._note()
            host, _, port = self.path.rpartition(":")
            upstream = socket.create_connection((host, int(port)))
            self.send_response(200, "Connection established")
            self.end_headers()
            _pump(self.connection, upstream)
            self.close_connection = True

        def _relay(self) -> None:
            self._note()
            target = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")
            }
            upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=10)
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            upstream.close()

        def _note(self) -> None:
            seen.requests.append((self.requestline, {k.lower(): v for k, v in self.headers.items()}))

        def log_message(self, *args: object) -> None:
            pass

    with serving(loopback(Proxy)) as server:
        yield url(server), seen


def _pump(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes (a CONNECT tunnel)."""
    sockets = [client, upstream]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 10)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (upstream if sock is client else client).sendall(data)
    finally:
        upstream.close()


async def test_no_proxy_keeps_the_api_direct_while_uploads_and_results_go_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with origin() as (port, at_origin), forward_proxy() as (proxy_url, at_proxy):
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        api = f"http://127.0.0.1:{port}"
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=api) as client:
            request = VideoRequest(prompt="a cat turns its head", first_frame=CAT)  # a local file: uploaded
            task = await client.generate(request, out=tmp_path)
    assert task.status is TaskStatus.SUCCEEDED and task.path is not None
    assert task.path.read_bytes() == VIDEO
    # Through the proxy: exactly the upload host's form POST and the result host's download, keyless.
    assert at_proxy.lines() == [
        f"POST http://localhost:{port}/oss HTTP/1.1",
        f"GET http://localhost:{port}/r/t1.mp4?Signature=x HTTP/1.1",
    ]
    assert at_proxy.authorized() == []
    # Direct: every API request, each with the key (and the proxied ones arrived without it).
    api_lines = [line for line in at_origin.lines() if " /api/" in line]
    assert len(api_lines) == 3 and at_origin.authorized() == api_lines


async def test_explicit_proxy_serves_every_host_and_trust_env_false_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with origin() as (port, _), forward_proxy() as (proxy_url, at_proxy):
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: using it would fail
        api = f"http://localhost:{port}"
        async with AsyncWanClient(
            "dashscope", api_key=KEY, base_url=api, journal=False, proxy=proxy_url
        ) as client:
            assert (await client.get("t1")).status is TaskStatus.SUCCEEDED
        assert at_proxy.lines() == [f"GET {api}/api/v1/tasks/t1 HTTP/1.1"]
        async with AsyncWanClient(
            "dashscope", api_key=KEY, base_url=api, journal=False, trust_env=False
        ) as client:
            assert (await client.get("t1")).status is TaskStatus.SUCCEEDED  # direct: HTTP_PROXY unread
    assert len(at_proxy.lines()) == 1


async def test_an_https_api_behind_https_proxy_is_tunnelled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    with origin() as (port, at_origin), forward_proxy() as (proxy_url, at_proxy):
        tls = socket.create_server(("127.0.0.1", 0))
        tls_port = tls.getsockname()[1]
        threading.Thread(target=_tls_front, args=(tls, context, port), daemon=True).start()
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        api = f"https://localhost:{tls_port}"
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=api, verify=client_context) as client:
            assert (await client.get("t1")).status is TaskStatus.SUCCEEDED
        tls.close()
    assert at_proxy.lines() == [f"CONNECT localhost:{tls_port} HTTP/1.1"] and at_proxy.authorized() == []
    assert at_origin.authorized() == ["GET /api/v1/tasks/t1 HTTP/1.1"]  # the key arrived inside the tunnel


def _tls_front(listener: socket.socket, context: ssl.SSLContext, port: int) -> None:
    """Terminate TLS for one connection and relay the plain bytes to the origin on ``port``."""
    with context.wrap_socket(listener.accept()[0], server_side=True) as inner:
        _pump(inner, socket.create_connection(("127.0.0.1", port)))


def test_an_unusable_environment_proxy_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALL_PROXY", "ftp://user:secret@proxy.example:21")
    with pytest.raises(ConfigError, match=r"^ALL_PROXY: a proxy must be http://") as caught:
        AsyncWanClient("dashscope", api_key=KEY, journal=False)
    assert "secret" not in str(caught.value)
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.example:1080")
    monkeypatch.setitem(sys.modules, "socksio", None)  # as if the socks extra were not installed
    with pytest.raises(
        ConfigError,
        match=r'^ALL_PROXY: a socks5:// proxy needs the socksio package: pip install "wan_nb\[socks\]"$',
    ):
        AsyncWanClient("dashscope", api_key=KEY, journal=False)


def test_proxy_credentials_stay_out_of_reprs() -> None:
    proxy = "http://user:pw-secret@proxy.example:3128"
    client = AsyncWanClient("dashscope", api_key=KEY, journal=False, proxy=proxy)
    assert "pw-secret" not in repr(client) and "pw-secret" not in repr(httpx.Proxy(proxy))

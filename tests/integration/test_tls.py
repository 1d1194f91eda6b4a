"""HTTPS against a local TLS server whose certificate comes from a test CA (``trustme``).

The case a company or university network creates: its gateway or TLS-inspecting proxy presents certificates
from a CA that is not in the public bundle. Default verification must refuse it with one clear line
(``sent=False``: a create refused there created nothing), and ``verify=<CA file>``, ``verify=<SSLContext>``,
``SSL_CERT_FILE`` (with ``trust_env``) and a client certificate (``cert=``) must each get through.
The server is a stdlib ``http.server`` in a thread, answering a tiny fake of DashScope's native task query
and serving a result file, so the result host's download goes over the same TLS.
"""

from __future__ import annotations

import http.server
import json
import os
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from tests.fixtures.servers import serving, url
from wan_nb.client import AsyncWanClient
from wan_nb.errors import ConfigError, TransportError
from wan_nb.models import Task, TaskStatus, VideoRequest

KEY = "sk-tls-test"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(1000)
REQUEST = VideoRequest(prompt="a cat", first_frame="https://example.com/cat.png")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@contextmanager
def https_server(
    ca: trustme.CA, *, client_cert: bool = False, accepted: list[int] | None = None
) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a certificate from ``ca``; ``client_cert``: it requires one too.

    ``accepted`` gets one entry per connection attempt (handshakes that fail included).
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    if client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(context)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.startswith("/api/v1/tasks/"):
                task_id = self.path.rsplit("/", 1)[1]
                output = {"task_id": task_id, "task_status": "RUNNING"}
                self._send(json.dumps({"request_id": "r1", "output": output}).encode())
            else:
                self._send(VIDEO, "video/mp4")

        def _send(self, body: bytes, kind: str = "application/json") -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, *args: object) -> None:
            pass  # a refused handshake is the point of several tests, not news

        def get_request(self) -> tuple[Any, Any]:
            if accepted is not None:
                accepted.append(1)
            return super().get_request()

    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield url(server, "https")


async def test_default_verification_refuses_an_unknown_ca_clearly(ca: trustme.CA) -> None:
    with https_server(ca) as url:
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url) as client:
            with pytest.raises(TransportError) as caught:
                await client.submit(REQUEST)
            assert client.journal is not None and client.journal.unanswered() == []  # refused: no task
    error = caught.value
    assert error.sent is False
    text = str(error)
    assert text.startswith(
        "TLS: certificate verify failed for 127.0.0.1 (unable to get local issuer certificate)"
    )
    assert "pass verify=<CA file> or an ssl.SSLContext" in text and "nothing was sent" in text
    assert "\n" not in text and KEY not in text
    chain: BaseException | None = error
    while chain is not None:  # an httpx error's .request carries the key: it is never linked
        assert not isinstance(chain, httpx.HTTPError)
        chain = chain.__cause__ or chain.__context__


async def test_verify_with_the_ca_file_works(ca: trustme.CA, ca_file: Path, tmp_path: Path) -> None:
    with https_server(ca) as url:
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, verify=ca_file) as client:
            assert (await client.get("t1")).status is TaskStatus.RUNNING
            # The result host is verified with the same CA.
            done = Task(
                "t1", TaskStatus.SUCCEEDED, provider="dashscope", video_url=url + "/r/t1.mp4?Signature=x"
            )
            path = await client.download(done, tmp_path)
    assert path.read_bytes() == VIDEO


async def test_verify_with_an_ssl_context_works(ca: trustme.CA) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with https_server(ca) as url:
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, verify=context) as client:
            assert (await client.get("t2")).status is TaskStatus.RUNNING


async def test_a_refused_certificate_is_not_retried(ca: trustme.CA) -> None:
    accepted: list[int] = []
    with https_server(ca, accepted=accepted) as url:
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, journal=False) as client:
            with pytest.raises(TransportError, match=r"^TLS: certificate verify failed") as caught:
                await client.get("t0")  # a GET: transient failures are retried, a bad certificate stays bad
    assert caught.value.sent is False and len(accepted) == 1


async def test_ssl_cert_file_is_honoured_only_with_trust_env(
    ca: trustme.CA, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with https_server(ca) as url:
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, journal=False) as client:
            assert (await client.get("t3")).status is TaskStatus.RUNNING
        async with AsyncWanClient(
            "dashscope", api_key=KEY, base_url=url, journal=False, trust_env=False
        ) as client:
            with pytest.raises(TransportError, match=r"^TLS: certificate verify failed"):
                await client.get("t3")


async def test_verify_false_skips_verification(ca: trustme.CA) -> None:
    with https_server(ca) as url:
        async with AsyncWanClient(
            "dashscope", api_key=KEY, base_url=url, verify=False, journal=False
        ) as client:
            assert (await client.get("t4")).status is TaskStatus.RUNNING


async def test_a_client_certificate_is_presented(ca: trustme.CA, ca_file: Path, tmp_path: Path) -> None:
    mine = tmp_path / "client.pem"
    ca.issue_cert("notebook@example.org").private_key_and_cert_chain_pem.write_to_path(str(mine))
    with https_server(ca, client_cert=True) as url:
        async with AsyncWanClient(
            "dashscope", api_key=KEY, base_url=url, verify=ca_file, cert=mine, journal=False
        ) as client:
            assert (await client.get("t5")).status is TaskStatus.RUNNING
        # Without it the server ends the handshake (TLS 1.3 reports that on the first read).
        async with AsyncWanClient(
            "dashscope", api_key=KEY, base_url=url, verify=ca_file, journal=False, max_retries=0
        ) as client:
            with pytest.raises(TransportError) as caught:
                await client.get("t5")
    assert KEY not in str(caught.value)


def test_a_client_certificate_problem_is_a_config_error(
    ca: trustme.CA, ca_file: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "client.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match=f"^cert: cannot load the client certificate {broken}"):
        AsyncWanClient("dashscope", api_key=KEY, journal=False, verify=ca_file, cert=broken)
    with pytest.raises(ConfigError, match=r"^cert: with verify=<SSLContext>, load the certificate into it"):
        AsyncWanClient(
            "dashscope", api_key=KEY, journal=False, verify=ssl.create_default_context(), cert=broken
        )


async def test_a_bundle_edited_in_place_is_read_again(
    ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))  # some other CA: refused
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with https_server(ca) as url:
        async with AsyncWanClient(
            "dashscope", api_key=KEY, base_url=url, journal=False, max_retries=0
        ) as client:
            with pytest.raises(TransportError, match=r"^TLS: certificate verify failed"):
                await client.get("t6")
        ca.cert_pem.write_to_path(str(bundle), append=True)  # the company CA appended, same file, same kernel
        os.utime(bundle, ns=(bundle.stat().st_atime_ns, bundle.stat().st_mtime_ns + 1_000_000))
        async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, journal=False) as client:
            assert (await client.get("t6")).status is TaskStatus.RUNNING

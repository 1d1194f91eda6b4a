"""The network transport: httpx's API on top of aiohttp's HTTP/1.1 machinery.

Why: httpx's own stack (httpcore, h11, anyio) spends about twice the CPU per request of aiohttp, whose parser is
in C, and reads bodies 64 KiB at a time; that put every wan_nb figure behind the dashscope SDK, which is built on
aiohttp (``bench/RESULTS.md``: overhead, download). httpx keeps everything above the socket (the client API,
``MockTransport``/``ASGITransport`` injection, URL building, redirects, decoding, the retry wrapper); only the
bytes on the wire go through aiohttp. The same split as ``httpx-aiohttp`` (by an httpx maintainer) and openai's
``DefaultAioHttpClient``; written here because the error mapping decides what the journal believes about a
create: only a connection that was never established may become :class:`httpx.ConnectError` /
:class:`httpx.ConnectTimeout` ("nothing was sent, nothing was billed"); a drop after that is a read error.

Rules kept from httpx: no redirects (httpx follows them), no decompression (httpx decodes), no cookies (httpx
keeps them; aiohttp's jar would replay them to other hosts), no environment proxies (the client resolves its
proxy itself), and the URL goes out exactly as httpx built it: a signed result URL's percent-escapes are part
of its signature, and aiohttp would otherwise re-quote them.
aiohttp is imported when the first transport is built, so ``import wan_nb`` does not pay for it.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AiohttpTransport"]

READ_BUFFER = 256 * 1024
"""aiohttp's per-connection read buffer (its default is 64 KiB): large video bodies arrive in fewer chunks."""


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An :class:`httpx.AsyncBaseTransport` that sends requests through one ``aiohttp.ClientSession``.

    The session is opened on the first request, inside the running loop it then belongs to (like an
    ``httpx.AsyncClient``, a transport serves one event loop), and closed by :meth:`aclose`.
    """

    def __init__(self, *, proxy: str | None = None, max_connections: int = 100) -> None:
        import aiohttp
        import yarl

        self._aiohttp = aiohttp
        self._url = yarl.URL
        self._ssl = _ssl_context()  # built with the transport, as httpx's own transport does
        self._proxy = proxy
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return "AiohttpTransport()"  # the proxy URL may carry a password

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        with _mapped_errors(self._aiohttp, request, sent=False):
            answer = await session.request(
                request.method,
                self._url(str(request.url), encoded=True),
                # Built inline, never a local: a traceback that prints locals must not show Authorization.
                headers=_wire_headers(request),
                data=_body(request),
                timeout=_timeout(self._aiohttp, request),
                proxy=self._proxy,
                allow_redirects=False,  # httpx decides; aiohttp's default would carry the key to another host
            )
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=_ResponseBody(self._aiohttp, answer, request),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (answer.reason or "").encode()},
        )

    def _open(self) -> aiohttp.ClientSession:
        aiohttp = self._aiohttp
        connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl)
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
            read_bufsize=READ_BUFFER,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _ResponseBody(httpx.AsyncByteStream):
    """The body as aiohttp receives it: whatever has arrived, up to ``READ_BUFFER`` per chunk."""

    def __init__(self, lib: Any, answer: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._aiohttp = lib
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors(self._aiohttp, self._request, sent=True):
            async for chunk in self._answer.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; otherwise aiohttp closes the connection.
        self._answer.release()


def _wire_headers(request: httpx.Request) -> list[tuple[str, str]]:
    # aiohttp frames a streamed body itself (chunked when its length is unknown): drop httpx's framing header.
    raw = request.headers.raw
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw if k.lower() != b"transfer-encoding"]


def _body(request: httpx.Request) -> bytes | httpx.AsyncByteStream | None:
    try:
        return request.content or None
    except httpx.RequestNotRead:
        return request.stream  # type: ignore[return-value]  # an async iterable of bytes: streamed as is


def _timeout(lib: Any, request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's connect/read/pool timeouts; aiohttp's ``connect`` covers waiting for a pooled connection too."""
    limits = request.extensions.get("timeout", {})
    connect, read, pool = limits.get("connect"), limits.get("read"), limits.get("pool")
    waiting = None if connect is None or pool is None else connect + pool
    timeout: aiohttp.ClientTimeout = lib.ClientTimeout(
        total=None, connect=waiting, sock_connect=connect, sock_read=read
    )
    return timeout


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying context per process (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``): loading the CA
    bundle costs ~50 ms, too much to pay for every client a notebook creates."""
    return httpx.create_ssl_context()


@contextmanager
def _mapped_errors(lib: Any, request: httpx.Request, *, sent: bool) -> Iterator[None]:
    """aiohttp's exceptions as httpx's, so the client above sees only one family.

    ``sent`` is False while the request is going out: only then can a failure mean the connection was never
    made. aiohttp raises ``ClientConnectorError`` (refused, DNS, TLS handshake, proxy) and
    ``ConnectionTimeoutError`` only before a single byte of the request is written.
    """
    try:
        yield
    except lib.ClientConnectorError as exc:
        raise httpx.ConnectError(_text(exc), request=request) from exc
    except lib.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(_text(exc), request=request) from exc
    except (lib.ServerTimeoutError, TimeoutError) as exc:
        raise httpx.ReadTimeout(_text(exc) or "timed out waiting for the server", request=request) from exc
    except (lib.ServerDisconnectedError, lib.ClientPayloadError, lib.ClientResponseError) as exc:
        # The peer closed or broke the response: httpcore raises RemoteProtocolError for the same cases.
        raise httpx.RemoteProtocolError(_text(exc), request=request) from exc
    except lib.InvalidURL as exc:
        raise httpx.UnsupportedProtocol(_text(exc), request=request) from exc
    except (lib.ClientError, OSError) as exc:
        phase = "reading the response body" if sent else "before the response arrived"
        raise httpx.ReadError(f"{_text(exc)} (while {phase})", request=request) from exc


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__

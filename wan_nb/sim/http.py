"""Just enough raw ASGI: a parsed request, a response value, and the two functions that move them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    scheme: str = "http"

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` as the client addressed us: result and upload URLs point back here."""
        return f"{self.scheme}://{self.header('host') or 'sim.localhost'}"

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass(frozen=True)
class Drop:
    """The connection breaks instead of the answer completing: after ``delay`` seconds, with the first
    ``keep`` bytes of the body sent (None: before the answer, see ``send_response``)."""

    delay: float = 0.0
    keep: int | None = None


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: Drop | None = None  # a simulated reset: this answer never completes

    @property
    def sent(self) -> bytes:
        """The body bytes that actually go out."""
        keep = self.drop.keep if self.drop else None
        return self.body if keep is None else self.body[:keep]


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"content-type": "application/json", **(headers or {})})


class HTTPError(Exception):
    """Raised by a handler to answer with ``response`` (an error body in the right dialect)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def reset(delay: float = 0.0) -> HTTPError:
    """The connection drops before any answer (after ``delay`` seconds)."""
    return HTTPError(Response(200, drop=Drop(delay)))


async def read_request(scope: Scope, receive: Receive) -> Request:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    return Request(
        method=scope["method"].upper(),
        path=scope["path"],
        query=query,
        headers=headers,
        body=b"".join(chunks),
        scheme=scope.get("scheme", "http"),
    )


async def send_response(send: Send, response: Response, *, head: bool = False) -> None:
    """Send ``response``; one with a ``drop`` sends what it keeps, then raises ``ConnectionResetError``."""
    drop = response.drop
    if drop is None:
        await _start(send, response.status, len(response.body), response.headers)
        await send({"type": "http.response.body", "body": b"" if head else response.body})
        return
    await asyncio.sleep(drop.delay)
    if drop.keep is None:
        # Under uvicorn an exception before the response started becomes a 500, one after it aborts the
        # connection: start an answer that will never be completed. (ASGITransport hands the exception over.)
        await _start(send, 200, 1024, {})
    else:
        await _start(send, response.status, len(response.body), response.headers)
        if response.sent and not head:
            await send({"type": "http.response.body", "body": response.sent, "more_body": True})
    raise ConnectionResetError("simulated connection reset")


async def _start(send: Send, status: int, length: int, headers: Mapping[str, str]) -> None:
    every = {"content-length": str(length), **headers}
    raw = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in every.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})

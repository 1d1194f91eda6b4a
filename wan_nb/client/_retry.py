"""Retries as a transport wrapper, for idempotent requests only (replicate-python's RetryTransport shape).

Never POST: a second create starts and bills a second task (DashScope: "do not create duplicate tasks"; neither
protocol has an idempotency key), and an upload form POST is not worth the doubt either. GET/HEAD are retried on
connection failures (httpx.TransportError, and OSError such as ConnectionResetError raised by an in-process ASGI
app) and on 408/429/500/502/503/504, with exponential backoff and full jitter, honouring ``Retry-After``.
A certificate the client refuses is not a transient failure: it is raised at once (``refused_certificate``).

500 is included for GETs: DashScope's ``InternalError`` on a task query is transient, and a GET changes nothing
server-side, so the only cost of retrying is one more request within the 20 queries/s budget.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Awaitable, Callable

import httpx

from wan_nb.protocols import retry_after

__all__ = ["RETRYABLE_METHODS", "RETRYABLE_STATUS", "RetryTransport", "refused_certificate"]

RETRYABLE_METHODS = frozenset({"GET", "HEAD"})
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})

Sleep = Callable[[float], Awaitable[None]]


class RetryTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; retries idempotent requests on transient failures.

    Args:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff: first backoff ceiling in seconds; doubles per retry (full jitter picks 0..ceiling).
        max_backoff: cap on the ceiling.
        max_retry_after: a ``Retry-After`` longer than this is not slept through: the response is returned
            (a RateLimitError with ``retry_after`` reaches the caller, who can decide).
        sleep, rand: injectable for tests.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.transport = transport
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._rand = rand

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in RETRYABLE_METHODS:
            return await self._once(request)
        attempt = 0
        while True:
            try:
                response = await self._once(request)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries or refused_certificate(exc):
                    raise
                delay = self.delay(attempt)
            else:
                delay_or_none = self._response_delay(response, attempt)
                if delay_or_none is None:
                    return response
                delay = delay_or_none
                await response.aclose()  # release the connection before sleeping
            await self._sleep(delay)
            attempt += 1

    async def _once(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.transport.handle_async_request(request)
        except OSError as exc:
            # An ASGI app (the simulator) raises ConnectionResetError itself; make it look like the network.
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc

    def _response_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying this response, or None to hand it to the caller."""
        if response.status_code not in RETRYABLE_STATUS or attempt >= self.max_retries:
            return None
        hinted = retry_after(response.headers)
        if hinted is None:
            return self.delay(attempt)
        return hinted if hinted <= self.max_retry_after else None

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_backoff, backoff * 2**attempt)] (AWS architecture blog)."""
        return self._rand() * min(self.max_backoff, self.backoff * 2.0**attempt)

    async def aclose(self) -> None:
        await self.transport.aclose()


def refused_certificate(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate error under an httpx error (httpx → httpcore → ssl, linked by ``raise ... from``)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None

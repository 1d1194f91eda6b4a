"""Every retry, backoff and patience figure of the client, and its one clock: change them here and only here.

Never a POST: a create is sent once (neither protocol is idempotent; a repeat bills a second task), except a
create refused with 429, which created nothing and is sent again only within the caller's ``patience``.

- GET/HEAD (task queries, downloads): retried by ``_retry.RetryTransport`` on a broken connection and on
  408/429/500/502/503/504, ``GET_RETRIES`` times, full-jitter backoff from ``GET_BACKOFF`` doubling to at most
  ``GET_MAX_BACKOFF``; a ``Retry-After`` up to ``MAX_RETRY_AFTER`` is slept through, a longer one goes to the
  caller as a RateLimitError.
- A create answered 429 without ``Retry-After``: :func:`throttle_backoff`.
- A wait outlives ``POLL_FAILURES_TOLERATED`` failed polls in a row (past their retries); the poll due at the
  deadline still gets ``LAST_POLL_GRACE``.
- A download resumes up to ``DOWNLOAD_STALLS`` attempts in a row that add no byte.
- An upload form POST is retried only when the connection was never made, ``UPLOAD_CONNECT_RETRIES`` times.
- ``clock`` (monotonic) and ``sleep`` are what every wait, deadline, backoff and run-time measure uses by default;
  ``PollSchedule`` carries them so a test can inject fakes in one place.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Final

__all__ = [
    "DOWNLOAD_STALLS",
    "GET_BACKOFF",
    "GET_MAX_BACKOFF",
    "GET_RETRIES",
    "LAST_POLL_GRACE",
    "MAX_RETRY_AFTER",
    "POLL_FAILURES_TOLERATED",
    "RETRYABLE_METHODS",
    "RETRYABLE_STATUS",
    "UPLOAD_CONNECT_RETRIES",
    "clock",
    "get_backoff",
    "sleep",
    "throttle_backoff",
    "upload_backoff",
]

clock: Final[Callable[[], float]] = time.monotonic
sleep: Final[Callable[[float], Awaitable[None]]] = asyncio.sleep

RETRYABLE_METHODS: Final = frozenset({"GET", "HEAD"})
# 500 too: DashScope's InternalError on a task query is transient, and a GET changes nothing server-side.
RETRYABLE_STATUS: Final = frozenset({408, 429, 500, 502, 503, 504})
GET_RETRIES: Final = 4
GET_BACKOFF: Final = 0.5
GET_MAX_BACKOFF: Final = 8.0
MAX_RETRY_AFTER: Final = 60.0

POLL_FAILURES_TOLERATED: Final = 5
LAST_POLL_GRACE: Final = 5.0
"""Seconds a poll may always take, even at the deadline: a task that finished just in time is still seen."""

DOWNLOAD_STALLS: Final = 5
UPLOAD_CONNECT_RETRIES: Final = 2


def get_backoff(
    attempt: int,
    rand: Callable[[], float] = random.random,
    *,
    base: float = GET_BACKOFF,
    cap: float = GET_MAX_BACKOFF,
) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)] (AWS architecture blog)."""
    return rand() * min(cap, base * 2.0**attempt)


def throttle_backoff(attempt: int) -> float:
    """Seconds before re-sending a create refused with 429 and no Retry-After: 2 s, doubling, at most 30 s."""
    return float(min(2.0 * 2**attempt, 30.0))


def upload_backoff(attempt: int) -> float:
    """Seconds before retrying an upload whose connection was never made: 0.5 s, then 1 s."""
    return 0.5 * 2.0**attempt

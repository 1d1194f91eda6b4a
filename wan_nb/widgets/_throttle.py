"""Coalesce a stream of values into at most one render per interval (a card's Task states).

Each trait change is one comm message and jupyter_server drops IOPub above 1000 msgs/s averaged over 3 s
(notebook_tech.md §2.1), so 20 cards polling fast must not render every state: the newest value wins and
renders at most ``1 / interval`` times a second. A *final* value (a terminal Task) renders at once, so the
last state shown is always the last state seen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Throttle"]

T = TypeVar("T")


class Throttle(Generic[T]):
    """Call ``render(value)`` for the newest pushed value, no more often than every ``interval`` seconds."""

    def __init__(self, render: Callable[[T], None], interval: float = 0.1) -> None:
        self._render = render
        self.interval = interval
        self._last = -float("inf")
        self._pending: list[T] = []  # zero or one value: the newest not yet rendered
        self._timer: asyncio.TimerHandle | None = None

    def push(self, value: T, *, final: bool = False) -> None:
        """Render ``value`` now if the interval has passed (or ``final``), else once it has."""
        self._pending[:] = [value]
        wait = self._last + self.interval - time.monotonic()
        if final or wait <= 0:
            self.flush()
        elif self._timer is None:
            self._schedule(wait)

    def flush(self) -> None:
        """Render the pending value, if any, and cancel the scheduled render."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        value = self._pending.pop()
        self._last = time.monotonic()
        self._render(value)

    def _schedule(self, wait: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # plain code (a test, a script): nothing to defer to, so render now
            self.flush()
            return
        self._timer = loop.call_later(wait, self.flush)

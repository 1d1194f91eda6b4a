"""``SocketWatch``: every connection and name lookup this process makes while a watch is open.

Shared by the bad-input catalogue (nothing may be contacted at all) and the secrets audit (only the simulator
may be). Audit hooks cannot be removed, so one hook is installed for the rest of the run and records only while
a watch is open. Connects made by C libraries (libzmq) are invisible to it; Python's, asyncio's and aiohttp's
are not.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar


class SocketWatch:
    """``events``: (``"socket.connect"`` or ``"socket.getaddrinfo"``, its address or host), in order."""

    _open: ClassVar[list[SocketWatch]] = []
    _hooked: ClassVar[bool] = False

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    @property
    def connects(self) -> list[Any]:
        return [target for event, target in self.events if event == "socket.connect"]

    @property
    def lookups(self) -> list[Any]:
        return [target for event, target in self.events if event == "socket.getaddrinfo"]

    def __enter__(self) -> SocketWatch:
        if not SocketWatch._hooked:
            sys.addaudithook(SocketWatch._hook)
            SocketWatch._hooked = True
        SocketWatch._open.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        SocketWatch._open.remove(self)

    @staticmethod
    def _hook(event: str, args: tuple[Any, ...]) -> None:
        if SocketWatch._open and event in ("socket.connect", "socket.getaddrinfo"):
            target = args[1] if event == "socket.connect" else args[0]
            for watch in SocketWatch._open:
                watch.events.append((event, target))

"""Closing a client nobody closed, quietly: notebooks drop clients all the time (a cell re-run rebinds the name).

An httpx client left open keeps its keep-alive sockets; when they are garbage-collected, asyncio and the socket
module each emit a ``ResourceWarning``, and a journal writer thread would wait forever. So the client registers
:func:`close_dropped` with ``weakref.finalize``: it holds what the client owns, never the client. A finalizer
may run in any thread, so the close is handed to the loop the client's requests ran on (noted by an httpx
request hook) and runs there as a task; nothing is printed or logged either way. With no loop left running (a
script whose ``asyncio.run`` has returned) only the journal can still be closed.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from wan_nb.client._journal_seam import JournalWriter
    from wan_nb.client.journal import Journal

__all__ = ["LoopSeen", "close_dropped", "close_files"]

_CLOSING: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to its tasks


class LoopSeen:
    """The event loop this client's requests run on; ``hook`` is its httpx request hook."""

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None

    async def hook(self, request: httpx.Request) -> None:
        self.loop = asyncio.get_running_loop()


def close_dropped(seen: LoopSeen, http: httpx.AsyncClient | None, close_files: Callable[[], None]) -> None:
    """Close ``http`` (None: not ours) on its loop, then ``close_files`` in a worker thread (it may join one)."""
    loop = seen.loop
    if http is not None and loop is not None and not loop.is_closed():
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
            loop.call_soon_threadsafe(_start, loop, http, close_files)
            return
    # No request ever ran (no socket is open), or no loop is left to close sockets on: the journal still closes.
    with contextlib.suppress(Exception):
        close_files()


def _start(loop: asyncio.AbstractEventLoop, http: httpx.AsyncClient, close_files: Callable[[], None]) -> None:
    task = loop.create_task(_close(http, close_files))
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


async def _close(http: httpx.AsyncClient, close_files: Callable[[], None]) -> None:
    # Best effort, and silent: a failure here has no caller to tell, and a logged traceback is the noise
    # this module exists to avoid.
    with contextlib.suppress(Exception):
        await http.aclose()
    with contextlib.suppress(Exception):
        await asyncio.to_thread(close_files)


def close_files(writer: JournalWriter | None, journal: Journal | None) -> None:
    """Stop the journal's writer thread (queued writes land first), then close the journal if it is ours."""
    if writer is not None:
        writer.close()
    if journal is not None:
        journal.close()

"""The event-loop shim: the one module that deals with event loops and threads.

Owns :func:`run_sync` (run a coroutine from sync code on one private loop), :func:`spawn` (a background
task on the *running* loop, kept alive until done) and :func:`enable_nested` (the opt-in nest-asyncio2 patch).
Stdlib only; imports nothing from wan_nb. Nothing is patched or started at import.

Why a private loop in a daemon thread (research notebook_tech.md §1): Jupyter already runs a loop in the
cell's thread, so ``asyncio.run`` fails there; nest_asyncio patches globals, leaks tasks, breaks
``current_task`` on 3.14 and cannot patch uvloop. One long-lived loop also keeps loop-bound httpx
clients valid across calls. ``asyncio.get_event_loop()`` is never called: 3.14 makes it raise.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextvars
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["enable_nested", "run_sync", "spawn"]

T = TypeVar("T")

THREAD_NAME = "wan_nb-loop"
_WAIT_SLICE = 0.1
"""Seconds per wait slice: `_thread.interrupt_main()` and Windows lock waits are not woken by
SIGINT, so the caller wakes up regularly to let a pending KeyboardInterrupt surface."""
_CANCEL_GRACE = 5.0
"""Seconds to let a cancelled coroutine unwind (close its HTTP connections) before re-raising."""

_log = logging.getLogger("wan_nb")
_BACKGROUND: set[asyncio.Task[Any]] = set()
"""Strong references to spawned tasks: the loop keeps only weak ones, so an unreferenced task can vanish."""


class _Runner:
    """A loop running forever in a daemon thread, owned by the process that created it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name=THREAD_NAME, daemon=True)
        self.thread.start()
        atexit.register(self.close)

    def _serve(self) -> None:
        while True:
            try:
                self.loop.run_forever()
                return  # stopped by close()
            except (SystemExit, KeyboardInterrupt):
                # asyncio re-raises these out of run_forever after storing them on the task; the caller gets
                # them through its future once the loop turns again, and later calls still have a loop.
                continue

    def close(self) -> None:
        """Cancel what is left, finalise async generators, stop and close: a clean exit.

        A pending task garbage-collected at interpreter exit prints "Task was destroyed but it is pending".
        """
        if self.pid != os.getpid() or self.loop.is_closed():
            return  # a forked child shares the parent's selector: never close it there
        drained = asyncio.run_coroutine_threadsafe(_drain(), self.loop)
        try:
            drained.result(_CANCEL_GRACE)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            _log.warning("wan_nb: background work did not finish cancelling before exit")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(_CANCEL_GRACE)
        if not self.loop.is_running():
            self.loop.close()


async def _drain() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    loop = asyncio.get_running_loop()
    await loop.shutdown_asyncgens()
    await loop.shutdown_default_executor()


class _Call(concurrent.futures.Future[T]):
    """The caller's handle on one coroutine run on the private loop.

    Built before anything is scheduled, so a KeyboardInterrupt landing at any point of `run_sync` can
    still stop the coroutine: cancel it on the loop, or close it if it never got there.
    """

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        super().__init__()
        self._coro = coro
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[T] | None = None

    def schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        # The copy is taken here, in the caller's thread: ipykernel 7 keeps the parent message header in
        # ContextVars, so print()/display() in the coroutine land in the calling cell (notebook_tech.md §1.5).
        context = contextvars.copy_context()
        self._loop = loop  # set first: from here on, stop() goes through the loop
        loop.call_soon_threadsafe(self._start, loop, context)

    def _start(self, loop: asyncio.AbstractEventLoop, context: contextvars.Context) -> None:
        self._task = loop.create_task(self._coro, context=context)
        self._task.add_done_callback(self._copy_outcome)

    def _copy_outcome(self, task: asyncio.Task[T]) -> None:
        if task.cancelled():
            self.cancel()
        elif (exc := task.exception()) is not None:
            self.set_exception(exc)
        else:
            self.set_result(task.result())

    def stop(self) -> None:
        """Cancel the coroutine and give it a grace period to unwind (close its HTTP connections)."""
        if self._loop is None:
            self._coro.close()  # never scheduled: nothing runs, and no "was never awaited" warning
            return
        # call_soon_threadsafe is FIFO: this runs after _start if _start was queued at all.
        self._loop.call_soon_threadsafe(self._cancel_in_loop)
        self.wait(_CANCEL_GRACE)

    def _cancel_in_loop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        else:  # the interrupt came before _start was queued
            self._coro.close()
            self.cancel()

    def wait(self, timeout: float | None) -> bool:
        """Wait in short slices so a KeyboardInterrupt is noticed; True once done."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            left = _WAIT_SLICE if deadline is None else min(_WAIT_SLICE, deadline - time.monotonic())
            if left <= 0:
                return False
            concurrent.futures.wait([self], timeout=left)
        return True


_runner: _Runner | None = None
_lock = threading.Lock()


def _reset_lock_in_child() -> None:
    # A lock held by another thread at fork time stays locked forever in the child.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_lock_in_child)


def _get_runner() -> _Runner:
    global _runner
    runner = _runner
    if runner is not None and runner.pid == os.getpid():
        return runner
    with _lock:
        # After fork the loop thread does not exist in the child: build a fresh loop (checked by pid).
        if _runner is None or _runner.pid != os.getpid():
            _runner = _Runner()
        return _runner


def run_sync(coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
    """Run ``coro`` to completion from synchronous code and return its result.

    Works the same in a script, inside Jupyter's running loop and under uvloop: the coroutine always runs
    on wan_nb's one private loop (thread ``wan_nb-loop``), with a copy of the caller's contextvars.
    Its exceptions propagate with their own type.

    Raises:
        TimeoutError: ``timeout`` seconds passed; the coroutine was cancelled first.
        KeyboardInterrupt: re-raised after cancelling the coroutine.
        RuntimeError: called from wan_nb's own loop thread, where it would deadlock.
    """
    if not asyncio.iscoroutine(coro):
        raise TypeError(f"run_sync() needs a coroutine, such as client.wait(...), not {type(coro).__name__}")
    call = _Call(coro)
    try:
        finished = _run_on_private_loop(call, timeout)
    except BaseException:  # KeyboardInterrupt (kernel interrupt, Ctrl-C), SystemExit, or the thread check
        call.stop()
        raise
    if not finished:
        call.stop()
        raise TimeoutError(f"run_sync() gave up after {timeout:g} s; the coroutine was cancelled")
    return call.result()


def _run_on_private_loop(call: _Call[Any], timeout: float | None) -> bool:
    runner = _get_runner()
    if threading.current_thread() is runner.thread:
        raise RuntimeError("run_sync() was called from wan_nb's own loop thread: use `await` there")
    call.schedule(runner.loop)
    return call.wait(timeout)


def spawn(
    coro: Coroutine[Any, Any, T], *, on_error: Callable[[BaseException], object] | None = None
) -> asyncio.Task[T]:
    """Schedule ``coro`` on the running loop (the kernel's, from a cell or widget handler) and keep it alive.

    The task is referenced until done. Its exception goes to ``on_error`` when given, else to the
    ``wan_nb`` logger, so it is never lost as "Task exception was never retrieved".
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        coro.close()
        raise RuntimeError(
            "spawn() needs a running event loop (a notebook cell or a coroutine); "
            "from plain code use run_sync()"
        ) from None
    task = loop.create_task(coro)
    _BACKGROUND.add(task)
    task.add_done_callback(lambda done: _finished(done, on_error))
    return task


def _finished(task: asyncio.Task[Any], on_error: Callable[[BaseException], object] | None) -> None:
    _BACKGROUND.discard(task)
    if task.cancelled() or (exc := task.exception()) is None:
        return
    if on_error is not None:
        on_error(exc)
    else:
        _log.error("wan_nb background task %s failed", task.get_name(), exc_info=exc)


def enable_nested() -> bool:
    """Opt in to nest-asyncio2 so ``asyncio.run`` works inside a running loop (a notebook cell).

    Returns True when the running loop is patched (or already was). Warns and returns False where it
    cannot patch: no running loop (nothing to nest into), a loop that is not an ``asyncio.BaseEventLoop``
    (uvloop: nest-asyncio2 raises "Can't patch loop"), or nest-asyncio2 missing. Prefer ``await``
    or :func:`run_sync`: the patch is global and leaks tasks of nested runs (notebook_tech.md §1.2).
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _decline("there is no running event loop, so asyncio.run() already works here")
    if not isinstance(loop, asyncio.BaseEventLoop):
        return _decline(f"{type(loop).__module__}.{type(loop).__name__} cannot be patched")
    if getattr(loop, "_nest_patched", False):
        return True
    try:
        import nest_asyncio2
    except ImportError:
        return _decline("nest-asyncio2 is not installed")
    nest_asyncio2.apply(loop)
    return True


def _decline(reason: str) -> bool:
    warnings.warn(
        f"wan_nb.enable_nested() did nothing: {reason}; use `await` or wan_nb.run_sync()",
        RuntimeWarning,
        stacklevel=3,
    )
    return False

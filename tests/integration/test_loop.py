"""The event-loop shim against the cases of notebook_tech.md §1.5.

Anything that patches asyncio globally (nest-asyncio2) or depends on interpreter exit/fork runs in a fresh
subprocess, so no test leaves the pytest process patched.
"""

from __future__ import annotations

import _thread
import asyncio
import contextvars
import gc
import inspect
import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from wan_nb.loop import enable_nested, run_sync, spawn


async def _loop_and_thread() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    return asyncio.get_running_loop(), threading.current_thread()


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_no_running_loop_returns_value_and_reuses_one_loop() -> None:
    first_loop, thread = run_sync(_loop_and_thread())
    second_loop, _ = run_sync(_loop_and_thread())
    assert first_loop is second_loop
    assert thread.name == "wan_nb-loop"
    assert thread.daemon
    assert thread is not threading.current_thread()


async def test_inside_a_running_loop_like_a_cell() -> None:
    # This test body runs on pytest-asyncio's loop, exactly like a Jupyter cell on the kernel's loop.
    cell_loop = asyncio.get_running_loop()
    shim_loop, _ = run_sync(_loop_and_thread())
    assert shim_loop is not cell_loop
    assert asyncio.Task.__module__ == "_asyncio", "asyncio.Task must stay the C class (unpatched)"


def test_under_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop", reason="uvloop not installed (add it to the dev extra)")

    async def cell() -> str:
        loop, _ = run_sync(_loop_and_thread())
        return type(loop).__module__ + "|" + type(asyncio.get_running_loop()).__module__

    shim_module, cell_module = uvloop.run(cell()).split("|")
    assert cell_module.startswith("uvloop")
    assert shim_module.startswith("asyncio")


def test_exception_type_and_identity_preserved() -> None:
    class Boom(KeyError):
        pass

    raised = Boom("missing")

    async def fail() -> None:
        raise raised

    with pytest.raises(Boom) as info:
        run_sync(fail())
    assert info.value is raised


@pytest.mark.parametrize("exit_type", [SystemExit, KeyboardInterrupt])
def test_base_exceptions_reach_the_caller_and_the_loop_survives(exit_type: type[BaseException]) -> None:
    async def leave() -> None:
        raise exit_type(3)

    with pytest.raises(exit_type):
        run_sync(leave(), timeout=10)
    loop, thread = run_sync(_loop_and_thread(), timeout=10)
    assert thread.is_alive() and loop.is_running()


def test_a_timeout_error_from_the_coroutine_is_not_mistaken_for_the_shim_timeout() -> None:
    async def own_timeout() -> None:
        raise TimeoutError("the coroutine's own")

    with pytest.raises(TimeoutError, match="the coroutine's own"):
        run_sync(own_timeout(), timeout=30)


def _cancellable() -> tuple[Callable[[], Any], threading.Event]:
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    return slow, cancelled


def test_timeout_raises_timeout_error_and_cancels_the_coroutine() -> None:
    slow, cancelled = _cancellable()
    with pytest.raises(TimeoutError, match=r"gave up after 0\.2 s"):
        run_sync(slow(), timeout=0.2)
    assert cancelled.is_set()


def test_keyboard_interrupt_cancels_the_coroutine() -> None:
    slow, cancelled = _cancellable()
    timer = threading.Timer(0.3, _thread.interrupt_main)  # what a kernel interrupt does to the cell
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sync(slow())
    finally:
        timer.join()
    assert cancelled.is_set()


def _interrupt_at_line(n: int) -> Callable[..., Any]:
    """A tracer raising KeyboardInterrupt at the n-th line run in wan_nb/loop.py, where a signal could land."""
    seen = 0

    def local(frame: Any, event: str, _arg: Any) -> Any:
        nonlocal seen
        if event == "line":
            seen += 1
            if seen == n:
                raise KeyboardInterrupt  # an exception from a tracer surfaces in the traced frame
        return local

    def tracer(frame: Any, _event: str, _arg: Any) -> Any:
        return local if frame.f_code.co_filename.endswith("wan_nb/loop.py") else None

    return tracer


def test_an_interrupt_at_any_line_leaves_no_coroutine_running() -> None:
    # CI once delivered a kernel interrupt between scheduling and waiting: the cell stopped, the coroutine
    # slept on. Here KeyboardInterrupt is raised at each successive line the shim runs, in turn.
    run_sync(asyncio.sleep(0))  # the loop exists: lines of its start-up are not what is measured here
    states = [_interrupted_at(line) for line in range(1, 30)]
    assert "left running" not in states, states
    # Until run_sync holds the coroutine an interrupt leaves it unstarted (a warning at worst); from
    # then on, whether it had started or not, it is always closed.
    owned = states.index(inspect.CORO_CLOSED)
    assert set(states[owned:]) == {inspect.CORO_CLOSED}, states


def _interrupted_at(line: int) -> str:
    started, ended = threading.Event(), threading.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        finally:
            ended.set()

    coro = slow()
    sys.settrace(_interrupt_at_line(line))
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sync(coro)
    finally:
        sys.settrace(None)
    run_sync(asyncio.sleep(0.01))  # whatever the interrupted call queued on the loop has run by now
    if started.is_set() and not ended.is_set():
        return "left running"
    state = inspect.getcoroutinestate(coro)
    coro.close()
    return state


def test_reentrant_call_from_the_loop_thread_raises_instead_of_deadlocking() -> None:
    async def inner() -> int:
        return 1

    async def outer() -> int:
        return run_sync(inner())

    with pytest.raises(RuntimeError, match="own loop thread: use `await` there"):
        run_sync(outer(), timeout=10)


def test_twenty_caller_threads_run_concurrently_on_one_loop() -> None:
    arrived: list[int] = []
    all_here = asyncio.Event()  # created outside a loop: fine since 3.10, bound on first use

    async def meet(index: int) -> tuple[int, asyncio.AbstractEventLoop]:
        arrived.append(index)
        if len(arrived) == 20:
            all_here.set()
        await all_here.wait()  # completes only if all 20 coroutines are in flight at once
        return index, asyncio.get_running_loop()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: run_sync(meet(i), timeout=20), range(20)))
    assert [index for index, _ in results] == list(range(20))
    assert len({id(loop) for _, loop in results}) == 1


def test_contextvars_travel_with_the_coroutine_and_do_not_leak_back() -> None:
    cell: contextvars.ContextVar[str] = contextvars.ContextVar("cell", default="none")
    cell.set("cell-7")

    async def read_then_write() -> str:
        seen = cell.get()
        cell.set("changed inside")
        return seen

    assert run_sync(read_then_write()) == "cell-7"
    assert cell.get() == "cell-7"


def test_run_sync_rejects_a_non_coroutine() -> None:
    with pytest.raises(TypeError, match="needs a coroutine"):
        run_sync(asyncio.sleep)  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ["patched-before-first-use", "patched-after-first-use"])
def test_still_works_when_nest_asyncio2_was_applied(order: str) -> None:
    result = _python(f"""
        import asyncio, nest_asyncio2
        from wan_nb.loop import run_sync

        async def work(x):
            await asyncio.sleep(0.01)
            return 2 * x

        if "{order}" == "patched-after-first-use":
            assert run_sync(work(1)) == 2

        async def cell():
            nest_asyncio2.apply(asyncio.get_running_loop())
            assert asyncio.run(work(3)) == 6       # the nested run the user wanted
            return run_sync(work(21))

        print(asyncio.run(cell()), run_sync(work(5)))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["42", "10"]


def test_enable_nested_patches_the_running_loop_once() -> None:
    result = _python("""
        import asyncio, warnings
        from wan_nb.loop import enable_nested
        warnings.simplefilter("error")

        async def work():
            return 42

        async def cell():
            assert enable_nested() is True
            assert enable_nested() is True        # already patched: a no-op
            return asyncio.run(work())

        assert asyncio.Task.__module__ == "_asyncio"   # importing wan_nb patched nothing
        print(asyncio.run(cell()))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"


def test_enable_nested_declines_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop", reason="uvloop not installed (add it to the dev extra)")

    async def cell() -> bool:
        with pytest.warns(RuntimeWarning, match="uvloop.Loop cannot be patched"):
            return enable_nested()

    assert uvloop.run(cell()) is False
    assert asyncio.Task.__module__ == "_asyncio"


def test_enable_nested_declines_without_a_running_loop() -> None:
    with pytest.warns(RuntimeWarning, match="no running event loop"):
        assert enable_nested() is False


def test_exit_with_pending_work_is_clean() -> None:
    result = _python("""
        import asyncio
        from wan_nb.loop import run_sync

        async def forever():
            try:
                await asyncio.sleep(3600)
            finally:
                print("cancelled at exit")

        async def ticks():
            while True:
                yield 1
                await asyncio.sleep(3600)

        async def leave_work_behind():
            asyncio.get_running_loop().create_task(forever())
            agen = ticks()
            await agen.__anext__()              # a suspended async generator, finalised at exit
            globals()["agen"] = agen

        run_sync(leave_work_behind())
        print("done")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["done", "cancelled at exit"]
    assert "Task was destroyed" not in result.stderr
    assert result.stderr == ""


def test_a_forked_child_gets_its_own_loop() -> None:
    result = _python("""
        import asyncio, os, threading
        from wan_nb.loop import run_sync

        async def where():
            return os.getpid(), threading.get_native_id()

        parent = run_sync(where())
        pid = os.fork()
        if pid == 0:
            child = run_sync(where(), timeout=10)
            os._exit(0 if child[0] == os.getpid() and child[1] != parent[1] else 3)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), run_sync(where()) == parent)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "True"]


async def test_spawn_keeps_a_reference_until_done() -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def job() -> None:
        await release.wait()
        finished.append("ran")

    spawn(job())  # no reference kept here on purpose
    await asyncio.sleep(0)
    gc.collect()
    release.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert finished == ["ran"]


async def test_spawn_routes_exceptions_to_on_error() -> None:
    errors: list[BaseException] = []
    unretrieved = _watch_loop_exceptions()

    async def fail() -> None:
        raise ValueError("bad frame")

    task = spawn(fail(), on_error=errors.append)
    await asyncio.wait([task])
    await asyncio.sleep(0)
    del task
    gc.collect()
    assert [str(e) for e in errors] == ["bad frame"]
    assert unretrieved == []


async def test_spawn_logs_exceptions_without_on_error(caplog: pytest.LogCaptureFixture) -> None:
    unretrieved = _watch_loop_exceptions()

    async def fail() -> None:
        raise ValueError("bad frame")

    with caplog.at_level(logging.ERROR, logger="wan_nb"):
        task = spawn(fail())
        await asyncio.wait([task])
        await asyncio.sleep(0)
    del task
    gc.collect()
    [record] = caplog.records
    assert record.exc_info is not None and str(record.exc_info[1]) == "bad frame"
    assert unretrieved == []


def _watch_loop_exceptions() -> list[dict[str, Any]]:
    """Collect what the running loop would report, e.g. "Task exception was never retrieved"."""
    seen: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, context: seen.append(context))
    return seen


def test_spawn_without_a_running_loop_says_what_to_use() -> None:
    async def job() -> None:
        pass

    with pytest.raises(RuntimeError, match="use run_sync"):
        spawn(job())


class _Kernel:
    """A real ipykernel driven through jupyter_client, as JupyterLab drives it."""

    def __init__(self) -> None:
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel()
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def send(self, code: str) -> str:
        # stop_on_error=False: otherwise the kernel aborts the cells queued right after an interrupted one.
        msg_id: str = self.client.execute(code, stop_on_error=False)
        return msg_id

    def outputs(self, msg_id: str, *, until: str | None = None) -> tuple[str, str]:
        """The cell's stdout and its final status; stops early once `until` appears in stdout."""
        stdout = ""
        while True:
            msg = self.client.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            content = msg["content"]
            if msg["msg_type"] == "stream" and content["name"] == "stdout":
                stdout += content["text"]
                if until is not None and until in stdout:
                    return stdout, "running"
            elif msg["msg_type"] == "error":
                return stdout, content["ename"]
            elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
                return stdout, "ok"

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def test_real_kernel_output_lands_in_the_cell_and_interrupt_cancels() -> None:
    kernel = _Kernel()
    try:
        setup = kernel.send(
            textwrap.dedent("""
            import asyncio
            from wan_nb.loop import run_sync
            state = {"cancelled": False}

            async def hello():
                print("hello from wan_nb-loop")
                return 42

            async def slow():
                print("slow started", flush=True)
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    state["cancelled"] = True
                    raise
            """)
        )
        assert kernel.outputs(setup) == ("", "ok")

        cell = kernel.send("print(run_sync(hello()))")
        assert kernel.outputs(cell) == ("hello from wan_nb-loop\n42\n", "ok")

        long_cell = kernel.send("run_sync(slow())")
        assert kernel.outputs(long_cell, until="slow started")[1] == "running"
        kernel.manager.interrupt_kernel()
        assert kernel.outputs(long_cell)[1] == "KeyboardInterrupt"

        check = kernel.send("print(state['cancelled'])")
        assert kernel.outputs(check) == ("True\n", "ok")
    finally:
        kernel.close()

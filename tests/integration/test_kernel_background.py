"""Background tasks keep running between cells, in a real kernel of the installed ipykernel.

The panel's jobs are asyncio tasks on the kernel's loop, started by a widget's comm message (a click) and
left running after the cell ends. ipykernel issue 1510 reports ipykernel 7.x not scheduling such tasks until
the next cell runs (a consumer awaiting a queue fed by a button's comm handler). This drives exactly that
through jupyter_client: a comm target feeds a queue, and no further cell is executed. Binder pins the
ipykernel this passes with (binder/requirements.txt); scripts/oldest-deps.sh runs it on the floor (6.29).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client.manager")

CELL = """
import asyncio, pathlib, comm
queue = asyncio.Queue()
def opened(channel, message):
    channel.on_msg(lambda message: queue.put_nowait(message["content"]["data"]["n"]))
comm.get_comm_manager().register_target("wan-nb-test", opened)
async def timer():
    await asyncio.sleep(0.3)
    pathlib.Path(r"{folder}", "timer").write_text("ran")
async def consumer():
    n = await queue.get()
    pathlib.Path(r"{folder}", "comm").write_text(str(n))
jobs = [asyncio.ensure_future(timer()), asyncio.ensure_future(consumer())]
"""


@pytest.fixture
def kernel() -> Iterator[Any]:
    manager, client = jupyter_client.start_new_kernel(kernel_name="python3")
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _wait_for(path: Path, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)
    return False


def test_tasks_run_after_their_cell_without_another_cell(kernel: Any, tmp_path: Path) -> None:
    reply = kernel.execute_interactive(CELL.format(folder=tmp_path), timeout=60)
    assert reply["content"]["status"] == "ok"
    assert _wait_for(tmp_path / "timer"), "a timer task did not run once its cell ended"
    channel = uuid.uuid4().hex
    kernel.shell_channel.send(
        kernel.session.msg("comm_open", {"comm_id": channel, "target_name": "wan-nb-test", "data": {}})
    )
    kernel.shell_channel.send(kernel.session.msg("comm_msg", {"comm_id": channel, "data": {"n": 7}}))
    assert _wait_for(tmp_path / "comm"), (
        "a task fed by a comm message stalled until the next cell (ipykernel 1510)"
    )
    assert (tmp_path / "comm").read_text() == "7"

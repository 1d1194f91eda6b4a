"""End to end: AsyncWanClient against the simulator (wan_nb.sim over httpx.ASGITransport), all three dialects.

Renders are real (PyAV), so every test reuses one request and one module-wide simulator state folder: the
simulator's render cache makes every render after the first one instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from wan_nb.client import AsyncWanClient, Journal, PollSchedule
from wan_nb.client.providers import sim_transport
from wan_nb.errors import TaskFailed
from wan_nb.models import TaskStatus, VideoRequest

CAT = Path(__file__).parents[2] / "examples" / "cat.png"
PROVIDERS = ["sim", "sim-gateway", "sim-relay"]
QUICK = PollSchedule(quick=(), ratio=0.0, floor=0.2, cap=0.2)  # real time, short waits


@pytest.fixture(scope="module")
def sim_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sim_state")


def request(prompt: str = "a cat turns its head toward the window") -> VideoRequest:
    return VideoRequest(prompt=prompt, first_frame=CAT, duration=2, seed=7)


def client_for(provider: str, app: Any, **kwargs: Any) -> AsyncWanClient:
    return AsyncWanClient(provider, transport=httpx.ASGITransport(app=app), poll=QUICK, **kwargs)


def sim(state: Path, **knobs: Any) -> Any:
    from wan_nb.sim import create_app

    return create_app(state_dir=state, task_time=knobs.pop("task_time", 0.4), **knobs)


def assert_playable(path: Path) -> None:
    import av

    assert path.read_bytes()[4:8] == b"ftyp"
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 10


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_generate_writes_a_playable_file(sim_state: Path, tmp_path: Path, provider: str) -> None:
    app = sim(sim_state)
    async with client_for(provider, app) as client:
        task = await client.generate(request(), out=tmp_path)
        (entry,) = client.journal.entries() if client.journal else []
    assert task.status is TaskStatus.SUCCEEDED and task.path == tmp_path / f"{task.id}.mp4"
    assert_playable(task.path)
    assert entry.path == task.path and entry.status is TaskStatus.SUCCEEDED
    assert app.stats.duplicates() == {}


async def test_native_local_media_are_uploaded_not_inlined(sim_state: Path, tmp_path: Path) -> None:
    app = sim(sim_state)
    async with client_for("sim", app) as client:
        await client.generate(request(), out=tmp_path)
    routes = {name for name, count in app.stats.requests.items() if count}
    assert any("polic" in name for name in routes) and any("upload" in name for name in routes), routes


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_failing_task_raises_task_failed_with_the_upstream_code(
    sim_state: Path, provider: str
) -> None:
    async with client_for(provider, sim(sim_state)) as client:
        with pytest.raises(TaskFailed) as caught:
            await client.generate(request("a cat [sim:inspection]"))
    task = caught.value.task
    assert task.status is TaskStatus.FAILED and task.error is not None
    assert "DataInspectionFailed" in (task.error.code + task.error.message)


async def test_cancel_while_pending(sim_state: Path) -> None:
    async with client_for("sim", sim(sim_state, task_time=120)) as client:
        task = await client.submit(request())
        canceled = await client.cancel(task)
        assert canceled.status is TaskStatus.CANCELED
        with pytest.raises(TaskFailed, match="canceled"):
            await client.wait(task)


async def test_map_with_concurrency(sim_state: Path, tmp_path: Path) -> None:
    app = sim(sim_state)
    requests = [request(f"a cat, take {n}") for n in range(4)]
    async with client_for("sim-gateway", app) as client:
        items = [item async for item in client.map(requests, concurrency=2, out=tmp_path)]
    assert sorted(item.index for item in items) == [0, 1, 2, 3] and all(item.ok for item in items)
    assert len({item.task.path for item in items if item.task}) == 4
    assert app.stats.duplicates() == {}


async def test_map_waits_out_a_throttled_create(sim_state: Path, tmp_path: Path) -> None:
    app = sim(sim_state, max_concurrency=1, task_time=2.0)  # the second create lands while the first runs
    async with client_for("sim", app) as client:
        items = [
            item
            async for item in client.map([request(), request("another cat")], concurrency=2, out=tmp_path)
        ]
    assert all(item.ok for item in items), [item.error for item in items]
    assert app.stats.responses[429] >= 1 and sum(app.stats.creates.values()) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_resets_and_5xx_on_queries_are_retried(sim_state: Path, tmp_path: Path, provider: str) -> None:
    app = sim(sim_state, reset_rate=0.3, seed=3)  # seeded: the same queries are reset on every run
    async with client_for(provider, app) as client:
        task = await client.generate(request("a cat [sim:flaky]"), out=tmp_path)
    assert task.path is not None and app.stats.faults["reset"] >= 1 and app.stats.faults["flaky"] >= 1
    assert app.stats.duplicates() == {}


async def test_resume_after_a_dropped_client(sim_state: Path, tmp_path: Path) -> None:
    app = sim(sim_state, task_time=1.0)
    journal = Journal(tmp_path / "journal.sqlite3")
    first = client_for("sim", app, journal=journal)
    task = await first.submit(request())
    del first  # the kernel died
    async with client_for("sim", app, journal=Journal(journal.path)) as client:
        (item,) = [item async for item in client.resume(out=tmp_path / "videos")]
        assert [item async for item in client.resume(out=tmp_path / "videos")] == []
    assert item.ok and item.task is not None and item.task.id == task.id
    assert item.task.path is not None
    assert_playable(item.task.path)


async def test_the_default_sim_providers_share_one_in_process_simulator(tmp_path: Path) -> None:
    home = tmp_path / "wan_nb_home"
    assert sim_transport(home).app is sim_transport(home).app  # type: ignore[attr-defined]
    async with AsyncWanClient("sim", poll=QUICK) as native, AsyncWanClient("sim-relay", poll=QUICK) as relay:
        task = await native.submit(request())
        seen = await relay.get(task.id)
    assert seen.id == task.id and seen.status in (TaskStatus.QUEUED, TaskStatus.RUNNING)

"""Cross-cutting behaviour: limits, injected faults, fingerprints, persistence, knobs, CLI, isolation."""

from __future__ import annotations

import ast
import asyncio
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.sim import (
    ASYNC,
    AUTH,
    NATIVE_CREATE,
    FakeClock,
    client,
    loopback_server,
    native_body,
    png_bytes,
    sim,
    wait_final,
)
from wan_nb.sim import SimConfig, create_app
from wan_nb.sim.cli import build_parser, knobs_from

SIM_DIR = Path(__file__).resolve().parents[2] / "wan_nb" / "sim"


async def test_qps_limit_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    with sim(clock=clock, qps=2) as app:
        async with client(app) as http:
            answers = [await http.get("/api/v1/tasks/x", headers=AUTH) for _ in range(3)]
            gateway = await http.get("/v1/videos/x", headers=AUTH)
            clock.advance(1.5)
            later = await http.get("/api/v1/tasks/x", headers=AUTH)
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "Throttling.RateQuota"
    assert answers[2].json()["message"] == "Requests rate limit exceeded, please try again later."
    assert answers[2].headers["retry-after"] == "1"
    assert gateway.status_code == 429 and set(gateway.json()) == {"code", "message", "data"}
    assert (
        gateway.json()["message"] == "当前分组上游负载已饱和，请稍后再试"
    )  # new-api (unified_and_peers.md §2.1.9)
    assert later.status_code == 200


async def test_concurrency_limit_refuses_creates_until_a_task_finishes() -> None:
    clock = FakeClock()
    with sim(clock=clock, max_concurrency=1, task_time=10.0, inspection_rate=1.0) as app:
        async with client(app) as http:
            first = await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
            second = await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
            clock.advance(11)
            third = await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
    assert first.status_code == 200
    assert second.status_code == 429 and second.json()["code"] == "Throttling"
    assert int(second.headers["retry-after"]) == 10
    assert third.status_code == 200
    assert app.stats.creates.total() == 2


async def test_throttle_scenario_never_creates_a_task() -> None:
    with sim() as app:
        async with client(app) as http:
            answer = await http.post(
                NATIVE_CREATE, json=native_body(), headers=ASYNC | {"X-Sim-Scenario": "throttle"}
            )
            unified = {"model": "wan2.7-i2v", "prompt": "a cat", "image": "https://example.com/cat.png"}
            throttled = AUTH | {"X-Sim-Scenario": "throttle"}
            gateway = await http.post("/v1/videos", json=unified, headers=throttled)
    assert answer.status_code == 429 and "retry-after" in answer.headers
    assert answer.json()["message"] == "Requests rate limit exceeded, please try again later."
    assert gateway.status_code == 429 and gateway.json()["message"] == "当前分组上游负载已饱和，请稍后再试"
    assert app.stats.creates.total() == 0


async def test_flaky_marker_fails_the_first_two_queries_then_recovers() -> None:
    body = native_body()
    body["input"]["prompt"] = "wobbly [sim:flaky]"
    with sim(inspection_rate=1.0) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"]["task_id"]
            answers = [await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [500, 503, 200]
    assert answers[0].json()["code"] == "InternalError"
    assert answers[1].json()["code"] == "ServiceUnavailable"
    assert app.stats.faults["flaky"] == 2


async def test_reset_scenario_raises_connection_reset_on_gets() -> None:
    with sim() as app:
        async with client(app) as http:
            with pytest.raises(ConnectionResetError):
                await http.get("/v1/tasks/x", headers=AUTH | {"X-Sim-Scenario": "reset"})
            fine = await http.get("/v1/tasks/x", headers=AUTH)
    assert fine.status_code == 400


async def test_flaky_rate_is_seeded() -> None:
    async def statuses(seed: int) -> list[int]:
        with sim(flaky_rate=0.5, seed=seed) as app:
            async with client(app) as http:
                return [(await http.get("/api/v1/tasks/x", headers=AUTH)).status_code for _ in range(12)]

    first, again = await statuses(3), await statuses(3)
    assert first == again
    assert {200} < set(first)


async def test_slow_scenario_delays_the_answer() -> None:
    with sim(slow_seconds=0.01) as app:
        async with client(app) as http:
            answer = await http.get("/api/v1/tasks/x", headers=AUTH | {"X-Sim-Scenario": "slow"})
    assert answer.status_code == 200 and app.stats.faults["slow"] == 1


async def test_fingerprints_count_duplicates_and_renders_are_shared() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            ids = [
                (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                    "task_id"
                ]
                for _ in range(2)
            ]
            other = native_body(seed=5)
            await http.post(NATIVE_CREATE, json=other, headers=ASYNC)
            results = [await wait_final(http, task_id, clock) for task_id in ids]
    assert sorted(app.stats.creates.values()) == [1, 2]
    assert list(app.stats.duplicates().values()) == [2]
    assert app.stats.render_cache_hits == 1
    assert app.stats.requests["native.create"] == 3
    assert all(result["output"]["task_status"] == "SUCCEEDED" for result in results)


async def test_state_dir_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0, state_dir=tmp_path) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            first = await wait_final(http, task_id, clock)
    with sim(clock=clock, state_dir=str(tmp_path)) as reborn:
        async with client(reborn) as http:
            again = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()
            video = await http.get(again["output"]["video_url"])
    assert again["output"]["task_status"] == "SUCCEEDED"
    assert again["output"]["end_time"] == first["output"]["end_time"]
    assert again["output"]["video_url"] == first["output"]["video_url"]  # the signing key persisted too
    assert video.status_code == 200 and reborn.stats.faults.total() == 0


async def test_restart_mid_render_recomputes_the_task(tmp_path: Path) -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0, state_dir=tmp_path) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
    for path in (tmp_path / "renders").glob("*"):
        path.unlink()
    with sim(clock=clock, state_dir=tmp_path) as reborn:
        async with client(reborn) as http:
            done = await wait_final(http, task_id, clock)
    assert done["output"]["task_status"] == "SUCCEEDED"


async def test_realistic_and_time_scale_timings() -> None:
    """Realistic tasks last 45–155 s (native.md §6), compressed here a hundredfold by time_scale."""
    with sim(realistic=True, seed=1, time_scale=0.01, inspection_rate=1.0) as app:
        async with client(app) as http:
            for _ in range(20):
                await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
        totals = [record.due_at - record.submit_at for record in app.engine.tasks]
    assert len(totals) == 20 and all(0.45 <= total <= 1.55 for total in totals)
    assert max(totals) - min(totals) > 0.3


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        SimConfig(flaky_rate=2.0)
    with pytest.raises(ValueError):
        SimConfig(time_scale=0)
    with pytest.raises(ValueError):
        SimConfig(create_reset_rate=1.5)
    with pytest.raises(ValueError):
        SimConfig(create_stall_seconds=-1)
    with pytest.raises(TypeError):
        create_app(no_such_knob=1)


def test_cli_flags_mirror_the_knobs() -> None:
    arguments = build_parser().parse_args(
        [
            "--port",
            "9000",
            "--task-time",
            "0.5",
            "--realistic",
            "--qps",
            "3",
            "--state-dir",
            "/tmp/x",
            "--no-require-key",
            "--api-key",
            "sk-1",
            "--inspection-rate",
            "0.1",
            "--create-reset-rate",
            "0.2",
            "--create-stall-seconds",
            "9",
            "--body-reset-rate",
            "0.3",
        ]
    )
    knobs = knobs_from(arguments)
    assert arguments.port == 9000 and arguments.host == "127.0.0.1"
    config = SimConfig(**knobs)
    assert (config.task_time, config.realistic, config.qps, config.require_key) == (0.5, True, 3.0, False)
    assert config.state_dir == Path("/tmp/x") and config.api_key == "sk-1" and config.inspection_rate == 0.1
    assert (config.create_reset_rate, config.create_stall_seconds, config.body_reset_rate) == (0.2, 9.0, 0.3)


def test_python_m_wan_nb_sim_serves(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "wan_nb.sim",
        "--port",
        str(port),
        "--task-time",
        "0.2",
        "--state-dir",
        str(tmp_path),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        answer = None
        for _ in range(300):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/tasks/x", headers=AUTH)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer is not None and answer.json()["output"]["task_status"] == "UNKNOWN"
        with pytest.raises(httpx.TransportError):  # an injected reset really drops the connection
            httpx.get(f"http://127.0.0.1:{port}/v1/tasks/x", headers=AUTH | {"X-Sim-Scenario": "reset"})
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sim_imports_nothing_else_from_wan_nb() -> None:
    for path in SIM_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
                assert node.level == 0, f"{path.name}: relative import"
            for name in names:
                if name == "wan_nb" or name.startswith("wan_nb."):
                    assert name.startswith("wan_nb.sim"), f"{path.name} imports {name}"


def test_importing_the_sim_stays_light() -> None:
    code = "import sys, wan_nb.sim; print(sorted(m for m in ('av', 'numpy', 'PIL', 'uvicorn') if m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


async def test_queries_are_answered_while_a_render_is_in_progress() -> None:
    """The render runs off the event loop. It is held mid-way (reading its first frame from a loopback server
    that answers only when the test says so) while the task is queried: every answer must come while the
    server still holds the frame. A render on the loop would block the create itself until the hold gives
    up, and the queries would then find it finished."""
    clock = FakeClock()
    asked, release, answered = threading.Event(), threading.Event(), threading.Event()

    def frame(path: str) -> tuple[int, dict[str, str], bytes]:
        asked.set()
        release.wait(timeout=10)  # a safety net for a broken simulator, not a measurement
        answered.set()
        return 200, {"Content-Type": "image/png"}, png_bytes()

    with loopback_server(frame) as base, sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            body = native_body([{"type": "first_frame", "url": f"{base}/frame.png"}])
            task_id = (await http.post(NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"]["task_id"]
            assert await asyncio.to_thread(asked.wait, 10)
            clock.advance(60)  # past the task's time: only the render keeps it RUNNING
            states = [(await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json() for _ in range(3)]
            held = not answered.is_set()
            release.set()
            done = await wait_final(http, task_id, clock)
    assert held and [state["output"]["task_status"] for state in states] == ["RUNNING"] * 3
    assert all(state["output"].get("video_url") is None for state in states)
    assert done["output"]["task_status"] == "SUCCEEDED"

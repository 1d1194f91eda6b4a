"""Injected faults beyond task queries: video downloads (5xx, resets, bodies cut mid-way), creates whose
answer is lost although the task was created, per-task reproducibility of seeded runs, download counters."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.sim import (
    ASYNC,
    AUTH,
    BASE,
    NATIVE_CREATE,
    FakeClock,
    client,
    native_body,
    served,
    sim,
    wait_final,
)
from wan_nb.sim import SimApp


def _marked(marker: str) -> dict[str, Any]:
    body = native_body()
    body["input"]["prompt"] = f"a cat [sim:{marker}]"
    return body


async def _finished_video(http: httpx.AsyncClient, clock: FakeClock, body: dict[str, Any]) -> tuple[str, str]:
    """(task id, signed result URL) of a task run to SUCCEEDED."""
    task_id = (await http.post(NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"]["task_id"]
    done = await wait_final(http, task_id, clock)
    assert done["output"]["task_status"] == "SUCCEEDED"
    return task_id, done["output"]["video_url"]


# --- downloads ---------------------------------------------------------------------------------------------


async def test_flaky_result_url_answers_like_oss() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            _, url = await _finished_video(http, clock, native_body())
            flaky = {"X-Sim-Scenario": "flaky"}
            answers = [await http.get(url, headers=flaky) for _ in range(2)]
            fine = await http.get(url)
    assert [answer.status_code for answer in answers] == [500, 503]
    for answer in answers:
        assert answer.headers["content-type"] == "application/xml"
        assert b"<Code>InternalError</Code>" in answer.content
        assert b"<Message>" in answer.content and b"<RequestId>" in answer.content
    assert fine.status_code == 200 and fine.content[4:8] == b"ftyp"
    assert app.stats.faults["flaky"] == 2


async def test_reset_scenario_drops_result_and_content_downloads() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            task_id, url = await _finished_video(http, clock, native_body())
            reset = {"X-Sim-Scenario": "reset"}
            with pytest.raises(ConnectionResetError):
                await http.get(url, headers=reset)
            created = await http.post("/v1/videos", json=_unified(), headers=AUTH)
            video_id = created.json()["id"]
            await _until_done(http, clock, video_id)
            with pytest.raises(ConnectionResetError):
                await http.get(f"/v1/videos/{video_id}/content", headers=AUTH | reset)
            head = await http.head(url, headers=reset)  # only GETs are faulted
    assert head.status_code == 200
    assert app.stats.faults["reset"] == 2 and app.stats.downloads[task_id] == 0


async def test_prompt_marker_fails_the_first_two_downloads_too() -> None:
    """``[sim:flaky]`` arms the task's queries and, separately, its downloads; the content route answers in
    the gateway's OpenAI-style shape."""
    clock = FakeClock()
    body = _unified(prompt="a cat [sim:flaky]")
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            video_id = (await http.post("/v1/videos", json=body, headers=AUTH)).json()["id"]
            queries = [await http.get(f"/v1/videos/{video_id}", headers=AUTH) for _ in range(2)]
            await _until_done(http, clock, video_id)
            downloads = [await http.get(f"/v1/videos/{video_id}/content", headers=AUTH) for _ in range(3)]
    assert [answer.status_code for answer in queries] == [500, 503]
    assert [answer.status_code for answer in downloads] == [500, 503, 200]
    assert downloads[0].json()["error"]["type"] == "server_error"
    assert app.stats.downloads[video_id] == 1


async def test_body_reset_sends_half_then_drops_and_range_resumes_it() -> None:
    """Over a real socket: the headers and half the body arrive, then the connection drops; a Range request
    fetches the rest. The counters show one complete download and each byte served once."""
    with sim(task_time=0.2) as app, served(app) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            answer = await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
            task_id = answer.json()["output"]["task_id"]
            url = await _poll_real_time(http, task_id)
            got = bytearray()
            async with http.stream("GET", url, headers={"X-Sim-Scenario": "body_reset"}) as cut:
                assert cut.status_code == 200
                size = int(cut.headers["content-length"])
                with pytest.raises(httpx.RemoteProtocolError):
                    await _read_into(got, cut)
            rest = await http.get(url, headers={"Range": f"bytes={len(got)}-"})
    assert len(got) == size // 2
    assert rest.status_code == 206 and rest.headers["content-range"] == f"bytes {len(got)}-{size - 1}/{size}"
    video = bytes(got) + rest.content
    assert len(video) == size and video[4:8] == b"ftyp"
    assert app.stats.faults["body_reset"] == 1
    assert app.stats.downloads[task_id] == 1 and app.stats.bytes_served[task_id] == size


async def test_download_faults_are_seeded(tmp_path: Path) -> None:
    """The same GETs meet the same faults for a seed (the video is made first, by a fault-free simulator over
    the same state directory, so the number of polls it took cannot matter)."""
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0, state_dir=tmp_path) as app:
        async with client(app) as http:
            _, url = await _finished_video(http, clock, native_body())

    async def outcomes(seed: int) -> list[str]:
        knobs = {"flaky_rate": 0.3, "reset_rate": 0.2, "body_reset_rate": 0.3}
        with sim(clock=clock, state_dir=tmp_path, seed=seed, **knobs) as app:
            async with _lenient(app) as http:
                return [_outcome(await http.get(url)) for _ in range(16)]

    first, again = await outcomes(5), await outcomes(5)
    assert first == again
    assert {"200", "reset", "cut"} <= set(first) and {"500", "503"} & set(first)


async def test_downloads_count_complete_gets_and_bytes() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            task_id, url = await _finished_video(http, clock, native_body())
            whole = await http.get(url)
            await http.head(url)
            size = len(whole.content)
            await http.get(url, headers={"Range": "bytes=0-99"})  # partial: bytes, not a download
            await http.get(url, headers={"Range": "bytes=100-"})  # finishes it: one more download
    assert app.stats.downloads[task_id] == 2
    assert app.stats.bytes_served[task_id] == 2 * size


# --- creates whose answer is lost --------------------------------------------------------------------------


async def test_create_reset_marker_creates_the_task_but_loses_the_answer() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            with pytest.raises(ConnectionResetError):
                await http.post(NATIVE_CREATE, json=_marked("create_reset"), headers=ASYNC)
            listed = (await http.get("/api/v1/tasks", headers=AUTH)).json()
            [task] = listed["tasks"]
            done = await wait_final(http, task["task_id"], clock)
    assert listed["total"] == 1 and task["task_status"] == "PENDING"
    assert done["output"]["task_status"] == "SUCCEEDED" and done["usage"]["duration"] == 2  # it ran and bills
    assert app.stats.creates.total() == 1 and app.stats.faults["create_reset"] == 1
    assert app.stats.responses[200] == 1 + app.stats.requests["native.get"]  # the list, the polls; no create


async def test_create_stall_hangs_past_the_client_timeout_then_the_task_exists() -> None:
    with sim(create_stall_seconds=3600) as app:
        async with client(app) as http:
            stall = AUTH | {"X-Sim-Scenario": "create_stall"}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(http.post("/v1/videos", json=_unified(), headers=stall), 0.2)
            [record] = list(app.engine.tasks)
            queried = await http.get(f"/v1/videos/{record.task_id}", headers=AUTH)
    assert queried.status_code == 200 and queried.json()["status"] in ("QUEUED", "IN_PROGRESS")
    assert app.stats.faults["create_stall"] == 1 and app.stats.creates.total() == 1


async def test_create_stall_then_reset_over_a_socket() -> None:
    with sim(create_stall_seconds=0.3) as app, served(app) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            with pytest.raises(httpx.RemoteProtocolError):
                await http.post(NATIVE_CREATE, json=_marked("create_stall"), headers=ASYNC)
            listed = (await http.get("/api/v1/tasks", headers=AUTH)).json()
    assert listed["total"] == 1 and app.stats.faults["create_stall"] == 1


async def test_create_reset_rate_is_per_create_and_seeded() -> None:
    """Which creates lose their answer depends on the seed and the create's number, not on other requests."""

    async def lost(polls: int) -> list[bool]:
        with sim(seed=8, create_reset_rate=0.5, flaky_rate=0.5, inspection_rate=1.0) as app:
            async with client(app) as http:
                outcomes = []
                for _ in range(10):
                    for _ in range(polls):
                        await http.get("/api/v1/tasks/x", headers=AUTH)
                    try:
                        await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
                    except ConnectionResetError:
                        outcomes.append(True)
                    else:
                        outcomes.append(False)
                assert app.stats.creates.total() == 10
                return outcomes

    quiet, busy = await lost(0), await lost(3)
    assert quiet == busy and True in quiet and False in quiet


# --- reproducible seeded runs ------------------------------------------------------------------------------


async def test_same_seed_same_tasks_whatever_the_polling() -> None:
    async def tasks(polls: int) -> list[tuple[float, float, str | None]]:
        clock = FakeClock()
        knobs = {"inspection_rate": 0.3, "internal_error_rate": 0.3, "flaky_rate": 0.5, "slow_rate": 0.0}
        with sim(clock=clock, realistic=True, seed=21, **knobs) as app:
            async with client(app) as http:
                for _ in range(8):
                    answer = await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
                    for _ in range(polls):
                        await http.get(f"/api/v1/tasks/{answer.json()['output']['task_id']}", headers=AUTH)
            return [(r.queue_seconds, r.run_seconds, r.fail_code) for r in app.engine.tasks]

    quiet, busy = await tasks(0), await tasks(4)
    assert quiet == busy
    assert len({run for _, run, _ in quiet}) == 8 and len({code for *_, code in quiet}) > 1


# --- helpers -----------------------------------------------------------------------------------------------


def _unified(**changes: Any) -> dict[str, Any]:
    first = native_body()["input"]["media"][0]["url"]
    reference = {"type": "image_url", "role": "first_frame", "image_url": {"url": first}}
    body = {"model": "wan2.7-i2v", "prompt": "a cat", "size": "1280x720", "seconds": "2"}
    return body | {"input_reference": {"content": [reference]}} | changes


async def _until_done(http: httpx.AsyncClient, clock: FakeClock, video_id: str) -> None:
    for _ in range(1200):
        clock.advance(60)
        answer = await http.get(f"/v1/videos/{video_id}", headers=AUTH)
        if answer.status_code == 200 and answer.json()["status"] == "SUCCESS":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(video_id)


async def _poll_real_time(http: httpx.AsyncClient, task_id: str) -> str:
    for _ in range(1200):
        output = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()["output"]
        if output["task_status"] == "SUCCEEDED":
            return str(output["video_url"])
        await asyncio.sleep(0.05)
    raise AssertionError(task_id)


async def _read_into(buffer: bytearray, response: httpx.Response) -> None:
    async for chunk in response.aiter_raw():
        buffer += chunk


def _lenient(app: SimApp) -> httpx.AsyncClient:
    """In process, with a dropped connection kept as the partial answer it left (headers, some body)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=BASE)


def _outcome(answer: httpx.Response) -> str:
    """``reset`` (nothing but a started answer), ``cut`` (part of the body), else the status."""
    if len(answer.content) < int(answer.headers["content-length"]):
        return "cut" if answer.content else "reset"
    return str(answer.status_code)

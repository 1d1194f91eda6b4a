"""Benchmark 2 — client overhead: 100 tasks end to end against an instant simulator.

Method: the simulator (task time 0, its one render warmed up first) runs under uvicorn in a child process, so
only the client's own work lands in this process. Each client submits 100 tasks and waits for each to be
SUCCEEDED, at most ``CONCURRENCY`` at a time, in the same asyncio loop: wan_nb's ``submit`` + ``wait`` (with
its journal, as users get it, in a temporary ``WAN_NB_HOME``; and once more with ``journal=False`` to show
what durability costs) and the dashscope SDK's ``AioVideoSynthesis.async_call`` + ``wait``; a bare httpx
loop (create, then status queries, nothing else) on the same stock httpx transport (httpcore) shows the floor
under wan_nb. We record process CPU time (``time.process_time``: user + system of this process, all threads)
and wall time. Repeats alternate the order; the table gives medians. These are reported figures, not goals
(issue 11): a user of 45–155 s tasks never feels a few milliseconds of CPU per task, and no such goal is
worth a second HTTP stack (the SDK's aiohttp is leaner per request than httpcore).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench._common import KEY, MODEL, Goal, Result, median, native_media, png_data_uri, prompt
from bench._server import SimServer

TASKS = 100
CONCURRENCY = 10
REPEATS = 5

Runner = Callable[[str, int, str], Awaitable[None]]


async def _bounded(count: int, one: Callable[[int], Awaitable[None]]) -> None:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def guarded(index: int) -> None:
        async with limit:
            await one(index)

    await asyncio.gather(*(guarded(i) for i in range(count)))


async def run_wan_nb(url: str, count: int, tag: str, *, journal: bool = True) -> None:
    from wan_nb.client import AsyncWanClient
    from wan_nb.models import VideoRequest

    home = tempfile.mkdtemp(prefix="wan-bench-")
    os.environ["WAN_NB_HOME"] = home  # the journal goes to a throwaway folder
    options: dict[str, Any] = {} if journal else {"journal": False}
    async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, **options) as client:

        async def one(index: int) -> None:
            request = VideoRequest(
                prompt=prompt(index, tag), first_frame=png_data_uri(), duration=2, resolution="720P", seed=1
            )
            await client.wait(await client.submit(request), timeout=120)

        await _bounded(count, one)


async def run_wan_nb_no_journal(url: str, count: int, tag: str) -> None:
    await run_wan_nb(url, count, tag, journal=False)


async def run_dashscope_aio(url: str, count: int, tag: str) -> None:
    import dashscope
    from dashscope.aigc.video_synthesis import AioVideoSynthesis

    dashscope.base_http_api_url = f"{url}/api/v1"

    async def one(index: int) -> None:
        task = await AioVideoSynthesis.async_call(
            api_key=KEY,
            model=MODEL,
            prompt=prompt(index, tag),
            media=native_media(),
            resolution="720P",
            duration=2,
            seed=1,
        )
        assert task.status_code == 200, (task.code, task.message)
        done = await AioVideoSynthesis.wait(task, api_key=KEY)
        assert done.output.task_status == "SUCCEEDED", done.output

    try:
        await _bounded(count, one)
    finally:
        await dashscope.close_shared_aio_session()


async def run_httpx_floor(url: str, count: int, tag: str) -> None:
    """The floor for an httpx-based client: one create and status queries, no validation, no model."""
    import httpx

    headers = {"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def one(index: int) -> None:
            body = {
                "model": MODEL,
                "input": {"prompt": prompt(index, tag), "media": native_media()},
                "parameters": {"resolution": "720P", "duration": 2, "seed": 1},
            }
            created = await http.post(
                "/api/v1/services/aigc/video-generation/video-synthesis", json=body, headers=headers
            )
            task_id = created.json()["output"]["task_id"]
            while True:
                answer = await http.get(f"/api/v1/tasks/{task_id}", headers=headers)
                if answer.json()["output"]["task_status"] == "SUCCEEDED":
                    return
                await asyncio.sleep(0.05)

        await _bounded(count, one)


CLIENTS: dict[str, Runner] = {
    "wan_nb": run_wan_nb,
    "wan_nb (journal=False)": run_wan_nb_no_journal,
    "dashscope AioVideoSynthesis": run_dashscope_aio,
    "bare httpx, stock transport (the floor)": run_httpx_floor,
}


def measure(runner: Runner, url: str, tag: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for ``TASKS`` tasks, after a one-task warm-up of the same client."""
    asyncio.run(runner(url, 1, f"{tag}-warm"))
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(runner(url, TASKS, tag))
    return time.process_time() - cpu, time.perf_counter() - wall


def run() -> Result:
    os.environ.setdefault("DASHSCOPE_DISABLE_SDK_HEADERS", "1")
    saved_home = os.environ.get("WAN_NB_HOME")
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in CLIENTS}
    try:
        with SimServer(task_time=0.0, api_key=KEY, seed=2) as sim:
            asyncio.run(run_wan_nb(sim.url, 1, "render-warmup"))  # the shared render, once
            for repeat in range(REPEATS):
                names = list(CLIENTS) if repeat % 2 == 0 else list(reversed(CLIENTS))
                for name in names:
                    samples[name].append(measure(CLIENTS[name], sim.url, f"{name}-{repeat}"))
            duplicates = sim.stats()["duplicates"]
    finally:
        if saved_home is None:
            os.environ.pop("WAN_NB_HOME", None)
        else:
            os.environ["WAN_NB_HOME"] = saved_home
    return _report(samples, duplicates)


def _report(samples: dict[str, list[tuple[float, float]]], duplicates: dict[str, int]) -> Result:
    cpu = {name: median([s[0] for s in runs]) for name, runs in samples.items()}
    wall = {name: median([s[1] for s in runs]) for name, runs in samples.items()}
    sdk = "dashscope AioVideoSynthesis"
    cpu_ratio, wall_ratio = cpu["wan_nb"] / cpu[sdk], wall["wan_nb"] / wall[sdk]
    result = Result("2. Overhead (100 tasks, instant simulator)")
    result.goals = [
        Goal("Overhead: CPU time wan_nb / AioVideoSynthesis", f"{cpu_ratio:.2f}×", "(reported)", None),
        Goal("Overhead: wall time wan_nb / AioVideoSynthesis", f"{wall_ratio:.2f}×", "(reported)", None),
    ]
    lines = [
        f"{TASKS} tasks, submit + wait, {CONCURRENCY} at a time, medians of {REPEATS} runs "
        f"(duplicate creates seen by the simulator: {len(duplicates)}).",
        "",
        "| client | CPU s (100 tasks) | CPU ms / task | wall s | ms / task |",
        "|---|---|---|---|---|",
    ]
    for name in samples:
        lines.append(
            f"| {name} | {cpu[name]:.2f} | {cpu[name] * 1000 / TASKS:.1f} | {wall[name]:.2f} | "
            f"{wall[name] * 1000 / TASKS:.1f} |"
        )
    lines += ["", *_analysis(cpu)]
    result.details = lines
    result.raw = {"cpu": cpu, "wall": wall, "samples": samples}
    return result


def _analysis(cpu: dict[str, float]) -> list[str]:
    bare, sdk, floor = (
        "wan_nb (journal=False)",
        "dashscope AioVideoSynthesis",
        "bare httpx, stock transport (the floor)",
    )

    def per_task(value: float) -> str:
        return f"{value * 1000 / TASKS:.2f} ms"

    return [
        f"**Where the CPU goes.** wan_nb {per_task(cpu['wan_nb'])} per task vs the SDK's {per_task(cpu[sdk])}; "
        f"of wan_nb's, the journal {per_task(cpu['wan_nb'] - cpu[bare])} (a `sending` row before the create, "
        "the fsynced `record`, the state update, all on the writer thread), wan_nb's own work "
        f"{per_task(cpu[bare] - cpu[floor])} (validation sniffs the image, the wire translation, parsing into a "
        f"Task) and the bare httpx requests {per_task(cpu[floor])} (httpcore; the SDK's aiohttp parses in C). "
        "Reported, not a goal: against tasks that run 45–155 s, this is noise."
    ]

"""Benchmark 5 — start-up and responsiveness.

Import time: ``import wan_nb`` vs ``import httpx``, each in a fresh interpreter (``python -c`` timing only the
import statement with ``perf_counter``; the interpreter's own start is the same for both and left out), runs
interleaved, medians. Both read compiled bytecode, as after ``pip install`` (which compiles every module): the
interpreters write theirs under one temporary ``PYTHONPYCACHEPREFIX`` during an untimed first import, even where
the environment sets ``PYTHONDONTWRITEBYTECODE`` (this machine does; an editable checkout would then be compiled
from source on every run while httpx's site-packages bytecode is read, a cost no installed user pays).

Loop lag: the panel (``WanPanel``, headless: outside a kernel ipywidgets uses a dummy comm, so every widget
update still runs its Python side) tracks 50 tasks on the served simulator (a child process, so its renders do
not run in this interpreter). The 50 tasks are started the way a user would: fill the form, click Generate,
50 times. A 10 ms ticker on the same asyncio loop records how late each tick wakes; the p99 of that lateness
is the loop lag a notebook user would feel while the panel polls, updates 50 cards and saves 50 videos.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench._common import KEY, Goal, Result, median, percentile, png_data_uri
from bench._server import ROOT, SimServer

IMPORT_RUNS = 15
PANEL_TASKS = 50
PANEL_TASK_TIME = 8.0
TICK = 0.010
LAG_REPEATS = 3


def import_seconds(module: str, pycache: str, *, preloaded: str = "") -> float:
    """Seconds to import ``module`` in a fresh interpreter (after ``preloaded``, untimed, when given), reading
    (and on a first run writing) bytecode under ``pycache``."""
    first = f"import {preloaded}; " if preloaded else ""
    code = f"{first}import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def measure_imports() -> dict[str, list[float]]:
    """Fresh interpreters, and interpreters that already imported asyncio (as every Jupyter kernel has)."""
    runs: dict[str, list[float]] = {"wan_nb": [], "httpx": [], "wan_nb+asyncio": [], "httpx+asyncio": []}
    with tempfile.TemporaryDirectory(prefix="wan-bench-pycache-") as pycache:
        for module in ("wan_nb", "httpx"):
            import_seconds(module, pycache)  # untimed: writes the bytecode both then read
        for index in range(IMPORT_RUNS):
            for module in ("wan_nb", "httpx") if index % 2 == 0 else ("httpx", "wan_nb"):
                runs[module].append(import_seconds(module, pycache))
                runs[f"{module}+asyncio"].append(import_seconds(module, pycache, preloaded="asyncio"))
    return runs


async def _ticker(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + TICK
        await asyncio.sleep(TICK)
        lags.append(max(0.0, loop.time() - due))


async def _panel_run(url: str, out: str, *, journal: bool = True) -> dict[str, Any]:
    from wan_nb.client import AsyncWanClient
    from wan_nb.widgets import WanPanel

    lags: list[float] = []
    stop = asyncio.Event()
    options: dict[str, Any] = {} if journal else {"journal": False}
    async with AsyncWanClient("dashscope", api_key=KEY, base_url=url, **options) as client:
        # concurrency=PANEL_TASKS: the panel tracks all of them at once (its default gate runs 2 at a time)
        panel = WanPanel(
            client,
            prompt="",
            first_frame=png_data_uri(),
            out_dir=out,
            history=False,
            concurrency=PANEL_TASKS,
        )
        panel.form.duration.value = 2
        panel.form.random_seed.value = False  # one shared render in the simulator
        panel.form.seed.value = 1
        ticker = asyncio.create_task(_ticker(lags, stop))
        began = time.perf_counter()
        for index in range(PANEL_TASKS):
            panel.form.prompt.value = f"panel task {index}: a cat turns its head"
            panel.generate.click()
            await asyncio.sleep(0)  # a user's clicks arrive as separate messages
        await panel.wait_idle()
        elapsed = time.perf_counter() - began
        stop.set()
        await ticker
        states = [card.state for card in panel.cards]
        await panel.aclose()
    return {"lags": lags, "elapsed": elapsed, "states": states}


def measure_loop_lag(*, journal: bool = True) -> dict[str, Any]:
    saved_cwd, saved_home = os.getcwd(), os.environ.get("WAN_NB_HOME")
    folder = tempfile.mkdtemp(prefix="wan-bench-panel-")
    os.environ["WAN_NB_HOME"] = folder
    os.chdir(folder)  # the panel saves videos relative to the notebook's folder
    try:
        with SimServer(task_time=PANEL_TASK_TIME, api_key=KEY, seed=9) as sim:
            return asyncio.run(_panel_run(sim.url, "wan_outputs", journal=journal))
    finally:
        os.chdir(saved_cwd)
        if saved_home is None:
            os.environ.pop("WAN_NB_HOME", None)
        else:
            os.environ["WAN_NB_HOME"] = saved_home


def run() -> Result:
    imports = measure_imports()
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for _ in range(LAG_REPEATS):  # alternating; journal=False is a diagnostic: what the journal adds
        for journal in (True, False):
            runs[journal].append(measure_loop_lag(journal=journal))
    return _report(imports, runs[True], runs[False])


def _p99_ms(run: dict[str, Any]) -> float:
    return percentile([lag * 1000 for lag in run["lags"]], 99)


def _report(
    imports: dict[str, list[float]], panel: list[dict[str, Any]], bare: list[dict[str, Any]]
) -> Result:
    ours, base = median(imports["wan_nb"]), median(imports["httpx"])
    p99s, bare_p99s = [_p99_ms(run) for run in panel], [_p99_ms(run) for run in bare]
    p99, bare_p99 = median(p99s), median(bare_p99s)
    succeeded = [sum(state == "SUCCEEDED" for state in run["states"]) for run in panel]
    result = Result("5. Start-up and responsiveness")
    result.goals = [
        Goal(
            "Start-up: import wan_nb ÷ import httpx",
            f"{ours / base:.2f}× ({ours * 1000:.0f} vs {base * 1000:.0f} ms)",
            "≤ 1.5×",
            ours / base <= 1.5,
        ),
        Goal(
            f"Responsiveness: loop lag p99, panel tracking {PANEL_TASKS} tasks",
            f"{p99:.1f} ms (median of {LAG_REPEATS} runs)",
            "< 50 ms",
            p99 < 50,
        ),
    ]
    kernel_ours, kernel_base = median(imports["wan_nb+asyncio"]), median(imports["httpx+asyncio"])
    result.details = [
        f"Import: medians of {IMPORT_RUNS} fresh interpreters each: wan_nb {ours * 1000:.0f} ms, httpx {base * 1000:.0f} ms. "
        f"With asyncio already imported, as in every Jupyter kernel: wan_nb {kernel_ours * 1000:.0f} ms, httpx "
        f"{kernel_base * 1000:.0f} ms ({kernel_ours / kernel_base:.2f}×).",
        "",
        *_import_analysis(imports),
        f"Panel: {PANEL_TASKS} Generate clicks, tasks of {PANEL_TASK_TIME:g} s, ticks of {TICK * 1000:.0f} ms; cards "
        f"SUCCEEDED per run: {succeeded} of {PANEL_TASKS}.",
        "",
        "| client | lag p99 per run | median p99 | max lag seen |",
        "|---|---|---|---|",
        f"| as users get it (journal on) | {', '.join(f'{v:.1f}' for v in p99s)} ms | {p99:.1f} ms | "
        f"{max(max(r['lags']) for r in panel) * 1000:.0f} ms |",
        f"| diagnostic: `journal=False` | {', '.join(f'{v:.1f}' for v in bare_p99s)} ms | {bare_p99:.1f} ms | "
        f"{max(max(r['lags']) for r in bare) * 1000:.0f} ms |",
        "",
        *_analysis(p99, bare_p99),
    ]
    result.raw = {"imports": imports, "lag_p99_ms": p99s, "bare_p99_ms": bare_p99s}
    return result


def _import_analysis(imports: dict[str, list[float]]) -> list[str]:
    ours, base = median(imports["wan_nb"]), median(imports["httpx"])
    if ours / base <= 1.5:
        return []
    kernel_gap = median(imports["wan_nb+asyncio"]) - median(imports["httpx+asyncio"])
    share = 1 - kernel_gap / (ours - base)
    return [
        "**Why not met.** An async client imports asyncio, which httpx does not at import time: asyncio is "
        f"{share:.0%} of the gap (with it preloaded, as in a kernel, the ratio is "
        f"{median(imports['wan_nb+asyncio']) / median(imports['httpx+asyncio']):.2f}×); the rest is wan_nb's "
        "own modules, whose frozen dataclasses each cost a few milliseconds to build on this machine. **What "
        "would close it:** fewer dataclasses built at import (the journal's and the protocols' row types could "
        "be built on first use); a lazy package `__getattr__` would only move the cost to "
        "`from wan_nb import AsyncWanClient`, which every user runs.",
        "",
    ]


def _analysis(p99: float, bare: float) -> list[str]:
    if p99 < 50:
        return []
    if bare < 50:
        return [
            "**Why not met.** The journal is the difference (compare the `journal=False` row): its writes "
            "(an fsync per submit, a state update per change) share the two cores with the loop when 50 tasks "
            "move at once and the disk is busy. **What would close it:** fewer journal writes per task.",
        ]
    return [
        "**Why not met.** Without the journal the p99 is over 50 ms too, so the lag is not one blocking call: "
        "on 2 shared cores the loop competes with the simulator's process and other load, and each Generate "
        "click builds a card (~20 ms of widget construction) and validates its image on the loop. **What would "
        "close it:** cheaper card construction (build the widgets lazily, on first display) and validation "
        "of local media off the loop.",
    ]

"""Benchmark 6 — simulator rendering: render times (i2v, t2v, videoedit) and API latency during a render.

Reuses the simulator engineer's ``bench/sim_render.py`` (its photo-like 1920x1080 first frame, so x264 has
real work, and its latency probe); this module adds medians over repeats and the RESULTS.md rows. The render
runs in this process, on the calling thread, as the simulator's worker thread would run it.
"""

from __future__ import annotations

import os
import time

from bench._common import Goal, Result, median, percentile

REPEATS = 3
CASES = ((5, 720), (15, 1080))


def run() -> Result:
    from bench import sim_render
    from wan_nb.sim.render import RenderSpec, render
    from wan_nb.sim.renderer import RENDERERS

    image = sim_render.first_frame()
    load_before = os.getloadavg()[0]
    times: dict[tuple[int, int], list[float]] = {}
    sizes: dict[tuple[int, int], int] = {}
    for duration, short_side in CASES:
        spec = RenderSpec({"first_frame": image}, duration, short_side)
        for _ in range(REPEATS):
            began = time.perf_counter()
            sizes[(duration, short_side)] = len(render(spec, lambda url: None))
            times.setdefault((duration, short_side), []).append(time.perf_counter() - began)
    family: dict[str, list[float]] = {}
    for name, spec in sim_render.family_specs(image):
        for _ in range(REPEATS):
            began = time.perf_counter()
            RENDERERS[spec.family](spec, lambda url: None)
            family.setdefault(name, []).append(time.perf_counter() - began)
    latencies, wall = sim_render.latency_while_rendering(image)
    return _report(times, sizes, family, latencies, wall, load_before)


def _report(
    times: dict[tuple[int, int], list[float]],
    sizes: dict[tuple[int, int], int],
    family: dict[str, list[float]],
    latencies: list[float],
    wall: float,
    load: float,
) -> Result:
    short = median(times[(5, 720)])
    result = Result("6. Simulator rendering")
    result.goals = [
        Goal("Render: 5 s 720P (with audio)", f"{short:.2f} s", "< 3 s (issue 3)", short < 3.0),
        Goal("Render: 15 s 1080P (with audio)", f"{median(times[(15, 1080)]):.2f} s", "(reported)", None),
        *(
            Goal(f"Render: 5 s 720P {name}", f"{median(runs):.2f} s", "(reported, beside i2v's)", None)
            for name, runs in family.items()
        ),
    ]
    ms = [latency * 1000 for latency in latencies]
    result.details = [
        f"Medians of {REPEATS} renders each (load average before: {load:.2f} on {os.cpu_count()} cores).",
        "",
        "| clip | median | all runs | MP4 size |",
        "|---|---|---|---|",
        *(
            f"| {d} s {s}P | {median(times[(d, s)]):.2f} s | {', '.join(f'{t:.2f}' for t in times[(d, s)])} s | "
            f"{sizes[(d, s)] / 1e6:.2f} MB |"
            for d, s in CASES
        ),
        "",
        f"`GET /api/v1/tasks/{{id}}` on the served simulator while it rendered a 15 s 1080P clip ({wall:.1f} s, "
        f"{len(ms)} requests): p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
        f"max {max(ms):.1f} ms.",
    ]
    if short >= 3.0:
        result.details += [
            "",
            "**Why not met.** The render is CPU-bound on two cores: a worker thread draws the Ken Burns frames "
            "(PIL resizes of three planes) while x264 encodes the previous ones (`preset=veryfast`), so both "
            "cores are busy for the whole clip; the figure moves with the machine's speed and load (see the "
            "runs above). **What would close it:** a faster preset (`superfast`: about 7 % faster here, at "
            "twice the file size) or drawing fewer source pixels per frame; the simulator's videos need to be "
            "real and smooth, not fine.",
        ]
    result.raw = {"times": {f"{d}s{s}": v for (d, s), v in times.items()}, "latency_ms": ms}
    return result

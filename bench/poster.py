"""Benchmark 7 — posters: time per still of a finished video, against decoding the whole file.

Method: the simulator renders a 5 s 720P and a 15 s 1080P clip from the photo-like first frame of
``bench/sim_render.py``; ``wan_nb.poster`` then writes the first frame, the last frame and the frame at the
middle, and ``wan_nb.contact_sheet`` a six-tile strip, each from a cold start (the JPEG deleted before each
run, so nothing is reused). The baseline is the naive way to the last frame: decode every frame with PyAV
and keep the last one. Medians of five runs each.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench._common import Goal, Result, median

REPEATS = 5
CASES = ((5, 720), (15, 1080))
GOAL_SECONDS = 0.25  # a grid of 12 posters appears within ~3 s on 2 cores


def run() -> Result:
    import wan_nb
    from bench import sim_render
    from wan_nb.sim.render import RenderSpec, render

    image = sim_render.first_frame()
    rows: dict[tuple[int, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="wan-bench-poster-") as folder:
        for duration, short_side in CASES:
            video = Path(folder) / f"clip-{duration}s-{short_side}p.mp4"
            video.write_bytes(
                render(RenderSpec({"first_frame": image}, duration, short_side), lambda url: None)
            )
            rows[(duration, short_side)] = {
                "first": _cold(lambda v=video: wan_nb.poster(v)),
                "last": _cold(lambda v=video: wan_nb.poster(v, at="last")),
                "middle": _cold(lambda v=video, d=duration: wan_nb.poster(v, at=d / 2)),
                "sheet": _cold(lambda v=video: wan_nb.contact_sheet(v)),
                "full decode": _timed(lambda v=video: _decode_all(v)),
            }
    return _report(rows)


def _cold(make: Callable[[], Path]) -> float:
    """Median seconds of ``make()`` with its output removed before each run."""
    times = []
    for _ in range(REPEATS):
        path = make()
        path.unlink()
        began = time.perf_counter()
        make()
        times.append(time.perf_counter() - began)
    return median(times)


def _timed(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return median(times)


def _decode_all(video: Path) -> object:
    import av

    last = None
    with av.open(str(video)) as container:
        for last in container.decode(video=0):  # noqa: B007 (the loop is the decode)
            pass
    return last.to_image() if last is not None else None  # type: ignore[no-untyped-call]


def _report(rows: dict[tuple[int, int], dict[str, float]]) -> Result:
    short = rows[(5, 720)]
    worst = max(short["first"], short["last"], short["middle"])
    result = Result("7. Posters")
    result.goals = [
        Goal(
            "Poster of a 5 s 720P clip (slowest of first/last/middle)",
            f"{worst * 1000:.0f} ms",
            f"< {GOAL_SECONDS * 1000:.0f} ms",
            worst < GOAL_SECONDS,
        ),
        Goal(
            "Last-frame poster vs decoding the whole file (15 s 1080P)",
            f"{rows[(15, 1080)]['last'] / rows[(15, 1080)]['full decode']:.2f}x",
            "(reported)",
            None,
        ),
    ]
    result.details = [
        f"Medians of {REPEATS} cold runs (load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores).",
        "",
        "| clip | first | last | middle | contact sheet (6) | decode all, keep last |",
        "|---|---|---|---|---|---|",
        *(
            f"| {d} s {s}P | "
            + " | ".join(
                f"{row[key] * 1000:.0f} ms" for key in ("first", "last", "middle", "sheet", "full decode")
            )
            + " |"
            for (d, s), row in rows.items()
        ),
    ]
    result.raw = {f"{d}s{s}": row for (d, s), row in rows.items()}
    return result

"""Simulator figures: render time (5 s 720P, 15 s 1080P; t2v and videoedit 5 s 720P) and request latency while a
render runs.

    .venv/bin/python bench/sim_render.py [--repeat 3]

Renders a photo-like 1920×1080 first frame (grain, gradient and shapes, so x264 has real work) with audio, a 5 s
720P t2v scene, and a 5 s 720P videoedit of the 5 s i2v clip (decode, transform, re-encode); then serves
the simulator with uvicorn on a free loopback port, starts a 15 s 1080P render and times ``GET /api/v1/tasks/{id}``
until it finishes. Prints the load average too: on a shared 2-core box the figures move with it.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import socket
import statistics
import threading
import time

import httpx
import uvicorn
from PIL import Image, ImageDraw, ImageFilter

from wan_nb.sim import create_app
from wan_nb.sim.render import RenderSpec, render
from wan_nb.sim.renderer import RENDERERS


def first_frame() -> str:
    """Photo-like: soft-grained texture over a colour gradient with a few shapes (white noise alone would be
    a worst case no camera produces; x264's cost depends on it)."""
    grain = Image.effect_noise((1920, 1080), 60).filter(ImageFilter.GaussianBlur(1.5))
    sky = Image.merge("RGB", (Image.linear_gradient("L").resize((1920, 1080)), grain, grain.transpose(0)))
    draw = ImageDraw.Draw(sky)
    for index in range(6):
        left, top = 150 + index * 280, 300 + (index % 3) * 150
        draw.ellipse((left, top, left + 260, top + 260), fill=(40 * index, 200 - 25 * index, 120))
    buffer = io.BytesIO()
    sky.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def time_render(spec: RenderSpec, repeat: int) -> tuple[float, float, int]:
    """Best wall time, the CPU seconds of that run (all threads: on a busy shared box, CPU / 2 cores is the
    floor an idle machine would approach), and the file size."""
    runs, size = [], 0
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        size = len(RENDERERS[spec.family](spec, lambda url: None))
        runs.append((time.perf_counter() - began, time.process_time() - cpu))
    wall, cpu = min(runs)
    return wall, cpu, size


def latency_while_rendering(image: str) -> tuple[list[float], float]:
    """GET latencies (s) over loopback while one 15 s 1080P render runs, and that render's wall time."""
    app = create_app(task_time=0.1, require_key=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    body = {
        "model": "wan2.7-i2v",
        "input": {"prompt": "bench", "media": [{"type": "first_frame", "url": image}]},
        "parameters": {"resolution": "1080P", "duration": 15},
    }
    latencies: list[float] = []
    with httpx.Client(base_url=base) as http:
        created = http.post(
            "/api/v1/services/aigc/video-generation/video-synthesis",
            json=body,
            headers={"X-DashScope-Async": "enable"},
        )
        task_id = created.json()["output"]["task_id"]
        began = time.perf_counter()
        while True:
            sent = time.perf_counter()
            status = http.get(f"/api/v1/tasks/{task_id}").json()["output"]["task_status"]
            latencies.append(time.perf_counter() - sent)
            if status not in ("PENDING", "RUNNING"):
                break
            time.sleep(0.02)
    server.should_exit = True
    app.close()
    return latencies, time.perf_counter() - began


def family_specs(image: str) -> tuple[tuple[str, RenderSpec], ...]:
    """The 5 s 720P renders beside i2v's: a t2v scene from a prompt alone, and two edits of a 5 s i2v clip."""
    prompt = "a red fox trots through a snowy birch forest at dawn, the camera pans right"
    clip = (
        "data:video/mp4;base64,"
        + base64.b64encode(render(RenderSpec({"first_frame": image}), lambda url: None)).decode()
    )
    return (
        ("t2v", RenderSpec(prompt=prompt, family="t2v", ratio="16:9")),
        (
            "videoedit black and white",
            RenderSpec({"video": clip}, 0, prompt="black and white", family="videoedit"),
        ),
        ("videoedit night + snow", RenderSpec({"video": clip}, 0, prompt="night, snow", family="videoedit")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    image = first_frame()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for duration, short_side in ((5, 720), (15, 1080)):
        wall, cpu, size = time_render(RenderSpec({"first_frame": image}, duration, short_side), repeat)
        print(
            f"render {duration:>2} s {short_side}P: best of {repeat} {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"({size / 1e6:.2f} MB)"
        )
    families = family_specs(image)
    for name, spec in families:
        wall, cpu, size = time_render(spec, repeat)
        print(
            f"render  5 s 720P {name}: best of {repeat} {wall:.2f} s wall, {cpu:.2f} s CPU ({size / 1e6:.2f} MB)"
        )
    latencies, wall = latency_while_rendering(image)
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"GET /api/v1/tasks/{{id}} while a 15 s 1080P render ran ({wall:.1f} s, {len(latencies)} requests): "
        f"p50 {quantiles[49] * 1000:.1f} ms, p99 {quantiles[98] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

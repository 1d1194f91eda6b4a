"""Benchmark 4 — download: a 200 MB result over loopback, wan_nb vs curl, and wan_nb's peak RSS growth.

Method: a minimal static server in a child process behaves like a signed result URL (``GET`` with
``Content-Length`` and ``Range``, the body sent with ``sendfile`` so the server is never the bottleneck). The
simulator only serves its own renders, so a 200 MB body needs this stand-in. Each wan_nb download runs in a
fresh subprocess (``python -m bench.download child URL DEST``) that builds the client, records its resident
set size (``/proc/self/statm``), downloads through ``AsyncWanClient.download`` (a Task that SUCCEEDED with
that URL, as a real poll would return), and reports the time and ``VmHWM`` (peak RSS); the growth is the
peak minus the RSS just before the download. curl writes the same URL to a file on the same disk. Repeats
alternate; medians. wan_nb fsyncs the file before renaming it into place (a crash must never leave a torn
file at the final path); curl does not, so the same stream through wan_nb's transport (stock httpx, httpcore)
without the fsync is shown as well. Throughput is a reported figure (issue 11): over the internet the link,
not a loopback parser, sets the pace; peak RSS growth stays a goal.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench._common import Goal, Result, median
from bench._server import ROOT, free_port

SIZE = 200 * 1024 * 1024
REPEATS = 3


class _FileHandler(BaseHTTPRequestHandler):
    """Serves the one file at any path: 200, or 206 for ``Range: bytes=N-``."""

    path_on_disk = ""

    def do_GET(self) -> None:
        size = os.path.getsize(self.path_on_disk)
        start = _range_start(self.headers.get("Range"), size)
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(size - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        self.wfile.flush()
        with open(self.path_on_disk, "rb") as body:
            self.connection.sendfile(body, offset=start)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _range_start(header: str | None, size: int) -> int:
    if not header or not header.startswith("bytes=") or not header.endswith("-"):
        return 0
    start = int(header[6:-1] or 0)
    return start if 0 < start < size else 0


def serve_file(path: str, port: int) -> None:
    _FileHandler.path_on_disk = path
    ThreadingHTTPServer(("127.0.0.1", port), _FileHandler).serve_forever()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    """VmHWM: this process image's peak RSS. (Not ``ru_maxrss``: Linux carries that over from the parent
    across fork+exec, so a child of a big harness would report the harness's peak.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


async def _wan_nb_download(url: str, dest: str) -> dict[str, float]:
    from wan_nb.client import AsyncWanClient
    from wan_nb.models import Task, TaskStatus

    task = Task(id="big", status=TaskStatus.SUCCEEDED, provider="dashscope", video_url=url)
    async with AsyncWanClient(
        "dashscope", api_key="sk-bench", base_url="http://127.0.0.1:9", journal=False
    ) as client:
        before = _rss_bytes()
        began = time.perf_counter()
        path = await client.download(task, dest)
        seconds = time.perf_counter() - began
    assert path.stat().st_size == SIZE, path.stat().st_size
    peak = _peak_rss_bytes()
    return {"seconds": seconds, "rss_before": before, "rss_peak": peak}


async def _httpx_download(url: str, dest: str) -> dict[str, float]:
    import httpx

    async with httpx.AsyncClient() as http:
        began = time.perf_counter()
        async with http.stream("GET", url) as answer:
            with open(dest, "wb") as out:  # noqa: ASYNC230 - the same blocking writes wan_nb makes
                async for chunk in answer.aiter_raw():
                    out.write(chunk)
        return {"seconds": time.perf_counter() - began}


RUNNERS = {"wan_nb": _wan_nb_download, "httpx": _httpx_download}


def child(argv: list[str]) -> None:
    kind, url, dest = argv
    print(json.dumps(asyncio.run(RUNNERS[kind](url, dest))))


def _in_subprocess(kind: str, url: str, dest: str) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.download", "child", kind, url, dest]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True)
    answer: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _curl(url: str, dest: str) -> float:
    began = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-o", dest, url], check=True, timeout=300)
    return time.perf_counter() - began


def run() -> Result:
    folder = Path(tempfile.mkdtemp(prefix="wan-bench-dl-"))
    source = folder / "result.mp4"
    with open(source, "wb") as out:  # in 8 MiB pieces: the harness itself stays small
        # An MP4's opening box first: wan_nb keeps only bodies that open like a video (issue 10).
        opening = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
        out.write(opening + os.urandom(8 * 2**20 - len(opening)))
        for _ in range(SIZE // (8 * 2**20) - 1):
            out.write(os.urandom(8 * 2**20))
    port = free_port()
    code = f"from bench.download import serve_file; serve_file({str(source)!r}, {port})"
    server = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    url = f"http://127.0.0.1:{port}/results/big.mp4?Expires=1&Signature=x"
    try:
        _wait_for(url)
        samples = _measure(url, folder)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return _report(samples)


def _wait_for(url: str) -> None:
    import httpx

    for _ in range(200):
        try:
            httpx.head(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)


def _measure(url: str, folder: Path) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"wan_nb": [], "curl": [], "httpx": [], "rss": []}
    for repeat in range(REPEATS):
        targets = folder / f"r{repeat}"
        targets.mkdir()
        order = ["wan_nb", "curl", "httpx"]
        order = order if repeat % 2 == 0 else order[::-1]
        for kind in order:
            dest = str(targets / f"{kind}.mp4")
            if kind == "curl":
                samples["curl"].append(_curl(url, dest))
            else:
                answer = _in_subprocess(kind, url, dest)
                samples[kind].append(answer["seconds"])
                if kind == "wan_nb":
                    samples["rss"].append(answer["rss_peak"] - answer["rss_before"])
            os.unlink(dest)
    return samples


def _report(samples: dict[str, list[float]]) -> Result:
    mb = SIZE / 1e6
    speed = {kind: mb / median(samples[kind]) for kind in ("wan_nb", "curl", "httpx")}
    ratio = speed["wan_nb"] / speed["curl"]
    growth = median(samples["rss"]) / 2**20
    result = Result("4. Download (200 MB over loopback)")
    result.goals = [
        Goal(
            "Download: throughput wan_nb ÷ curl",
            f"{ratio:.2f}× ({speed['wan_nb']:.0f} vs {speed['curl']:.0f} MB/s)",
            "(reported)",
            None,
        ),
        Goal("Download: peak RSS growth", f"{growth:.1f} MiB", "< 30 MB", growth * 2**20 < 30e6),
    ]
    result.details = [
        f"200 MiB ({mb:.0f} MB) file, medians of {REPEATS} runs, each client in its own process.",
        "",
        "| client | median time | throughput |",
        "|---|---|---|",
        *(
            f"| {label} | {median(samples[kind]):.2f} s | {speed[kind]:.0f} MB/s |"
            for kind, label in (
                (
                    "wan_nb",
                    "wan_nb `client.download` (streams to .part, writes back as it goes, fsync, rename)",
                ),
                ("curl", "curl -o (no fsync)"),
                ("httpx", "the same stream through wan_nb's transport (stock httpx, httpcore), no fsync"),
            )
        ),
        "",
        f"wan_nb peak RSS growth during the download: {', '.join(f'{s / 2**20:.1f}' for s in samples['rss'])} MiB.",
    ]
    result.details += [
        "",
        f"Without the fsync, wan_nb's transport streams at {speed['httpx']:.0f} MB/s "
        f"({speed['httpx'] / speed['curl']:.2f}× curl); the rest of the gap is the fsync before the rename, "
        "which guarantees a crash never leaves a torn file at the final path and which curl does not do.",
    ]
    result.raw = samples
    return result


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    child(sys.argv[2:])

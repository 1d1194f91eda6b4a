"""Run by scripts/wheel-check.sh inside a fresh venv holding only `pip install wan_nb.whl` (no extras), from a
folder outside the repository, with no key: the three ways in each produce a decodable H.264 MP4.

1. ``wan_nb.generate(...)`` (the sync facade), 2. ``wan-nb generate`` (the CLI), 3. the panel, headless
(``WanPanel.submit`` then ``wait_idle``, as a Generate click would run it). Exits non-zero on any failure.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import av
from PIL import Image

PROMPT = "a cat turns its head toward the window"


def check_mp4(path: Path) -> str:
    """Decode every frame; the video stream must be H.264."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        codec = stream.codec_context.name
    assert codec == "h264", f"{path}: {codec}, not h264"
    assert frames > 0, f"{path}: no frames decoded"
    return f"{path.name}: h264, {frames} frames decoded"


def via_generate(image: Path) -> Path:
    import wan_nb

    task = wan_nb.generate(prompt=PROMPT, first_frame=str(image), duration=2, out="out_generate/")
    assert task.path is not None, task
    return task.path


def via_cli(image: Path) -> Path:
    wan_nb_cli = Path(sys.executable).with_name("wan-nb")
    command = [str(wan_nb_cli), "generate", "--image", str(image), "--prompt", PROMPT, "--duration", "2"]
    subprocess.run([*command, "--out", "out_cli"], check=True)
    (path,) = Path("out_cli").glob("*.mp4")
    return path


def via_panel(image: Path) -> Path:
    import wan_nb
    from wan_nb import VideoRequest

    async def run() -> Path:
        panel = wan_nb.panel(out_dir="out_panel", history=False)
        card = panel.submit(VideoRequest(prompt=PROMPT, first_frame=str(image), duration=2))
        await panel.wait_idle()
        task = card.task
        await panel.aclose()
        assert task is not None and task.path is not None, task
        return task.path

    return asyncio.run(run())


def main() -> int:
    assert not any(os.environ.get(name) for name in ("DASHSCOPE_API_KEY", "WAN_API_KEY", "WAN_NB_PROVIDER"))
    image = Path("cat.png")
    Image.new("RGB", (640, 480), (200, 120, 60)).save(image)
    for way in (via_generate, via_cli, via_panel):
        print(f"{way.__name__}: {check_mp4(way(image))}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

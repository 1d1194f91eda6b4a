"""The simulator shows the prompt (issue 13 item 0): camera words drive the measured camera move, the seed the
rest, a caption names prompt and seed, and prompt_extend returns a deterministic actual_prompt.

Moves are measured on the decoded frames, never read back from the simulator: translation by phase correlation
(the peak of the normalised cross-power spectrum), scale by searching the zoom that best maps a central window
of the first frame onto the last (normalised cross-correlation). The caption (top band) is left out of both.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from typing import Any

import pytest

from tests.fixtures.sim import (
    ASYNC,
    AUTH,
    NATIVE_CREATE,
    FakeClock,
    client,
    data_uri,
    native_body,
    probe,
    sim,
    wait_final,
)
from wan_nb.sim import prompt as sim_prompt
from wan_nb.sim.camera import Camera
from wan_nb.sim.render import RenderSpec, render

SIZE = (640, 360)
CAPTION_ROWS = 0.3  # the caption panel stays inside the top 30 % at 360P (3 lines of 15 px type)


def _textured_png() -> bytes:
    """Blobs of every size over grain: phase correlation and NCC need texture at several scales."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(7)
    grain = Image.fromarray(rng.integers(0, 255, (540, 960), dtype=np.uint8)).filter(
        ImageFilter.GaussianBlur(2)
    )
    image = Image.merge("RGB", (grain, grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grain))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = int(rng.integers(0, 960)), int(rng.integers(0, 540)), int(rng.integers(10, 70))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return _png_of(image)


def _png_of(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


FIRST = data_uri(_textured_png())


def _render(prompt: str | None, seed: int = 5) -> bytes:
    spec = RenderSpec({"first_frame": FIRST}, 2, 360, audio=False, seed=seed, prompt=prompt)
    return render(spec, lambda url: None)


def _grey_frames(data: bytes, *indices: int) -> list[Any]:
    import av

    wanted = set(indices)
    out: dict[int, Any] = {}
    with av.open(io.BytesIO(data), mode="r") as container:
        frames = list(container.decode(video=0))
    for index in wanted:
        out[index] = frames[index].to_ndarray(format="gray").astype("float64")
    return [out[index] for index in indices]


def shift(first: Any, later: Any) -> tuple[float, float]:
    """(dx, dy) in pixels that the scene moved from ``first`` to ``later`` (positive: right, down), below the
    caption band; phase correlation with a Hann window."""
    import numpy as np

    top = int(first.shape[0] * CAPTION_ROWS)
    a, b = first[top:], later[top:]
    window = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    fa, fb = np.fft.fft2((a - a.mean()) * window), np.fft.fft2((b - b.mean()) * window)
    cross = fb * np.conj(fa)
    surface = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    dy, dx = np.unravel_index(int(np.argmax(surface)), surface.shape)
    height, width = surface.shape
    return (float(dx - width if dx > width // 2 else dx), float(dy - height if dy > height // 2 else dy))


def scale(first: Any, later: Any) -> float:
    """How much bigger the scene looks in ``later`` than in ``first`` about the frame centre: the zoom that
    best maps a central window of ``first`` onto ``later`` (NCC over 0.7-1.45)."""
    import numpy as np
    from PIL import Image

    height, width = first.shape
    half_w, half_h = width * 0.15, height * 0.15
    centre_x, centre_y = width / 2, height / 2
    target = later[
        int(centre_y - half_h) : int(centre_y + half_h), int(centre_x - half_w) : int(centre_x + half_w)
    ]
    source = Image.fromarray(first.astype("float32"), mode="F")
    best, best_score = 1.0, -2.0
    for zoom in np.arange(0.70, 1.45, 0.01):
        box = (
            centre_x - half_w / zoom,
            centre_y - half_h / zoom,
            centre_x + half_w / zoom,
            centre_y + half_h / zoom,
        )
        patch = np.asarray(
            source.resize(target.shape[::-1], Image.Resampling.BILINEAR, box=box), dtype="float64"
        )
        score = _ncc(patch, target)
        if score > best_score:
            best, best_score = float(zoom), score
    return best


def overlap(first: Any, later: Any, dx: float, dy: float) -> float:
    """NCC of ``later`` with ``first`` moved by (dx, dy), on their overlap below the caption: near 1 only
    when the move is a pure translation (no zoom)."""
    top = int(first.shape[0] * CAPTION_ROWS) + abs(int(dy))
    x, y = int(dx), int(dy)
    height, width = first.shape
    a = first[top - y : height - max(y, 0), max(-x, 0) : width - max(x, 0)]
    b = later[top : height - max(y, 0) + y, max(x, 0) : width - max(-x, 0)]
    return _ncc(a, b)


def _ncc(a: Any, b: Any) -> float:
    import numpy as np

    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (np.sqrt((a * a).sum() * (b * b).sum()) + 1e-9))


def test_the_measures_see_a_known_move() -> None:
    """The measuring tools themselves, on a frame moved by hand: no sign or scale convention is assumed."""
    import numpy as np
    from PIL import Image

    (frame,) = _grey_frames(_render(None), 0)
    moved = np.roll(frame, (7, -23), axis=(0, 1))
    assert shift(frame, moved) == (-23.0, 7.0)
    image = Image.fromarray(frame.astype("float32"), mode="F")
    width, height = image.size
    box = (width * 0.1, height * 0.1, width * 0.9, height * 0.9)  # the centre, blown up by 1.25
    zoomed = np.asarray(image.resize(image.size, Image.Resampling.BILINEAR, box=box), dtype="float64")
    assert abs(scale(frame, zoomed) - 1.25) <= 0.02


MOVES = [
    ("the camera slowly zooms in on the harbour", "push_in"),
    ("pull back to reveal the harbour", "pull_out"),
    ("pan left across the harbour", "pan_left"),
    ("the camera pans right over the boats", "pan_right"),
    ("tilt up towards the sky", "tilt_up"),
    ("tilt down to the water", "tilt_down"),
    ("orbit around the lighthouse", "orbit"),
    ("static camera, waves roll in", "static"),
    ("镜头缓缓推近灯塔", "push_in"),
    ("镜头左摇，海港全景", "pan_left"),
    ("上摇到天空", "tilt_up"),
]


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {text: _render(text) for text, _ in MOVES}


@pytest.mark.parametrize(("text", "move"), MOVES)
def test_camera_words_give_the_measured_move(rendered: dict[str, bytes], text: str, move: str) -> None:
    first, middle, last = _grey_frames(rendered[text], 0, 24, 47)
    dx, dy = shift(first, last)
    if move in ("push_in", "pull_out"):
        zoom = scale(first, last)
        assert zoom >= 1.1 if move == "push_in" else zoom <= 1 / 1.1, zoom
    elif move in ("pan_left", "pan_right"):
        # Panning left turns the view left: the scene slides right on screen. A pure slide: no zoom.
        assert abs(dy) <= 2 and overlap(first, last, dx, dy) >= 0.9, (dx, dy)
        assert (dx >= 40) if move == "pan_left" else (dx <= -40), dx
    elif move in ("tilt_up", "tilt_down"):
        assert abs(dx) <= 2 and overlap(first, last, dx, dy) >= 0.9, (dx, dy)
        assert (dy >= 20) if move == "tilt_up" else (dy <= -20), dy
    elif move == "orbit":
        # Round and back: the ends meet, half-way round the view is far from them.
        assert (dx, dy) == (0.0, 0.0) and overlap(first, last, 0, 0) >= 0.95, (dx, dy)
        assert abs(shift(first, middle)[1]) >= 10, shift(first, middle)
    else:  # static: nothing moves, only the light may change
        assert (dx, dy) == (0.0, 0.0) and scale(first, last) == pytest.approx(1.0, abs=0.011)
        assert _ncc(first, last) >= 0.99


def test_camera_words_in_english_and_chinese() -> None:
    cases = {
        "a slow push in on her face": "push_in",
        "Zoom out to the skyline": "pull_out",
        "the camera pans to the left": "pan_left",
        "trucks right along the wall": "pan_right",
        "tilts upward": "tilt_up",
        "arc shot around the car": "orbit",
        "locked-off shot of a street": "static",
        "镜头拉近": "push_in",
        "镜头拉远": "pull_out",
        "向右摇": "pan_right",
        "下摇": "tilt_down",
        "环绕拍摄": "orbit",
        "固定机位": "static",
        "a cat on a sofa": None,
        "镜头推近后拉远": "push_in",  # the first one named wins
    }
    assert {text: sim_prompt.camera_move(text) for text in cases} == cases


def test_the_seed_varies_speed_easing_and_light() -> None:
    plans = [Camera.plan("the camera zooms in", seed) for seed in range(40)]
    assert {plan.move for plan in plans} == {"push_in"}
    assert max(plan.zoom for plan in plans) - min(plan.zoom for plan in plans) >= 0.1
    assert len({plan.easing for plan in plans}) >= 3
    assert len({round(plan.gain[1], 3) for plan in plans}) >= 30


def test_different_prompts_same_seed_differ_and_the_caption_says_which() -> None:
    import numpy as np
    from PIL import Image

    assert _render("a cat sleeps on a sofa") != _render("a dog runs on the beach")
    # On a flat grey first frame anything far from grey in the top band is the caption.
    grey = data_uri(_png_of(Image.new("RGB", SIZE, (128, 128, 128))))
    spec = RenderSpec({"first_frame": grey}, 2, 360, audio=False, seed=5)
    cat, dog, plain = (
        _grey_frames(render(replace(spec, prompt=text), lambda url: None), 0)[0]
        for text in ("a cat sleeps on a sofa", "a dog runs on the beach", None)
    )
    band = slice(0, int(SIZE[1] * CAPTION_ROWS))
    for frame in (cat, dog):  # white type on a dark panel: high contrast, legible
        assert (frame[band] >= 200).sum() >= 500 and (frame[band] <= 70).sum() >= 5000
    assert (np.abs(cat[band] - dog[band]) >= 60).sum() >= 300  # different words, different type
    assert (plain[band] >= 200).sum() == (plain[band] <= 70).sum() == 0  # no prompt shown: no caption


def _extend_body(prompt: str, **parameters: Any) -> dict[str, Any]:
    body = native_body(duration=2, resolution="720P", seed=9, **parameters)
    body["input"]["prompt"] = prompt
    return body


async def test_prompt_extend_returns_a_deterministic_actual_prompt() -> None:
    clock = FakeClock()
    with sim(task_time=1.0, clock=clock) as app:
        async with client(app) as http:
            outputs = []
            for parameters in ({}, {"prompt_extend": True}, {"prompt_extend": False}):
                created = await http.post(
                    NATIVE_CREATE, json=_extend_body("a cat, pan left", **parameters), headers=ASYNC
                )
                body = await wait_final(http, created.json()["output"]["task_id"], clock)
                outputs.append(body["output"])
            listed = (await http.get("/api/v1/tasks", headers=AUTH)).json()["tasks"]
    default, explicit, off = outputs
    assert default["task_status"] == "SUCCEEDED" and default["orig_prompt"] == "a cat, pan left"
    assert default["actual_prompt"] == explicit["actual_prompt"] == sim_prompt.extend("a cat, pan left")
    assert default["actual_prompt"].startswith("A cat, pan left, ")
    assert "pans smoothly to the left" in default["actual_prompt"]
    assert "actual_prompt" not in off and off["orig_prompt"] == "a cat, pan left"
    assert sum("actual_prompt" in task for task in listed) == 2
    assert app.stats.render_cache_hits == 2  # prompt_extend rewrites the text, not the render


def test_the_chinese_rewrite_keeps_the_words_and_adds_detail() -> None:
    rewritten = sim_prompt.extend("一只猫在草地上奔跑")
    assert rewritten.startswith("一只猫在草地上奔跑，") and rewritten.endswith("。")
    assert rewritten == sim_prompt.extend("一只猫在草地上奔跑")
    assert sim_prompt.extend("a cat") != sim_prompt.extend("a dog")


async def test_gateway_metadata_carries_both_prompts() -> None:
    clock = FakeClock()
    with sim(task_time=1.0, clock=clock) as app:
        async with client(app) as http:
            created = await http.post(
                "/v1/videos",
                json={
                    "model": "wan2.7-i2v",
                    "prompt": "zoom in on the cat",
                    "seconds": "2",
                    "size": "720P",
                    "input_reference": {"content": [{"type": "image_url", "image_url": {"url": FIRST}}]},
                },
                headers=AUTH,
            )
            assert created.status_code == 200, created.text
            video_id = created.json()["id"]
            for _ in range(2400):  # up to 2 minutes of real time for the render on a busy machine
                clock.advance(60)
                video = (await http.get(f"/v1/videos/{video_id}", headers=AUTH)).json()
                if video["status"] not in ("QUEUED", "IN_PROGRESS"):
                    break
                await asyncio.sleep(0.05)
    assert video["status"] == "SUCCESS", video
    assert video["metadata"]["orig_prompt"] == "zoom in on the cat"
    assert video["metadata"]["actual_prompt"] == sim_prompt.extend("zoom in on the cat")
    assert (
        video["metadata"]["usage"]["output_video_duration"] == 2 and video["metadata"]["usage"]["SR"] == 720
    )


async def test_show_prompt_off_shares_renders_and_audio_off_drops_the_track() -> None:
    clock = FakeClock()
    with sim(task_time=1.0, clock=clock, show_prompt=False, audio=False) as app:
        async with client(app) as http:
            ids = []
            for text in ("soak 1: a cat", "soak 2: a cat"):
                created = await http.post(NATIVE_CREATE, json=_extend_body(text), headers=ASYNC)
                ids.append(created.json()["output"]["task_id"])
            final = [await wait_final(http, task_id, clock) for task_id in ids]
            video = (await http.get(final[0]["output"]["video_url"])).content
    assert app.stats.render_cache_hits == 1
    assert probe(video)["audio"] is None
    # Billing stays in the service's units: seconds and the short side.
    assert final[0]["usage"]["duration"] == final[0]["usage"]["output_video_duration"] == 2
    assert final[0]["usage"]["SR"] == 720

"""The rendered MP4s: what a browser and a decoder see (notebook_tech.md §5)."""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest

from tests.fixtures.sim import (
    ASYNC,
    NATIVE_CREATE,
    FakeClock,
    client,
    closed_port,
    data_uri,
    loopback_server,
    native_body,
    png_bytes,
    probe,
    sim,
    wait_final,
    wav_bytes,
)
from wan_nb.sim import media
from wan_nb.sim.render import RenderSpec, output_size, render


def _offline(url: str) -> bytes | None:
    return None


def _frames(data: bytes) -> list[Any]:
    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def _audio_seconds(data: bytes) -> float:
    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base)


FIRST = data_uri(png_bytes(800, 450, "teal"))


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clip() -> bytes:
    return render(RenderSpec({"first_frame": FIRST}, duration=2, seed=4), _offline)


def test_h264_yuv420p_aac_faststart_of_the_requested_length(clip: bytes) -> None:
    info = probe(clip)
    assert (info["video"], info["pix_fmt"], info["audio"], info["faststart"]) == (
        "h264",
        "yuv420p",
        "aac",
        True,
    )
    assert info["size"] == (1280, 720)
    assert abs(info["duration"] - 2) <= 0.1
    assert abs(_audio_seconds(clip) - 2) <= 0.1


def test_keyframes_at_most_two_seconds_apart(clip: bytes) -> None:
    import av

    with av.open(io.BytesIO(clip), mode="r") as container:
        stream = container.streams.video[0]
        keys = [
            float(packet.pts * stream.time_base) for packet in container.demux(stream) if packet.is_keyframe
        ]
    assert keys[0] == 0 and all(later - earlier <= 2.0 for earlier, later in itertools.pairwise(keys))


def test_same_seed_same_video(clip: bytes) -> None:
    assert render(RenderSpec({"first_frame": FIRST}, duration=2, seed=4), _offline) == clip


def test_the_camera_moves(clip: bytes) -> None:
    frames = _frames(clip)
    assert abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1.0


@pytest.mark.parametrize(
    ("size", "short", "expected"),
    [
        ((1920, 1080), 720, (1280, 720)),
        ((1080, 1920), 1080, (1080, 1920)),
        ((1001, 999), 720, (722, 720)),
        ((8000, 1000), 720, (1680, 720)),
    ],
)
def test_output_size_keeps_the_aspect_with_even_sides(size, short, expected) -> None:  # type: ignore[no-untyped-def]
    assert output_size(*size, short) == expected


def test_driving_audio_is_trimmed_or_padded_and_audio_off_is_silent() -> None:
    voice = data_uri(wav_bytes(2.0), "audio/wav")
    padded = render(RenderSpec({"first_frame": FIRST, "driving_audio": voice}, duration=3), _offline)
    silent = render(RenderSpec({"first_frame": FIRST}, duration=1, audio=False), _offline)
    assert abs(_audio_seconds(padded) - 3) <= 0.1 and abs(probe(padded)["duration"] - 3) <= 0.1
    assert probe(silent)["audio"] is None


def test_last_frame_ends_the_clip_and_watermark_marks_the_corner() -> None:
    """One-second clips: these properties do not depend on the length."""
    last = data_uri(png_bytes(800, 450, "crimson"))
    plain = render(RenderSpec({"first_frame": FIRST, "last_frame": last}, duration=1, seed=1), _offline)
    marked = render(
        RenderSpec({"first_frame": FIRST, "last_frame": last}, duration=1, seed=1, watermark=True), _offline
    )
    final = _frames(plain)[-1]
    assert abs(final.reshape(-1, 3).mean(axis=0) - (220, 20, 60)).max() < 40  # crimson, not teal
    corner = (slice(-60, None), slice(-200, None))
    assert abs(_frames(marked)[-1][corner].astype(int) - final[corner].astype(int)).mean() > 5


def test_first_clip_continues_from_its_last_frame(clip: bytes) -> None:
    follow = render(RenderSpec({"first_clip": data_uri(clip, "video/mp4")}, duration=1, seed=9), _offline)
    assert abs(_frames(clip)[-1].astype(int).mean() - _frames(follow)[0].astype(int).mean()) < 15


def _sharp_edges(frame: Any) -> int:
    """Horizontal neighbours over 40 grey levels apart: none in a vertical gradient, thousands in text."""
    import numpy as np

    grey = frame.astype(int).mean(axis=2)
    return int((np.abs(np.diff(grey, axis=1)) > 40).sum())


def test_public_urls_render_a_placeholder_card_without_network() -> None:
    from PIL import Image

    spec = RenderSpec({"first_frame": "https://example.com/cat.png"}, duration=1)
    card = render(spec, _offline)
    gradient = Image.linear_gradient("L").resize((1280, 720)).convert("RGB")
    plain = render(RenderSpec({"first_frame": data_uri(_png(gradient))}, duration=1), _offline)
    assert probe(card)["size"] == (1280, 720)
    assert _sharp_edges(_frames(plain)[0]) == 0  # a bare gradient, through the same encoder...
    assert _sharp_edges(_frames(card)[0]) > 1000  # ...and the card, whose lines of text say what it is
    assert media.fetch("https://example.com/cat.png", _offline) is None
    assert media.is_loopback("http://127.0.0.5:9/x") and media.is_loopback("http://sim.localhost/x")
    assert not media.is_loopback("http://localhost.example.com/x")


async def test_unusable_image_fails_the_task_like_upstream() -> None:
    clock = FakeClock()
    body = native_body([{"type": "first_frame", "url": data_uri(png_bytes(100, 100))}])
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"]["task_id"]
            done = await wait_final(http, task_id, clock)
    assert done["output"]["task_status"] == "FAILED"
    assert done["output"]["code"] == "InvalidParameter"
    assert "out of range" in done["output"]["message"]


@pytest.mark.slow
def test_fifteen_seconds_of_1080p() -> None:
    data = render(RenderSpec({"first_frame": FIRST}, duration=15, short_side=1080), _offline)
    info = probe(data)
    assert info["size"] == (1920, 1080) and abs(info["duration"] - 15) <= 0.1


def test_loopback_urls_are_fetched_for_real_without_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    picture = png_bytes(360, 640, "gold")
    dead_proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, dead_proxy)  # honoured, it would refuse every fetch
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/moved":
            return 302, {"Location": "/frame.png"}, b""
        if path == "/away":
            return 302, {"Location": "http://example.com/frame.png"}, b""
        return 200, {"Content-Type": "image/png"}, picture

    with loopback_server(answer) as base:
        assert media.fetch(f"{base}/frame.png", _offline) == picture
        assert media.fetch(f"{base}/moved", _offline) == picture  # a redirect that stays on loopback
        with pytest.raises(
            media.FetchError, match=r"redirected off loopback to http://example\.com/frame\.png"
        ):
            media.fetch(f"{base}/away", _offline)


async def test_unreachable_loopback_url_fails_the_task_naming_url_and_field() -> None:
    clock = FakeClock()
    url = f"http://127.0.0.1:{closed_port()}/frame.png"
    body = native_body([{"type": "first_frame", "url": url}])
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"]["task_id"]
            done = await wait_final(http, task_id, clock)
    output = done["output"]
    assert (output["task_status"], output["code"]) == ("FAILED", "InvalidParameter")
    assert output["message"].startswith(f"The first_frame at {url} could not be fetched (")
    assert output["message"].endswith(": input.media.0.url")


async def test_first_clip_may_be_an_earlier_result_url() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            first = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            url = (await wait_final(http, first, clock))["output"]["video_url"]
            body = native_body([{"type": "first_clip", "url": url}])
            second = (await http.post(NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"]["task_id"]
            done = await wait_final(http, second, clock)
    assert done["output"]["task_status"] == "SUCCEEDED"
    assert done["usage"]["output_video_duration"] == 2


def test_frames_drawn_ahead_keep_their_order_errors_and_stop_with_the_encoder() -> None:
    import threading

    from wan_nb.sim.render import drawn_ahead

    assert list(drawn_ahead(iter(range(50)), depth=3)) == list(range(50))

    def failing() -> Any:
        yield 1
        raise ValueError("a broken frame")

    with pytest.raises(ValueError, match="a broken frame"):
        list(drawn_ahead(failing()))

    drawn: list[int] = []

    def endless() -> Any:
        for index in range(10**9):
            drawn.append(index)
            yield index

    ahead = drawn_ahead(endless(), depth=4)
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()  # the encoder failed: the worker must stop, not draw on forever
    assert not any(t.name == "wan_nb-sim-frames" and t.is_alive() for t in threading.enumerate())
    assert len(drawn) <= 3 + 4 + 1  # what was taken, what the queue held, the one it was offering

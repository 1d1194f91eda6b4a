"""Upstream's media limits in the simulator (native.md §1.2 media table, §1.3 ``audio_url``; wan_nb/sim/limits.py).

Every case goes over the ASGI app for real: the create is accepted (200, PENDING) and the task ends FAILED with
``InvalidParameter`` naming the field and the limit, like upstream's runtime failures (native.md §3.1). Media at
the limits succeed, and a first_clip's seconds are billed with the output's (native.md §3.1 usage).
"""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.fixtures.sim import (
    ASYNC,
    NATIVE_CREATE,
    FakeClock,
    client,
    data_uri,
    form_upload,
    get_policy,
    loopback_server,
    native_body,
    sim,
    wait_final,
    wav_bytes,
)

MIB = 1024 * 1024


def picture(width: int, height: int, fmt: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, fmt)
    return buffer.getvalue()


def movie(seconds: float, width: int = 320, height: int = 240, fmt: str = "mp4", fps: int = 4) -> bytes:
    """A small H.264 clip of exactly ``seconds`` (frames at ``fps``, pts = frame index)."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for index in range(round(seconds * fps)):
            pixels = np.full((height, width, 3), (index * 20) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def sound(seconds: float, fmt: str, codec: str) -> bytes:
    """Encoded audio (``mp3``/libmp3lame, ``ipod``/aac = .m4a) of ``seconds``, mono 44.1 kHz."""
    import av
    import numpy as np

    rate, buffer = 44100, io.BytesIO()
    samples = (0.2 * np.sin(np.arange(round(seconds * rate)) * 0.05)).astype(np.float32)
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        size = stream.codec_context.frame_size or 1152
        for offset in range(0, len(samples), size):
            frame = av.AudioFrame.from_ndarray(
                samples[None, offset : offset + size], format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = rate, offset
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def loud_wav(seconds: float) -> bytes:
    """A WAV over 15 MB within 2–30 s: 96 kHz, stereo, 32-bit silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(4)
        out.setframerate(96000)
        out.writeframes(bytes(int(96000 * seconds) * 8))
    return buffer.getvalue()


def padded(clip: bytes, total: int) -> bytes:
    """``clip`` followed by an ISO-BMFF ``free`` box up to ``total`` bytes: still a valid, playable mp4."""
    size = total - len(clip)
    return clip + struct.pack(">I", size) + b"free" + bytes(size - 8)


@contextmanager
def served(data: bytes) -> Iterator[str]:
    """A loopback URL for ``data`` (the simulator fetches 127.0.0.0/8 for real)."""
    with loopback_server(lambda path: (200, {}, data)) as url:
        yield f"{url}/medium"


async def run(body: dict[str, Any]) -> dict[str, Any]:
    """Create (must be accepted: 200 PENDING), then poll to the final state."""
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            created = await http.post(NATIVE_CREATE, json=body, headers=ASYNC)
            assert created.status_code == 200, created.text
            assert created.json()["output"]["task_status"] == "PENDING"
            return await wait_final(http, created.json()["output"]["task_id"], clock)


def assert_failed(done: dict[str, Any], *fragments: str) -> None:
    output = done["output"]
    assert output["task_status"] == "FAILED", output
    assert output["code"] == "InvalidParameter"
    assert all(fragment in output["message"] for fragment in fragments), output["message"]
    assert done["request_id"] and "usage" not in done


def frame(url: str, kind: str = "first_frame") -> dict[str, str]:
    return {"type": kind, "url": url}


OK_FRAME = frame(data_uri(picture(640, 360)))
# Media are built lazily (a factory per case): collecting the suite stays cheap.
IMAGE_CASES: dict[str, tuple[Callable[[], list[dict[str, str]]], list[str]]] = {
    "short-side": (
        lambda: [frame(data_uri(picture(239, 400)))],
        ["size 239x400 is out of range", "240 and 8000"],
    ),
    "long-side": (lambda: [frame(data_uri(picture(8001, 1001)))], ["size 8001x1001 is out of range"]),
    "aspect": (
        lambda: [frame(data_uri(picture(2000, 240)))],
        ["aspect ratio 2000x240 is out of range", "1:8 and 8:1"],
    ),
    "gif": (lambda: [frame(data_uri(picture(640, 360, "GIF")))], ["format GIF", "JPEG, PNG, BMP, WEBP"]),
    "tiff": (lambda: [frame(data_uri(picture(640, 360, "TIFF")))], ["format TIFF", "JPEG, PNG, BMP, WEBP"]),
    "last-frame": (
        lambda: [OK_FRAME, frame(data_uri(picture(100, 100)), "last_frame")],
        ["The last_frame image size 100x100", "240 and 8000 px"],
    ),
}


@pytest.mark.parametrize("case", IMAGE_CASES, ids=list(IMAGE_CASES))
async def test_image_out_of_limits_fails_the_task(case: str) -> None:
    make, fragments = IMAGE_CASES[case]
    media = make()
    done = await run(native_body(media))
    assert_failed(done, *fragments)
    assert done["output"]["message"].endswith(f": input.media.{len(media) - 1}.url")


async def test_image_over_20_mb_uploaded_to_oss_fails_the_task() -> None:
    big = picture(2700, 2700, "BMP")  # uncompressed: 20.9 MiB, sides and aspect fine
    assert len(big) > 20 * MIB
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            policy = await get_policy(http)
            assert (await form_upload(http, policy, "big.bmp", big)).status_code == 200
            body = native_body([frame(f"oss://{policy['upload_dir']}/big.bmp")])
            headers = ASYNC | {"X-DashScope-OssResourceResolve": "enable"}
            created = await http.post(NATIVE_CREATE, json=body, headers=headers)
            assert created.status_code == 200, created.text
            done = await wait_final(http, created.json()["output"]["task_id"], clock)
    assert_failed(done, "file size 20.9 MB is out of range", "at most 20 MB", ": input.media.0.url")


@pytest.mark.parametrize(
    ("fmt", "width", "height"), [("JPEG", 8000, 1000), ("BMP", 240, 1920), ("WEBP", 240, 240)]
)
async def test_images_at_the_limits_are_rendered(fmt: str, width: int, height: int) -> None:
    last = frame(data_uri(picture(1000, 8000, "PNG")), "last_frame")
    done = await run(native_body([frame(data_uri(picture(width, height, fmt))), last]))
    assert done["output"]["task_status"] == "SUCCEEDED", done["output"]


def with_audio(audio_url: str, model: str = "wan2.7-i2v") -> dict[str, Any]:
    if model.startswith("wan2.7"):
        return native_body([OK_FRAME, frame(audio_url, "driving_audio")])
    legacy = {"prompt": "a cat", "img_url": OK_FRAME["url"], "audio_url": audio_url}
    return {"model": model, "input": legacy, "parameters": {"resolution": "720P", "duration": 2}}


AUDIO_CASES: dict[str, tuple[Callable[[], bytes], str, list[str]]] = {
    "short": (lambda: wav_bytes(1.5), "wan2.7-i2v", ["duration 1.50 s", "between 2 and 30 s"]),
    "long": (lambda: wav_bytes(31, 8000), "wan2.7-i2v", ["duration 31.00 s", "between 2 and 30 s"]),
    "legacy-short": (lambda: wav_bytes(2.5), "wan2.6-i2v", ["duration 2.50 s", "between 3 and 30 s"]),
    "m4a": (lambda: sound(3, "ipod", "aac"), "wan2.7-i2v", ["format mov is not supported", "wav, mp3"]),
    "image": (lambda: picture(640, 360), "wan2.7-i2v", ["format unrecognised", "wav, mp3"]),
}


@pytest.mark.parametrize("case", AUDIO_CASES, ids=list(AUDIO_CASES))
async def test_driving_audio_out_of_limits_fails_the_task(case: str) -> None:
    make, model, fragments = AUDIO_CASES[case]
    done = await run(with_audio(data_uri(make(), "audio/wav"), model))
    field = "input.media.1.url" if model.startswith("wan2.7") else "input.audio_url"
    assert_failed(done, "The driving_audio audio", *fragments, f": {field}")


async def test_driving_audio_over_15_mb_from_a_loopback_url_fails_the_task() -> None:
    big = loud_wav(24)  # 17.6 MiB, 24 s: only the size is wrong
    with served(big) as url:
        done = await run(with_audio(url))
    assert_failed(done, "file size 17.6 MB is out of range", "at most 15 MB", ": input.media.1.url")


@pytest.mark.parametrize(
    ("seconds", "rate", "model"),
    [(2.0, 16000, "wan2.7-i2v"), (30.0, 8000, "wan2.7-i2v"), (3.0, 16000, "wan2.6-i2v")],
)
async def test_driving_audio_at_the_limits_is_accepted(seconds: float, rate: int, model: str) -> None:
    done = await run(with_audio(data_uri(wav_bytes(seconds, rate), "audio/wav"), model))
    assert done["output"]["task_status"] == "SUCCEEDED", done["output"]


async def test_longer_mp3_is_truncated_to_the_duration_not_refused() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            body = with_audio(data_uri(sound(20, "mp3", "libmp3lame"), "audio/mpeg"))
            created = await http.post(NATIVE_CREATE, json=body, headers=ASYNC)
            done = await wait_final(http, created.json()["output"]["task_id"], clock)
            assert done["output"]["task_status"] == "SUCCEEDED", done["output"]
            video = (await http.get(done["output"]["video_url"])).content
    assert abs(_audio_seconds(video) - 2) < 0.1  # 20 s of mp3 cut to the 2 s asked for


def _audio_seconds(data: bytes) -> float:
    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base)


CLIP_CASES: dict[str, tuple[Callable[[], bytes], list[str]]] = {
    "short": (lambda: movie(1.5), ["duration 1.50 s is out of range", "between 2 and 10 s"]),
    "long": (lambda: movie(10.5), ["duration 10.50 s is out of range", "between 2 and 10 s"]),
    "narrow": (lambda: movie(3, 200, 320), ["size 200x320 is out of range", "240 and 4096 px"]),
    "wide": (lambda: movie(3, 4098, 514), ["size 4098x514 is out of range", "240 and 4096 px"]),
    "aspect": (lambda: movie(3, 2000, 240), ["aspect ratio 2000x240 is out of range", "1:8 and 8:1"]),
    "mkv": (lambda: movie(3, fmt="matroska"), ["format matroska is not supported", "mp4, mov"]),
    "audio-only": (lambda: wav_bytes(3.0), ["format unrecognised", "mp4, mov"]),
}


@pytest.mark.parametrize("case", CLIP_CASES, ids=list(CLIP_CASES))
async def test_first_clip_out_of_limits_fails_the_task(case: str) -> None:
    make, fragments = CLIP_CASES[case]
    done = await run(native_body([frame(data_uri(make(), "video/mp4"), "first_clip")]))
    assert_failed(done, "The first_clip video", *fragments, ": input.media.0.url")


async def test_first_clip_over_100_mb_from_a_loopback_url_fails_the_task() -> None:
    with served(padded(movie(3), 100 * MIB + 1)) as url:
        done = await run(native_body([frame(url, "first_clip")]))
    assert_failed(done, "file size 100.0 MB is out of range", "at most 100 MB", ": input.media.0.url")


@pytest.mark.parametrize(
    ("seconds", "width", "height", "fmt"),
    [(10, 4096, 512, "mp4"), (3, 240, 1920, "mov"), (2, 320, 240, "mp4")],
)
async def test_first_clip_within_limits_is_billed_with_the_output(
    seconds: int, width: int, height: int, fmt: str
) -> None:
    clip = frame(data_uri(movie(seconds, width, height, fmt), "video/mp4"), "first_clip")
    last = frame(data_uri(picture(640, 360)), "last_frame")
    done = await run(native_body([clip, last], duration=2))
    assert done["output"]["task_status"] == "SUCCEEDED", done["output"]
    assert done["usage"] == {
        "duration": seconds + 2,
        "input_video_duration": seconds,
        "output_video_duration": 2,
        "video_count": 1,
        "SR": 720,
    }


async def test_public_urls_are_not_fetched_so_not_checked() -> None:
    done = await run(native_body([frame("https://example.com/tiny.gif")]))
    assert done["output"]["task_status"] == "SUCCEEDED", done["output"]
    assert done["usage"]["input_video_duration"] == 0

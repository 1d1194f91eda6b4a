"""Conformance: the official dashscope SDK's 1.x ``VideoSynthesis.call`` runs Alibaba's own t2v, r2v and
videoedit calls (family.md §7: the SDK examples; local files uploaded by the SDK through the simulator's upload
policy, ``reference_voice`` included) against ``wan-nb sim`` served by uvicorn on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.sim import KEY, data_uri, png_bytes, probe
from tests.fixtures.sim import served as serve
from tests.fixtures.sim_family import frame as frame_at
from tests.fixtures.sim_family import loudest_hertz, saturation, tone_wav
from wan_nb.sim import SimApp, create_app
from wan_nb.sim.render import RenderSpec, render

dashscope = pytest.importorskip("dashscope")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, SimApp]]:
    app = create_app(task_time=0.5, api_key=KEY, seed=11)
    with serve(app) as url:
        yield url, app


@pytest.fixture
def sdk(served: tuple[str, SimApp], monkeypatch: pytest.MonkeyPatch) -> str:
    base, _ = served
    monkeypatch.setenv("DASHSCOPE_DISABLE_SDK_HEADERS", "1")
    monkeypatch.setattr(dashscope, "base_http_api_url", f"{base}/api/v1")
    return base


def _video(url: str, seconds: float, size: tuple[int, int]) -> bytes:
    answer = httpx.get(url)  # no Authorization: a signed URL
    assert answer.status_code == 200
    info = probe(answer.content)
    assert (info["video"], info["size"]) == ("h264", size)
    assert abs(info["duration"] - seconds) <= 0.1
    return answer.content


def test_t2v_call(sdk: str) -> None:
    """The SDK example's text-to-video call (``audio=True`` rides in parameters)."""
    from dashscope import VideoSynthesis

    result = VideoSynthesis.call(
        api_key=KEY,
        model="wan2.7-t2v",
        prompt="A kitten runs across a snowy garden at dusk",
        resolution="720P",
        ratio="1:1",
        duration=2,
        prompt_extend=True,
        watermark=True,
        audio=True,
    )
    assert result.output.task_status == "SUCCEEDED", (result.code, result.message, result.output)
    assert result.usage.duration == 2 and result.usage.output_video_duration == 2
    assert result.usage.ratio == "1:1" and result.usage.SR == 720
    _video(result.output.video_url, 2, (960, 960))


def test_r2v_call_uploads_a_local_reference_and_its_voice(
    sdk: str, served: tuple[str, SimApp], tmp_path: Path
) -> None:
    from dashscope import VideoSynthesis

    _, app = served
    image, voice = tmp_path / "hero.png", tmp_path / "hero voice.wav"
    image.write_bytes(png_bytes(400, 600, "red"))
    voice.write_bytes(tone_wav(2.0))
    uploads = app.stats.requests["oss.upload"]
    media = [{"type": "reference_image", "url": image.as_uri(), "reference_voice": voice.as_uri()}]
    result = VideoSynthesis.call(
        api_key=KEY,
        model="wan2.7-r2v",
        prompt="Image 1 waves and says hello",
        media=media,
        resolution="720P",
        ratio="16:9",
        duration=2,
    )
    assert result.output.task_status == "SUCCEEDED", (result.code, result.message, result.output)
    assert app.stats.requests["oss.upload"] == uploads + 2  # the image and the voice
    assert result.usage.input_video_duration == 0 and result.usage.duration == 2
    video = _video(result.output.video_url, 2, (1280, 720))
    assert abs(loudest_hertz(video, 1.5) - 1000) < 10


def test_videoedit_call_with_a_local_source(sdk: str, tmp_path: Path) -> None:
    from dashscope import VideoSynthesis

    source = tmp_path / "source.mp4"
    still = data_uri(png_bytes(640, 360, "teal"))
    source.write_bytes(render(RenderSpec({"first_frame": still}, 2, 360, seed=2), lambda url: None))
    result = VideoSynthesis.call(
        api_key=KEY,
        model="wan2.7-videoedit",
        prompt="Make the whole video black and white",
        media=[{"type": "video", "url": source.as_uri()}],
        resolution="720P",
        audio_setting="origin",
    )
    assert result.output.task_status == "SUCCEEDED", (result.code, result.message, result.output)
    seconds = result.usage.input_video_duration
    assert isinstance(seconds, float) and abs(seconds - 2) < 0.1
    assert result.usage.duration == round(2 * seconds, 2)
    video = _video(result.output.video_url, seconds, (1280, 720))
    assert saturation(frame_at(video, 10)) < 0.05


def test_an_edit_without_a_prompt_as_the_sdk_sends_it(sdk: str, tmp_path: Path) -> None:
    """The prompt is optional on videoedit; the SDK then sends ``"prompt": null`` (and the service takes it)."""
    from dashscope import VideoSynthesis

    source = tmp_path / "source.mp4"
    still = data_uri(png_bytes(640, 360, "teal"))
    source.write_bytes(render(RenderSpec({"first_frame": still}, 2, 360, seed=2), lambda url: None))
    result = VideoSynthesis.call(
        api_key=KEY, model="wan2.7-videoedit", media=[{"type": "video", "url": source.as_uri()}]
    )
    assert result.output.task_status == "SUCCEEDED", (result.code, result.message, result.output)
    assert abs(result.usage.input_video_duration - 2) < 0.1

"""Conformance: the official dashscope SDK (2.0.2) runs full image-to-video calls against ``wan-nb sim``
served by uvicorn on a free loopback port (native.md §5.5 for pointing the SDK there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.sim import KEY, png_bytes, probe
from tests.fixtures.sim import served as serve
from wan_nb.sim import SimApp, create_app

dashscope = pytest.importorskip("dashscope")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, SimApp]]:
    """One real server for the module: ``http://127.0.0.1:PORT``."""
    app = create_app(task_time=0.5, api_key=KEY, seed=11)
    with serve(app) as url:
        yield url, app


@pytest.fixture
def sdk(served: tuple[str, SimApp], monkeypatch: pytest.MonkeyPatch) -> str:
    base, _ = served
    monkeypatch.setenv("DASHSCOPE_DISABLE_SDK_HEADERS", "1")
    monkeypatch.setattr(dashscope, "base_http_api_url", f"{base}/api/v1")
    return base


def _frame_file(tmp_path: Path) -> Path:
    path = tmp_path / "first frame.png"
    path.write_bytes(png_bytes(480, 640, "purple"))
    return path


def _assert_video(url: str, seconds: int, size: tuple[int, int]) -> None:
    answer = httpx.get(url)  # no Authorization: a signed URL
    assert answer.status_code == 200
    info = probe(answer.content)
    assert (info["video"], info["pix_fmt"], info["size"]) == ("h264", "yuv420p", size)
    assert abs(info["duration"] - seconds) <= 0.1


def test_video_synthesis_async_call_and_wait_with_local_file(sdk: str, tmp_path: Path) -> None:
    from dashscope import VideoSynthesis

    media = [{"type": "first_frame", "url": _frame_file(tmp_path).as_uri()}]
    task = VideoSynthesis.async_call(
        api_key=KEY, model="wan2.7-i2v", prompt="a cat", media=media, resolution="720P", duration=2, seed=42
    )
    assert task.status_code == 200, (task.code, task.message)
    assert task.output.task_status == "PENDING"
    result = VideoSynthesis.wait(task, api_key=KEY)
    assert result.output.task_status == "SUCCEEDED", (result.code, result.message, result.output)
    assert result.usage.output_video_duration == 2
    _assert_video(result.output.video_url, 2, (720, 960))


def test_legacy_img_url_through_the_sdk(sdk: str) -> None:
    from dashscope import VideoSynthesis

    result = VideoSynthesis.call(
        api_key=KEY,
        model="wan2.6-i2v",
        prompt="y",
        img_url="https://example.com/cat.png",
        resolution="720P",
        duration=2,
        audio=True,
    )
    assert result.output.task_status == "SUCCEEDED", (result.code, result.message)
    _assert_video(result.output.video_url, 2, (1280, 720))  # the placeholder card is 16:9


def test_fetch_cancel_and_list_through_the_sdk(sdk: str, served: tuple[str, SimApp]) -> None:
    from dashscope import VideoSynthesis

    media = [{"type": "first_frame", "url": "https://example.com/x.png"}]
    task = VideoSynthesis.async_call(
        api_key=KEY, model="wan2.7-i2v", prompt="cancel me", media=media, resolution="720P", duration=2
    )
    canceled = VideoSynthesis.cancel(task, api_key=KEY)
    assert canceled.status_code == 200
    assert VideoSynthesis.fetch(task, api_key=KEY).output.task_status == "CANCELED"
    listed = VideoSynthesis.list(api_key=KEY, status="CANCELED", page_size=5)
    assert listed.status_code == 200
    assert task.output.task_id in {item["task_id"] for item in listed.output["tasks"]}


def test_wrong_key_surfaces_as_sdk_error(sdk: str) -> None:
    from dashscope import VideoSynthesis

    media = [{"type": "first_frame", "url": "https://example.com/x.png"}]
    answer = VideoSynthesis.async_call(api_key="sk-wrong", model="wan2.7-i2v", prompt="x", media=media)
    assert (answer.status_code, answer.code, answer.message) == (
        401,
        "InvalidApiKey",
        "Invalid API-key provided.",
    )


async def test_aio_video_synthesis(sdk: str, tmp_path: Path) -> None:
    from dashscope.aigc.video_synthesis import AioVideoSynthesis

    media = [{"type": "first_frame", "url": _frame_file(tmp_path).as_uri()}]
    try:
        task = await AioVideoSynthesis.async_call(
            api_key=KEY, model="wan2.7-i2v", prompt="aio", media=media, resolution="720P", duration=2
        )
        result = await AioVideoSynthesis.wait(task, api_key=KEY)
    finally:
        await dashscope.close_shared_aio_session()
    assert result.output.task_status == "SUCCEEDED", (result.code, result.message)
    _assert_video(result.output.video_url, 2, (720, 960))


def test_client_v2_videos_generate(sdk: str, served: tuple[str, SimApp], tmp_path: Path) -> None:
    from dashscope import Client

    base, app = served
    client = Client(api_key=KEY, base_url=f"{base}/api/v1")
    media = [{"type": "first_frame", "url": _frame_file(tmp_path).as_uri()}]
    before = app.stats.creates.total()
    job = client.videos.generate(
        model="wan2.7-i2v", prompt="v2", media=media, resolution="720P", duration=2, timeout=120
    )
    assert job.status == "SUCCEEDED"
    assert app.stats.creates.total() == before + 1
    _assert_video(job.video_url, 2, (720, 960))

"""The family through wan_nb's own client, facade and CLI against the in-process simulator (issue 20): what a
user calls, what goes on the wire, and what comes back measured on the decoded frames.

``test_sim_family.py`` drives the simulator with hand-written bodies; here every request is a ``VideoRequest``
validated, uploaded (or inlined) and sent by wan_nb, so these tests fail when the client, not the simulator,
gets a model wrong. Renders are real and short (2 s, 720P; a 3 s edit), on a fast task clock.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import wan_nb
from tests.fixtures.sim import data_uri, loopback_server, png_bytes, probe
from tests.fixtures.sim_family import frame, loudest_hertz, saturation, tone_wav
from wan_nb.cli import main
from wan_nb.client import AsyncWanClient, Journal, PollSchedule
from wan_nb.errors import ValidationError
from wan_nb.models import Reference, Task, TaskStatus, VideoRequest
from wan_nb.sim import SimApp, create_app
from wan_nb.sim.render import RenderSpec, render

FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)
SIZES_720P = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "1:1": (960, 960),
    "4:3": (1104, 832),
    "3:4": (832, 1104),
}


class Recording(httpx.AsyncBaseTransport):
    """Every request the client sends, then the simulator's answer."""

    def __init__(self, app: SimApp) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def creates(self) -> list[dict[str, Any]]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.method == "POST" and r.url.path.endswith("/video-synthesis")
        ]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SimApp]:
    made = create_app(state_dir=tmp_path / "sim", task_time=0.2)
    yield made
    made.close()


@pytest.fixture
async def client_of(app: SimApp) -> AsyncIterator[Callable[..., tuple[AsyncWanClient, Recording]]]:
    made: list[AsyncWanClient] = []

    def make(provider: str = "sim", **kwargs: Any) -> tuple[AsyncWanClient, Recording]:
        wire = Recording(app)
        made.append(AsyncWanClient(provider, transport=wire, poll=FAST, **kwargs))
        return made[-1], wire

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two reference pictures of different colours, a voice, and a 3 s 640×360 teal-and-orange source clip whose
    sound is a 1000 Hz tone (no generated soundtrack has it)."""
    folder = tmp_path_factory.mktemp("family_client")
    files = {
        "red.png": png_bytes(400, 600, "red"),
        "blue.png": png_bytes(400, 600, "blue"),
        "voice.wav": tone_wav(2.0, 500.0),
        "source.mp4": render(
            RenderSpec(
                {
                    "first_frame": data_uri(png_bytes(640, 360, "teal")),
                    "driving_audio": data_uri(tone_wav(4.0), "audio/wav"),
                },
                3,
                360,
                seed=1,
            ),
            lambda url: None,
        ),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


def difference(a: bytes, b: bytes, index: int = 24) -> float:
    return float(abs(frame(a, index) - frame(b, index)).mean())


def share(data: bytes, channel: int, index: int = 24) -> float:
    """The share of a frame's pixels that are one pure colour (0 red, 2 blue): where a reference shows."""
    picture = frame(data, index)
    others = [c for c in range(3) if c != channel]
    pure = (picture[..., channel] > 180) & (picture[..., others[0]] < 80) & (picture[..., others[1]] < 80)
    return float(pure.mean())


# -- text to video --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ratio", list(SIZES_720P))
async def test_t2v_through_the_client_has_the_documented_size(
    client_of: Callable[..., Any], tmp_path: Path, ratio: str
) -> None:
    client, wire = client_of()
    task = await client.generate(
        VideoRequest(prompt="a lighthouse at dawn", ratio=ratio, duration=2), out=tmp_path
    )
    assert task.status is TaskStatus.SUCCEEDED and task.path is not None
    assert probe(task.path.read_bytes())["size"] == SIZES_720P[ratio]
    (create,) = wire.creates()
    assert create["model"] == "wan2.7-t2v" and "media" not in create["input"]
    assert create["parameters"] == {"resolution": "720P", "duration": 2, "ratio": ratio}
    assert task.usage is not None and task.usage.billed_seconds == 2 and task.usage.input_seconds == 0


# -- references to video --------------------------------------------------------------------------------------


async def test_r2v_another_reference_picture_gives_another_video(
    client_of: Callable[..., Any], media: dict[str, Path], tmp_path: Path
) -> None:
    client, wire = client_of()

    async def made(picture: str, out: str) -> bytes:
        request = VideoRequest(prompt="Image 1 waves", references=[media[picture]], duration=2, seed=7)
        task = await client.generate(request, out=tmp_path / out)
        assert task.path is not None and task.usage is not None and task.usage.input_seconds == 0
        return task.path.read_bytes()

    red, blue, red_again = await made("red.png", "a"), await made("blue.png", "b"), await made("red.png", "c")
    assert difference(red, red_again) < 0.5  # the control: the same reference and seed, the same frames
    assert difference(red, blue) > 2.0
    assert share(red, 0) > 0.01 and share(red, 2) < 0.001  # the red picture shows, no blue
    assert share(blue, 2) > 0.01 and share(blue, 0) < 0.001
    creates = wire.creates()
    assert [c["model"] for c in creates] == ["wan2.7-r2v"] * 3
    item = creates[0]["input"]["media"][0]
    assert item["type"] == "reference_image" and item["url"].startswith(
        "oss://"
    )  # uploaded like a first frame
    uploads = [r for r in wire.requests if r.url.path == "/api/v1/uploads"]
    assert uploads and all(r.url.params["model"] == "wan2.7-r2v" for r in uploads)


async def test_r2v_local_reference_and_voice_are_each_uploaded_once(
    client_of: Callable[..., Any], media: dict[str, Path]
) -> None:
    client, wire = client_of()
    reference = Reference(media["blue.png"], voice=media["voice.wav"])
    await client.submit(VideoRequest(prompt="Image 1 says hello", references=[reference], duration=2))
    creates = [r for r in wire.requests if r.url.path.endswith("/video-synthesis")]
    assert len(creates) == 1 and creates[0].headers["X-DashScope-OssResourceResolve"] == "enable"
    (item,) = json.loads(creates[0].content)["input"]["media"]
    assert item["url"].startswith("oss://") and item["reference_voice"].startswith("oss://")
    assert item["url"].endswith(".png") and item["reference_voice"].endswith(".wav")
    assert [r.url.path for r in wire.requests if r.url.path == "/oss-upload"] == ["/oss-upload"] * 2


async def test_the_same_file_in_two_fields_is_uploaded_once(
    client_of: Callable[..., Any], media: dict[str, Path]
) -> None:
    client, wire = client_of()
    request = VideoRequest(
        prompt="Image 1 and Image 2 say hello",
        first_frame=media["blue.png"],  # r2v's first frame, also Image 1
        references=[
            Reference(media["blue.png"], voice=media["voice.wav"]),
            Reference(media["red.png"], voice=media["voice.wav"]),
        ],
        duration=2,
    )
    await client.submit(request)
    uploads = [r for r in wire.requests if r.url.path == "/oss-upload"]
    assert len(uploads) == 3  # blue, red and the voice: 3 files in 5 fields
    media_items = json.loads(wire.requests[-1].content)["input"]["media"]
    assert media_items[0]["type"] == "first_frame" and media_items[0]["url"] == media_items[1]["url"]
    assert media_items[1]["reference_voice"] == media_items[2]["reference_voice"]
    assert media_items[1]["url"] != media_items[2]["url"]  # control: another picture, another upload


# -- video editing --------------------------------------------------------------------------------------------


async def test_videoedit_black_and_white_keeps_the_length_and_the_source_audio(
    client_of: Callable[..., Any], media: dict[str, Path], tmp_path: Path
) -> None:
    client, wire = client_of()
    source = media["source.mp4"].read_bytes()
    request = VideoRequest(
        prompt="turn it black and white", video=media["source.mp4"], audio_setting="origin"
    )
    estimate = client.estimate(request)
    task = await client.generate(request, out=tmp_path)
    assert task.path is not None
    edited = task.path.read_bytes()
    assert saturation(frame(source, 10)) > 0.4  # the control: the source is colourful
    assert saturation(frame(edited, 10)) < 0.05
    assert (
        abs(probe(edited)["duration"] - probe(source)["duration"]) <= 0.1
    )  # duration 0: the source's length
    assert abs(loudest_hertz(edited, 2.0) - 1000) < 10  # origin: the source's own sound
    (create,) = wire.creates()
    assert create["model"] == "wan2.7-videoedit"
    assert create["parameters"] == {"resolution": "720P", "duration": 0, "audio_setting": "origin"}
    assert [item["type"] for item in create["input"]["media"]] == ["video"]
    # usage keeps the fractional input seconds; the estimate counted the same source before sending
    usage = task.usage
    assert usage is not None and usage.input_seconds is not None and usage.video_seconds is not None
    assert abs(usage.input_seconds - 3.0) < 0.1 and usage.billed_seconds == pytest.approx(
        usage.input_seconds * 2
    )
    assert estimate.billed_seconds == pytest.approx(usage.billed_seconds, abs=0.2)


async def test_journal_rows_carry_the_model_and_the_billed_input_seconds(
    app: SimApp, media: dict[str, Path], tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    async with AsyncWanClient(
        "sim", transport=httpx.ASGITransport(app=app), poll=FAST, journal=journal
    ) as client:
        edit = await client.generate(
            VideoRequest(prompt="make it sepia", video=media["source.mp4"], duration=2), out=tmp_path
        )
        text = await client.generate(VideoRequest(prompt="a quiet harbour", duration=2), out=tmp_path)
    rows = {row.task_id: row for row in Journal(tmp_path / "journal.sqlite3").entries()}
    assert rows[edit.id].request["model"] == "wan2.7-videoedit" and rows[edit.id].request["duration"] == 2
    assert rows[edit.id].request["media"]["video"]["kind"] == "path"
    assert rows[edit.id].billed_seconds == 4.0  # 2 s of the source in + 2 s out
    assert rows[text.id].request["model"] == "wan2.7-t2v" and rows[text.id].billed_seconds == 2
    assert rows[edit.id].status is TaskStatus.SUCCEEDED and rows[edit.id].path == edit.path


# -- dialects -------------------------------------------------------------------------------------------------


async def test_the_gateway_refuses_r2v_before_any_request(
    client_of: Callable[..., Any], media: dict[str, Path], app: SimApp
) -> None:
    client, wire = client_of("sim-gateway")
    with pytest.raises(ValidationError) as caught:
        await client.submit(VideoRequest(prompt="Image 1 waves", references=[media["red.png"]]))
    assert (
        caught.value.field == "model"
        and "sim-relay" in caught.value.message
        and "sim," in caught.value.message
    )
    assert wire.requests == []
    # the control: image-to-video goes through the same gateway client
    task = await client.submit(VideoRequest(prompt="a cat", first_frame=media["red.png"], duration=2))
    assert task.id and len(wire.requests) == 1


async def test_the_relay_carries_reference_images_as_data_uris_and_voices_by_url(
    client_of: Callable[..., Any], media: dict[str, Path], tmp_path: Path
) -> None:
    """The relay cannot upload: a local image goes as a data: URI, but r2v takes a voice by URL or oss:// only
    (family.md §2.2), so a local voice is refused before anything is sent and a link goes as written."""
    client, wire = client_of("sim-relay")
    local = VideoRequest(
        prompt="Image 1 says hello",
        references=[Reference(media["blue.png"], voice=media["voice.wav"])],
        duration=2,
    )
    with pytest.raises(ValidationError, match=r"^references\[0\]\.voice: wan2.7-r2v takes audio by URL"):
        await client.generate(local, out=tmp_path)
    assert wire.creates() == []
    voice = media["voice.wav"].read_bytes()
    with loopback_server(lambda path: (200, {"Content-Type": "audio/wav"}, voice)) as base:
        linked = VideoRequest(
            prompt="Image 1 says hello",
            references=[Reference(media["blue.png"], voice=f"{base}/voice.wav")],
            duration=2,
        )
        task = await client.generate(linked, out=tmp_path)
    (create,) = wire.creates()
    (item,) = create["input"]["media"]
    assert item["type"] == "reference_image"
    assert item["url"].startswith("data:image/png;base64,") and item["reference_voice"] == f"{base}/voice.wav"
    assert [r.url.path for r in wire.requests if r.method == "POST"] == [
        "/wan/api/v1/services/aigc/video-generation/video-synthesis"
    ]  # nothing uploaded
    assert task.status is TaskStatus.SUCCEEDED and task.path is not None and task.path.stat().st_size > 0


# -- the facade and the CLI -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("fast_sim")
def test_the_facade_makes_a_video_from_a_prompt_alone(tmp_path: Path) -> None:
    task: Task = wan_nb.generate(prompt="a lighthouse at dawn", duration=2, out=tmp_path)
    assert task.status is TaskStatus.SUCCEEDED and task.path is not None
    assert probe(task.path.read_bytes())["size"] == (1280, 720)  # t2v's default ratio, 16:9
    (row,) = Journal().entries()
    assert row.request["model"] == "wan2.7-t2v"


@pytest.mark.usefixtures("fast_sim")
def test_the_cli_generates_text_references_and_edits_and_lists_the_model(
    media: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    common = ["--provider", "sim", "--duration", "2"]
    assert main(["generate", "--prompt", "a lighthouse at dawn", "--out", "text", *common]) == 0
    reference = f"{media['red.png']}:voice={media['voice.wav']}"
    assert (
        main(["generate", "--prompt", "Image 1 waves", "--reference", reference, "--out", "refs", *common])
        == 0
    )
    edit = [
        "generate",
        "--prompt",
        "black and white",
        "--video",
        str(media["source.mp4"]),
        "--audio-setting",
        "origin",
    ]
    assert main([*edit, "--provider", "sim", "--out", "edit"]) == 0
    for folder in ("text", "refs", "edit"):
        (video,) = (tmp_path / folder).glob("*.mp4")
        assert probe(video.read_bytes())["video"] == "h264"
    assert saturation(frame((next((tmp_path / "edit").glob("*.mp4"))).read_bytes(), 10)) < 0.05
    capsys.readouterr()
    assert main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    models = sorted(line.split("  ")[3] for line in listed)
    assert models == ["wan2.7-r2v", "wan2.7-t2v", "wan2.7-videoedit"], listed
    rows = {row.request["model"]: row for row in Journal().entries()}
    assert set(rows["wan2.7-r2v"].request["media"]) == {"references[0]", "references[0].voice"}


async def test_t2v_local_audio_is_uploaded_as_its_audio_url(
    client_of: Callable[..., Any], media: dict[str, Path], tmp_path: Path
) -> None:
    client, wire = client_of()
    task = await client.generate(
        VideoRequest(prompt="a drum circle at night", driving_audio=media["voice.wav"], duration=2),
        out=tmp_path,
    )
    (create,) = wire.creates()
    assert create["model"] == "wan2.7-t2v" and "media" not in create["input"]
    assert create["input"]["audio_url"].startswith("oss://")
    assert [r.url.path for r in wire.requests if r.method == "POST"][:-1] == [
        "/oss-upload"
    ]  # read and sent once
    assert (
        task.path is not None and abs(loudest_hertz(task.path.read_bytes(), 1.5) - 500) < 10
    )  # the video follows it


async def test_a_batch_of_the_family_with_bytes_is_planned_sent_and_retired(
    app: SimApp, media: dict[str, Path], tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    requests = [
        VideoRequest(prompt="a quiet harbour", duration=2),
        VideoRequest(
            prompt="Image 1 waves",
            references=[Reference(media["red.png"].read_bytes(), voice=media["voice.wav"].read_bytes())],
            duration=2,
        ),
        VideoRequest(prompt="black and white", video=media["source.mp4"].read_bytes(), duration=2),
    ]
    async with AsyncWanClient(
        "sim", transport=httpx.ASGITransport(app=app), poll=FAST, journal=journal
    ) as client:
        items = [item async for item in client.map(requests, concurrency=3, out=tmp_path / "out")]
    assert sorted(item.index for item in items) == [0, 1, 2] and all(item.ok for item in items), items
    by_index = {item.index: item.task for item in items}
    edited = by_index[2]
    assert edited is not None and edited.path is not None
    assert saturation(frame(edited.path.read_bytes(), 10)) < 0.05
    reopened = Journal(tmp_path / "journal.sqlite3")
    assert reopened.planned() == []  # every planned row retired once its create was answered
    models = sorted(row.request["model"] for row in reopened.entries())
    assert models == ["wan2.7-r2v", "wan2.7-t2v", "wan2.7-videoedit"]

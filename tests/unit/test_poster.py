"""Posters and contact sheets (issue 13 item 1) on real simulator MP4s: sizes, which frame, reuse, errors."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

import wan_nb
from tests.fixtures.sim import data_uri, png_bytes
from wan_nb import Task, TaskStatus, ValidationError
from wan_nb.sim.render import FPS, RenderSpec, render

SECONDS = 3


@pytest.fixture(scope="module")
def clip_bytes() -> bytes:
    """A 640x360 Ken Burns clip (the seed's zoom and pan move every pixel), no audio."""
    spec = RenderSpec({"first_frame": data_uri(png_bytes(640, 360))}, SECONDS, 360, audio=False, seed=3)
    return render(spec, lambda url: None)


@pytest.fixture
def video(tmp_path: Path, clip_bytes: bytes) -> Path:
    path = tmp_path / "task-1.mp4"
    path.write_bytes(clip_bytes)
    return path


@pytest.fixture(scope="module")
def counter_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Frame i is a flat grey of level 20 + 3i (so which frame a still shows is unambiguous); keyframes
    every second, as in wan2.7's output, so a seek must land on one and decode forward."""
    import av
    import numpy as np

    path = tmp_path_factory.mktemp("counter") / "counter.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.codec_context.gop_size = FPS
        for index in range(SECONDS * FPS):
            pixels = np.full((180, 320, 3), 20 + 3 * index, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path.read_bytes()


@pytest.fixture
def counter(tmp_path: Path, counter_bytes: bytes) -> Path:
    path = tmp_path / "counter.mp4"
    path.write_bytes(counter_bytes)
    return path


def _frames(data: bytes) -> list[Any]:
    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        return [frame.to_ndarray(format="rgb24").astype("float32") for frame in container.decode(video=0)]


def _index(pixels: Any) -> int:
    """Which counter frame a still shows."""
    return round((float(pixels.mean()) - 20) / 3)


def _pixels(path: Path) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "JPEG"
        return np.asarray(image.convert("RGB"), dtype="float32")


def _nearest(still: Any, frames: list[Any]) -> int:
    """The index of the decoded frame the JPEG is closest to (mean absolute difference)."""
    import numpy as np

    return int(np.argmin([np.abs(still - frame).mean() for frame in frames]))


def test_first_and_last_of_a_simulated_clip(video: Path, clip_bytes: bytes) -> None:
    frames = _frames(clip_bytes)
    first, last = wan_nb.poster(video), wan_nb.poster(video, at="last")
    assert (first.name, last.name) == ("task-1.poster.jpg", "task-1.last.jpg")
    assert first.parent == last.parent == video.parent
    assert _pixels(first).shape == _pixels(last).shape == (360, 640, 3)
    assert abs(_pixels(first) - _pixels(last)).mean() > 5  # a moving clip: the ends differ
    # The camera eases in and out, so the frames at each end are near-twins under JPEG noise: the right end
    # is the test here (the counter clip below pins the exact frame).
    assert _nearest(_pixels(first), frames) < 4
    assert _nearest(_pixels(last), frames) > len(frames) - 5


def test_each_time_picks_the_frame_shown_then(counter: Path) -> None:
    count = SECONDS * FPS
    assert _index(_pixels(wan_nb.poster(counter))) == 0
    assert _index(_pixels(wan_nb.poster(counter, at="last"))) == count - 1
    for seconds, index in ((0, 0), (0.5, 12), (1.0, 24), (1.5, 36), (2.0 + 0.5 / FPS, 48), (2.99, count - 1)):
        still = wan_nb.poster(counter, at=seconds)
        assert _index(_pixels(still)) == index, seconds
    assert (counter.parent / "counter.t1.5.jpg").is_file()


def test_a_task_with_a_path_and_a_scaled_poster(video: Path) -> None:
    task = Task(id="task-1", status=TaskStatus.SUCCEEDED, path=video)
    small = wan_nb.poster(task, width=160)
    assert small.name == "task-1.poster.w160.jpg"
    assert _pixels(small).shape == (90, 160, 3)


def test_contact_sheet_is_frames_times_tile_width(video: Path, counter: Path) -> None:
    import numpy as np
    from PIL import Image

    sheet = wan_nb.contact_sheet(counter, frames=4, width=None)
    assert sheet.name == "counter.sheet4.jpg"
    pixels = _pixels(sheet)
    assert pixels.shape == (180, 4 * 320, 3)
    tiles = [pixels[:, index * 320 : (index + 1) * 320] for index in range(4)]
    # Evenly spaced over the 3 s clip: the frames on screen at 0, 1 and 2 s, and the last one.
    assert [_index(tile) for tile in tiles] == [0, FPS, 2 * FPS, SECONDS * FPS - 1]
    default = wan_nb.contact_sheet(video)
    with Image.open(default) as image:
        assert image.size == (6 * 320, 180)
    assert np.abs(_pixels(default)[:, :320] - _pixels(default)[:, -320:]).mean() > 5


def test_reused_while_newer_than_the_video_and_redone_after(video: Path) -> None:
    path = wan_nb.poster(video)
    written = path.stat().st_mtime_ns
    assert wan_nb.poster(video) == path and path.stat().st_mtime_ns == written
    earlier = video.stat().st_mtime_ns - 5_000_000_000
    os.utime(path, ns=(earlier, earlier))  # as if the video had been downloaded again since
    assert wan_nb.poster(video).stat().st_mtime_ns >= video.stat().st_mtime_ns
    assert not [name for name in os.listdir(video.parent) if name.endswith(".part")]


def test_errors_name_the_field(tmp_path: Path, video: Path) -> None:
    with pytest.raises(ValidationError, match=r"task_or_path: task t-9 has no downloaded video"):
        wan_nb.poster(Task(id="t-9", status=TaskStatus.SUCCEEDED))
    with pytest.raises(ValidationError, match=r"task_or_path: no video file at .*absent\.mp4"):
        wan_nb.poster(tmp_path / "absent.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not an mp4 at all" * 40)
    with pytest.raises(ValidationError, match=r"task_or_path: junk\.mp4 is not a video PyAV can decode"):
        wan_nb.poster(junk)
    with pytest.raises(ValidationError, match=r"task_or_path: expected a Task or a path"):
        wan_nb.poster(42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"at: 9 s is past the end of the clip \(3\.0"):
        wan_nb.poster(video, at=9)
    for bad in (-1, "middle", True, float("nan")):
        with pytest.raises(ValidationError, match=r'at: must be "first", "last" or seconds >= 0'):
            wan_nb.poster(video, at=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"frames: must be an integer from 1 to 48, got 0"):
        wan_nb.contact_sheet(video, frames=0)
    with pytest.raises(ValidationError, match=r"width: must be None or an integer from 16 to 8192"):
        wan_nb.poster(video, width=0)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["junk.mp4", "task-1.mp4"]


def test_a_wav_is_not_a_video(tmp_path: Path) -> None:
    from tests.fixtures.sim import wav_bytes

    sound = tmp_path / "voice.wav"
    sound.write_bytes(wav_bytes(1.0))
    with pytest.raises(ValidationError, match=r"task_or_path: voice\.wav has no video stream"):
        wan_nb.poster(sound)

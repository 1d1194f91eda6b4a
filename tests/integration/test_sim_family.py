"""The simulator plays the whole Wan family (issue 20 part 5; family.md §2, §3, §6, §8): t2v at the documented
sizes, r2v showing its labelled references, videoedit transforming its source, Wan 3.0 at 480P with smart
duration; every refusal the table documents, beside a positive control; usage as the official examples."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.sim import (
    ASYNC,
    NATIVE_CREATE,
    FakeClock,
    client,
    data_uri,
    loopback_server,
    png_bytes,
    probe,
    sim,
    wait_final,
)
from tests.fixtures.sim_family import frame, loudest_hertz, luma, saturation, tone_wav
from wan_nb.sim import family, prompt
from wan_nb.sim.render import RenderSpec, render

PUBLIC_VIDEO = "https://example.com/source.mp4"  # never fetched: a placeholder card stands in
RED = data_uri(png_bytes(400, 600, "red"))
BLUE = data_uri(png_bytes(600, 400, "blue"))


@pytest.fixture(scope="module")
def source() -> bytes:
    """A 3 s 640×360 teal-and-orange clip whose sound is a 1000 Hz tone: videoedit's source, r2v's video."""
    image = data_uri(png_bytes(640, 360, "teal"))
    voice = data_uri(tone_wav(4.0), "audio/wav")
    return render(
        RenderSpec({"first_frame": image, "driving_audio": voice}, 3, 360, seed=1), lambda url: None
    )


Link = Callable[[bytes, str], str]


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    """``link(data, mime)``: a loopback URL serving ``data``. r2v, videoedit and Wan 3.0 take video and audio by
    URL or oss:// only (family.md §2.2, §6), and the simulator reads loopback URLs."""
    files: dict[str, tuple[bytes, str]] = {}

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        data, mime = files.get(path, (b"", ""))
        return (200, {"Content-Type": mime}, data) if mime else (404, {}, b"")

    with loopback_server(answer) as base:

        def put(data: bytes, mime: str) -> str:
            path = f"/{len(files)}.{mime.rpartition('/')[2]}"
            files[path] = (data, mime)
            return base + path

        yield put


def t2v(prompt_text: str = "a red fox crosses a meadow", **parameters: Any) -> dict[str, Any]:
    params = {"resolution": "720P", "duration": 2} | parameters
    return {"model": "wan2.7-t2v", "input": {"prompt": prompt_text}, "parameters": params}


def r2v(media: list[dict[str, str]] | None = None, **parameters: Any) -> dict[str, Any]:
    media = media if media is not None else [{"type": "reference_image", "url": RED}]
    params = {"resolution": "720P", "duration": 2} | parameters
    return {"model": "wan2.7-r2v", "input": {"prompt": "Image 1 waves", "media": media}, "parameters": params}


def videoedit(
    video: str = PUBLIC_VIDEO, instruction: str = "make it snow", **parameters: Any
) -> dict[str, Any]:
    params = {"resolution": "720P"} | parameters
    media = [{"type": "video", "url": video}]
    return {
        "model": "wan2.7-videoedit",
        "input": {"prompt": instruction, "media": media},
        "parameters": params,
    }


def wan3(media: list[dict[str, str]] | None = None, **parameters: Any) -> dict[str, Any]:
    params = {"resolution": "480P", "duration": 2} | parameters
    payload: dict[str, Any] = {"prompt": "a lighthouse in a storm"}
    if media is not None:
        payload["media"] = media
    return {"model": "wan3.0-video", "input": payload, "parameters": params}


async def run(body: dict[str, Any], route: str = NATIVE_CREATE) -> tuple[dict[str, Any], bytes]:
    """Create, poll until final (a fast fake clock; the render is real), download the video."""
    clock = FakeClock()
    with sim(clock=clock, task_time=0.2) as app:
        async with client(app) as http:
            created = await http.post(route, json=body, headers=ASYNC)
            assert created.status_code == 200, created.text
            done = await wait_final(http, created.json()["output"]["task_id"], clock)
            output = done["output"]
            if output["task_status"] != "SUCCEEDED":
                return done, b""
            return done, (await http.get(output["video_url"])).content


async def create(body: dict[str, Any]) -> httpx.Response:
    with sim(task_time=0.2) as app:
        async with client(app) as http:
            return await http.post(NATIVE_CREATE, json=body, headers=ASYNC)


# ---------------------------------------------------------------- t2v


T2V_SIZES = [
    ("720P", "16:9", (1280, 720)),
    ("720P", "9:16", (720, 1280)),
    ("720P", "1:1", (960, 960)),
    ("720P", "4:3", (1104, 832)),
    ("720P", "3:4", (832, 1104)),
    ("1080P", "16:9", (1920, 1080)),
    ("1080P", "9:16", (1080, 1920)),
    ("1080P", "1:1", (1440, 1440)),
    ("1080P", "4:3", (1648, 1248)),
    ("1080P", "3:4", (1248, 1648)),
]


@pytest.mark.parametrize(("resolution", "ratio", "size"), T2V_SIZES)
async def test_t2v_renders_the_documented_size_for_each_ratio(
    resolution: str, ratio: str, size: tuple[int, int]
) -> None:
    done, video = await run(t2v(resolution=resolution, ratio=ratio))
    assert done["output"]["task_status"] == "SUCCEEDED", done
    info = probe(video)
    assert (info["video"], info["pix_fmt"], info["size"], info["audio"]) == ("h264", "yuv420p", size, "aac")
    assert abs(info["duration"] - 2) <= 0.1
    assert done["usage"]["ratio"] == ratio and done["usage"]["SR"] == int(resolution[:-1])


async def test_t2v_default_ratio_and_usage_as_the_official_example() -> None:
    """family.md §3: {"duration":10,"input_video_duration":0,"output_video_duration":10,"video_count":1,
    "ratio":"16:9","SR":720}; a dated snapshot is its family (family.md §8)."""
    body = t2v(duration=3) | {"model": "wan2.7-t2v-2026-04-25"}
    done, video = await run(body)
    assert done["usage"] == {
        "duration": 3,
        "input_video_duration": 0,
        "output_video_duration": 3,
        "video_count": 1,
        "ratio": "16:9",
        "SR": 720,
    }
    assert probe(video)["size"] == (1280, 720)


async def test_t2v_scene_follows_the_prompt() -> None:
    """No first frame: the backdrop is drawn from the prompt's words (a named colour shows) and seed."""
    _, blue = await run(t2v("a calm blue lake under a blue sky", seed=3))
    _, green = await run(t2v("a green forest of green pines", seed=3))
    blue_frame, green_frame = frame(blue, 0), frame(green, 0)
    assert blue_frame[..., 2].mean() > blue_frame[..., 0].mean() + 30
    assert green_frame[..., 1].mean() > green_frame[..., 0].mean() + 20
    assert abs(blue_frame - green_frame).mean() > 20


async def test_t2v_plays_its_audio_url() -> None:
    body = t2v(seed=1)
    body["input"]["audio_url"] = data_uri(tone_wav(3.0), "audio/wav")
    done, video = await run(body)
    assert done["output"]["task_status"] == "SUCCEEDED", done
    assert abs(loudest_hertz(video, 2.0) - 1000) < 10


async def test_t2v_audio_url_out_of_its_limits_fails_the_task() -> None:
    body = t2v()
    body["input"]["audio_url"] = data_uri(tone_wav(1.0), "audio/wav")
    done, _ = await run(body)
    assert (done["output"]["task_status"], done["output"]["code"]) == ("FAILED", "InvalidParameter")
    assert done["output"]["message"] == (
        "The driving_audio audio duration 1.00 s is out of range, it should be between 2 and 30 s: "
        "input.audio_url"
    )


# ---------------------------------------------------------------- r2v


def tile_patch(picture: Any, count: int, index: int) -> Any:
    """The middle of reference ``index``'s picture in a frame (family.tile_boxes / picture_box)."""
    height, width = picture.shape[:2]
    left, top, right, bottom = family.picture_box(family.tile_boxes(count, (width, height))[index])
    across, down = (right - left) // 6, (bottom - top) // 6
    middle_x, middle_y = (left + right) // 2, (top + bottom) // 2
    return picture[middle_y - down : middle_y + down, middle_x - across : middle_x + across]


async def test_r2v_shows_each_reference_in_its_labelled_tile() -> None:
    media = [{"type": "reference_image", "url": RED}, {"type": "reference_image", "url": BLUE}]
    done, video = await run(r2v(media))
    assert done["output"]["task_status"] == "SUCCEEDED", done
    picture = frame(video, 24)
    red, blue = tile_patch(picture, 2, 0).mean(axis=(0, 1)), tile_patch(picture, 2, 1).mean(axis=(0, 1))
    assert red[0] > 180 and red[1] < 80 and red[2] < 80, red
    assert blue[2] > 180 and blue[0] < 80 and blue[1] < 80, blue
    # The label band above each picture: light text ("Image 1", "Image 2") on a dark card.
    for left, top, right, _ in family.tile_boxes(2, (1280, 720)):
        band = picture[top : top + family.band_height(right - left), left:right]
        assert (band.mean(axis=2) > 200).sum() > 30
        assert band.mean() < 110
    assert list(family.reference_labels({"reference_video.1": "a", "reference_image.1": "b"})) == [
        ("reference_video.1", "Video 1"),
        ("reference_image.1", "Image 1"),
    ]


async def test_r2v_another_reference_gives_another_video() -> None:
    green = data_uri(png_bytes(400, 600, "green"))
    _, first = await run(r2v([{"type": "reference_image", "url": RED}], seed=5))
    _, second = await run(r2v([{"type": "reference_image", "url": green}], seed=5))
    one, other = frame(first, 24), frame(second, 24)
    assert abs(tile_patch(one, 1, 0) - tile_patch(other, 1, 0)).mean() > 60
    assert abs(one - other).mean() > 1.0


async def test_r2v_first_frame_starts_the_video_and_picks_the_size() -> None:
    """The ratio is ignored with a first_frame (family.md §2.1): 600×800 is nearest 3:4 → 832×1104."""
    first = data_uri(png_bytes(600, 800, "yellow"))
    media = [{"type": "reference_image", "url": RED}, {"type": "first_frame", "url": first}]
    done, video = await run(r2v(media, ratio="16:9"))
    assert done["output"]["task_status"] == "SUCCEEDED", done
    assert probe(video)["size"] == (832, 1104)
    opening = frame(video, 0)
    corner = opening[-120:, -120:].mean(axis=(0, 1))  # bottom-right: yellow background, no tile yet
    assert corner[0] > 180 and corner[1] > 180 and corner[2] < 90, corner
    tile = tile_patch(opening, 1, 0).mean(axis=(0, 1))
    assert tile[1] > 150, tile  # frame 0: the tile has not faded in over the yellow yet
    later = tile_patch(frame(video, 36), 1, 0).mean(axis=(0, 1))
    assert later[0] > 180 and later[1] < 80, later


async def test_r2v_reference_video_and_voice_usage(source: bytes, link: Link) -> None:
    """r2v bills input + output, input = the reference videos' seconds (family.md §3); the voice is heard."""
    voice = link(tone_wav(2.0, hertz=1500.0), "audio/wav")
    media = [
        {"type": "reference_video", "url": link(source, "video/mp4"), "reference_voice": voice},
        {"type": "reference_image", "url": RED},
    ]
    done, video = await run(r2v(media, duration=3))
    assert done["output"]["task_status"] == "SUCCEEDED", done
    assert done["usage"] == {
        "duration": 6,
        "input_video_duration": 3,
        "output_video_duration": 3,
        "video_count": 1,
        "SR": 720,
        "ratio": "16:9",
    }
    assert abs(loudest_hertz(video, 1.5) - 1500) < 10
    tile = tile_patch(frame(video, 12), 2, 0).mean(axis=(0, 1))  # the source clip plays in Video 1's tile
    assert tile[1] > tile[0] + 40, tile  # teal


async def test_r2v_without_a_voice_uses_the_reference_video_sound(source: bytes, link: Link) -> None:
    media = [{"type": "reference_video", "url": link(source, "video/mp4")}]
    _, video = await run(r2v(media))
    assert abs(loudest_hertz(video, 1.5) - 1000) < 10


async def test_r2v_voice_out_of_its_limits_fails_the_task(link: Link) -> None:
    voice = link(tone_wav(11.0), "audio/wav")
    done, _ = await run(r2v([{"type": "reference_image", "url": RED, "reference_voice": voice}]))
    assert (done["output"]["task_status"], done["output"]["code"]) == ("FAILED", "InvalidParameter")
    assert done["output"]["message"] == (
        "The reference_voice audio duration 11.00 s is out of range, it should be between 1 and 10 s: "
        "input.media.0.reference_voice"
    )


# ---------------------------------------------------------------- videoedit


async def test_videoedit_black_and_white_keeps_length_and_source_audio(source: bytes, link: Link) -> None:
    body = videoedit(link(source, "video/mp4"), "turn it black and white", audio_setting="origin")
    done, video = await run(body)
    assert done["output"]["task_status"] == "SUCCEEDED", done
    before, after = probe(source), probe(video)
    assert abs(after["duration"] - before["duration"]) <= 0.1  # duration 0 (the default): the source's length
    assert after["size"] == (1280, 720)  # no ratio: the source's 16:9 at 720P
    assert saturation(frame(source, 10)) > 0.4
    assert saturation(frame(video, 10)) < 0.05
    assert abs(loudest_hertz(video, 2.0) - 1000) < 10  # origin: the source's own samples
    usage = done["usage"]
    seconds = usage["input_video_duration"]
    assert isinstance(seconds, float) and abs(seconds - before["duration"]) < 0.05
    assert usage == {
        "duration": round(2 * seconds, 2),
        "input_video_duration": seconds,
        "output_video_duration": seconds,
        "video_count": 1,
        "SR": 720,
    }


async def test_videoedit_night_darkens_and_auto_regenerates_sound(source: bytes, link: Link) -> None:
    done, video = await run(videoedit(link(source, "video/mp4"), "make it night", audio_setting="auto"))
    assert done["output"]["task_status"] == "SUCCEEDED", done
    assert luma(frame(video, 10)) < 0.6 * luma(frame(source, 10))
    assert abs(loudest_hertz(video, 2.0) - 1000) > 100


async def test_videoedit_duration_cuts_the_source_from_zero(source: bytes, link: Link) -> None:
    done, video = await run(videoedit(link(source, "video/mp4"), "add falling snow", duration=2))
    assert abs(probe(video)["duration"] - 2) <= 0.1
    assert done["usage"]["input_video_duration"] == done["usage"]["output_video_duration"] == 2.0
    edited, original = frame(video, 12), frame(source, 12)
    white = (edited.min(axis=2) > 225).mean()
    assert white > (original.min(axis=2) > 225).mean() + 0.005  # flakes


@pytest.mark.parametrize(
    ("instruction", "check"), [("paint everything red", "red"), ("make it dreamy", "style")]
)
async def test_videoedit_colour_word_tints_and_anything_else_gets_a_visible_style(
    source: bytes, instruction: str, check: str, link: Link
) -> None:
    _, video = await run(videoedit(link(source, "video/mp4"), instruction, duration=2))
    edited = frame(video, 12)
    original = frame(source, 12)
    if check == "red":
        assert edited[..., 0].mean() > original[..., 0].mean() + 40
    else:
        import numpy as np
        from PIL import Image

        scaled = Image.fromarray(original.astype("uint8")).resize((edited.shape[1], edited.shape[0]))
        assert (
            abs(edited - np.asarray(scaled, dtype=np.int16)).mean() > 15
        )  # ~7 without a style (caption, scaling)


async def test_videoedit_source_out_of_its_limits_fails_the_task(link: Link) -> None:
    short = render(RenderSpec({"first_frame": data_uri(png_bytes())}, 1, 360, audio=False), lambda url: None)
    done, _ = await run(videoedit(link(short, "video/mp4")))
    assert (done["output"]["task_status"], done["output"]["code"]) == ("FAILED", "InvalidParameter")
    assert done["output"]["message"].startswith("The video video duration 1.")
    assert done["output"]["message"].endswith(
        "s is out of range, it should be between 2 and 10 s: input.media.0.url"
    )


# ---------------------------------------------------------------- Wan 3.0


async def test_wan3_480p_with_smart_duration_reports_the_seconds_it_picked() -> None:
    words = (
        "a lighthouse keeper climbs the spiral stairs at dusk while waves crash below and gulls circle " * 2
    )
    body = wan3(duration=-1)
    body["input"]["prompt"] = words
    done, video = await run(body)
    picked = prompt.smart_seconds(words)
    assert picked > 5
    assert done["usage"] == {
        "duration": picked,
        "input_video_duration": 0,
        "output_video_duration": picked,
        "video_count": 1,
        "SR": 480,
        "ratio": "adaptive",
        "fps": 24,
    }
    info = probe(video)
    assert info["size"] == (832, 480) and abs(info["duration"] - picked) <= 0.1


async def test_wan3_prime_frame_group_adapts_to_the_first_frame() -> None:
    first = data_uri(png_bytes(600, 800, "purple"))
    body = wan3([{"type": "first_frame", "url": first}]) | {"model": "wan3.0-video-prime"}
    done, video = await run(body)
    assert done["output"]["task_status"] == "SUCCEEDED", done
    assert probe(video)["size"] == (544, 720)  # 3:4 at 480P


async def test_wan3_reference_group_tiles_and_plays_reference_audio(link: Link) -> None:
    media = [
        {"type": "reference_image", "url": RED},
        {"type": "reference_audio", "url": link(tone_wav(2.0), "audio/wav")},
    ]
    done, video = await run(wan3(media, ratio="1:1"))
    assert done["output"]["task_status"] == "SUCCEEDED", done
    picture = frame(video, 12)
    assert picture.shape[:2] == (624, 624)
    assert tile_patch(picture, 1, 0).mean(axis=(0, 1))[0] > 180
    assert abs(loudest_hertz(video, 1.5) - 1000) < 10


async def test_wan3_reference_audio_over_15_s_together_fails_the_task(link: Link) -> None:
    """family.md §6: reference audios total ≤ 15 s (so do reference videos)."""
    long = {"type": "reference_audio", "url": link(tone_wav(8.0), "audio/wav")}
    done, _ = await run(wan3([long, long]))
    assert (done["output"]["task_status"], done["output"]["code"]) == ("FAILED", "InvalidParameter")
    assert done["output"]["message"] == (
        "The reference_audio media last 16.00 s together, it should be at most 15 s: input.media"
    )
    done, _ = await run(wan3([long]))
    assert done["output"]["task_status"] == "SUCCEEDED", done


# ---------------------------------------------------------------- refusals


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy with ``input.X`` / ``parameters.X`` (spelled ``input__X``) replaced or removed (None)."""
    copy = {"model": body["model"], "input": dict(body["input"]), "parameters": dict(body["parameters"])}
    for name, value in changes.items():
        part, _, key = name.partition("__")
        if value is None:
            copy[part].pop(key, None)
        else:
            copy[part][key] = value
    return copy


VIDEO_ITEM = {"type": "reference_video", "url": "https://example.com/ref.mp4"}
VIDEO_URI = "data:video/mp4;base64,AAAAGGZ0eXBtcDQy"  # never read: refused by its scheme before any fetch
AUDIO_URI = "data:audio/wav;base64,UklGRiQAAABXQVZF"
FIRST_ITEM = {"type": "first_frame", "url": "https://example.com/first.png"}
REFUSALS = [
    ("t2v-media", _with(t2v(), input__media=[FIRST_ITEM]), "Extra inputs are not permitted: input.media"),
    ("t2v-no-prompt", _with(t2v(), input__prompt=""), "Field required: input.prompt"),
    (
        "t2v-ratio",
        _with(t2v(), parameters__ratio="adaptive"),
        "Input should be '16:9', '9:16', '1:1', '4:3' or '3:4': parameters.ratio",
    ),
    (
        "t2v-duration",
        _with(t2v(), parameters__duration=16),
        "Input should be between 2 and 15: parameters.duration",
    ),
    (
        "t2v-480P",
        _with(t2v(), parameters__resolution="480P"),
        "Input should be '720P' or '1080P': parameters.resolution",
    ),
    (
        "r2v-wrong-type",  # upstream's own words (family.md §2.2)
        r2v([{"type": "reference_image", "url": RED}, {"type": "video", "url": PUBLIC_VIDEO}]),
        "Input should be 'reference_image', 'reference_video' or 'first_frame': input.media.1.type",
    ),
    ("r2v-first-frame-alone", r2v([FIRST_ITEM]), "Only first frame provided is not allowed"),
    ("r2v-no-media", _with(r2v(), input__media=None), "Field required: input.media"),
    ("r2v-no-prompt", _with(r2v(), input__prompt=""), "Field required: input.prompt"),
    (
        "r2v-six-references",
        r2v([{"type": "reference_image", "url": RED}] * 3 + [VIDEO_ITEM] * 3),
        "reference_image and reference_video should number between 1 and 5, got 6: input.media",
    ),
    (
        "r2v-two-first-frames",
        r2v([{"type": "reference_image", "url": RED}, FIRST_ITEM, FIRST_ITEM]),
        "At most 1 'first_frame' allowed, got 2: input.media",
    ),
    (
        "r2v-voice-on-first-frame",
        r2v(
            [{"type": "reference_image", "url": RED}, FIRST_ITEM | {"reference_voice": "https://e.com/v.wav"}]
        ),
        "reference_voice is only allowed on 'reference_image' or 'reference_video': input.media.1.reference_voice",
    ),
    (
        "r2v-long-with-video",
        r2v([VIDEO_ITEM], duration=11),
        "Input should be between 2 and 10 with a reference_video: parameters.duration",
    ),
    (
        "videoedit-no-video",
        videoedit() | {"input": {"prompt": "x", "media": [{"type": "reference_image", "url": RED}]}},
        "Exactly 1 'video' required, got 0: input.media",
    ),
    (
        "videoedit-two-videos",
        _with(videoedit(), input__media=[{"type": "video", "url": PUBLIC_VIDEO}] * 2),
        "Exactly 1 'video' required, got 2: input.media",
    ),
    (
        "videoedit-five-images",
        _with(
            videoedit(),
            input__media=[{"type": "video", "url": PUBLIC_VIDEO}]
            + [{"type": "reference_image", "url": RED}] * 5,
        ),
        "At most 4 'reference_image' allowed, got 5: input.media",
    ),
    (
        "videoedit-first-frame",
        _with(videoedit(), input__media=[FIRST_ITEM]),
        "Input should be 'video' or 'reference_image': input.media.0.type",
    ),
    (
        "videoedit-audio-setting",
        videoedit(audio_setting="keep"),
        "Input should be 'auto' or 'origin': parameters.audio_setting",
    ),
    (
        "videoedit-duration-1",
        videoedit(duration=1),
        "Input should be 0 or between 2 and 10: parameters.duration",
    ),
    (
        "videoedit-duration-11",
        videoedit(duration=11),
        "Input should be 0 or between 2 and 10: parameters.duration",
    ),
    (
        "wan3-frames-and-references",
        wan3([FIRST_ITEM, {"type": "reference_image", "url": RED}]),
        "first_frame / last_frame cannot be combined with reference_audio / reference_image / reference_video: "
        "input.media",
    ),
    (
        "wan3-negative-prompt",
        _with(wan3(), input__negative_prompt="blur"),
        "Extra inputs are not permitted: input.negative_prompt",
    ),
    ("wan3-nothing", _with(wan3(), input__prompt=" "), "Field required: input.prompt or input.media"),
    ("wan3-duration", wan3(duration=31), "Input should be -1 or between 2 and 30: parameters.duration"),
    (
        "wan3-long-prompt",
        _with(wan3(), input__prompt="x" * 20001),
        "String should have at most 20000 characters: input.prompt",
    ),
    (
        "wan3-eleven-images",
        wan3([{"type": "reference_image", "url": RED}] * 11),
        "At most 10 'reference_image' allowed, got 11: input.media",
    ),
    (
        "wan3-file",
        wan3([{"type": "file", "url": PUBLIC_VIDEO}]),
        "Input should be 'first_frame', 'last_frame', 'reference_image', 'reference_video' or 'reference_audio': "
        "input.media.0.type",
    ),
    # Base64 goes for images only; video and audio by URL or oss:// (family.md §2.2, §6; inferred, not observed)
    (
        "r2v-base64-video",
        r2v([{"type": "reference_video", "url": VIDEO_URI}]),
        "Base64 data is not supported for reference_video, only a public URL or an oss:// URL: input.media.0.url",
    ),
    (
        "r2v-base64-voice",
        r2v([{"type": "reference_image", "url": RED}, {**VIDEO_ITEM, "reference_voice": AUDIO_URI}]),
        "Base64 data is not supported for reference_voice, only a public URL or an oss:// URL: "
        "input.media.1.reference_voice",
    ),
    (
        "videoedit-base64-video",
        videoedit(VIDEO_URI),
        "Base64 data is not supported for video, only a public URL or an oss:// URL: input.media.0.url",
    ),
    (
        "wan3-base64-video",
        wan3([{"type": "reference_image", "url": RED}, {"type": "reference_video", "url": VIDEO_URI}]),
        "Base64 data is not supported for reference_video, only a public URL or an oss:// URL: input.media.1.url",
    ),
    (
        "wan3-base64-audio",
        wan3([{"type": "reference_audio", "url": AUDIO_URI}]),
        "Base64 data is not supported for reference_audio, only a public URL or an oss:// URL: input.media.0.url",
    ),
]


@pytest.mark.parametrize(("body", "message"), [pytest.param(b, m, id=n) for n, b, m in REFUSALS])
async def test_refused_like_the_service(body: dict[str, Any], message: str) -> None:
    answer = await create(body)
    assert answer.status_code == 400
    payload = answer.json()
    assert (payload["code"], payload["message"]) == ("InvalidParameter", message)
    assert set(payload) == {"code", "message", "request_id"}


CONTROLS = [
    ("t2v", t2v(ratio="9:16", duration=15)),
    ("t2v-dated", t2v() | {"model": "wan2.7-t2v-2026-04-25"}),
    ("r2v-five-references", r2v([{"type": "reference_image", "url": RED}] * 3 + [VIDEO_ITEM] * 2)),
    ("r2v-first-frame-with-reference", r2v([{"type": "reference_image", "url": RED}, FIRST_ITEM])),
    ("r2v-long-without-video", r2v(duration=15)),
    ("r2v-voice", r2v([VIDEO_ITEM | {"reference_voice": "https://e.com/v.wav"}], duration=10)),
    ("videoedit", videoedit(duration=10, audio_setting="origin", ratio="1:1")),
    ("videoedit-no-prompt", _with(videoedit(), input__prompt=None)),
    (
        "videoedit-four-images",
        _with(
            videoedit(),
            input__media=[{"type": "video", "url": PUBLIC_VIDEO}]
            + [{"type": "reference_image", "url": RED}] * 4,
        ),
    ),
    ("wan3-frames", wan3([FIRST_ITEM, {"type": "last_frame", "url": RED}], duration=30, ratio="adaptive")),
    ("wan3-references", wan3([{"type": "reference_image", "url": RED}] * 10 + [VIDEO_ITEM] * 5)),
    ("wan3-media-only", _with(wan3([{"type": "reference_image", "url": RED}]), input__prompt=None)),
    ("wan3-long-prompt", _with(wan3(), input__prompt="x" * 20000)),
    ("wan3-prime", wan3() | {"model": "wan3.0-video-prime"}),
    # Base64 images stay accepted where videos and audio are not; i2v's clip and audio as Base64 too
    ("r2v-base64-image", r2v([{"type": "reference_image", "url": RED}, FIRST_ITEM | {"url": BLUE}])),
    ("wan3-base64-frame", wan3([{"type": "first_frame", "url": RED}])),
    (
        "i2v-base64-clip",
        {
            "model": "wan2.7-i2v",
            "input": {"prompt": "go on", "media": [{"type": "first_clip", "url": VIDEO_URI}]},
            "parameters": {"resolution": "720P", "duration": 2},
        },
    ),
]


@pytest.mark.parametrize("body", [pytest.param(b, id=n) for n, b in CONTROLS])
async def test_positive_controls_are_accepted(body: dict[str, Any]) -> None:
    with sim(task_time=0.2, render_workers=1) as app:
        async with client(app) as http:
            answer = await http.post(NATIVE_CREATE, json=body, headers=ASYNC)
    assert answer.status_code == 200, answer.text
    assert answer.json()["output"]["task_status"] == "PENDING"


# ---------------------------------------------------------------- routes


async def test_relay_route_plays_the_family() -> None:
    done, video = await run(t2v(ratio="1:1"), route="/wan" + NATIVE_CREATE)
    assert done["output"]["task_status"] == "SUCCEEDED", done
    assert probe(video)["size"] == (960, 960)


@pytest.mark.parametrize("model", ["wan2.7-t2v", "wan2.7-r2v", "wan2.7-videoedit", "wan3.0-video"])
async def test_unified_gateway_stays_i2v_only(model: str) -> None:
    body = {"model": model, "prompt": "a fox", "seconds": "2", "size": "1280x720"}
    with sim(task_time=0.2) as app:
        async with client(app) as http:
            refused = await http.post("/v1/videos", json=body, headers=ASYNC)
            accepted = await http.post(
                "/v1/videos", json=body | {"model": "wan2.7-i2v", "image": RED}, headers=ASYNC
            )
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "model_not_supported",
        "message": f"model {model} is not supported on /v1/videos, use the native video-synthesis API",
        "data": None,
    }
    assert accepted.status_code == 200, accepted.text

"""Every rule of research/family.md §8 as ``wan_nb.validation`` enforces it (issue 20 part 2): each refusal
asserts the error's field and that its one line names what is allowed, beside a positive control that passes.

Media are real and small (``tests.fixtures.media``): 480×400 images, 8 kHz silent WAVs, 256 px MPEG-4 clips at
4 fps, so measuring a length reads a real header.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.client_fakes import make_client
from tests.fixtures.media import image, mp3, video, wav
from wan_nb.client.providers import provider_capabilities
from wan_nb.errors import ValidationError, WanError
from wan_nb.models import Reference, VideoRequest
from wan_nb.protocols import dialect, native
from wan_nb.validation import ignored_ratio, sending_notes, validate

NATIVE = dialect("native").capabilities
RELAY = dialect("relay").capabilities
GATEWAY = dialect("unified").capabilities


@pytest.fixture(scope="module")
def m(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each test medium's path by name."""
    folder = tmp_path_factory.mktemp("family_media")
    image(folder / "a.png", (480, 400))
    image(folder / "b.jpg", (400, 480))
    image(folder / "c.webp", (480, 480))
    image(folder / "anim.gif", (480, 400))
    image(folder / "tiny.png", (200, 300))
    for seconds in (0.5, 1, 3, 9, 11):
        wav(folder / f"{seconds}s.wav", seconds)
    mp3(folder / "3s.mp3", 3)
    for seconds in (0.5, 1, 3, 5, 11, 31):
        video(folder / f"{seconds}s.mp4", seconds)
    video(folder / "3s.mov", 3, fmt="mov")
    video(folder / "3s.mkv", 3, fmt="matroska")
    return {path.name: str(path) for path in folder.iterdir()}


def refused(request: VideoRequest, field: str, *allowed: str, carriage: Any = NATIVE) -> str:
    """The one-line message of the refusal, checked to name ``field`` and every fragment of ``allowed``."""
    with pytest.raises(ValidationError) as caught:
        validate(request, carriage, providers=provider_capabilities())
    error = caught.value
    assert error.field == field, str(error)
    assert "\n" not in str(error) and str(error).startswith(f"{field}: ")
    for fragment in allowed:
        assert fragment in error.message, f"{fragment!r} not in {error.message!r}"
    return error.message


def passes(request: VideoRequest, carriage: Any = NATIVE) -> dict[str, Any]:
    return dict(validate(request, carriage, providers=provider_capabilities()))


def t2v(**fields: Any) -> VideoRequest:
    return VideoRequest(**({"prompt": "a lighthouse at dawn"} | fields))


def r2v(m: dict[str, str], *references: Any, **fields: Any) -> VideoRequest:
    return VideoRequest(**({"prompt": "Image 1 waves", "references": references or (m["a.png"],)} | fields))


def edit(m: dict[str, str], **fields: Any) -> VideoRequest:
    return VideoRequest(**({"prompt": "make it black and white", "video": m["3s.mp4"]} | fields))


def wan3(**fields: Any) -> VideoRequest:
    return VideoRequest(**({"prompt": "a storm at sea", "model": "wan3.0-video"} | fields))


# -- media allowed per model, and their counts ----------------------------------------------------------------


def test_t2v_takes_no_frames_references_or_video(m: dict[str, str]) -> None:
    refused(
        t2v(model="wan2.7-t2v", first_frame=m["a.png"]),
        "first_frame",
        "not an input of wan2.7-t2v",
        "wan2.7-i2v",
    )
    refused(t2v(model="wan2.7-t2v", references=[m["a.png"]]), "references", "takes none", "wan2.7-r2v")
    refused(t2v(model="wan2.7-t2v", video=m["3s.mp4"]), "video", "only video editing", "wan2.7-videoedit")
    assert passes(t2v()) == {}
    assert set(passes(t2v(driving_audio=m["3s.wav"]))) == {"driving_audio"}  # its input.audio_url


def test_r2v_takes_one_to_five_references(m: dict[str, str]) -> None:
    refused(VideoRequest(prompt="x", model="wan2.7-r2v"), "references", "needs 1-5", "got 0")
    refused(r2v(m, *[m["a.png"]] * 6), "references", "6 given", "at most 5")
    assert len(passes(r2v(m, *[m["a.png"]] * 5))) == 5
    assert len(passes(r2v(m, m["a.png"], m["3s.mp4"], m["b.jpg"], prompt="Image 1 and Video 1"))) == 3


def test_r2v_takes_no_last_frame_clip_or_video(m: dict[str, str]) -> None:
    refused(r2v(m, last_frame=m["a.png"]), "last_frame", "not an input of wan2.7-r2v")
    refused(r2v(m, first_clip=m["3s.mp4"]), "first_clip", "not an input of wan2.7-r2v")
    refused(r2v(m, model="wan2.7-r2v", video=m["3s.mp4"]), "video", "only video editing")
    assert set(passes(r2v(m, first_frame=m["b.jpg"]))) == {"first_frame", "references[0]"}


def test_r2v_first_frame_never_alone(m: dict[str, str]) -> None:
    alone = VideoRequest(prompt="a dancer", first_frame=m["a.png"], model="wan2.7-r2v")
    refused(alone, "first_frame", "cannot go alone", "at least one reference")
    assert "first_frame" in passes(r2v(m, first_frame=m["a.png"]))


def test_videoedit_takes_exactly_one_video_and_at_most_four_images(m: dict[str, str]) -> None:
    refused(VideoRequest(prompt="x", model="wan2.7-videoedit"), "video", "is required by wan2.7-videoedit")
    refused(edit(m, references=[m["a.png"]] * 5), "references", "5 given", "at most 4")
    assert len(passes(edit(m, references=[m["a.png"]] * 4))) == 5
    refused(edit(m, first_frame=m["a.png"]), "first_frame", "not an input of wan2.7-videoedit")
    assert set(passes(edit(m))) == {"video"}


def test_videoedit_takes_no_video_references_and_no_voices(m: dict[str, str]) -> None:
    refused(edit(m, references=[m["5s.mp4"]]), "references[0]", "is a video", "takes images")
    voiced = Reference(m["a.png"], voice=m["3s.wav"])
    refused(edit(m, references=[voiced]), "references[0].voice", "wan2.7-r2v only")
    assert set(passes(edit(m, references=[m["a.png"]]))) == {"video", "references[0]"}


def test_i2v_takes_no_references_and_no_video(m: dict[str, str]) -> None:
    i2v = VideoRequest(prompt="x", first_frame=m["a.png"], model="wan2.7-i2v")
    refused(
        VideoRequest(**(vars_of(i2v) | {"references": (Reference(m["b.jpg"]),)})), "references", "takes none"
    )
    refused(
        VideoRequest(**(vars_of(i2v) | {"video": m["3s.mp4"]})), "video", "only video editing", "first_clip"
    )
    assert set(passes(i2v)) == {"first_frame"}


def vars_of(request: VideoRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in ("prompt", "first_frame", "model")}


def test_voices_only_on_r2v_image_or_video_references(m: dict[str, str]) -> None:
    audio = Reference(m["3s.wav"], voice=m["3s.wav"])
    refused(wan3(references=[audio]), "references[0].voice", "image or video references of wan2.7-r2v")
    voiced = [Reference(m["a.png"], voice=m["3s.wav"]), Reference(m["3s.mp4"], voice=m["3s.mp3"])]
    checked = passes(r2v(m, *voiced, prompt="Image 1 talks to Video 1"))
    assert set(checked) == {"references[0]", "references[0].voice", "references[1]", "references[1].voice"}


def test_audio_references_only_on_wan3(m: dict[str, str]) -> None:
    refused(r2v(m, m["3s.wav"]), "references[0]", "is an audio", "images and videos")
    assert set(passes(wan3(references=[m["3s.wav"], m["a.png"]]))) == {"references[0]", "references[1]"}


def test_wan3_counts_per_kind(m: dict[str, str]) -> None:
    refused(wan3(references=[m["a.png"]] * 11), "references", "11 images", "at most 10")
    refused(wan3(references=[m["1s.mp4"]] * 6), "references", "6 videos", "at most 5")
    refused(wan3(references=[m["1s.wav"]] * 6), "references", "6 audios", "at most 5")
    assert len(passes(wan3(references=[m["a.png"]] * 10 + [m["1s.mp4"]] * 5 + [m["1s.wav"]] * 5))) == 20


def test_wan3_frames_xor_references(m: dict[str, str]) -> None:
    mixed = wan3(first_frame=m["a.png"], references=[m["b.jpg"]])
    refused(mixed, "references", "frames (first_frame, last_frame) or references, never both")
    assert set(passes(wan3(first_frame=m["a.png"], last_frame=m["b.jpg"]))) == {"first_frame", "last_frame"}
    assert set(passes(wan3(references=[m["b.jpg"]]))) == {"references[0]"}


def test_wan3_reference_audio_lasts_15_seconds_in_all(m: dict[str, str]) -> None:
    refused(
        wan3(references=[m["9s.wav"], m["9s.wav"]]),
        "references",
        "audio references last 18.0 s",
        "at most 15 s",
    )
    passes(wan3(references=[m["9s.wav"], m["3s.wav"]]))


def test_a_dated_snapshot_is_judged_by_its_base_models_rules(m: dict[str, str]) -> None:
    snapshot = "wan2.7-t2v-2026-04-25"
    refused(t2v(model=snapshot, first_frame=m["a.png"]), "first_frame", f"not an input of {snapshot}")
    refused(t2v(model=snapshot, duration=16), "duration", f"2-15 for {snapshot}")
    passes(t2v(model=snapshot, ratio="4:3", driving_audio=m["3s.wav"]))
    passes(r2v(m, model="wan2.7-r2v-2026-06-12", duration=15))
    refused(t2v(model="wan2.7-t2v-turbo"), "model", "not a known Wan video model (did you mean wan2.7-t2v?)")
    refused(t2v(model="wan2.5-t2v-preview"), "model", "text-to-video model of an older generation")


def test_a_case_variant_or_a_wan3_task_name_is_no_older_generation() -> None:
    said = refused(t2v(model="WAN2.7-T2V"), "model", "case-sensitive", "did you mean 'wan2.7-t2v'?")
    assert "older generation" not in said
    refused(t2v(model="Wan2.7-T2V-2026-04-25"), "model", "did you mean 'wan2.7-t2v-2026-04-25'?")
    said = refused(t2v(model="wan3.0-t2v"), "model", "did you mean 'wan3.0-video'?")
    assert "older generation" not in said
    refused(t2v(model="wan2.6-t2v"), "model", "text-to-video model of an older generation")  # the control
    passes(t2v(model="wan2.7-t2v"))


def test_a_reference_whose_kind_cannot_be_told(m: dict[str, str]) -> None:
    link = "https://example.com/character"
    refused(
        r2v(m, link), "references[0]", "kind='image'", "kind='video'", "--reference LINK:kind=image|video"
    )
    assert set(passes(r2v(m, Reference(link, kind="image")))) == {"references[0]"}


def test_an_unknown_kind_lists_the_kinds() -> None:
    link = "https://example.com/character.png"
    picture = Reference(link, kind="picture")  # type: ignore[arg-type]
    refused(VideoRequest(prompt="Image 1", references=[picture]), "references[0]", "kind='picture'",
            "kind='image' or kind='video'")  # fmt: skip
    refused(wan3(references=[picture]), "references[0]", "kind='image' or kind='video' or kind='audio'")
    passes(VideoRequest(prompt="Image 1", references=[Reference(link, kind="image")]))


# -- video and audio by URL only on r2v, videoedit and Wan 3.0 (family.md §2.2, §6, §8) ---------------------------


def _uri(path: str, mime: str) -> str:
    import base64

    with open(path, "rb") as stream:
        return f"data:{mime};base64,{base64.b64encode(stream.read()).decode()}"


def test_video_and_audio_as_data_uris_are_refused_where_only_images_may_be(m: dict[str, str]) -> None:
    clip, voice = _uri(m["3s.mp4"], "video/mp4"), _uri(m["3s.wav"], "audio/wav")
    fix = ("by URL or oss:// only", "not as a data: URI", "public http(s) URL", "dashscope")
    refused(r2v(m, clip, prompt="Video 1"), "references[0]", "wan2.7-r2v takes video", *fix)
    refused(r2v(m, Reference(m["a.png"], voice=voice)), "references[0].voice", "takes audio", *fix)
    refused(edit(m, video=clip), "video", "wan2.7-videoedit takes video", *fix)
    refused(wan3(references=[clip], prompt="Video 1"), "references[0]", "wan3.0-video takes video", *fix)
    refused(wan3(references=[voice], prompt="Audio 1"), "references[0]", "wan3.0-video takes audio", *fix)
    # images may be Base64 on the same models, and i2v keeps its data: clip and audio
    image = _uri(m["a.png"], "image/png")
    passes(r2v(m, image, first_frame=image))
    passes(edit(m, video="https://example.com/s.mp4", references=[image], prompt="put Image 1 on"))
    passes(wan3(first_frame=image))
    passes(VideoRequest(prompt="go on", first_clip=clip))
    passes(VideoRequest(prompt="sing", first_frame=image, driving_audio=voice))


def test_a_local_video_or_voice_is_refused_where_the_dialect_would_inline_it(m: dict[str, str]) -> None:
    fix = ("by URL or oss:// only", "relay dialect cannot upload", "public http(s) URL", "dashscope")
    refused(edit(m), "video", "wan2.7-videoedit takes video", *fix, carriage=RELAY)
    voiced = Reference(m["a.png"], voice=m["3s.wav"])
    refused(r2v(m, voiced), "references[0].voice", "wan2.7-r2v takes audio", *fix, carriage=RELAY)
    refused(wan3(references=[m["3s.mp4"]], prompt="Video 1"), "references[0]", "takes video", *fix,
            carriage=RELAY)  # fmt: skip
    passes(edit(m))  # native uploads it
    passes(r2v(m, voiced))
    passes(r2v(m, m["a.png"]), RELAY)  # an image may go as Base64
    passes(edit(m, video="https://example.com/s.mp4"), RELAY)
    passes(VideoRequest(prompt="go on", first_clip=m["3s.mp4"]), RELAY)  # i2v unchanged


def test_ratio_with_a_first_frame_on_r2v_is_said_to_be_ignored(m: dict[str, str]) -> None:
    said = ignored_ratio(r2v(m, first_frame=m["a.png"], ratio="9:16"))
    assert said is not None and said.startswith("ratio: '9:16' is ignored by wan2.7-r2v when a first_frame")
    assert ignored_ratio(r2v(m, ratio="9:16")) is None  # no first frame: the ratio is used
    assert ignored_ratio(r2v(m, first_frame=m["a.png"])) is None
    assert ignored_ratio(t2v(ratio="9:16")) is None


async def test_the_client_warns_once_when_it_sends_a_ratio_that_will_be_ignored(m: dict[str, str]) -> None:
    async with make_client(lambda request: httpx.Response(500), provider="relay") as client:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            passes(r2v(m, first_frame=m["a.png"], ratio="9:16"))  # checking alone does not warn
        with pytest.warns(UserWarning, match=r"^ratio: '9:16' is ignored") as seen, pytest.raises(WanError):
            await client.submit(r2v(m, first_frame=m["a.png"], ratio="9:16"))
    assert len(seen) == 1


def test_a_transparent_picture_is_sent_with_a_note(m: dict[str, str], tmp_path: Path) -> None:
    clear = tmp_path / "cutout.png"
    image(clear, (480, 400), mode="RGBA")
    request = VideoRequest(prompt="Image 1 waves", references=[clear, m["a.png"]])
    checked = validate(request, NATIVE, providers=provider_capabilities())  # not refused
    (note,) = sending_notes(request, checked)
    assert note.startswith("references[0]: cutout.png has transparency") and 'convert("RGB")' in note
    plain = VideoRequest(prompt="Image 1 waves", references=[m["a.png"]])
    assert sending_notes(plain, validate(plain, NATIVE, providers=provider_capabilities())) == []  # control


def test_a_stray_frame_says_which_input_chose_the_model(m: dict[str, str]) -> None:
    said = refused(
        VideoRequest(prompt="x", references=[m["a.png"]], first_clip=m["3s.mp4"]),
        "first_clip",
        "wan2.7-r2v (references-to-video), which the references chose",
        "leave out references to continue it (wan2.7-i2v)",
    )
    assert "model=None" not in said
    said = refused(
        edit(m, first_frame=m["a.png"]), "first_frame", "which the video to edit chose", "leave out video"
    )
    assert "model=None" not in said
    refused(t2v(model="wan2.7-t2v", first_frame=m["a.png"]), "first_frame", "leave model=None to animate it")


# -- durations per model ----------------------------------------------------------------------------------------


def test_t2v_durations(m: dict[str, str]) -> None:
    for bad in (1, 16, -1, 0):
        refused(t2v(duration=bad), "duration", "2-15 for wan2.7-t2v", f"got {bad}")
    for good in (2, 15):
        passes(t2v(duration=good))


def test_r2v_durations_with_and_without_a_reference_video(m: dict[str, str]) -> None:
    with_video = r2v(m, m["3s.mp4"], prompt="Video 1 dances", duration=11)
    refused(with_video, "duration", "2-10 for wan2.7-r2v with a reference video", "got 11")
    passes(r2v(m, m["3s.mp4"], prompt="Video 1 dances", duration=10))
    refused(r2v(m, duration=16), "duration", "2-15 for wan2.7-r2v", "got 16")
    passes(r2v(m, duration=15))
    linked = Reference("https://example.com/clip", kind="video")  # the kind said, the length the service's
    passes(r2v(m, linked, prompt="Video 1 dances", duration=10))
    refused(r2v(m, linked, prompt="Video 1 dances", duration=11), "duration", "2-10")


def test_videoedit_durations(m: dict[str, str]) -> None:
    for bad in (1, 11, -1):
        refused(edit(m, duration=bad), "duration", "0 (keep the source's length) or 2-10", f"got {bad}")
    for good in (0, 2, 10):
        passes(edit(m, duration=good))


def test_wan3_durations(m: dict[str, str]) -> None:
    for bad in (0, 1, 31, -2):
        refused(wan3(duration=bad), "duration", "-1 (the model picks) or 2-30", f"got {bad}")
    for good in (-1, 2, 30):
        passes(wan3(duration=good))


# -- ratios, resolutions, audio_setting -------------------------------------------------------------------------


def test_i2v_has_no_ratio(m: dict[str, str]) -> None:
    refused(
        VideoRequest(prompt="x", first_frame=m["a.png"], ratio="16:9"),
        "ratio",
        "takes none",
        "follows its image",
    )
    passes(VideoRequest(prompt="x", first_frame=m["a.png"]))


@pytest.mark.parametrize("ratio", ["16:9", "9:16", "1:1", "4:3", "3:4"])
def test_the_five_ratios_on_text_references_and_edits(m: dict[str, str], ratio: str) -> None:
    passes(t2v(ratio=ratio))
    passes(r2v(m, ratio=ratio))
    passes(edit(m, ratio=ratio))
    passes(wan3(ratio=ratio))


def test_adaptive_only_on_wan3(m: dict[str, str]) -> None:
    allowed = "allowed: 16:9, 9:16, 1:1, 4:3, 3:4"
    refused(t2v(ratio="adaptive"), "ratio", "'adaptive' is not offered by wan2.7-t2v", allowed)
    refused(r2v(m, ratio="adaptive"), "ratio", "'adaptive'", allowed)
    refused(edit(m, ratio="adaptive"), "ratio", "'adaptive'", allowed)
    refused(t2v(ratio="21:9"), "ratio", "'21:9'", allowed)
    refused(wan3(ratio="21:9"), "ratio", "adaptive, 16:9")
    passes(wan3(ratio="adaptive"))


def test_480p_only_on_wan3_and_the_older_rows_that_list_it(m: dict[str, str]) -> None:
    refused(t2v(resolution="480P"), "resolution", "'480P' is not offered by wan2.7-t2v", "720P, 1080P")
    refused(r2v(m, resolution="480P"), "resolution", "wan2.7-r2v", "720P, 1080P")
    refused(edit(m, resolution="480P"), "resolution", "wan2.7-videoedit", "720P, 1080P")
    refused(VideoRequest(prompt="x", first_frame=m["a.png"], resolution="480P"), "resolution", "720P, 1080P")
    refused(
        VideoRequest(prompt="x", first_frame=m["a.png"], model="wan2.6-i2v", resolution="480P"), "resolution"
    )
    passes(wan3(resolution="480P"))
    passes(VideoRequest(prompt="x", model="wan3.0-video-prime", resolution="480P"))
    for older in ("wan2.5-i2v-preview", "wan2.2-i2v-plus", "wan2.2-i2v-flash", "wanx2.1-i2v-turbo"):
        passes(VideoRequest(prompt="x", first_frame=m["a.png"], model=older, resolution="480P"))


def test_audio_setting_only_on_videoedit_and_only_auto_or_origin(m: dict[str, str]) -> None:
    refused(t2v(audio_setting="auto"), "audio_setting", "only video editing", "wan2.7-videoedit")
    refused(r2v(m, audio_setting="origin"), "audio_setting", "only video editing")
    refused(edit(m, audio_setting="keep"), "audio_setting", "'keep'", "'auto'", "'origin'")
    passes(edit(m, audio_setting="auto"))
    passes(edit(m, audio_setting="origin"))


# -- prompts ------------------------------------------------------------------------------------------------------


def test_prompt_required_on_text_and_references_optional_on_edits(m: dict[str, str]) -> None:
    refused(t2v(prompt="  "), "prompt", "is required by wan2.7-t2v")
    refused(r2v(m, prompt=""), "prompt", "is required by wan2.7-r2v")
    passes(edit(m, prompt=""))
    refused(wan3(prompt=""), "prompt", "a prompt, media or both")
    passes(wan3(prompt="", references=[m["a.png"]]))


def test_prompt_lengths(m: dict[str, str]) -> None:
    for request in (t2v(prompt="x" * 5001), r2v(m, prompt="x" * 5001), edit(m, prompt="x" * 5001)):
        refused(request, "prompt", "5001 characters", "at most 5000")
        passes(VideoRequest(**{**_fields(request), "prompt": "x" * 5000}))
    refused(wan3(prompt="x" * 20001), "prompt", "at most 20000 for wan3.0-video")
    passes(wan3(prompt="x" * 20000))
    refused(t2v(negative_prompt="x" * 501), "negative_prompt", "at most 500")
    passes(t2v(negative_prompt="x" * 500))


def _fields(request: VideoRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in ("prompt", "references", "video", "model")}


def test_no_negative_prompt_on_wan3() -> None:
    refused(
        wan3(negative_prompt="blur"),
        "negative_prompt",
        "wan3.0-video has none",
        "say what to avoid in the prompt",
    )
    passes(wan3(negative_prompt=""))  # an empty text box is no negative prompt
    passes(t2v(negative_prompt="blur"))


def test_prompt_names_only_references_that_exist(m: dict[str, str]) -> None:
    two = (m["a.png"], m["b.jpg"])
    refused(
        r2v(m, *two, prompt="Image 1 hugs Image 3"),
        "prompt",
        "names Image 3",
        "2 image references (Image 1-2)",
    )
    passes(r2v(m, *two, prompt="Image 1 hugs Image 2"))
    refused(r2v(m, *two, prompt="图1 拥抱 图3"), "prompt", "names 图3", "2 image references")
    passes(r2v(m, *two, prompt="图1 拥抱 图2"))
    # numbered per kind, in media order: the first video is Video 1 even after images
    refused(
        r2v(m, m["a.png"], m["3s.mp4"], prompt="Video 2 dances"),
        "prompt",
        "names Video 2",
        "one video reference",
    )
    passes(r2v(m, m["a.png"], m["3s.mp4"], prompt="Video 1 dances with Image 1"))
    refused(r2v(m, m["a.png"], prompt="视频1 跳舞"), "prompt", "names 视频1", "no video reference")
    refused(
        wan3(references=[m["3s.wav"]], prompt="Audio 2 plays"),
        "prompt",
        "names Audio 2",
        "one audio reference",
    )
    passes(wan3(references=[m["3s.wav"]], prompt="Audio 1 plays"))
    refused(edit(m, references=[m["a.png"]], prompt="put Image 2 on"), "prompt", "Image 1")
    passes(edit(m, references=[m["a.png"]], prompt="put Image 1 on"))
    passes(t2v(prompt="Image 3 of a series: a lighthouse"))  # text-to-video has no references to name


@pytest.mark.parametrize(
    "prompt",
    [
        "生成一段视频10秒的舞蹈，参考图1",
        "Image 1 in a Video 2000 style",
        "Image 1 dances for 3 seconds at Video 24 fps",
        "图1 跳舞，视频3秒",
        "Image 1, a 1080p Video 1080p",
        "Image 1 in Video 12",  # beyond any model's count of one kind
    ],
)
def test_a_number_with_a_unit_or_beyond_any_count_names_no_reference(m: dict[str, str], prompt: str) -> None:
    passes(r2v(m, m["a.png"], prompt=prompt))


@pytest.mark.parametrize(
    ("prompt", "named"),
    [
        ("参考图1和视频2", "视频2"),
        ("Video 2, then", "Video 2"),
        ("图2的帽子", "图2"),
        ("Video 3 sings", "Video 3"),
    ],
)
def test_names_next_to_other_words_are_still_names(m: dict[str, str], prompt: str, named: str) -> None:
    refused(r2v(m, m["a.png"], prompt=prompt), "prompt", f"names {named}")


def test_a_chinese_label_has_no_space(m: dict[str, str]) -> None:
    refused(r2v(m, m["a.png"], prompt="图1 拥抱 图2"), "prompt", "one image reference (图1)")
    refused(r2v(m, m["a.png"], m["b.jpg"], prompt="图3"), "prompt", "2 image references (图1-2)")
    refused(r2v(m, m["a.png"], prompt="Image 2"), "prompt", "one image reference (Image 1)")


# -- each medium's format and length -------------------------------------------------------------------------------


def test_voice_lasts_1_to_10_seconds(m: dict[str, str]) -> None:
    for bad, said in (("0.5s.wav", "0.5 s"), ("11s.wav", "11.0 s")):
        voiced = Reference(m["a.png"], voice=m[bad])
        refused(r2v(m, voiced), "references[0].voice", said, "1-10 s for wan2.7-r2v")
    for good in ("1s.wav", "3s.mp3"):
        passes(r2v(m, Reference(m["a.png"], voice=m[good])))


def test_voice_format(m: dict[str, str]) -> None:
    refused(r2v(m, Reference(m["a.png"], voice=m["a.png"])), "references[0].voice", "WAV, MP3")
    passes(r2v(m, Reference(m["a.png"], voice=m["3s.wav"])))


def test_reference_video_lasts_1_to_30_seconds(m: dict[str, str]) -> None:
    for bad, said in (("0.5s.mp4", "0.5 s"), ("31s.mp4", "31.0 s")):
        refused(r2v(m, m[bad], prompt="Video 1"), "references[0]", said, "1-30 s for wan2.7-r2v")
    for good in ("1s.mp4", "11s.mp4", "3s.mov"):
        passes(r2v(m, m[good], prompt="Video 1", duration=5))


def test_source_video_lasts_2_to_10_seconds(m: dict[str, str]) -> None:
    for bad, said in (("1s.mp4", "1.0 s"), ("11s.mp4", "11.0 s")):
        refused(edit(m, video=m[bad]), "video", said, "2-10 s for wan2.7-videoedit")
    for good in ("3s.mp4", "3s.mov"):
        passes(edit(m, video=m[good]))


def test_source_video_format(m: dict[str, str]) -> None:
    refused(edit(m, video=m["3s.mkv"]), "video", "MP4, MOV")
    refused(edit(m, video=m["a.png"]), "video", "MP4, MOV")


def test_reference_image_format_and_size(m: dict[str, str]) -> None:
    refused(r2v(m, m["anim.gif"]), "references[0]", "GIF", "JPEG, PNG, BMP, WEBP")
    refused(r2v(m, m["tiny.png"]), "references[0]", "200x300 px", "240-8000 px")
    for good in ("a.png", "b.jpg", "c.webp"):
        passes(r2v(m, m[good]))


def test_t2v_audio_url_lasts_2_to_30_seconds(m: dict[str, str]) -> None:
    refused(t2v(driving_audio=m["1s.wav"]), "driving_audio", "1.0 s", "2-30 s for wan2.7-t2v")
    passes(t2v(driving_audio=m["3s.mp3"]))


def test_local_media_are_read_once_and_returned_by_field(m: dict[str, str]) -> None:
    checked = passes(r2v(m, m["a.png"], Reference(m["3s.mp4"], voice=m["3s.wav"]), prompt="Image 1, Video 1"))
    assert set(checked) == {"references[0]", "references[1]", "references[1].voice"}
    assert all(item.data for item in checked.values())  # media.Content: the bytes a create sends


# -- which dialects carry which models --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "model", "task"),
    [
        (lambda m: t2v(), "wan2.7-t2v", "text-to-video"),
        (lambda m: r2v(m), "wan2.7-r2v", "references-to-video"),
        # a link: the relay cannot upload, and videoedit takes its video by URL only (family.md §2.2)
        (lambda m: edit(m, video="https://example.com/s.mp4"), "wan2.7-videoedit", "video editing"),
        (lambda m: wan3(), "wan3.0-video", "text, frames or references"),
    ],
)
def test_the_gateway_refuses_what_it_does_not_document(
    m: dict[str, str], make: Any, model: str, task: str
) -> None:
    request = make(m)
    said = refused(request, "model", model, task, "the unified dialect does not carry", carriage=GATEWAY)
    takers = said.partition("providers that take it: ")[2].split(", ")
    assert (
        {"dashscope", "relay", "sim"} <= set(takers)
        and "gateway" not in takers
        and "sim-gateway" not in takers
    )
    passes(request, RELAY)  # the relay carries the native body whole
    passes(request, NATIVE)


def test_the_gateway_still_takes_image_to_video(m: dict[str, str]) -> None:
    passes(VideoRequest(prompt="a cat", first_frame=m["a.png"]), GATEWAY)


async def test_the_client_refuses_on_the_gateway_before_any_request(m: dict[str, str]) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    async with make_client(record, provider="gateway") as client:
        with pytest.raises(ValidationError) as caught:
            await client.submit(r2v(m))
    assert caught.value.field == "model" and "providers that take it" in str(caught.value)
    assert sent == []


# -- size on models that pick their shape by ratio ------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "ratio", "resolution"),
    [("1080x1920", "9:16", "1080P"), ("1280x720", "16:9", "720P"), ("832x1104", "3:4", "720P"),
     ("1104*832", "4:3", "720P"), ("1440x1440", "1:1", "1080P")],
)  # fmt: skip
def test_a_size_on_text_to_video_keeps_its_shape(size: str, ratio: str, resolution: str) -> None:
    request = VideoRequest(prompt="a tall tower", size=size)
    passes(request)
    assert (
        native.parameters(request)["ratio"] == ratio
        and native.parameters(request)["resolution"] == resolution
    )


def test_a_size_of_no_shape_the_model_makes_or_against_the_ratio_is_refused() -> None:
    refused(
        VideoRequest(prompt="x", size="1000x300"), "size", "1000x300", "16:9, 9:16, 1:1, 4:3, 3:4", "ratio="
    )
    refused(VideoRequest(prompt="x", size="1080x1920", ratio="16:9"), "size", "is 9:16 but ratio is 16:9")
    passes(VideoRequest(prompt="x", size="1920x1080", ratio="16:9"))  # control: the same shape twice
    # image-to-video takes the frame's shape: a size picks the resolution only, as before
    passes(VideoRequest(prompt="x", first_frame="https://example.com/a.png", size="1000x300"))

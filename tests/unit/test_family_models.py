"""One request model for the family (issue 20 part 1): the model the inputs choose, its default duration, the
repr that shows it, ``references`` kept as a tuple of ``Reference`` whatever was given, and every medium by the
field that names it in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from wan_nb.family import MODELS, WAN27_EDIT, WAN27_I2V, WAN27_R2V, WAN27_T2V, WAN30, spec_of
from wan_nb.models import Reference, VideoRequest

IMAGE = "https://example.com/cat.png"
CLIP = "https://example.com/clip.mp4"
VOICE = "https://example.com/voice.wav"


# -- model=None chooses from the inputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "model"),
    [
        ({}, "wan2.7-t2v"),
        ({"driving_audio": VOICE}, "wan2.7-t2v"),  # t2v's input.audio_url: still text to video
        ({"references": [IMAGE]}, "wan2.7-r2v"),
        (
            {"references": [IMAGE], "first_frame": IMAGE},
            "wan2.7-r2v",
        ),  # r2v's first frame goes with references
        ({"video": CLIP}, "wan2.7-videoedit"),
        ({"video": CLIP, "references": [IMAGE]}, "wan2.7-videoedit"),  # an edit with reference images
        ({"first_frame": IMAGE}, "wan2.7-i2v"),
        ({"last_frame": IMAGE}, "wan2.7-i2v"),
        ({"first_clip": CLIP}, "wan2.7-i2v"),
    ],
    ids=[
        "text",
        "text+audio",
        "references",
        "references+frame",
        "video",
        "video+refs",
        "frame",
        "last",
        "clip",
    ],
)
def test_the_inputs_choose_the_model(fields: dict[str, object], model: str) -> None:
    request = VideoRequest(prompt="a lighthouse at dawn", **fields)  # type: ignore[arg-type]
    assert request.model is None
    assert request.chosen_model == model


def test_wan3_only_when_named() -> None:
    for fields in ({}, {"references": [IMAGE]}, {"first_frame": IMAGE}):
        assert not VideoRequest(prompt="x", **fields).chosen_model.startswith("wan3")  # type: ignore[arg-type]
    named = VideoRequest(prompt="x", references=[IMAGE], model="wan3.0-video")
    assert named.chosen_model == "wan3.0-video"
    assert spec_of(named.chosen_model) is WAN30 and not WAN30.official


def test_a_named_model_wins_over_the_inputs() -> None:
    assert VideoRequest(prompt="x", first_frame=IMAGE, model="wan2.6-i2v").chosen_model == "wan2.6-i2v"


@pytest.mark.parametrize(
    ("snapshot", "base"),
    [
        ("wan2.7-t2v-2026-04-25", WAN27_T2V),
        ("wan2.7-r2v-2026-06-12", WAN27_R2V),
        ("wan2.7-i2v-2026-04-25", WAN27_I2V),
        ("wan2.6-i2v-flash", MODELS["wan2.6-i2v-flash"]),  # the longest base name wins over wan2.6-i2v
    ],
)
def test_a_dated_snapshot_takes_its_base_models_rules(snapshot: str, base: object) -> None:
    assert spec_of(snapshot) is base
    request = VideoRequest(prompt="x", model=snapshot)
    assert request.chosen_model == snapshot  # sent as named
    assert request.chosen_duration == spec_of(snapshot).default_duration


def test_each_row_answers_the_questions_code_asks() -> None:
    assert (WAN27_T2V.task, WAN27_I2V.task, WAN27_R2V.task, WAN27_EDIT.task, WAN30.task) == (
        "text",
        "image",
        "references",
        "edit",
        "omni",
    )
    assert WAN27_T2V.ratios and not WAN27_I2V.ratios
    assert WAN27_R2V.references == (1, 5) and WAN27_EDIT.references == (0, 4)
    assert WAN27_EDIT.source_video is not None and WAN27_R2V.source_video is None
    assert WAN27_EDIT.audio_settings == ("auto", "origin") and not WAN27_T2V.audio_settings
    assert all(spec.official for spec in (WAN27_T2V, WAN27_I2V, WAN27_R2V, WAN27_EDIT))
    assert not MODELS["wan3.0-video-prime"].official


# -- chosen_duration -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "default"),
    [
        ({}, 5),
        ({"first_frame": IMAGE}, 5),
        ({"references": [IMAGE]}, 5),
        ({"video": CLIP}, 0),  # 0 = keep the source's length, videoedit's documented default
        ({"model": "wan3.0-video"}, 5),
    ],
    ids=["t2v", "i2v", "r2v", "videoedit", "wan3"],
)
def test_duration_none_is_the_models_default(fields: dict[str, object], default: int) -> None:
    request = VideoRequest(prompt="x", **fields)  # type: ignore[arg-type]
    assert request.duration is None
    assert request.chosen_duration == default


def test_a_given_duration_is_kept() -> None:
    assert VideoRequest(prompt="x", video=CLIP, duration=4).chosen_duration == 4
    assert VideoRequest(prompt="x", model="wan3.0-video", duration=-1).chosen_duration == -1


# -- repr ----------------------------------------------------------------------------------------------------


def test_repr_shows_the_chosen_model_and_its_duration() -> None:
    text = repr(VideoRequest(prompt="a lighthouse at dawn"))
    assert "model='wan2.7-t2v' (chosen)" in text and "duration=5" in text
    edit = repr(VideoRequest(prompt="black and white", video=CLIP, audio_setting="origin", ratio="1:1"))
    assert "model='wan2.7-videoedit' (chosen)" in edit and "duration=0" in edit
    assert "audio_setting='origin'" in edit and "ratio='1:1'" in edit and f"video={CLIP!r}" in edit
    named = repr(VideoRequest(prompt="x", model="wan2.7-t2v-2026-04-25"))
    assert "model='wan2.7-t2v-2026-04-25'" in named and "(chosen)" not in named


def test_repr_never_shows_a_payload() -> None:
    payload = b"\x89PNG" + b"A" * 5000
    uri = "data:image/png;base64," + "QUFB" * 2000
    text = repr(VideoRequest(prompt="x", references=[Reference(payload, voice=uri)], video=payload))
    assert "AAAA" not in text and "QUFB" not in text
    assert "Reference(<5004 bytes>, voice=<data URI, 8022 chars>)" in text
    assert "video=<5004 bytes>" in text


# -- references normalisation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [IMAGE, Path("/tmp/cat.png"), b"\x89PNG raw", Reference(IMAGE)],
    ids=["url", "path", "bytes", "Reference"],
)
def test_one_medium_is_one_reference(given: object) -> None:
    request = VideoRequest(prompt="Image 1 waves", references=given)  # type: ignore[arg-type]
    assert isinstance(request.references, tuple) and len(request.references) == 1
    (reference,) = request.references
    assert isinstance(reference, Reference)
    assert reference.medium == (given.medium if isinstance(given, Reference) else given)


def test_a_list_of_media_and_references_becomes_a_tuple_of_references() -> None:
    voiced = Reference(CLIP, voice=VOICE, kind="video")
    request = VideoRequest(prompt="x", references=[IMAGE, voiced, Path("/tmp/b.png")])
    assert request.references == (Reference(IMAGE), voiced, Reference(Path("/tmp/b.png")))
    assert request.references[1].voice == VOICE and request.references[1].kind == "video"
    assert VideoRequest(prompt="x", references=iter([IMAGE])).references == (Reference(IMAGE),)


def test_requests_with_equal_references_are_equal() -> None:
    assert VideoRequest(prompt="x", references=[IMAGE]) == VideoRequest(
        prompt="x", references=(Reference(IMAGE),)
    )
    assert VideoRequest(prompt="x", references=[IMAGE]) != VideoRequest(prompt="x", references=[CLIP])
    assert VideoRequest(prompt="x").references == ()


# -- inputs() --------------------------------------------------------------------------------------------------


def test_inputs_name_every_medium_by_its_field() -> None:
    request = VideoRequest(
        prompt="x",
        first_frame=IMAGE,
        video=CLIP,
        references=[IMAGE, Reference(CLIP, voice=VOICE)],
    )
    assert request.inputs() == {
        "first_frame": IMAGE,
        "video": CLIP,
        "references[0]": IMAGE,
        "references[1]": CLIP,
        "references[1].voice": VOICE,
    }
    assert request.media() == {"first_frame": IMAGE}  # the single-medium roles only
    assert VideoRequest(prompt="x").inputs() == {}


def test_no_references_as_none_and_a_mapping_refused() -> None:
    assert VideoRequest(prompt="x", references=None).references == ()  # type: ignore[arg-type]
    assert VideoRequest(prompt="x", references=None).chosen_model == "wan2.7-t2v"  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^references: got a dict; pass a list of media") as caught:
        VideoRequest(prompt="x", references={"a": IMAGE})  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)
    assert VideoRequest(prompt="x", references=[IMAGE]).references == (Reference(IMAGE),)  # the control

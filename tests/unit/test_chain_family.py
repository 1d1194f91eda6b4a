"""``wan_nb.lab.chain`` across the family's tasks, on a finished task whose video is a small real MP4, and the
journal's lineage (``parent``)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from tests.fixtures.media import image, video, wav
from wan_nb.client import Journal, JournalEntry
from wan_nb.client._journal_rows import request_of
from wan_nb.client.journal import fingerprint, summarize
from wan_nb.display.inputs import (
    billed_text,
    duration_text,
    inputs_html,
    journaled_inputs_html,
    model_line,
)
from wan_nb.errors import ValidationError
from wan_nb.family import WAN27_EDIT, WAN27_I2V, WAN27_R2V, WAN27_T2V, WAN30
from wan_nb.lab import chain
from wan_nb.models import Reference, Task, TaskStatus, Usage, VideoRequest
from wan_nb.protocols import DIALECTS
from wan_nb.widgets.history import lineage

NATIVE = DIALECTS["native"].capabilities
GATEWAY = DIALECTS["unified"].capabilities


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    found = {"clip": tmp_path / "out" / "t-parent.mp4", "long": tmp_path / "out" / "t-long.mp4"}
    found["clip"].parent.mkdir()
    video(found["clip"], 3)  # 3 s, 256 px: a valid source to edit and a valid reference video
    video(found["long"], 11)  # past videoedit's 2-10 s
    found["cat"] = tmp_path / "cat.png"
    image(found["cat"], (480, 400))
    found["voice"] = tmp_path / "voice.wav"
    wav(found["voice"], 3)
    return found


@pytest.fixture
def task(media: dict[str, Path]) -> Task:
    return Task(id="t-parent", status=TaskStatus.SUCCEEDED, provider="sim", path=media["clip"])


def text_request() -> VideoRequest:
    return VideoRequest(
        prompt="a lighthouse on a cliff at dusk",
        model=WAN27_T2V.model,
        ratio="9:16",
        seed=42,
        duration=12,
        negative_prompt="blur",
        resolution="1080P",
    )


def image_request(media: dict[str, Path]) -> VideoRequest:
    return VideoRequest(
        prompt="a cat turns its head",
        first_frame=media["cat"],
        last_frame=media["cat"],
        driving_audio=media["voice"],
        seed=7,
        duration=4,
    )


# -- edit_clip -----------------------------------------------------------------------------------------------


def test_edit_clip_edits_the_result_and_keeps_its_length(task: Task, media: dict[str, Path]) -> None:
    edited = chain.edit_clip(task, image_request(media), prompt="make it night", dialect=NATIVE)
    assert edited.model == WAN27_EDIT.model and edited.parent == task.id
    assert edited.video == task.path and edited.prompt == "make it night"
    assert edited.duration is None and edited.chosen_duration == 0  # videoedit's "keep the source's length"
    assert edited.media() == {} and edited.references == ()  # the frames and audio belonged to the clip
    assert edited.seed == 7
    again = chain.edit_clip(task, edited, prompt="black and white", audio_setting="origin", dialect=NATIVE)
    assert again.audio_setting == "origin" and again.parent == task.id and again.video == task.path
    cut = chain.edit_clip(task, text_request(), prompt="snow", duration=3, dialect=NATIVE)
    assert cut.duration == 3 and cut.ratio == "9:16" and cut.negative_prompt == "blur"


def test_edit_clip_is_refused_where_videoedit_cannot_go(task: Task, media: dict[str, Path]) -> None:
    request = VideoRequest(prompt="a cat", first_frame=media["cat"], seed=3)
    assert chain.edit_clip(task, request, dialect=NATIVE).video == task.path  # positive control
    with pytest.raises(ValidationError, match=r"^model: .*video editing") as refused:
        chain.edit_clip(task, request, dialect=GATEWAY)  # the gateway carries image-to-video only
    assert refused.value.field == "model"
    long = replace(task, path=media["long"])
    with pytest.raises(ValidationError, match=r"^video: ") as too_long:
        chain.edit_clip(long, request, dialect=NATIVE)  # an 11 s result: videoedit takes 2-10 s
    assert "10" in too_long.value.message
    with pytest.raises(ValidationError, match="task: task t-run is running"):
        chain.edit_clip(Task(id="t-run", status=TaskStatus.RUNNING), request)


def test_after_the_sync_facade_edit_and_reference_need_only_the_task(task: Task) -> None:
    # wan_nb.generate(prompt=...) returns the Task alone: the next step must not need the request it built
    edited = chain.edit_clip(task, prompt="make it night", dialect=NATIVE)
    assert edited.model == WAN27_EDIT.model and edited.video == task.path and edited.parent == task.id
    assert edited.prompt == "make it night" and edited.seed is None and edited.chosen_duration == 0
    cast = chain.as_reference(task, prompt="Image 1 walks into a library", dialect=NATIVE)
    assert cast.model == WAN27_R2V.model and cast.references[0].kind == "image" and cast.parent == task.id


def test_a_prompt_where_the_request_belongs_is_named_in_one_line(task: Task) -> None:
    with pytest.raises(
        TypeError, match=r"^request: must be the VideoRequest that made task t-parent .*got str$"
    ):
        chain.edit_clip(task, "make it night")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^request: .*got str$"):
        chain.animate_frame(task, "a cat")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^task: must be the Task to chain from, got VideoRequest$"):
        chain.reuse_seed(text_request(), task)  # type: ignore[arg-type]
    assert chain.reuse_seed(task, text_request()).parent == task.id  # positive control


def test_the_next_try_from_a_wan3_references_try_drops_them_for_its_frame(
    task: Task, media: dict[str, Path]
) -> None:
    # Wan 3.0 takes frames or references, never both (family.md §6): the last frame replaces the references
    omni = VideoRequest(prompt="the cat waves", model=WAN30.model, references=(media["cat"],), seed=7)
    following = chain.next_from_last_frame(task, omni, dialect=NATIVE)
    assert following.model == WAN30.model and following.references == () and following.first_frame is not None
    with pytest.raises(ValidationError, match=r"^prompt: names Image 1, but there is no image reference"):
        chain.next_from_last_frame(
            task, replace(omni, prompt="Image 1 waves"), dialect=NATIVE
        )  # the panel hides it
    r2v = VideoRequest(prompt="Image 1 waves", references=(media["cat"],), seed=7)
    kept = chain.next_from_last_frame(task, r2v, dialect=NATIVE)  # control: r2v's first frame needs them
    assert kept.references == r2v.references and kept.first_frame is not None


# -- as_reference --------------------------------------------------------------------------------------------


def test_as_reference_makes_the_results_frame_image_1(task: Task, media: dict[str, Path]) -> None:
    chained = chain.as_reference(
        task, image_request(media), prompt="Image 1 walks into a library", dialect=NATIVE
    )
    assert chained.model == WAN27_R2V.model and chained.parent == task.id
    (reference,) = chained.references
    assert reference.kind == "image" and isinstance(reference.medium, Path)
    assert reference.medium.suffix == ".jpg" and reference.medium.parent == media["clip"].parent
    with Image.open(reference.medium) as still:
        assert still.size == (256, 256)  # full size: a valid reference image
    assert chained.media() == {} and chained.video is None and chained.seed == 7 and chained.duration == 4
    first = chain.as_reference(task, image_request(media), prompt="Image 1 sits", at="first")
    assert first.references[0].medium != reference.medium  # another frame, another still
    with pytest.raises(ValidationError, match=r"^prompt: names Image 2, but there is one image reference"):
        chain.as_reference(task, image_request(media), prompt="Image 1 meets Image 2", dialect=NATIVE)


def test_as_reference_with_the_clip_itself_and_a_voice(task: Task, media: dict[str, Path]) -> None:
    chained = chain.as_reference(
        task, text_request(), prompt="Video 1 waves", kind="video", voice=media["voice"], dialect=NATIVE
    )
    assert chained.references == (Reference(task.path, voice=media["voice"], kind="video"),)
    assert chained.duration is None  # 12 s is past what a reference video allows (2-10): the default
    assert chained.ratio == "9:16" and chained.resolution == "1080P" and chained.negative_prompt == "blur"
    as_image = chain.as_reference(task, text_request(), prompt="Image 1 waves")
    assert as_image.duration == 12  # 2-15 with an image reference
    with pytest.raises(ValidationError, match=r"^kind: must be \"image\""):
        chain.as_reference(task, text_request(), prompt="Audio 1", kind="audio")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^model: .*references-to-video"):
        chain.as_reference(
            task, VideoRequest(prompt="x", first_frame=media["cat"]), prompt="Image 1", dialect=GATEWAY
        )


# -- animate_frame -------------------------------------------------------------------------------------------


def test_animate_frame_starts_image_to_video_from_a_frame(task: Task, media: dict[str, Path]) -> None:
    moving = chain.animate_frame(task, text_request(), dialect=NATIVE)
    assert moving.model == WAN27_I2V.model and moving.parent == task.id
    assert isinstance(moving.first_frame, Path) and moving.first_frame.name == "t-parent.last.jpg"
    assert moving.ratio is None  # image-to-video follows its image
    assert (moving.prompt, moving.seed, moving.duration) == (text_request().prompt, 42, 12)
    middle = chain.animate_frame(task, image_request(media), at="middle")
    assert isinstance(middle.first_frame, Path) and middle.first_frame.name == "t-parent.t1.5.jpg"
    assert middle.last_frame is None and middle.driving_audio is None
    plain = VideoRequest(prompt="a cat", first_frame=media["cat"], seed=1)
    assert chain.animate_frame(task, plain, at=2, dialect=GATEWAY).first_frame is not None  # i2v: carried
    with pytest.raises(ValidationError, match=r"^at: must be \"first\", \"middle\", \"last\""):
        chain.animate_frame(task, plain, at="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^at: "):
        chain.animate_frame(task, plain, at=99)  # past the clip's 3 s


# -- other_task ----------------------------------------------------------------------------------------------


def test_other_task_keeps_what_the_other_model_takes(task: Task, media: dict[str, Path]) -> None:
    text = chain.other_task(task, image_request(media), WAN27_T2V.model, dialect=NATIVE)
    assert text.model == WAN27_T2V.model and text.parent == task.id
    assert text.media() == {"driving_audio": media["voice"]}  # t2v takes a soundtrack, not frames
    assert (text.prompt, text.seed, text.duration) == ("a cat turns its head", 7, 4)
    snapshot = chain.other_task(task, text_request(), "wan2.7-t2v-2026-04-25", dialect=NATIVE)
    assert snapshot.model == "wan2.7-t2v-2026-04-25"
    r2v = VideoRequest(
        prompt="Image 1 sings", references=[Reference(media["cat"], voice=media["voice"])], seed=5,
        negative_prompt="blur",
    )  # fmt: skip
    omni = chain.other_task(task, r2v, WAN30, dialect=NATIVE)
    assert omni.model == WAN30.model and omni.negative_prompt is None  # Wan 3.0 has no negative prompt
    assert omni.references == (Reference(media["cat"]),)  # and no voices
    assert (
        chain.other_task(task, text_request(), WAN27_I2V, first_frame=media["cat"], dialect=NATIVE).ratio
        is None
    )


def test_other_task_names_the_input_the_other_model_needs(task: Task, media: dict[str, Path]) -> None:
    with pytest.raises(
        ValidationError, match=r"^first_frame: wan2.7-i2v \(image-to-video\) starts from a frame"
    ):
        chain.other_task(task, text_request(), WAN27_I2V.model)
    given = chain.other_task(task, text_request(), WAN27_I2V.model, first_frame=media["cat"], dialect=NATIVE)
    assert given.first_frame == media["cat"]  # positive control: changes give the frame
    with pytest.raises(ValidationError, match=r"^references: wan2.7-r2v .* needs 1-5 references"):
        chain.other_task(task, text_request(), WAN27_R2V.model)
    with pytest.raises(ValidationError, match=r"^video: wan2.7-videoedit .* edits a video"):
        chain.other_task(task, text_request(), WAN27_EDIT.model)
    with pytest.raises(ValidationError, match=r"^model: .*text-to-video"):
        chain.other_task(task, image_request(media), WAN27_T2V.model, dialect=GATEWAY)
    with pytest.raises(ValidationError, match=r"^prompt: is required by wan2.7-t2v"):
        chain.other_task(task, VideoRequest(first_frame=media["cat"]), WAN27_T2V.model, dialect=NATIVE)


def test_continue_clip_goes_on_as_image_to_video_from_another_task(
    task: Task, media: dict[str, Path]
) -> None:
    onward = chain.continue_clip(task, text_request(), dialect=NATIVE)
    assert onward.model == WAN27_I2V.model and onward.first_clip == task.path and onward.parent == task.id
    assert (
        onward.ratio is None and onward.prompt == text_request().prompt and onward.seed == 42
    )  # i2v: no ratio
    edited = chain.edit_clip(task, text_request(), prompt="make it night")
    assert chain.continue_clip(task, edited, dialect=NATIVE).video is None  # the edit's source stays behind
    kept = chain.continue_clip(
        task, image_request(media), dialect=NATIVE
    )  # already i2v: the request as it was
    assert kept.model is None and kept.chosen_model == WAN27_I2V.model and kept.last_frame == media["cat"]
    older = VideoRequest(prompt="a cat", first_frame=media["cat"], model="wan2.6-i2v")
    with pytest.raises(ValidationError, match=r"wan2.6-i2v"):  # an older image model keeps its name
        chain.continue_clip(task, older, dialect=NATIVE)


def test_the_earlier_helpers_set_the_parent_too(task: Task, media: dict[str, Path]) -> None:
    request = VideoRequest(prompt="a cat", first_frame=media["cat"], seed=3)
    for helper in (chain.reuse_seed, chain.next_from_last_frame, chain.continue_clip, chain.edit_and_rerun):
        assert helper(task, request).parent == task.id, helper.__name__
        assert helper(task, request, parent=None).parent is None  # changes come last, parent too


# -- lineage in the journal ----------------------------------------------------------------------------------


def test_the_journal_names_each_input_as_the_prompt_did(media: dict[str, Path]) -> None:
    request = VideoRequest(
        prompt="Image 1 and Video 1",
        references=[media["cat"].read_bytes(), Reference(media["clip"], voice=media["voice"])],
    )
    described = summarize(request)["media"]
    assert described["references[0]"] == {
        "kind": "bytes",
        "size": media["cat"].stat().st_size,
        "reference": "image",
    }
    assert described["references[1]"]["reference"] == "video" and str(media["clip"].parent) not in repr(
        described
    )
    shown = journaled_inputs_html(described)
    assert re.findall(r"<figcaption[^>]*>([^<]+)<", shown) == ["Image 1", "Video 1 + voice"]
    assert "an upload" in shown and "t-parent.mp4" in shown and "<img" not in shown  # names, no payloads
    edit = journaled_inputs_html(summarize(VideoRequest(prompt="make it snow", video=media["clip"]))["media"])
    assert "source</figcaption>" in edit and "t-parent.mp4" in edit
    assert journaled_inputs_html(None) == "" and journaled_inputs_html({"references[0]": "junk"}) == ""
    assert journaled_inputs_html({}) == ""


def test_the_fingerprint_counts_references_and_the_source_video(media: dict[str, Path]) -> None:
    cat = VideoRequest(prompt="Image 1 waves", references=[media["cat"]])
    clip = VideoRequest(prompt="Image 1 waves", references=[media["clip"]])
    assert fingerprint(cat) != fingerprint(clip) and fingerprint(cat) == fingerprint(replace(cat))
    edit = VideoRequest(prompt="make it snow", video=media["clip"])
    assert fingerprint(edit) != fingerprint(replace(edit, video=media["long"]))


def test_the_journal_keeps_the_parent_outside_the_fingerprint(tmp_path: Path, task: Task) -> None:
    request = VideoRequest(prompt="make it night", video="https://example.com/a.mp4", parent="t-parent")
    orphan = replace(request, parent=None)
    assert summarize(request)["parent"] == "t-parent" and "parent" not in summarize(orphan)
    assert fingerprint(request) == fingerprint(orphan)  # lineage does not decide the output
    assert fingerprint(request) != fingerprint(replace(request, prompt="make it day"))  # positive control
    assert (
        request_of(summarize(request)).parent == "t-parent" and request_of(summarize(orphan)).parent is None
    )
    assert request_of({**summarize(request), "parent": 7}).parent is None  # a bad value is left out
    journal = Journal(tmp_path / "j.sqlite3")
    child = Task(id="t-child", status=TaskStatus.QUEUED, provider="sim")
    journal.record(task, base_url="http://sim.localhost", dialect="native", request=orphan)
    journal.record(child, base_url="http://sim.localhost", dialect="native", request=request)
    journal.update(replace(child, status=TaskStatus.SUCCEEDED, usage=Usage(10.04, input_seconds=5.04)))
    by_id = {entry.task_id: entry for entry in journal.entries()}
    assert by_id["t-child"].parent == "t-parent" and by_id["t-parent"].parent is None
    assert by_id["t-child"].to_request().parent == "t-parent"
    usage = by_id["t-child"].to_task().usage
    assert usage is not None and (usage.billed_seconds, usage.input_seconds) == (10.04, 5.04)
    journal.update(
        replace(child, status=TaskStatus.SUCCEEDED, usage=None, prompt="p")
    )  # a poll without usage
    kept = next(e for e in journal.entries() if e.task_id == "t-child")
    assert (kept.billed_seconds, kept.input_seconds) == (10.04, 5.04)


def _entry(task_id: str, created: float, parent: str | None = None) -> JournalEntry:
    request = summarize(VideoRequest(prompt=task_id, parent=parent))
    return JournalEntry(
        task_id, "sim", "sim.localhost", "http://sim.localhost", "native", request, "f", TaskStatus.SUCCEEDED,
        "SUCCEEDED", None, None, None, None, created, created, None,
    )  # fmt: skip


def test_the_history_places_each_try_under_the_one_it_came_from() -> None:
    root, other = _entry("root", 1), _entry("other", 2)
    edit, again, ref = _entry("edit", 3, "root"), _entry("again", 5, "edit"), _entry("ref", 4, "root")
    journaled = [root, other, edit, again, ref]
    placed = [(entry.task_id, depth) for entry, depth in lineage(journaled, journaled)]
    # the chain with the newest try (again, at 5) first; children as they were made, depth first
    assert placed == [("root", 0), ("edit", 1), ("again", 2), ("ref", 1), ("other", 0)]
    # a shown try brings its ancestors, so the chain is whole; a parent never journaled leaves it a root
    assert [e.task_id for e, _ in lineage([again], journaled)] == ["root", "edit", "again"]
    orphan = _entry("orphan", 6, "gone")
    assert lineage([orphan], [orphan]) == [(orphan, 0)]
    loop_a, loop_b = _entry("a", 1, "b"), _entry("b", 2, "a")  # a corrupt journal: shown, not lost or hung
    assert sorted(e.task_id for e, _ in lineage([loop_a, loop_b], [loop_a, loop_b])) == ["a", "b"]


def test_billed_seconds_and_the_model_line() -> None:
    assert billed_text(None) == "" and billed_text(Usage()) == ""
    assert billed_text(Usage(10.04, video_seconds=5, input_seconds=5.04)) == "billed 5 s out + 5.04 s in"
    assert billed_text(Usage(5.0)) == "billed 5 s out"  # no input video
    assert billed_text(Usage(8.5, input_seconds=3.5)) == "billed 5 s out + 3.5 s in"  # output = the rest
    assert model_line(VideoRequest(prompt="a cat")) == "text-to-video · wan2.7-t2v"
    assert model_line(VideoRequest(video="x.mp4")) == "video editing · wan2.7-videoedit"


def test_a_duration_that_is_no_length_says_what_it_means() -> None:
    assert duration_text(VideoRequest(prompt="a cat", duration=7)) == "7 s"
    edit = VideoRequest(video="x.mp4", duration=0)
    assert duration_text(edit) == "the source's length"
    assert (
        duration_text(edit, Usage(10.04, video_seconds=5.04, input_seconds=5.0))
        == "the source's length (5.04 s)"
    )
    assert duration_text(replace(edit, duration=4)) == "4 s"
    smart = VideoRequest(model=WAN30.model, prompt="a kite", duration=-1)
    assert duration_text(smart) == "the model picks" and duration_text(smart, Usage()) == "the model picks"
    assert duration_text(smart, Usage(12.0)) == "the model picks (12 s)"


def test_the_inputs_are_labelled_as_the_prompt_names_them(media: dict[str, Path]) -> None:
    request = VideoRequest(
        prompt="Image 1 and Video 1 and Image 2",
        references=[
            media["cat"],
            Reference(media["clip"], voice=media["voice"]),
            "https://example.com/x.png",
        ],
        first_frame=media["cat"],
    )
    shown = inputs_html(request)
    assert re.findall(r'alt="([^"]+)"', shown) == ["Image 1", "Video 1 + voice"]  # the link is not fetched
    assert "Video 1 + voice · 3 s" in shown and "Image 2</figcaption>" in shown and "x.png" in shown
    assert "first frame" not in shown and 'alt="first frame"' in inputs_html(request, frames=True)
    assert inputs_html(VideoRequest(prompt="a cat")) == "" and inputs_html(None) == ""
    uploaded = inputs_html(VideoRequest(prompt="Image 1", references=[media["cat"].read_bytes()]))
    assert 'alt="Image 1" ' in uploaded and "data:image/jpeg;base64," in uploaded  # an upload's bytes
    assert not list(media["clip"].parent.glob("*.jpg"))  # nothing written beside a user's video
    edit = inputs_html(
        VideoRequest(prompt="make it snow", video=media["clip"].read_bytes())
    )  # an uploaded clip
    assert 'alt="source"' in edit and "source · 3 s" in edit and "data:image/jpeg;base64," in edit

"""The panel for every task of the family: the task picker, the fields each task shows, the reference list and
its numbering, the prompt's hint, fill() of any request, input seconds in the estimate, a task the provider
cannot carry, and text-to-video, references-to-video and an edit run on the simulator.

Headless, as ``test_panel.py``: outside a kernel ipywidgets uses a dummy comm; the simulator runs in-process.
"""

from __future__ import annotations

import ast
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import ipywidgets as widgets
import pytest

from wan_nb import assets
from wan_nb.client import AsyncWanClient, PollSchedule, capabilities_of
from wan_nb.display import frontend
from wan_nb.family import WAN27_EDIT, WAN27_I2V, WAN27_R2V, WAN27_T2V, WAN30
from wan_nb.models import Reference, VideoRequest
from wan_nb.sim import SimApp, create_app
from wan_nb.widgets import TaskCard, WanPanel
from wan_nb.widgets._code import request_snippet
from wan_nb.widgets._tasks import TASK_CHOICES
from wan_nb.widgets.compare import NO_AXIS
from wan_nb.widgets.inputs import InputForm

FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)
LABEL = {choice.spec.model: choice.label for choice in TASK_CHOICES}
Factory = Callable[..., AsyncWanClient]
CAT_BYTES = Path(assets.cat).read_bytes()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "notebook"
    folder.mkdir()
    monkeypatch.chdir(folder)
    lab = frontend.FrontEnd(frontend.Kind.JUPYTER, ("JPY_SESSION_NAME",))
    monkeypatch.setattr(frontend, "detect", lambda *args, **kwargs: lab)
    return folder


@pytest.fixture
def sim_apps(tmp_path: Path) -> Iterator[Callable[..., SimApp]]:
    apps: list[SimApp] = []

    def make(**knobs: Any) -> SimApp:
        apps.append(create_app(state_dir=tmp_path / "sim", **{"task_time": 1.0, **knobs}))
        return apps[-1]

    yield make
    for app in apps:
        app.close()


@pytest.fixture
async def clients(sim_apps: Callable[..., SimApp]) -> AsyncIterator[Factory]:
    made: list[AsyncWanClient] = []

    def make(app: SimApp | None = None, provider: str = "sim") -> AsyncWanClient:
        transport = httpx.ASGITransport(app=app or sim_apps())
        made.append(AsyncWanClient(provider, transport=transport, poll=FAST))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def panels() -> AsyncIterator[Callable[..., WanPanel]]:
    made: list[WanPanel] = []

    def make(client: AsyncWanClient, **kwargs: Any) -> WanPanel:
        made.append(WanPanel(client, history=False, **kwargs))
        made[-1].form.duration.value = 2  # short renders
        return made[-1]

    yield make
    for panel in made:
        await panel.aclose()


def shown(widget: widgets.Widget) -> bool:
    return widget.layout.display != "none"


def creates(app: SimApp) -> int:
    return int(app.stats.creates.total())


async def generate(panel: WanPanel) -> TaskCard:
    panel.generate.click()
    await panel.wait_idle()
    return panel.cards[-1]


def assert_plays(card: TaskCard) -> None:
    assert card.state == "SUCCEEDED" and card.error is None, card.error
    assert card.task is not None and card.task.path is not None and Path(card.task.path).is_file()
    (output,) = card.player.outputs
    assert f'src="wan_outputs/{card.task.id}.mp4"' in output["data"]["text/html"]


# -- the picker and the fields each task shows -------------------------------------------------------------


def test_the_task_starts_on_image_with_a_first_frame_and_on_text_without() -> None:
    assert InputForm(first_frame=assets.cat).spec == WAN27_I2V
    assert InputForm().spec == WAN27_T2V
    # The gateway carries image-to-video only: a panel opened there without inputs starts on what it takes.
    gateway = capabilities_of("sim-gateway")
    assert InputForm(capabilities=gateway).spec == WAN27_I2V
    assert "⚠" not in InputForm(capabilities=gateway).task_note.value
    assert [choice.spec for choice in TASK_CHOICES] == [WAN27_T2V, WAN27_I2V, WAN27_R2V, WAN27_EDIT, WAN30]


def test_the_fields_follow_the_model_rows() -> None:
    form = InputForm()
    layout: dict[str, dict[str, Any]] = {}
    for choice in TASK_CHOICES:
        form.task.value = choice.label
        layout[choice.spec.model] = {
            "first": shown(form.first_frame.row),
            "last": shown(form.last_frame.row),
            "audio": shown(form.driving_audio.row),
            "audio_label": form.driving_audio.label,
            "clip": shown(form.first_clip.row),
            "source": shown(form.video.row),
            "references": shown(form.references_box),
            "negative": shown(form.negative_box),
            "ratio": shown(form.ratio_row) and [v for _, v in form.ratio.options if v],
            "sound": shown(form.sound_row) and [v for _, v in form.audio_setting.options if v],
            "seconds": (form.duration.min, form.duration.max),
            "auto": shown(form.duration_auto) and form.duration_auto.description,
            "switch": shown(form.audio),
            "sizes": [value for _, value in form.size.options],
            "limit": form.prompt_count.value.rsplit("/ ", 1)[1].split(" ")[0],
        }
    t2v, i2v, r2v, edit, wan3 = (
        layout[spec.model] for spec in (WAN27_T2V, WAN27_I2V, WAN27_R2V, WAN27_EDIT, WAN30)
    )
    # text: a soundtrack, a ratio, no media to animate
    assert t2v["audio"] and t2v["audio_label"] == "Soundtrack (audio_url)" and not t2v["first"]
    assert not (t2v["last"] or t2v["clip"] or t2v["source"] or t2v["references"] or t2v["sound"])
    assert t2v["ratio"] == ["16:9", "9:16", "1:1", "4:3", "3:4"] and t2v["seconds"] == (2, 15)
    # image: frames, lip-sync audio, a clip to continue; the aspect follows the image (no ratio)
    assert (
        i2v["first"]
        and i2v["last"]
        and i2v["clip"]
        and i2v["audio"]
        and i2v["audio_label"] == "Driving audio"
    )
    assert not (i2v["ratio"] or i2v["references"] or i2v["source"] or i2v["auto"])
    assert i2v["sizes"] == ["720P", "1080P"] and i2v["negative"] and i2v["limit"] == "5000"
    # references: the list and an optional first frame
    assert (
        r2v["references"]
        and r2v["first"]
        and r2v["ratio"]
        and not (r2v["last"] or r2v["audio"] or r2v["clip"])
    )
    # edit: a source, up to four reference images, audio_setting, 0 = keep the source's length
    assert edit["source"] and edit["references"] and edit["sound"] == ["auto", "origin"]
    assert not (edit["first"] or edit["last"] or edit["audio"] or edit["clip"])
    assert edit["seconds"] == (2, 10) and edit["auto"] == "keep the source's length"
    assert not edit["switch"] and t2v["switch"] and wan3["switch"]  # an edit's sound is its audio_setting
    form.task.value = LABEL[WAN27_EDIT.model]
    form.audio.value = False
    assert form.request().audio is None  # hidden, so not sent
    form.task.value = LABEL[WAN27_T2V.model]
    assert form.request().audio is False
    # Wan 3.0: no negative prompt, 480P, "adaptive", 2-30 s or the model picks, 20000 characters
    assert not wan3["negative"] and wan3["sizes"] == ["480P", "720P", "1080P"]
    assert wan3["ratio"][0] == "adaptive" and wan3["seconds"] == (2, 30) and wan3["limit"] == "20000"
    assert str(wan3["auto"]).startswith("let the model pick") and wan3["first"] and wan3["references"]


def test_the_duration_checkbox_makes_zero_or_minus_one() -> None:
    form = InputForm()
    form.task.value = LABEL[WAN27_EDIT.model]
    assert (
        form.duration_auto.value and form.request().duration == 0
    )  # videoedit's default: the source's length
    form.duration_auto.value = False
    form.duration.value = 4
    assert form.request().duration == 4
    form.task.value = LABEL[WAN30.model]
    assert not form.duration_auto.value and form.request().duration == 4
    form.duration_auto.value = True
    assert form.request().duration == -1
    form.task.value = LABEL[WAN27_T2V.model]
    assert not shown(form.duration_auto) and form.request().duration == 4


def test_a_frame_given_on_text_to_video_makes_it_image_to_video() -> None:
    form = InputForm()
    form.first_frame.set(None)
    assert form.spec == WAN27_T2V  # clearing is no choice
    form.first_frame.url.value = "https://example.com/cat.png"
    assert form.spec == WAN27_I2V and form.request().first_frame == "https://example.com/cat.png"
    form.task.value = LABEL[WAN27_T2V.model]
    assert form.request().first_frame is None  # text-to-video never sends a frame it does not take


# -- the reference list --------------------------------------------------------------------------------------


def test_references_are_numbered_per_kind_in_order_as_the_prompt_names_them() -> None:
    form = InputForm()
    form.task.value = LABEL[WAN27_R2V.model]
    listed = form.references
    listed.add_row(assets.cat)
    clip = listed.add_row(assets.clip)
    listed.add_row(assets.cat_last)
    assert listed.names() == ["Image 1", "Video 1", "Image 2"]
    assert [row.field.label for row in listed.rows] == ["Image 1", "Video 1", "Image 2"]
    assert [r.medium for r in form.request().references] == [assets.cat, assets.clip, assets.cat_last]
    listed.remove(listed.rows[0])
    assert listed.names() == ["Video 1", "Image 1"]
    empty = listed.add_row()
    assert listed.names() == ["Video 1", "Image 1", "(empty)"] and len(form.request().references) == 2
    empty.field.url.value = "https://example.com/ref"  # no extension: the kind is the user's to say
    assert listed.names()[-1] == "Reference ?" and "pick its kind" in empty.field.note.value
    empty.kind.value = "video"
    assert listed.names() == ["Video 1", "Image 1", "Video 2"] and empty.field.note.value == ""
    assert form.request().references[-1] == Reference("https://example.com/ref", kind="video")
    assert clip.voice.row.layout.display != "none"  # r2v: each reference may carry a voice
    clip.voice.set(assets.voice)
    assert form.request().references[0] == Reference(assets.clip, voice=assets.voice)
    listed.add_row(assets.cat)
    assert len(listed.rows) == 4 and not listed.add.disabled
    listed.add_row(assets.cat)
    assert listed.add.disabled  # five: r2v's most
    form.task.value = LABEL[WAN27_EDIT.model]
    assert listed.add.disabled  # still five rows, over edit's four: kept, and the note says so
    assert "#b91c1c" in listed.note.value and "images ≤ 4" in listed.note.value
    assert clip.voice.row.layout.display == "none"  # videoedit takes no voices
    assert all(r.voice is None for r in form.request().references)


async def test_a_reference_the_new_task_does_not_take_is_flagged_on_the_switch_not_at_generate(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app), prompt="Video 1 glows")
    form, listed = panel.form, panel.form.references
    form.task.value = LABEL[WAN27_R2V.model]
    (row,) = [listed.add_row(assets.clip)]
    # The positive control: references-to-video takes videos.
    assert listed.names() == ["Video 1"] and row.field.note.value == ""
    assert "#6b7280" in listed.note.value and form.prompt_hint.value == ""
    assert form.refusal() is None and "≈ ¥" in panel.estimates.single.value
    form.task.value = LABEL[WAN27_EDIT.model]
    form.video.set(assets.clip)
    # On the switch, before Generate: the row, the count, the prompt's hint and the estimate say it.
    assert listed.names() == ["Video (not taken)"] and row.field.label == "Video (not taken)"
    assert "takes images as references, not videos" in row.field.note.value
    assert "#b91c1c" in listed.note.value and "videos not taken" in listed.note.value
    assert "names Video 1, but there is no video reference" in form.prompt_hint.value
    single = panel.estimates.single.value
    assert "no estimate" in single and "not videos" in single and "≈" not in single
    assert "no estimate" in panel.compare.estimate.value and "≈" not in panel.compare.estimate.value
    panel.generate.click()  # and Generate refuses beside the row, sending nothing
    assert "takes images as references" in form.errors["references[0]"]
    assert panel.cards == [] and creates(app) == 0
    listed.remove(row)  # without it the edit can be sent: the estimate is a price again
    form.prompt.value = "snow"
    assert "#6b7280" in listed.note.value and form.refusal() is None
    assert "≈ ¥" in panel.estimates.single.value and "2 s out + 2.0 s in" in panel.estimates.single.value


def test_a_reference_keeps_its_chosen_kind_across_tasks() -> None:
    form = InputForm()
    form.task.value = LABEL[WAN27_R2V.model]
    listed = form.references
    row = listed.add_row("https://example.com/media/abc")  # no extension: the kind is the user's to say
    assert listed.names() == ["Reference ?"]
    row.kind.value = "video"
    assert listed.names() == ["Video 1"]
    assert "video/mp4" in row.field.upload.accept and "image/" in row.field.upload.accept
    form.task.value = LABEL[WAN27_EDIT.model]  # takes images only: the choice stays, marked and refused
    assert row.kind.value == "video" and listed.names() == ["Video (not taken)"]
    assert "video/" not in row.field.upload.accept and "image/" in row.field.upload.accept  # the picker too
    assert ("kind: video (not taken here)", "video") in row.kind.options
    assert "not videos" in (form.refusal() or "")
    form.task.value = LABEL[WAN27_R2V.model]
    assert row.kind.value == "video" and listed.names() == ["Video 1"]
    assert ("kind: video (not taken here)", "video") not in row.kind.options
    assert form.request().references == (Reference("https://example.com/media/abc", kind="video"),)
    form.task.value = LABEL[WAN30.model]  # Wan 3.0 takes videos too
    assert row.kind.value == "video" and listed.names() == ["Video 1"]
    row.kind.value = "image"  # a new choice is kept the same way
    form.task.value = LABEL[WAN27_EDIT.model]
    assert row.kind.value == "image" and listed.names() == ["Image 1"] and form.refusal() is None
    # A filled request's kind is kept even where the task does not take it (and said so).
    listed.fill((Reference("https://example.com/media/xyz", kind="video"),))
    assert listed.rows[0].kind.value == "video" and listed.names() == ["Video (not taken)"]


async def test_an_edit_has_no_price_until_its_source_is_given(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients(), prompt="make it snow")
    form = panel.form
    form.task.value = LABEL[WAN27_EDIT.model]
    assert form.duration_auto.value  # duration 0: the source's length
    single = panel.estimates.single.value
    assert "pick the source clip" in single and "its length decides the price" in single
    assert "≈" not in single and "0 s" not in single
    assert "pick the source clip" in panel.compare.estimate.value
    form.duration_auto.value = False  # a set length: the source's seconds are still billed as input
    assert "pick the source clip" in panel.estimates.single.value
    assert "billed as input" in panel.estimates.single.value
    form.duration_auto.value = True
    form.video.set(assets.clip)  # 2.0 s: the positive control
    single = panel.estimates.single.value
    assert "1 task × 4 s · 720P · wan2.7-videoedit ≈ ¥2.40" in single and "pick the source" not in single


async def test_an_earlier_result_and_its_first_frame_become_references(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients(), prompt="a cat turns its head", first_frame=assets.cat)
    assert panel.form.video_earlier.layout.display == "none"  # nothing finished yet
    card = await generate(panel)
    assert_plays(card)
    assert card.task is not None and card.task.path is not None
    panel.form.task.value = LABEL[WAN27_R2V.model]
    row = panel.form.references.add_row()
    values = [value for _, value in row.earlier.options]
    assert str(card.task.path) in values and card.task.id in row.earlier.options[1][0]
    row.earlier.value = str(card.task.path)
    assert row.value == Path(card.task.path) and panel.form.references.names() == ["Video 1"]
    frame = panel.form.references.add_row()
    frame.earlier.value = "frame:" + str(card.task.path)
    assert frame.earlier.pending is not None
    await frame.earlier.pending
    assert Path(frame.value).suffix == ".jpg" and panel.form.references.names() == ["Video 1", "Image 1"]
    (thumb,) = frame.field.preview.children
    assert isinstance(thumb, widgets.Image)
    # The same results are offered as the source of an edit.
    panel.form.task.value = LABEL[WAN27_EDIT.model]
    assert panel.form.video_earlier.layout.display != "none"
    panel.form.video_earlier.value = str(card.task.path)
    assert panel.form.request().video == Path(card.task.path)
    assert [v for _, v in panel.form.video_earlier.options if v] == [str(card.task.path)]  # no frames there


def test_the_prompt_hint_names_a_reference_that_is_not_there() -> None:
    form = InputForm(prompt="Image 1 waves at Image 3")
    assert form.prompt_hint.value == ""  # text-to-video takes no references: nothing to name
    form.task.value = LABEL[WAN27_R2V.model]
    form.references.add_row(assets.cat)
    form.references.add_row(assets.cat_last)
    assert "names Image 3, but there are 2 image references (Image 1-2)" in form.prompt_hint.value
    form.prompt.value = "Image 1 waves at Image 2"
    assert form.prompt_hint.value == ""
    form.references.remove(form.references.rows[1])
    assert "names Image 2, but there is one image reference (Image 1)" in form.prompt_hint.value
    form.references.add_row(assets.clip)
    assert "Image 2" in form.prompt_hint.value
    form.prompt.value = "Image 1 dances in the room of Video 1"
    assert form.prompt_hint.value == ""


# -- fill() of every task ------------------------------------------------------------------------------------

ROUND_TRIPS = [
    VideoRequest(
        model=WAN27_T2V.model, prompt="a kite over the sea", driving_audio=assets.voice, ratio="9:16",
        resolution="1080P", duration=7, seed=3, parent="task-t2v",
    ),
    VideoRequest(
        model=WAN27_I2V.model, prompt="the cat turns", first_frame=assets.cat, last_frame=assets.cat_last,
        resolution="720P", duration=4, negative_prompt="blur", prompt_extend=False, watermark=True,
    ),
    VideoRequest(
        model=WAN27_R2V.model, prompt="Image 1 meets Video 1", first_frame=assets.cat, ratio="1:1",
        references=(Reference(assets.cat, voice=assets.voice), Reference(assets.clip)), resolution="720P",
        duration=5, audio=False, parent="task-r2v",
    ),
    VideoRequest(
        model=WAN27_EDIT.model, prompt="make it snow", video=assets.clip, references=(Reference(assets.cat),),
        audio_setting="origin", resolution="720P", duration=0, parent="task-edit",
    ),
    VideoRequest(
        model=WAN30.model, prompt="Image 1 runs", references=(Reference(assets.cat),), ratio="adaptive",
        resolution="480P", duration=-1, seed=11,
    ),
]  # fmt: skip


@pytest.mark.parametrize("request_", ROUND_TRIPS, ids=[r.chosen_model for r in ROUND_TRIPS])
def test_fill_shows_any_request_and_makes_it_again(request_: VideoRequest) -> None:
    form = InputForm(first_frame=assets.cat)  # another task with other media: fill replaces them all
    form.fill(request_)
    assert form.spec.model == request_.chosen_model
    assert form.request() == request_
    assert form.request().parent == request_.parent  # the next Generate carries the chain's parent


def test_fill_of_a_model_wan_nb_picks_from_the_inputs() -> None:
    form = InputForm()
    form.fill(VideoRequest(prompt="snow", video=assets.clip, parent="task-9"))  # model=None: videoedit
    made = form.request()
    assert made.model == WAN27_EDIT.model and made.video == assets.clip and made.parent == "task-9"
    form.fill(VideoRequest(prompt="a kite"))  # a request without a parent clears the last one
    assert form.request().parent is None and form.request().video is None and form.spec == WAN27_T2V


# -- the estimate, the code, the source's poster -------------------------------------------------------------


async def test_the_estimate_counts_input_seconds(workdir: Path, clients: Factory, panels: Any) -> None:
    panel = panels(clients())
    form = panel.form
    assert " s in" not in panel.estimates.single.value  # text-to-video: output seconds only
    form.task.value = LABEL[WAN27_EDIT.model]
    form.video.set(assets.clip)  # 2.0 s, kept whole (duration 0)
    assert "2 s out + 2.0 s in" in panel.estimates.single.value
    form.task.value = LABEL[WAN27_R2V.model]
    form.duration.value = 5
    form.references.add_row(assets.clip)
    form.references.add_row(assets.cat)
    assert "5 s out + 2.0 s in" in panel.estimates.single.value
    assert "1 task × 7 s · 720P" in panel.estimates.single.value


async def test_a_source_video_shows_its_poster_and_length(workdir: Path) -> None:
    form = InputForm()
    form.task.value = LABEL[WAN27_EDIT.model]
    form.video.set(assets.clip)
    assert form.video.pending is not None
    await form.video.pending
    assert form.video.clip is not None and form.video.clip.seconds == 2.0
    assert "2.0 s · 1080×720" in form.video.source.value
    (poster,) = form.video.preview.children
    assert isinstance(poster, widgets.Image) and poster.value[:2] == b"\xff\xd8"  # a JPEG
    assert not list(Path(assets.clip).parent.glob("*.jpg"))  # never written beside the user's file
    assert list((Path(os.environ["WAN_NB_HOME"]) / "clips").glob("*.jpg"))  # but in the user's own folder


def test_copy_as_code_writes_references_video_and_settings_and_leaves_out_parent() -> None:
    request = VideoRequest(
        model=WAN27_R2V.model, prompt="Image 1 meets Video 1", ratio="1:1", parent="task-1",
        references=(Reference(b"\x89PNG" * 10, voice=assets.voice), Reference("https://e.com/v.mp4")),
    )  # fmt: skip
    code = request_snippet(request, "sim", {"references[0]": "hero.png"})
    assert "references=[Reference('hero.png', voice=" in code and "'https://e.com/v.mp4']" in code
    assert "ratio='1:1'" in code and "parent" not in code and "model=" not in code
    assert "from wan_nb import AsyncWanClient, Reference, VideoRequest" in code
    ast.parse(code.replace("async with", "with").replace("await ", ""))
    edit = VideoRequest(prompt="snow", video=assets.clip, audio_setting="origin", duration=0)
    code = request_snippet(edit, "sim")
    assert f"video={str(assets.clip)!r}" in code and "audio_setting='origin'" in code
    assert "duration" not in code and "Reference" not in code  # 0 is videoedit's default


# -- a task the provider cannot carry ------------------------------------------------------------------------


async def test_the_gateway_explains_references_before_generate_and_sends_nothing(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app, provider="sim-gateway"), prompt="Image 1 waves")
    form = panel.form
    form.task.value = LABEL[WAN27_I2V.model]
    assert "⚠" not in form.task_note.value  # the positive control: the gateway carries image-to-video
    form.task.value = LABEL[WAN27_R2V.model]
    note = form.task_note.value
    assert "references-to-video, which the unified dialect does not carry" in note
    assert "providers that take it:" in note and "dashscope" in note and "sim-gateway" not in note
    refused = form.task.tooltips[[c.label for c in TASK_CHOICES].index(LABEL[WAN27_R2V.model])]
    assert "does not carry" in refused
    form.references.add_row(assets.cat)
    panel.generate.click()
    assert "does not carry" in form.errors["model"] and panel.cards == [] and panel.jobs == set()
    assert sum(app.stats.requests.values()) == 0
    panel.picker.dropdown.value = "sim"  # a native provider: the same task is carried
    assert "⚠" not in form.task_note.value


# -- runs on the simulator -----------------------------------------------------------------------------------


async def test_text_to_video_runs_and_plays(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app), prompt="a paper boat drifts down a rainy street")
    assert panel.form.spec == WAN27_T2V and "text-to-video" in panel.title.value
    card = await generate(panel)
    assert_plays(card)
    assert (
        card.request is not None
        and card.request.model == WAN27_T2V.model
        and card.request.first_frame is None
    )
    assert creates(app) == 1


async def test_references_to_video_with_two_pictures_runs_and_plays(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app), prompt="Image 1 and Image 2 sit by the window")
    panel.form.task.value = LABEL[WAN27_R2V.model]
    assert "references-to-video" in panel.title.value
    panel.generate.click()
    assert "references" in panel.form.errors and creates(app) == 0  # r2v needs one at least
    panel.form.references.add_row(assets.cat)
    panel.form.references.add_row(assets.cat_last)
    card = await generate(panel)
    assert_plays(card)
    assert card.request is not None and len(card.request.references) == 2
    assert "references=[" in card.code.value


async def test_a_chained_edit_prefills_keeps_its_parent_and_runs(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app), prompt="a cat turns its head")
    first = await generate(panel)
    assert_plays(first)
    assert first.task is not None and first.task.path is not None
    # What a card's "edit this clip" hands the panel (another helper builds it with wan_nb.lab.chain).
    panel.prefill(VideoRequest(prompt="make it snow", video=first.task.path, parent=first.task.id), "edit")
    assert (
        panel.form.spec == WAN27_EDIT and shown(panel.form.video.row) and "video editing" in panel.title.value
    )
    edited = await generate(panel)
    assert_plays(edited)
    assert edited.request is not None and edited.request.parent == first.task.id
    assert edited.request.video == first.task.path and edited.request.duration == 0
    assert panel.form.request().parent == first.task.id  # another edit of the same clip: a sibling
    panel.form.task.value = LABEL[WAN27_R2V.model]  # another task is a fresh try, not the chained one
    assert panel.form.parent is None and panel.form.request().parent is None


async def test_the_grid_runs_several_edit_instructions_on_one_source(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app), prompt="make it snow")
    panel.form.task.value = LABEL[WAN27_EDIT.model]
    panel.form.video.set(assets.clip)
    assert "edit instruction" in panel.compare.prompts.placeholder
    panel.compare.axis.value = NO_AXIS
    panel.compare.prompts.value = "make it snow\nturn it to night"
    assert "2 tasks" in panel.compare.estimate.value and "s in" in panel.compare.estimate.value
    panel.compare.run.click()
    await panel.wait_idle()
    cells = panel.cards[-2:]
    assert [c.request.prompt for c in cells if c.request] == ["make it snow", "turn it to night"]
    assert all(c.request is not None and c.request.video == assets.clip for c in cells)
    for cell in cells:
        assert cell.state == "SUCCEEDED"
    assert creates(app) == 2
    # Prompts × seeds on another task still works as before.
    panel.form.task.value = LABEL[WAN27_T2V.model]
    panel.compare.axis.value = "seed"
    panel.compare.values.value = "1, 2"
    rows = panel.compare.cells(panel.form.request(), panel.form.capabilities)
    assert [[r.seed for _, r in row] for row in rows] == [[1, 2], [1, 2]]
    assert all(r.model == WAN27_T2V.model for row in rows for _, r in row)
    assert replace(rows[0][0][1], seed=None).video is None


async def test_an_uploaded_reference_is_named_in_the_code_and_cleared_from_the_widget(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app), prompt="Image 1 waves")
    panel.form.task.value = LABEL[WAN27_R2V.model]
    row = panel.form.references.add_row()
    content = CAT_BYTES
    upload = {"name": "hero.png", "type": "image/png", "size": len(content), "content": memoryview(content)}
    row.field.upload.set_state(
        {"value": [{**upload, "last_modified": 1_700_000_000_000}]}
    )  # the browser's comm
    assert row.value == content and row.field.upload.value == () and row.field.label == "Image 1"
    card = await generate(panel)
    assert_plays(card)
    assert "references=['hero.png']" in card.code.value and "hero.png: the file uploaded" in card.code.value

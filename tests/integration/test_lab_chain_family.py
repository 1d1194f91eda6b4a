"""Chains across the family's tasks on the simulator: a text-to-video try, edited and made a reference; the
journal's lineage, the history's chain, each card action's request (headless), and the report's inputs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import wan_nb
from wan_nb.client import AsyncWanClient, Capabilities, Journal, PollSchedule
from wan_nb.family import WAN27_EDIT, WAN27_I2V, WAN27_R2V, WAN27_T2V, WAN30
from wan_nb.lab import chain
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.protocols import DIALECTS
from wan_nb.sim import create_app
from wan_nb.widgets import TaskCard
from wan_nb.widgets._lab import ACTIONS, ChainBar
from wan_nb.widgets.history import History, card_for

NATIVE = DIALECTS["native"].capabilities
GATEWAY = DIALECTS["unified"].capabilities
FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)


@dataclass
class Tries:
    """The session: the client, and each try as (request, finished task)."""

    client: AsyncWanClient
    text: tuple[VideoRequest, Task]
    edit: tuple[VideoRequest, Task]
    reference: tuple[VideoRequest, Task]
    regrade: tuple[VideoRequest, Task]


@pytest.fixture
async def tries(workdir: Path) -> AsyncIterator[Tries]:
    app = create_app(state_dir=workdir / "sim", task_time=0.2)
    async with AsyncWanClient("sim", transport=httpx.ASGITransport(app=app), poll=FAST) as client:
        text = VideoRequest(prompt="a lighthouse on a cliff at dusk", duration=3, seed=4, ratio="16:9")
        text_task = await client.generate(text, out="videos/")
        edit = chain.edit_clip(text_task, text, prompt="make it night", dialect=client.capabilities)
        edit_task = await client.generate(edit, out="videos/")
        reference = chain.as_reference(
            text_task, text, prompt="Image 1 at sea, in a storm", dialect=client.capabilities
        )
        reference_task = await client.generate(reference, out="videos/")
        regrade = chain.edit_clip(edit_task, edit, prompt="black and white", audio_setting="origin")
        regrade_task = await client.generate(regrade, out="videos/")
        yield Tries(
            client, (text, text_task), (edit, edit_task), (reference, reference_task), (regrade, regrade_task)
        )
    app.close()


async def test_a_text_try_is_edited_and_made_a_reference_and_the_journal_keeps_the_chain(
    tries: Tries,
) -> None:
    (_, text), (edit, edited), (reference, referenced) = tries.text, tries.edit, tries.reference
    for _, task in (tries.edit, tries.reference, tries.regrade):
        assert task.status is TaskStatus.SUCCEEDED and task.path is not None and task.path.stat().st_size > 0
    assert edit.model == WAN27_EDIT.model and edit.video == text.path
    assert reference.model == WAN27_R2V.model and reference.references[0].kind == "image"
    # videoedit bills the source's seconds too (family.md §3): 3 s kept, 3 s out
    assert edited.usage is not None and edited.usage.input_seconds == pytest.approx(3, abs=0.1)
    assert referenced.usage is not None and not referenced.usage.input_seconds  # an image reference: none
    by_id = {entry.task_id: entry for entry in Journal().entries()}
    assert by_id[text.id].parent is None
    assert by_id[edited.id].parent == text.id and by_id[referenced.id].parent == text.id
    assert by_id[tries.regrade[1].id].parent == edited.id
    assert by_id[edited.id].to_request().parent == text.id
    assert by_id[edited.id].input_seconds == pytest.approx(3, abs=0.1)
    assert by_id[edited.id].request_fingerprint != by_id[text.id].request_fingerprint


async def test_the_history_shows_which_try_came_from_which(tries: Tries) -> None:
    reopened: list[VideoRequest] = []
    history = History(
        tries.client,
        make_card=lambda entry: card_for(entry, TaskCard),
        reopen=lambda request, _note, *, media: reopened.append(request),
    )
    text, edited, referenced, regraded = (
        pair[1] for pair in (tries.text, tries.edit, tries.reference, tries.regrade)
    )
    placed = [(entry.task_id, depth) for entry, depth in zip(history.entries, history.depths, strict=True)]
    # The chain reads top to bottom: the text try, its children as they were made, the edit's edit under it.
    assert placed == [(text.id, 0), (edited.id, 1), (regraded.id, 2), (referenced.id, 1)]
    cards = dict(zip([e.task_id for e in history.entries], history.cards, strict=True))
    assert "↳ from" not in cards[text.id].head.value and cards[text.id].layout.margin == "4px 0"
    assert f'title="chained from task {text.id}"' in cards[edited.id].head.value
    assert f"↳ from <code>{text.id[:8]}" in cards[edited.id].head.value
    assert cards[regraded.id].layout.margin == "4px 0 4px 32px"
    assert "video editing · wan2.7-videoedit" in cards[edited.id].head.value
    assert "text-to-video · wan2.7-t2v" in cards[text.id].head.value
    assert re.search(r"billed 3 s out \+ 3(\.0\d)? s in", cards[edited.id].head.value)  # the journaled usage
    assert "billed 3 s out<" in cards[text.id].head.value  # no input video
    # The inputs, by name (the journal keeps no payloads): the edited clip, the reference labelled as the prompt.
    assert "source</figcaption>" in cards[edited.id].inputs.value and text.path is not None
    assert text.path.name in cards[edited.id].inputs.value
    assert "Image 1</figcaption>" in cards[referenced.id].inputs.value and cards[text.id].inputs.value == ""
    (button,) = [b for b in cards[edited.id].actions.children if getattr(b, "description", "") == "re-open"]
    button.click()
    assert reopened[-1].parent == edited.id  # a rerun comes from the re-opened try, not from its parent
    assert reopened[-1].model == WAN27_EDIT.model
    history.text.value = "night"  # the filter keeps the chain's order
    assert history.apply_filter() == [cards[edited.id]]


async def test_a_live_card_shows_the_model_inputs_and_billed_seconds(tries: Tries) -> None:
    edit, edited = tries.edit
    card = TaskCard(request=edit)
    card.show(edited)
    assert "video editing · wan2.7-videoedit" in card.head.value
    assert re.search(r"billed 3 s out \+ 3(\.0\d)? s in", card.head.value)
    assert 'alt="source"' in card.inputs.value and "source · 3 s" in card.inputs.value
    assert "data:image/jpeg;base64," in card.inputs.value
    reference, _ = tries.reference
    assert 'alt="Image 1"' in TaskCard(request=reference).inputs.value
    assert TaskCard(request=tries.text[0]).inputs.value == ""  # a prompt alone: nothing to show


# -- the card's chain actions, headless ---------------------------------------------------------------------


def bar_for(tries: Tries, dialect: Capabilities = NATIVE) -> tuple[ChainBar, list[tuple[VideoRequest, str]]]:
    filled: list[tuple[VideoRequest, str]] = []
    said: list[str] = []
    request, task = tries.text
    bar = ChainBar(request, dialect, lambda r, note: filled.append((r, note)), said.append)
    bar.refresh(task)
    return bar, filled


async def test_each_chain_action_fills_the_form_with_its_request(tries: Tries) -> None:
    bar, filled = bar_for(tries)
    text = tries.text[1]
    labels = dict((name, label) for label, name in bar.options)
    assert list(labels) == [action.name for action in ACTIONS] and bar.refusals == {}
    assert labels["next_from_last_frame"] == "animate this frame"  # text-to-video takes no frame

    bar.value = "edit_clip"  # what a click on its button sends
    request, note = filled[-1]
    assert request.model == WAN27_EDIT.model and request.video == text.path and request.parent == text.id
    assert note == f"edit this clip from task {text.id}" and bar.value is None
    bar.value = "as_reference"
    request, _ = filled[-1]
    assert request.model == WAN27_R2V.model and request.parent == text.id
    assert request.prompt == "Image 1: a lighthouse on a cliff at dusk" and len(request.references) == 1
    bar.value = "next_from_last_frame"
    request, note = filled[-1]
    assert request.model == WAN27_I2V.model and isinstance(request.first_frame, Path)
    assert request.ratio is None and note.startswith("animate this frame")
    bar.value = "reuse_seed"
    assert filled[-1][0] == replace(tries.text[0], parent=text.id)

    bar.value = "other_task"  # the same row turns into the choice of tasks
    assert [name for _, name in bar.options] == ["back", WAN30.model]
    assert set(bar.target_refusals) == {WAN27_I2V.model, WAN27_R2V.model, WAN27_EDIT.model}
    assert "first_frame" in bar.target_refusals[WAN27_I2V.model]
    assert len(filled) == 4  # opening the choice fills nothing
    bar.value = WAN30.model
    request, note = filled[-1]
    assert request.model == WAN30.model and request.prompt == tries.text[0].prompt and request.seed == 4
    assert request.parent == text.id and "same prompt on" in note
    assert [name for _, name in bar.options] == list(labels)  # the actions again
    bar.value = "other_task"
    bar.value = "back"
    assert [name for _, name in bar.options] == list(labels) and len(filled) == 5
    bar.value = "continue_clip"  # a text try goes on as image-to-video from its own clip
    request, _ = filled[-1]
    assert request.model == WAN27_I2V.model and request.first_clip == text.path and request.ratio is None


async def test_a_history_card_offers_only_the_chains_its_journaled_request_can_make(tries: Tries) -> None:
    # The journal keeps the names of a try's media, not the media: an earlier references or edit try cannot be
    # sent again from its card (re-open keeps the form's media instead), but its result can still be chained.
    journaled = {entry.task_id: entry.to_request() for entry in Journal().entries()}
    needs_media = {"reuse_seed", "edit_and_rerun"}
    for request, task in (tries.reference, tries.edit):
        live = ChainBar(request, NATIVE, lambda *_: None, lambda _: None)
        live.refresh(task)
        assert needs_media <= {name for _, name in live.options}  # positive control: the live card has them
        earlier = ChainBar(journaled[task.id], NATIVE, lambda *_: None, lambda _: None)
        earlier.refresh(task)
        offered = {name for _, name in earlier.options}
        assert not needs_media & offered and needs_media <= set(earlier.refusals)
        assert {"edit_clip", "as_reference"} <= offered  # from the result itself
    referenced = tries.reference[1]
    earlier = ChainBar(journaled[referenced.id], NATIVE, lambda *_: None, lambda _: None)
    earlier.refresh(referenced)
    # r2v's last frame → next needs its references: a first frame cannot go alone there
    assert "next_from_last_frame" in earlier.refusals and "alone" in earlier.refusals["next_from_last_frame"]


async def test_the_gateway_offers_no_chain_to_a_task_it_cannot_carry(tries: Tries) -> None:
    bar, filled = bar_for(tries, GATEWAY)
    assert {"edit_clip", "as_reference", "other_task", "continue_clip"} <= set(bar.refusals)
    assert (
        "video editing" in bar.refusals["edit_clip"] and "references-to-video" in bar.refusals["as_reference"]
    )
    # image-to-video is carried, but a text try has no frame for it: no other task takes it here
    assert "first_frame" in bar.refusals["other_task"] and "text-to-video" not in bar.refusals["other_task"]
    # the same text-to-video again is not carried either: offered only what it can send
    assert "text-to-video" in bar.refusals["reuse_seed"] and "text-to-video" in bar.refusals["edit_and_rerun"]
    assert [name for _, name in bar.options] == ["next_from_last_frame"]
    bar.value = "next_from_last_frame"  # image-to-video: the gateway carries it
    assert filled[-1][0].model == WAN27_I2V.model
    edit_bar = ChainBar(tries.edit[0], GATEWAY, lambda *_: None, lambda _: None)
    edit_bar.refresh(tries.edit[1])
    assert "edit_clip" in edit_bar.refusals and "edit_clip" not in [n for _, n in edit_bar.options]
    positive = ChainBar(tries.edit[0], NATIVE, lambda *_: None, lambda _: None)
    positive.refresh(tries.edit[1])
    assert "edit_clip" in [n for _, n in positive.options]  # an edit of an edit, natively


# -- the report ----------------------------------------------------------------------------------------------


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append({name: value or "" for name, value in attrs})

    def handle_data(self, data: str) -> None:
        self.text.append(data)


async def test_the_report_shows_each_tries_model_inputs_parent_and_billed_seconds(
    tries: Tries, workdir: Path
) -> None:
    tried = [tries.text, tries.edit, tries.reference]
    page = Page(wan_nb.report(tried, workdir / "chain.html").read_text(encoding="utf-8"))
    words = " ".join(page.text)
    for name in (WAN27_T2V, WAN27_EDIT, WAN27_R2V):
        assert f"{name.task_name} · {name.model}" in words
    assert words.count(f"chained from {tries.text[1].id}") == 2
    assert {image["alt"] for image in page.images} == {"source", "Image 1"}
    assert all(image["src"].startswith("data:image/jpeg;base64,") for image in page.images)
    assert "source · 3 s" in words and "Image 1" in words
    assert re.search(r"billed 3 s out \+ 3(\.0\d)? s in", words)  # the edit's row
    assert re.search(r"billed 9 s out \+ 3(\.0\d)? s in", words)  # the header: all three tries


async def test_use_as_a_reference_drops_an_earlier_prompt_that_names_references_no_longer_there(
    tries: Tries,
) -> None:
    request, task = tries.reference
    filled: list[tuple[VideoRequest, str]] = []
    two = replace(request, prompt="Image 1 greets Image 2 by the sea", references=request.references * 2)
    bar = ChainBar(two, NATIVE, lambda r, note: filled.append((r, note)), [].append)
    bar.refresh(task)
    assert "as_reference" not in bar.refusals  # offered: the new request names only its one reference
    bar.value = "as_reference"
    assert filled[-1][0].prompt == "Image 1" and len(filled[-1][0].references) == 1
    one = ChainBar(request, NATIVE, lambda r, note: filled.append((r, note)), [].append)  # positive control
    one.refresh(task)
    one.value = "as_reference"
    assert filled[-1][0].prompt == f"Image 1: {request.prompt}"

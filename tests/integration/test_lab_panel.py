"""The prompt lab in the panel, headless: estimates, budget, posters, the rewrite diff, chain buttons, history.

Against the in-process simulator (its own ``WAN_NB_HOME``, short tasks, fast polling); outside a kernel
ipywidgets uses a dummy comm, so the widgets are plain objects here.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ipywidgets as widgets
import pytest
from PIL import Image

import wan_nb
from wan_nb.client import AsyncWanClient, Journal, PollSchedule
from wan_nb.models import Task, TaskStatus
from wan_nb.protocols import DIALECTS
from wan_nb.sim import SimApp, create_app
from wan_nb.widgets import TaskCard, WanPanel
from wan_nb.widgets._lab import ACTIONS, ChainBar

CAPS = {name: wire.capabilities for name, wire in DIALECTS.items()}

ROOT = Path(__file__).resolve().parents[2]
CAT = ROOT / "examples" / "cat.png"
FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)


@pytest.fixture
def sim_apps() -> Iterator[Callable[..., SimApp]]:
    apps: list[SimApp] = []

    def make(**knobs: Any) -> SimApp:
        home = Path(os.environ["WAN_NB_HOME"])
        apps.append(create_app(state_dir=home / "sim", **{"task_time": 0.5, **knobs}))
        return apps[-1]

    yield make
    for app in apps:
        app.close()


@pytest.fixture
async def panels(sim_apps: Callable[..., SimApp]) -> AsyncIterator[Callable[..., tuple[WanPanel, SimApp]]]:
    made: list[tuple[WanPanel, AsyncWanClient]] = []

    def make(
        app: SimApp | None = None, budget: float | None = None, **kwargs: Any
    ) -> tuple[WanPanel, SimApp]:
        app = app or sim_apps()
        client = AsyncWanClient("sim", transport=httpx.ASGITransport(app=app), poll=FAST, budget=budget)
        panel = WanPanel(client, **{"prompt": "a cat turns its head", "first_frame": CAT, **kwargs})
        panel.form.duration.value = 2
        made.append((panel, client))
        return panel, app

    yield make
    for panel, client in made:
        await panel.aclose()
        await client.aclose()


async def generate(panel: WanPanel) -> TaskCard:
    panel.generate.click()
    await panel.wait_idle()
    return panel.results.children[0]


async def test_generate_and_the_grid_show_their_estimates_before_anything_runs(
    workdir: Path, panels: Any
) -> None:
    panel, app = panels()
    assert "1 task × 2 s · 720P · wan2.7-i2v ≈ ¥1.20" in panel.estimates.single.value
    panel.form.duration.value = 5
    assert "1 task × 5 s · 720P · wan2.7-i2v ≈ ¥3.00" in panel.estimates.single.value
    panel.compare.prompts.value = "a cat\na dog"
    assert (
        "6 tasks × 5 s · 720P · wan2.7-i2v ≈ ¥18.00" in panel.compare.estimate.value
    )  # 2 prompts × seeds 1, 2, 3
    assert "at 2 at once" in panel.compare.estimate.value
    panel.compare.values.value = "1, x"
    assert panel.compare.estimate.value == ""  # a bad value: no estimate, and nothing was sent
    assert sum(app.stats.requests.values()) == 0


async def test_a_provider_not_opened_yet_has_its_estimate_in_its_own_currency(workdir: Path) -> None:
    panel = wan_nb.panel(provider="sim", prompt="a cat", first_frame=CAT, history=False)
    try:
        panel.form.duration.value = 2
        assert "≈ ¥1.20, about 2 s" in panel.estimates.single.value  # the positive control: sim, opened
        for simulator in ("sim-gateway", "sim-relay"):  # no key needed, no client opened for the estimate
            panel.picker.dropdown.value = simulator
            assert panel.client is None
            assert "1 task × 2 s · 720P · wan2.7-i2v ≈ ¥1.20, about 2 s" in panel.estimates.single.value
            assert "3 tasks × 2 s" in panel.compare.estimate.value
        panel.form.first_frame.set(None)
        panel.generate.click()  # refused (no frame) once the keyless client opened: the estimate stays
        assert panel.client is not None and panel.cards == [] and "first_frame" in panel.form.errors
        assert "≈ ¥1.20" in panel.estimates.single.value
        panel.picker.dropdown.value = "dashscope-intl"  # no key yet: prices of Singapore, in US dollars
        assert panel.client is None
        assert "≈ $0.20, about 40 s" in panel.estimates.single.value
        panel.form.duration.value = 5
        assert "≈ $0.50" in panel.estimates.single.value
        assert "⚠" not in panel.estimates.single.value  # no budget: nothing to disagree with
    finally:
        await panel.aclose()


async def test_a_budget_in_another_currency_is_said_beside_the_estimate(workdir: Path) -> None:
    panel = wan_nb.panel(provider="sim", prompt="a cat", first_frame=CAT, history=False, budget=5.0)
    try:
        assert "≈ ¥" in panel.estimates.single.value and "⚠" not in panel.estimates.single.value  # control
        panel.picker.dropdown.value = "dashscope-intl"
        shown = panel.estimates.single.value
        assert "≈ $" in shown and "dashscope-intl prices in USD, the budget is in CNY" in shown
    finally:
        await panel.aclose()


async def test_a_panel_budget_refuses_on_its_card_and_shows_spent_and_left(workdir: Path) -> None:
    panel = wan_nb.panel(provider="sim", prompt="a cat", first_frame=CAT, budget=2.0, history=False)
    try:
        assert "budget: ¥0.00 spent of ¥2.00, ¥2.00 left" in panel.estimates.single.value
        panel.form.duration.value = 5  # ¥3.00 > ¥2.00
        card = await generate(panel)
        assert card.state == "ERROR" and "BudgetExceeded" in card.error_box.value
        assert "nothing was sent" in card.error_box.value
        assert Journal().entries() == [] and Journal().unanswered() == []  # no create was even journaled
        panel.form.duration.value = 2
        panel.compare.run.click()  # 3 seeds × ¥1.20 > ¥2.00: the grid is refused whole, before any create
        assert "this grid would cost about ¥3.60 but ¥2.00 of the budget is left" in panel.compare.error.value
        assert panel.compare.grid.children == ()
        panel.form.duration.value = 3  # ¥1.80
        card = await generate(panel)
        assert card.state == "SUCCEEDED"
        assert "¥1.80 spent of ¥2.00, ¥0.20 left" in panel.estimates.single.value
    finally:
        await panel.aclose()


async def test_a_finished_card_shows_stills_and_chains_the_next_try(workdir: Path, panels: Any) -> None:
    panel, app = panels()
    panel.form.random_seed.value = False
    panel.form.seed.value = 9
    card = await generate(panel)
    assert card.state == "SUCCEEDED" and card.task is not None and card.task.path is not None
    # prompt_extend is on by default natively: the simulator answers a rewrite, shown as a word diff.
    assert card.task.prompt and card.task.prompt != "a cat turns its head"
    assert "<ins" in card.rewrite.value and "cinematic" in card.rewrite.value
    (still,) = card.poster.children
    assert isinstance(still, widgets.Image)
    with Image.open(io.BytesIO(still.value)) as sheet:
        assert sheet.format == "JPEG" and sheet.width == 3 * 160  # first, middle, last frame

    (bar,) = card.actions.children
    assert isinstance(bar, ChainBar) and bar.layout.display == ""
    assert [name for _, name in bar.options] == [action.name for action in ACTIONS] and bar.refusals == {}

    panel.form.prompt.value = "something else"
    bar.value = "next_from_last_frame"  # what a click on its button sends
    assert isinstance(panel.form.first_frame.value, Path) and panel.form.first_frame.value.suffix == ".jpg"
    assert panel.form.prompt.value == "a cat turns its head" and panel.form.seed.value == 9
    assert f"from task {card.task.id}" in panel.message.value

    following = await generate(panel)
    assert following.state == "SUCCEEDED" and following is not card
    assert following.request is not None and following.request.first_frame == panel.form.first_frame.value
    assert app.stats.creates.total() == 2

    bar.value = "continue_clip"
    assert panel.form.first_clip.value == card.task.path and panel.form.first_frame.value is None
    assert panel.form.request().first_clip == card.task.path
    bar.value = "edit_and_rerun"
    assert panel.form.first_frame.value == CAT and panel.form.first_clip.value is None


async def test_reuse_seed_is_off_for_a_random_seed_and_gone_on_the_gateway(
    workdir: Path, panels: Any
) -> None:
    panel, _ = panels()
    card = await generate(panel)  # random seed: the service picks it and does not say
    (bar,) = card.actions.children
    assert "picked" in bar.refusals["reuse_seed"] and "reuse_seed" not in [name for _, name in bar.options]
    gateway = ChainBar(card.request, CAPS["unified"], lambda *_: None, lambda _: None)
    assert card.task is not None
    gateway.refresh(card.task)
    assert "first_clip" in gateway.refusals["continue_clip"]
    assert [name for _, name in gateway.options] == ["next_from_last_frame", "edit_and_rerun"]


def test_a_card_shows_the_services_rewrite_as_a_word_diff() -> None:
    card = TaskCard(prompt="a cat turns its head")
    card.show(Task(id="t-1", status=TaskStatus.SUCCEEDED, prompt="a fluffy cat slowly turns its head"))
    assert "<ins" in card.rewrite.value and "fluffy" in card.rewrite.value and "slowly" in card.rewrite.value
    plain = TaskCard(prompt="a cat")
    plain.show(Task(id="t-2", status=TaskStatus.SUCCEEDED, prompt="a cat"))
    assert plain.rewrite.value == ""


async def test_history_is_a_gallery_with_posters_filters_and_reopen(
    workdir: Path, sim_apps: Any, panels: Any
) -> None:
    app = sim_apps()
    first, _ = panels(app)
    await generate(first)
    first.form.prompt.value = "[sim:inspection] a dog barks"
    await generate(first)

    later, _ = panels(app)
    history = later.history
    assert history is not None and len(history.cards) == 2
    await history.load_posters()
    posters = [card for card in history.cards if card.poster.children]
    assert len(posters) == 1 and posters[0].state == "SUCCEEDED"

    history.text.value = "DOG"
    assert [card.prompt for card in history.box.children] == ["[sim:inspection] a dog barks"]
    history.text.value = ""
    history.status.value = "SUCCEEDED"
    assert [card.prompt for card in history.box.children] == ["a cat turns its head"]
    assert "1 of 2" in history.shown.value

    (succeeded,) = history.box.children
    (reopen,) = [b for b in succeeded.actions.children if getattr(b, "description", "") == "re-open"]
    later.form.prompt.value = ""
    reopen.click()
    assert later.form.prompt.value == "a cat turns its head" and later.form.duration.value == 2
    assert later.form.first_frame.value == CAT  # the journal keeps media by name: the form keeps its own
    assert "re-opened task" in later.message.value

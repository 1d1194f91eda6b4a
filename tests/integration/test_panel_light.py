"""What keeps the kernel's loop free while a panel tracks many tasks (``bench/startup.py`` measures the lag).

- a card shares the layout and style models it never changes (``widgets._shared``): fewer comms per click;
- an image is decoded once per distinct content however many times it is validated (``media_rules``);
- a finished card's disk reads (file sizes, paths, bytes to embed, the chain bar's check of the clip) run in
  worker threads (``TaskCard.play_soon``);
- a panel delivers at most ``DELIVERIES`` videos at once, whatever its concurrency.
Headless, against the in-process simulator.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ipywidgets as widgets
import pytest

from wan_nb import assets
from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.errors import ValidationError
from wan_nb.media import rules as media_rules
from wan_nb.models import Task, VideoRequest
from wan_nb.protocols import DIALECTS
from wan_nb.sim import SimApp, create_app
from wan_nb.validation import validate
from wan_nb.widgets import TaskCard, WanPanel, _jobs, _lab, _shared, _video

FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)
NATIVE = DIALECTS["native"].capabilities


def _models() -> set[str]:
    return set(widgets.widget._instances)


def test_a_card_shares_the_layouts_and_styles_it_never_changes() -> None:
    request = VideoRequest(prompt="a cat", first_frame=assets.cat)
    TaskCard(request=request)  # the shared models are made once
    before = _models()
    card = TaskCard(request=request, on_cancel=lambda _card: None)
    made = _models() - before
    # 47 before sharing: every part had its own Layout and most their own Style.
    assert len(made) <= 22, len(made)
    assert card.head.layout is card.links.layout is card.player.layout
    assert card.head.style is card.error_box.style
    # The parts that change their own layout keep one of their own.
    assert card.code.layout is not card.head.layout
    card.code_button.value = True
    assert card.code.layout.display == "" and card.head.layout.display is None


def test_a_closed_shared_model_is_made_again() -> None:
    first = _shared.layout(width="12px")
    assert _shared.layout(width="12px") is first
    first.close()
    again = _shared.layout(width="12px")
    assert again is not first and again.comm is not None and again.width == "12px"


def test_one_image_is_decoded_once_however_often_it_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[int] = []
    real = media_rules._decode

    def counting(data: bytes, image_format: str) -> bool:
        decoded.append(len(data))
        return real(data, image_format)

    monkeypatch.setattr(media_rules, "_decode", counting)
    monkeypatch.setattr(media_rules, "_DECODED", {})
    image = assets.cat.read_bytes()
    for _ in range(3):  # the panel, submit and the estimate each validate the same request
        validate(VideoRequest(prompt="a cat", first_frame=image), NATIVE)
    validate(VideoRequest(prompt="a cat", first_frame=assets.cat), NATIVE)  # the same bytes, from the file
    assert decoded == [len(image)]
    validate(VideoRequest(prompt="a cat", first_frame=assets.cat_last), NATIVE)
    assert len(decoded) == 2


def test_a_damaged_image_stays_refused_when_validated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_rules, "_DECODED", {})
    cut = assets.cat.read_bytes()[:-400]
    for _ in range(2):
        with pytest.raises(ValidationError, match=r"first_frame.*damaged or truncated PNG"):
            validate(VideoRequest(prompt="a cat", first_frame=cut), NATIVE)


def test_the_decode_memo_keeps_a_bounded_number_of_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_rules, "_DECODED", {})
    image = assets.cat.read_bytes()
    for index in range(media_rules._DECODED_KEPT + 10):
        media_rules._decodes(image + index.to_bytes(4, "big"), "png")  # trailing bytes: a new digest
    assert len(media_rules._DECODED) == media_rules._DECODED_KEPT


@pytest.fixture
def sim_app() -> Iterator[SimApp]:
    app = create_app(state_dir=Path(os.environ["WAN_NB_HOME"]) / "sim", task_time=0.3)
    yield app
    app.close()


@pytest.fixture
async def panel(workdir: Path, sim_app: SimApp) -> AsyncIterator[WanPanel]:
    client = AsyncWanClient("sim", transport=httpx.ASGITransport(app=sim_app), poll=FAST)
    made = WanPanel(
        client, prompt="a cat turns its head", first_frame=assets.cat, history=False, concurrency=10
    )
    made.form.duration.value = 2
    made.form.random_seed.value = False
    yield made
    await made.aclose()
    await client.aclose()


async def test_a_finished_card_reads_the_disk_off_the_loop(
    panel: WanPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[str, list[tuple[str, bool]]] = {"gather": [], "refusals": []}

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def called(*args: Any, **kwargs: Any) -> Any:
            task = next(arg for arg in args if isinstance(arg, Task))
            calls[name].append((threading.current_thread().name, task.path is not None))
            return real(*args, **kwargs)

        return called

    monkeypatch.setattr(_video, "gather", spy("gather", _video.gather))
    monkeypatch.setattr(_lab.ChainBar, "refusals_for", spy("refusals", _lab.ChainBar.refusals_for))
    panel.generate.click()
    await panel.wait_idle()
    (card,) = panel.cards
    assert card.state == "SUCCEEDED" and card.task is not None and card.task.path is not None
    main = threading.main_thread().name
    # The first play (the result URL, before the download) has no file to read; the one after it reads the
    # file, off the loop.
    for name in ("gather", "refusals"):
        on_disk = [thread for thread, has_file in calls[name] if has_file]
        assert on_disk and main not in on_disk, calls
    (bar,) = card.actions.children
    assert isinstance(bar, _lab.ChainBar) and bar.layout.display == "" and bar.refusals == {}
    assert card.player.outputs and card.task.path.name in card.links.value


async def test_a_panel_delivers_at_most_four_videos_at_once(
    panel: WanPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _jobs.DELIVERIES == 4
    now = {"delivering": 0, "most": 0, "done": 0}
    real = _jobs.deliver

    async def counted(*args: Any, **kwargs: Any) -> None:
        now["delivering"] += 1
        now["most"] = max(now["most"], now["delivering"])
        try:
            await asyncio.sleep(0.5)  # longer than the tasks are apart: they would overlap ungated
            await real(*args, **kwargs)
        finally:
            now["delivering"] -= 1
            now["done"] += 1

    monkeypatch.setattr(_jobs, "deliver", counted)
    for _ in range(10):  # one prompt and seed: the simulator renders once, so the ten end together
        panel.generate.click()
    await panel.wait_idle()
    assert [card.state for card in panel.cards] == ["SUCCEEDED"] * 10
    assert now["done"] == 10 and now["most"] == _jobs.DELIVERIES
    assert all(card.poster.children for card in panel.cards)

"""The panel's pieces on their own: the throttle, the playback choice, the card, "copy as code", previews."""

from __future__ import annotations

import asyncio
import html
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest

from wan_nb.display.frontend import FrontEnd, Kind
from wan_nb.display.html import served_path
from wan_nb.errors import ValidationError
from wan_nb.models import Task, TaskError, TaskStatus, VideoRequest
from wan_nb.widgets import TaskCard
from wan_nb.widgets._code import request_snippet, resume_snippet
from wan_nb.widgets._preview import PREVIEW_CAP, preview
from wan_nb.widgets._throttle import Throttle
from wan_nb.widgets._video import Playback, choose, outputs
from wan_nb.widgets.card import RENDER_INTERVAL
from wan_nb.widgets.compare import CompareView

URL = "https://dashscope-result.oss-cn-beijing.aliyuncs.com/1d/ab/video.mp4?Expires=1&Signature=x"


# -- throttle ---------------------------------------------------------------------------------------------


async def test_throttle_renders_at_most_once_per_interval_and_the_newest_value() -> None:
    seen: list[int] = []
    throttle = Throttle(seen.append, interval=0.1)
    for value in range(50):  # a burst: one render now, the newest once the interval has passed
        throttle.push(value)
    assert seen == [0]
    await asyncio.sleep(0.15)
    assert seen == [0, 49]


async def test_throttle_rate_stays_under_ten_per_second() -> None:
    seen: list[int] = []
    throttle = Throttle(seen.append, interval=0.1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    value = 0
    while loop.time() - start < 1.0:
        throttle.push(value)
        value += 1
        await asyncio.sleep(0.005)
    throttle.flush()
    assert len(seen) <= 12 and seen[-1] == value - 1


async def test_a_final_value_renders_at_once() -> None:
    seen: list[str] = []
    throttle = Throttle(seen.append, interval=10.0)
    throttle.push("first")
    throttle.push("running")
    throttle.push("done", final=True)
    assert seen == ["first", "done"]


def test_without_a_loop_the_throttle_renders_synchronously() -> None:
    seen: list[int] = []
    throttle = Throttle(seen.append, interval=10.0)
    throttle.push(1)
    throttle.push(2)
    assert seen == [1, 2]


# -- playback ---------------------------------------------------------------------------------------------


def _done(**changes: object) -> Task:
    return Task("t-1", TaskStatus.SUCCEEDED).evolve(**changes)


def test_a_live_https_result_plays_from_its_url(tmp_path: Path) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    assert choose(_done(video_url=URL, expires_at=later), cwd=tmp_path) == Playback("url", URL)


def test_an_expired_or_plain_http_url_falls_back_to_the_saved_file(tmp_path: Path) -> None:
    saved = tmp_path / "wan_outputs" / "t 1.mp4"
    saved.parent.mkdir()
    saved.write_bytes(b"\0" * 100)
    earlier = datetime.now(UTC) - timedelta(hours=1)
    expired = _done(video_url=URL, expires_at=earlier, path=saved)
    assert choose(expired, cwd=tmp_path, front=LAB) == Playback("relative", "wan_outputs/t%201.mp4")
    assert (
        choose(
            _done(video_url="http://sim.localhost/results/t-1.mp4", path=saved), cwd=tmp_path, front=LAB
        ).kind
        == "relative"
    )
    assert choose(_done(video_url="http://sim.localhost/results/t-1.mp4"), cwd=tmp_path) is None


LAB = FrontEnd(Kind.JUPYTER, ("JPY_SESSION_NAME",))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Kind.JUPYTER, "relative"),  # jupyter_server's /files/ serves the folder
        (Kind.VOILA, "relative"),  # /voila/files/ (mp4 allow-listed by binder/postBuild)
        (Kind.VSCODE, "bytes"),  # VS Code does not resolve relative src in outputs
        (Kind.COLAB, "bytes"),  # Colab has no file server
        (Kind.KERNEL, "relative"),  # nbclient: the stand-in embeds; widget state stays small
    ],
)
def test_the_panel_plays_a_saved_file_the_way_the_front_end_can(
    tmp_path: Path, kind: Kind, expected: str
) -> None:
    saved = tmp_path / "wan_outputs" / "t-1.mp4"
    saved.parent.mkdir()
    saved.write_bytes(b"\0" * 100)
    chosen = choose(_done(path=saved), cwd=tmp_path, front=FrontEnd(kind))
    assert chosen is not None and chosen.kind == expected


def test_files_jupyter_cannot_serve_go_through_widget_bytes_below_the_cap(tmp_path: Path) -> None:
    hidden = tmp_path / ".cache" / "t-1.mp4"
    hidden.parent.mkdir()
    hidden.write_bytes(b"\0" * 100)
    assert served_path(hidden, tmp_path) is None  # jupyter_server refuses hidden paths
    assert choose(_done(path=hidden), cwd=tmp_path, cap=1000, front=LAB).kind == "bytes"
    too_big = choose(_done(path=hidden), cwd=tmp_path, cap=10, front=LAB)
    assert too_big is not None and too_big.kind == "link"
    (shown,) = outputs(too_big)
    assert str(hidden) in shown["data"]["text/html"]
    (player,) = outputs(Playback("bytes", str(hidden)))
    assert "application/vnd.jupyter.widget-view+json" in player["data"]


def test_video_tags_are_muted_and_escaped() -> None:
    (shown,) = outputs(Playback("url", 'https://x/a.mp4?a=1&b="2"'))
    tag = shown["data"]["text/html"]
    assert "muted" in tag and "playsinline" in tag and "a=1&amp;b=&quot;2&quot;" in tag


# -- the card ---------------------------------------------------------------------------------------------


def test_a_failed_task_shows_its_upstream_code_and_escaped_message() -> None:
    card = TaskCard(request=VideoRequest(prompt="p"))
    card.show(
        Task(
            "t-1", TaskStatus.FAILED, error=TaskError("DataInspectionFailed", "<img src=x onerror=alert(1)>")
        )
    )
    assert "DataInspectionFailed" in card.error_box.value
    assert (
        html.escape("<img src=x onerror=alert(1)>") in card.error_box.value
        and "<img" not in card.error_box.value
    )
    assert card.state == "FAILED" and card.bar.bar_style == "danger" and not card.active


def test_progress_gives_an_estimate_and_cancel_is_offered_only_while_queued() -> None:
    card = TaskCard(request=VideoRequest(prompt="p"), on_cancel=lambda _card: None)
    assert card.state == "SUBMITTING" and card.cancel.disabled
    card.show(Task("t-1", TaskStatus.QUEUED, status_raw="PENDING"))
    assert not card.cancel.disabled and "(PENDING)" in card.head.value
    card.show(Task("t-1", TaskStatus.RUNNING, progress=0.5))
    assert card.cancel.disabled and card.bar.value == 0.5
    assert "50%" in card.timing.value and "left" in card.timing.value


def test_an_exception_is_escaped_on_the_card() -> None:
    card = TaskCard(request=VideoRequest(prompt="p"))
    card.fail(RuntimeError("<b>bad</b>"))
    assert card.state == "ERROR" and "RuntimeError: &lt;b&gt;bad&lt;/b&gt;" in card.error_box.value


# -- copy as code -----------------------------------------------------------------------------------------


def test_snippet_names_uploads_and_reads_the_key_from_the_environment() -> None:
    request = VideoRequest(prompt="a cat", first_frame=b"\x89PNG" * 100, seed=7, duration=5, watermark=True)
    code = request_snippet(request, "dashscope-intl", {"first_frame": "cat.png"})
    assert "first_frame='cat.png'" in code and "save it next to the notebook" in code
    assert "$DASHSCOPE_API_KEY" in code and "api_key" not in code
    assert "seed=7" in code and "watermark=True" in code and "duration" not in code  # 5 is the default
    compile(code, "<snippet>", "exec", flags=0x2000)
    data_uri = request_snippet(
        VideoRequest(prompt="x", first_frame="data:image/png;base64," + "A" * 5000), "sim"
    )
    assert "AAAA" not in data_uri
    assert "client.wait('t-9')" in resume_snippet("t-9", "gateway") and "$WAN_API_KEY" in resume_snippet(
        "t-9", "gateway"
    )


# -- previews ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("https://example.com/cat.png", widgets.HTML),
        (b"\x89PNG small", widgets.Image),
        (b"\0" * (PREVIEW_CAP + 1), widgets.HTML),
        ("/no/such/file.png", widgets.HTML),
    ],
)
def test_previews_send_small_images_only(value: object, kind: type) -> None:
    (thumbnail,) = preview(value, width=96).children
    assert isinstance(thumbnail, kind)


# -- comm messages ----------------------------------------------------------------------------------------


async def test_a_burst_of_states_is_coalesced_into_at_most_ten_messages_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    card = TaskCard(request=VideoRequest(prompt="p"), on_cancel=lambda _card: None)
    sent: list[tuple[str, dict[str, Any]]] = []
    for name in ("head", "bar", "timing", "cancel", "error_box"):
        widget = getattr(card, name)
        # What ipywidgets hands the comm: one message per widget per flush, carrying its changed traits.
        monkeypatch.setattr(widget.comm, "send", partial(_record, sent, name))
    loop = asyncio.get_running_loop()
    start, states = loop.time(), 0
    while loop.time() - start < 1.0:  # a fast poller: a new state every few milliseconds for a second
        card.show(Task("t-1", TaskStatus.RUNNING, progress=(states % 99 + 1) / 100))
        states += 1
        await asyncio.sleep(0.002)
    await asyncio.sleep(RENDER_INTERVAL * 1.5)  # the newest state renders once the interval has passed
    per_widget = Counter(name for name, _ in sent)
    assert states > 100
    assert per_widget["bar"] <= 12 and per_widget["timing"] <= 12, per_widget  # ≤ 10/s, plus the edges
    bar_updates = [message["state"] for name, message in sent if name == "bar"]
    assert {"value", "bar_style"} <= set(bar_updates[0])  # hold_sync: both traits in one message
    assert card.bar.value == ((states - 1) % 99 + 1) / 100  # and the last state seen is the one shown


def _record(sent: list[tuple[str, dict[str, Any]]], name: str, data: Any = None, **_: Any) -> None:
    sent.append((name, data))


# -- compare ----------------------------------------------------------------------------------------------


def test_a_bad_grid_value_is_escaped_once() -> None:
    view = CompareView()
    view.values.value = "1, <b>"
    with pytest.raises(ValidationError) as caught:
        view.cells(VideoRequest(prompt="p"), "native")
    assert caught.value.message == "'<b>' is not a whole number"  # plain text: the view escapes it
    view.flag(caught.value.message)
    assert "&#x27;&lt;b&gt;&#x27;" in view.error.value and "&amp;" not in view.error.value

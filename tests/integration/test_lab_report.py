"""``wan_nb.report`` and ``wan-nb report``: the page's content, parsed, on simulator videos."""

from __future__ import annotations

import base64
import math
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import wan_nb
from wan_nb.cli import main
from wan_nb.client import AsyncWanClient, BatchItem, PollSchedule
from wan_nb.errors import ValidationError
from wan_nb.lab import pricing
from wan_nb.models import Task, TaskStatus, Usage, VideoRequest
from wan_nb.sim import SimApp, create_app

ROOT = Path(__file__).resolve().parents[2]
CAT = ROOT / "examples" / "cat.png"
FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)
NASTY = 'a cat <script>alert("x")</script> & friends'


class Page(HTMLParser):
    """Every element with its attributes, and the text, of a page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]


@pytest.fixture
async def session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[AsyncWanClient, SimApp]]:
    monkeypatch.chdir(tmp_path)
    app = create_app(state_dir=tmp_path / "sim", task_time=0.2)
    async with AsyncWanClient("sim", transport=httpx.ASGITransport(app=app), poll=FAST) as client:
        yield client, app
    app.close()


async def test_the_page_holds_posters_videos_prompts_rewrites_and_costs(
    session: tuple[AsyncWanClient, SimApp], tmp_path: Path
) -> None:
    client, _ = session
    asked = VideoRequest(prompt=NASTY, first_frame=CAT, duration=2, seed=11)
    done = await client.generate(asked, out="videos/")
    rewritten = done.evolve(prompt=NASTY + " slowly, in warm light")  # as prompt_extend answers it
    failed = Task(id="t-failed", status=TaskStatus.FAILED, provider="sim")
    item = BatchItem(index=0, request=asked, task=rewritten, error=None)

    page_path = wan_nb.report([item, (None, failed)], tmp_path / "out" / "session.html", title="Lesson <1>")
    text = page_path.read_text(encoding="utf-8")
    page = Page(text)

    assert "<script>" not in text and "&lt;script&gt;" in text  # the prompt, escaped
    assert [a for a in page.all("script")] == [] and "Lesson &lt;1&gt;" in text
    (video,) = page.all("video")
    assert video["src"].startswith("data:video/mp4;base64,")
    assert done.path is not None and base64.b64decode(video["src"].split(",", 1)[1]) == done.path.read_bytes()
    assert video["poster"].startswith("data:image/jpeg;base64,")
    assert base64.b64decode(video["poster"].split(",", 1)[1])[:2] == b"\xff\xd8"  # a JPEG
    assert any(name == "ins" for name, _ in page.elements)  # the rewrite's added words
    words = " ".join(page.text)
    assert "slowly" in words and done.id in words and "t-failed" in words and "11" in words
    billed = 2 * pricing.PRICES[("wan2.7-i2v", "720P", "cn-beijing")].per_second
    assert f"¥{billed:.2f}" in words and "2 tries" in words
    # Nothing is fetched from anywhere: every src is a data: URI.
    sources = [attrs.get("src", "") for _, attrs in page.elements if "src" in attrs]
    assert sources and all(src.startswith("data:") for src in sources)
    assert not list(page_path.parent.glob(".*.part"))  # written atomically


async def test_a_large_video_is_linked_beside_the_page(
    session: tuple[AsyncWanClient, SimApp], tmp_path: Path
) -> None:
    client, _ = session
    done = await client.generate(VideoRequest(prompt="a cat", first_frame=CAT, duration=2), out="videos/")
    page = Page(wan_nb.report([done], tmp_path / "session.html", video_cap=0).read_text())
    (video,) = page.all("video")
    assert done.path is not None and video["src"] == f"videos/{done.path.name}"
    assert (tmp_path / video["src"]).is_file()


def test_the_page_names_ratio_sound_and_durations_that_are_no_length(tmp_path: Path) -> None:
    def facts(request: VideoRequest, task: Task) -> dict[str, str]:
        page = Page(wan_nb.report([(request, task)], tmp_path / "one.html").read_text())
        cells = [text.strip() for text in page.text if text.strip()]
        return {cells[i]: cells[i + 1] for i in range(len(cells) - 1)}

    waiting = Task(id="t-1", status=TaskStatus.RUNNING, provider="sim")
    edit = VideoRequest(
        prompt="snow", video="https://example.com/v.mp4", ratio="9:16", audio_setting="origin"
    )
    shown = facts(edit, waiting)
    assert shown["ratio"] == "9:16" and shown["audio_setting"] == "origin"
    assert shown["duration"] == "the source's length"  # videoedit's 0, not "0 s"
    done = waiting.evolve(
        status=TaskStatus.SUCCEEDED, usage=Usage(10.04, video_seconds=5.04, input_seconds=5.0, resolution=720)
    )
    assert facts(edit, done)["duration"] == "the source's length (5.04 s)"  # as the usage reports it
    smart = VideoRequest(model="wan3.0-video", prompt="a kite", duration=-1)
    assert facts(smart, waiting)["duration"] == "the model picks"  # Wan 3.0's -1, not "-1 s"
    picked = waiting.evolve(status=TaskStatus.SUCCEEDED, usage=Usage(12.0, video_seconds=12, resolution=720))
    assert facts(smart, picked)["duration"] == "the model picks (12 s)"
    plain = facts(VideoRequest(prompt="a kite", duration=7), waiting)  # the positive control: a length
    assert plain["duration"] == "7 s" and "ratio" not in plain and "audio_setting" not in plain


def test_a_report_needs_an_html_name(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="path"):
        wan_nb.report([], tmp_path / "session.txt")


async def test_wan_nb_report_reads_the_journal(
    session: tuple[AsyncWanClient, SimApp], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, _ = session
    first = await client.generate(
        VideoRequest(prompt="first try", first_frame=CAT, duration=2), out="videos/"
    )
    second = await client.generate(
        VideoRequest(prompt="second try", first_frame=CAT, duration=3), out="videos/"
    )
    assert main(["report", "journal.html", "--provider", "sim"]) == 0
    assert "journal.html (2 tasks)" in capsys.readouterr().out
    page = Page((tmp_path / "journal.html").read_text())
    words = " ".join(page.text)
    assert first.id in words and second.id in words and "second try" in words
    assert len(page.all("video")) == 2
    cost = (2 + 3) * pricing.PRICES[("wan2.7-i2v", "720P", "cn-beijing")].per_second
    assert f"about ¥{cost:.2f}" in words  # the billed usage was journaled
    assert math.isclose(cost, 3.0)
    assert main(["report", "last.html", "--last", "1"]) == 0
    assert len(Page((tmp_path / "last.html").read_text()).all("video")) == 1

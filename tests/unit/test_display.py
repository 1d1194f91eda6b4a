"""The status card behind ``Task._repr_html_``: badge, progress, error, escaping, and the video source rules."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from wan_nb.display import frontend
from wan_nb.display.frontend import FrontEnd, Kind
from wan_nb.display.html import BADGE_COLOURS, task_card
from wan_nb.models import Task, TaskError, TaskStatus

CREATED = datetime(2026, 11, 21, 23, 0, 0, tzinfo=UTC)


class _Tags(HTMLParser):
    """Collects start tags with their attributes, and fails on unbalanced markup."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.feed(markup)
        self.close()
        assert self.open == [], f"unclosed tags: {self.open}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open}"
        self.open.pop()

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _task(**changes: object) -> Task:
    base = Task(id="task-123", status=TaskStatus.RUNNING, provider="sim", created_at=CREATED)
    return base.evolve(**changes)


@pytest.mark.parametrize("status", list(TaskStatus))
def test_badge_is_coloured_by_state(status: TaskStatus) -> None:
    card = task_card(_task(status=status))
    assert BADGE_COLOURS[status] in card
    assert status.value in card
    _Tags(card)


def test_progress_bar_only_while_running_with_known_progress() -> None:
    assert _Tags(task_card(_task(progress=0.42))).find("progress") == [
        {"value": "0.420", "max": "1", "style": "width:100%;max-width:480px"}
    ]
    assert "42%" in task_card(_task(progress=0.42))
    assert "<progress" not in task_card(_task(progress=None))
    assert "<progress" not in task_card(_task(status=TaskStatus.SUCCEEDED, progress=1.0))


def test_timing_request_id_and_provider() -> None:
    finished = _task(
        status=TaskStatus.SUCCEEDED, finished_at=CREATED + timedelta(seconds=75), request_id="rq-9"
    )
    card = task_card(finished)
    assert "created 2026-11-21 23:00:00 UTC · took 1 min 15 s" in card
    assert "request id <code>rq-9</code>" in card
    assert "sim" in card and "task-123" in card


def test_failed_task_shows_code_and_message_escaped() -> None:
    failed = _task(
        status=TaskStatus.FAILED,
        error=TaskError(code="DataInspectionFailed", message='<script>alert("x")</script> & more'),
    )
    card = task_card(failed)
    assert "<b>DataInspectionFailed</b>" in card
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in card
    assert "<script>" not in card


def test_all_text_is_escaped() -> None:
    hostile = '"><img src=x onerror=alert(1)>'
    card = task_card(
        _task(id=hostile, provider=hostile, request_id=hostile, status=TaskStatus.UNKNOWN, status_raw=hostile)
    )
    assert "<img" not in card
    assert _Tags(card).find("img") == []


def test_unknown_shows_the_wire_word_only_when_it_differs() -> None:
    assert ">UNKNOWN EXPIRED</span>" in task_card(_task(status=TaskStatus.UNKNOWN, status_raw="EXPIRED"))
    assert ">UNKNOWN</span>" in task_card(_task(status=TaskStatus.UNKNOWN, status_raw="UNKNOWN"))


def test_raw_body_never_shown() -> None:
    card = task_card(_task(raw={"output": {"secret_marker": "raw-body-value"}}))
    assert "raw-body-value" not in card and "secret_marker" not in card


def test_https_url_is_embedded_with_a_text_link() -> None:
    url = "https://dashscope-result.oss.example.com/v.mp4?Expires=1&Signature=a+b&x=<y>"
    expires = datetime(2099, 11, 22, 23, 0, tzinfo=UTC)
    card = task_card(_task(status=TaskStatus.SUCCEEDED, video_url=url, expires_at=expires))
    tags = _Tags(card)
    [video] = tags.find("video")
    assert video["src"] == url
    assert set(video) >= {"controls", "playsinline", "muted", "preload"}
    assert video["preload"] == "metadata"
    assert url in [link["href"] for link in tags.find("a")]
    assert "link valid until 2099-11-22 23:00" in card


def test_an_expired_url_is_not_played() -> None:
    url = "https://dashscope-result.oss.example.com/v.mp4"
    card = task_card(_task(status=TaskStatus.SUCCEEDED, video_url=url, expires_at=CREATED))
    assert _Tags(card).find("video") == [] and "expired" in card


def test_plain_http_url_is_only_linked() -> None:
    card = task_card(_task(status=TaskStatus.SUCCEEDED, video_url="http://sim.localhost/v.mp4"))
    tags = _Tags(card)
    assert tags.find("video") == []
    assert tags.find("a")[0]["href"] == "http://sim.localhost/v.mp4"
    assert "plain http" in card


def _mp4(path: Path) -> Path:
    """A real 0.5 s H.264 clip (the poster decodes it)."""
    import av
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(12):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


JUPYTER = FrontEnd(Kind.JUPYTER, ("JPY_SESSION_NAME",))


def test_under_a_jupyter_server_a_served_file_plays_by_relative_path_with_a_poster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    video = _mp4(tmp_path / "wan_outputs" / "task 1.mp4")
    task = _task(status=TaskStatus.SUCCEEDED, path=video, video_url="https://x.example/v.mp4")
    [tag] = _Tags(task_card(task, JUPYTER)).find("video")
    assert tag["src"] == "wan_outputs/task%201.mp4"  # the local file wins over the (expiring) remote URL
    assert (tag["poster"] or "").startswith("data:image/jpeg;base64,/9j/")  # a JPEG's SOI, base64
    relative = _task(status=TaskStatus.SUCCEEDED, path=Path("wan_outputs/task 1.mp4"))
    assert _Tags(task_card(relative, JUPYTER)).find("video")[0]["src"] == "wan_outputs/task%201.mp4"


@pytest.mark.parametrize("kind", [Kind.VSCODE, Kind.COLAB, Kind.KERNEL, Kind.NONE])
def test_without_a_file_server_the_video_is_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: Kind
) -> None:
    monkeypatch.chdir(tmp_path)
    video = _mp4(tmp_path / "wan_outputs" / "a.mp4")
    [tag] = _Tags(task_card(_task(status=TaskStatus.SUCCEEDED, path=video), FrontEnd(kind))).find("video")
    assert tag["src"] == "data:video/mp4;base64," + base64.b64encode(video.read_bytes()).decode()
    assert (tag["poster"] or "").startswith("data:image/jpeg;base64,")


@pytest.mark.parametrize("where", ["outside", "hidden"])
def test_a_file_jupyter_cannot_serve_is_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    notebook_dir = tmp_path / "nb"
    notebook_dir.mkdir()
    monkeypatch.chdir(notebook_dir)
    place = tmp_path / "elsewhere" / "a.mp4" if where == "outside" else notebook_dir / ".cache" / "a.mp4"
    video = _mp4(place)
    [tag] = _Tags(task_card(_task(status=TaskStatus.SUCCEEDED, path=video), JUPYTER)).find("video")
    assert (tag["src"] or "").startswith("data:video/mp4;base64,")


def test_above_the_cap_a_poster_and_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(frontend, "EMBED_CAP", 10)
    video = _mp4(tmp_path / "a.mp4")
    card = task_card(_task(status=TaskStatus.SUCCEEDED, path=video), FrontEnd(Kind.COLAB))
    tags = _Tags(card)
    assert tags.find("video") == [] and (tags.find("img")[0]["src"] or "").startswith("data:image/jpeg")
    assert "Too large to embed" in card and str(video) in card


def test_a_missing_file_is_said(tmp_path: Path) -> None:
    card = task_card(_task(status=TaskStatus.SUCCEEDED, path=tmp_path / "gone.mp4"), JUPYTER)
    assert "<video" not in card and "not here" in card


def test_the_prompt_is_shown_escaped() -> None:
    card = task_card(_task(prompt="a <cat> & a moon"))
    assert "a &lt;cat&gt; &amp; a moon" in card


def test_no_media_no_video() -> None:
    assert "<video" not in task_card(_task())


def test_repr_html_uses_the_card() -> None:
    task = _task()
    assert task._repr_html_() == task_card(task)

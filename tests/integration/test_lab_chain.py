"""The prompt diff, and every chain action's request, on real simulator videos."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from PIL import Image

from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.errors import ValidationError
from wan_nb.lab import chain
from wan_nb.lab.promptdiff import diff
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.protocols import DIALECTS
from wan_nb.sim import create_app

CAPS = {name: wire.capabilities for name, wire in DIALECTS.items()}

ROOT = Path(__file__).resolve().parents[2]
CAT = ROOT / "examples" / "cat.png"
FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)


# -- the diff ----------------------------------------------------------------------------------------------------


def test_the_diff_marks_added_and_dropped_words() -> None:
    found = diff("a cat turns its head", "a fluffy cat slowly turns the head, cinematic light")
    assert found.changed
    assert found.added == ["fluffy", "slowly", "the", ", cinematic light"]
    assert found.dropped == ["its"]
    assert found.text() == "a [+fluffy+] cat [+slowly+] turns [-its-] [+the+] head [+, cinematic light+]"


def test_the_diff_html_escapes_and_keeps_both_prompts_copyable() -> None:
    found = diff("a <b>cat</b>", 'a <b>cat</b> & a "dog"')
    page = found.html()
    assert "<b>" not in page and "&lt;b&gt;cat&lt;/b&gt;" in page
    assert '<ins style="' in page and "&amp;" in page and "&quot;dog&quot;" in page
    assert page.count("<pre") == 2 and html.escape(found.actual) in page


def test_an_unchanged_prompt_and_chinese_text() -> None:
    assert not diff("a cat", "a  cat").changed
    found = diff("猫转头", "一只猫缓缓转头")
    assert found.added == ["一只", "缓缓"] and found.dropped == []
    assert found.text() == "[+一只+] 猫 [+缓缓+] 转头"


# -- chain actions ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chain")


@pytest.fixture
async def finished(outputs: Path) -> tuple[VideoRequest, Task]:
    app = create_app(state_dir=outputs / "sim", task_time=0.2)
    request = VideoRequest(prompt="a cat turns its head", first_frame=CAT, duration=3, seed=7, last_frame=CAT)
    async with AsyncWanClient(
        "sim", transport=httpx.ASGITransport(app=app), poll=FAST, journal=False
    ) as client:
        task = await client.generate(request, out=outputs / "videos/")
    app.close()
    return request, task


async def test_reuse_seed_keeps_everything_and_applies_changes(finished: tuple[VideoRequest, Task]) -> None:
    request, task = finished
    assert chain.reuse_seed(task, request) == replace(request, parent=task.id)
    again = chain.reuse_seed(task, request, prompt="a cat yawns")
    assert again == replace(request, prompt="a cat yawns", parent=task.id) and again.seed == 7
    with pytest.raises(ValidationError, match=r"seed: .*does not report"):
        chain.reuse_seed(task, replace(request, seed=None))


async def test_next_from_last_frame_uses_the_videos_last_frame(finished: tuple[VideoRequest, Task]) -> None:
    request, task = finished
    following = chain.next_from_last_frame(task, request, dialect=CAPS["native"])
    assert isinstance(following.first_frame, Path) and following.first_frame.suffix == ".jpg"
    assert following.first_frame.parent == task.path.parent if task.path else False
    assert following.last_frame is None and following.first_clip is None and following.driving_audio is None
    assert (following.prompt, following.seed, following.duration) == (request.prompt, 7, 3)
    with Image.open(following.first_frame) as still:
        assert still.size[0] >= 240 and still.size[1] >= 240  # full size: a valid first frame


async def test_continue_clip_sends_the_result_as_first_clip(finished: tuple[VideoRequest, Task]) -> None:
    request, task = finished
    following = chain.continue_clip(task, request, dialect=CAPS["native"])
    assert following.first_clip == task.path and following.first_frame is None
    assert following.last_frame == CAT  # wan2.7 takes first_clip + last_frame
    with pytest.raises(ValidationError, match="first_clip"):
        chain.continue_clip(
            task, replace(request, last_frame=None), dialect=CAPS["unified"]
        )  # no first_clip there
    with pytest.raises(ValidationError):
        chain.continue_clip(task, replace(request, model="wan2.6-i2v"), dialect=CAPS["native"])


async def test_edit_and_rerun_is_the_request_with_changes(finished: tuple[VideoRequest, Task]) -> None:
    request, task = finished
    assert chain.edit_and_rerun(task, request, duration=5) == replace(request, duration=5, parent=task.id)
    with pytest.raises(ValidationError, match="duration"):
        chain.edit_and_rerun(task, request, dialect=CAPS["native"], duration=99)


def test_chaining_needs_a_finished_downloaded_task() -> None:
    request = VideoRequest(prompt="x", first_frame=CAT)
    running = Task(id="t-1", status=TaskStatus.RUNNING)
    with pytest.raises(ValidationError, match="task: task t-1 is running"):
        chain.next_from_last_frame(running, request)
    gone = Task(id="t-2", status=TaskStatus.SUCCEEDED, path=Path("/nonexistent/t-2.mp4"))
    with pytest.raises(ValidationError, match="is gone"):
        chain.continue_clip(gone, request)

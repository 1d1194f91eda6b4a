"""``wan-nb`` end to end against the in-process simulator (``--provider sim``), plus its output and exit codes.

Every test has its own ``WAN_NB_HOME`` (conftest) and working directory, so journals never mix.
"""

from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from tests.fixtures.servers import loopback, serving, url
from wan_nb.cli import Reporter, main, state_line
from wan_nb.client import AsyncWanClient, Journal
from wan_nb.client.providers import SIM_NOTICE
from wan_nb.display import frontend
from wan_nb.loop import run_sync
from wan_nb.models import Task, TaskError, TaskStatus, VideoRequest

pytestmark = pytest.mark.usefixtures("fast_sim")  # exit codes and output, not the simulator's task time

CAT = Path(__file__).resolve().parents[2] / "examples" / "cat.png"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(CAT, tmp_path / "cat.png")
    return tmp_path


class _Counting(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def _any(self) -> None:
        _Counting.requests.append(f"{self.command} {self.path}")
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"code": "InvalidApiKey", "message": "Invalid API-key provided."}')

    do_GET = do_POST = _any

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    """A loopback 'DashScope' that answers 401 to everything and records what reached it."""
    _Counting.requests = []
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-never-printed-123")
    with serving(loopback(_Counting)) as server:
        yield url(server), _Counting.requests


def _submit(prompt: str = "a cat turns its head") -> Task:
    """A sim task submitted through the client itself (journaled like the CLI would)."""

    async def submit() -> Task:
        async with AsyncWanClient("sim") as client:
            return await client.submit(VideoRequest(prompt=prompt, first_frame=CAT, duration=2))

    return run_sync(submit())


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


def test_generate_writes_a_playable_h264_mp4(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    av = pytest.importorskip("av", reason="PyAV comes with the sim extra")
    code = main(
        ["generate", "--provider", "sim", "--image", "cat.png", "--prompt", "a cat", "--duration", "2"]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    *states, last = _lines(out)
    path = Path(last)
    assert path == Path("wan_outputs") / f"{states[0].split()[0]}.mp4"
    assert "\r" not in out  # not a terminal: plain lines, one per state change
    assert [line.split()[1] for line in states][-1] == "SUCCEEDED"
    assert len({line.split()[1] for line in states}) == len(states)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert next(container.decode(stream)).width > 0

    task_id = states[0].split()[0]
    assert main(["status", task_id, "--provider", "sim"]) == 0
    assert capsys.readouterr().out.split()[:2] == [task_id, "SUCCEEDED"]
    assert main(["download", task_id, "--provider", "sim", "--out", "again/clip.mp4"]) == 0
    assert capsys.readouterr().out.strip() == str(Path("again") / "clip.mp4")
    assert Path("again/clip.mp4").read_bytes() == path.read_bytes()
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == [
        task_id,
        "sim",
        "SUCCEEDED",
        "wan2.7-i2v",
        "'a",
        "cat'",
        "again/clip.mp4",
    ]


def test_wait_then_resume_downloads_what_is_not_on_disk(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second, doomed = _submit("first"), _submit("second"), _submit("[sim:inspection] third")
    assert main(["wait", first.id, "--provider", "sim"]) == 0
    assert _lines(capsys.readouterr().out)[-1].split()[:2] == [first.id, "SUCCEEDED"]

    assert main(["resume", "--out", "resumed"]) == 1  # one task failed
    out, err = capsys.readouterr()
    saved = sorted(p.name for p in Path("resumed").iterdir())
    assert saved == sorted([f"{first.id}.mp4", f"{second.id}.mp4"])
    assert str(Path("resumed") / f"{second.id}.mp4") in out
    [line] = _lines(err)
    assert line.startswith(f"wan-nb: error: task {doomed.id} failed: DataInspectionFailed: ")
    assert [e.task_id for e in Journal().entries() if not e.downloaded] == [doomed.id]

    assert main(["resume"]) == 0  # nothing left: no second download, the failure is final
    assert capsys.readouterr() == ("", "")


def test_wait_past_its_deadline_exits_1(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = _submit()
    assert main(["wait", task.id, "--provider", "sim", "--timeout", "0.3"]) == 1
    [line] = _lines(capsys.readouterr().err)
    assert line.startswith(f"wan-nb: error: task {task.id} still ") and "keeps running server-side" in line


def test_cancel_a_queued_task(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = _submit()
    assert main(["cancel", task.id, "--provider", "sim"]) == 0
    assert capsys.readouterr().out.split()[:2] == [task.id, "CANCELED"]


def test_failed_task_exits_1_with_one_line(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate", "--provider", "sim", "--image", "cat.png", "--prompt", "[sim:inspection] cat"])
    out, err = capsys.readouterr()
    assert code == 1
    assert _lines(err) == [err.strip()]
    assert err.startswith("wan-nb: error: task ") and "DataInspectionFailed" in err
    assert "FAILED" in _lines(out)[-1]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--duration", "99"], "duration"),
        (["--resolution", "4K"], "resolution"),
        (["--seed", "-1"], "seed"),
        (["--image", "missing.png"], "first_frame"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_sends_nothing(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    api_host: tuple[str, list[str]],
    extra: list[str],
    field: str,
) -> None:
    base_url, seen = api_host
    argv = [
        "generate",
        "--provider",
        "dashscope",
        "--base-url",
        base_url,
        "--image",
        "cat.png",
        "--prompt",
        "x",
    ]
    code = main(argv + extra)
    err = capsys.readouterr().err
    assert code == 2
    assert _lines(err) == [err.strip()] and err.startswith(f"wan-nb: error: {field}")
    assert seen == []


def test_api_error_is_one_line_without_the_key(
    workdir: Path, capsys: pytest.CaptureFixture[str], api_host: tuple[str, list[str]]
) -> None:
    base_url, seen = api_host
    code = main(["status", "task-1", "--provider", "dashscope", "--base-url", base_url])
    err = capsys.readouterr().err
    assert code == 1 and len(seen) == 1
    assert _lines(err) == [err.strip()] and "401" in err and "DASHSCOPE_API_KEY" in err
    assert "sk-never-printed-123" not in err


def test_unknown_task_id_is_a_one_line_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["download", "no-such-task", "--provider", "sim"])
    out, err = capsys.readouterr()
    assert code == 1
    assert _lines(err) == [err.strip()] and err.startswith("wan-nb: error:")
    assert "Traceback" not in out + err


def test_no_provider_no_key_uses_the_sim_with_a_note(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frontend, "_SAID", set())  # said once per process: this test's process is shared
    assert main(["status", "no-such-task"]) == 0
    out, err = capsys.readouterr()
    assert out == "no-such-task  UNKNOWN  0s\n"  # DashScope's answer for an unknown id, which the sim copies
    assert err == SIM_NOTICE + "\n"  # one line on stderr, no source location
    assert len(_lines(err)) == 1


def test_explicit_provider_without_key_exits_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "t-1", "--provider", "dashscope"]) == 2
    assert capsys.readouterr().err.strip() == (
        "wan-nb: error: api_key: provider 'dashscope' needs a key: set DASHSCOPE_API_KEY or pass api_key="
    )


def test_resume_skips_providers_without_a_key(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stranded = Task(id="remote-1", status=TaskStatus.RUNNING, provider="dashscope")
    Journal().record(
        stranded,
        base_url="https://dashscope.aliyuncs.com",
        dialect="native",
        request=VideoRequest(prompt="p"),
    )
    assert main(["resume", "--provider", "sim"]) == 0  # narrowed: nothing of sim's is pending
    assert capsys.readouterr() == ("", "")
    assert main(["resume"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    [note] = _lines(err)
    assert note.startswith("wan-nb: skipping dashscope tasks on https://dashscope.aliyuncs.com: api_key:")


def test_ctrl_c_exits_130_and_says_how_to_resume(workdir: Path) -> None:
    argv = [
        sys.executable,
        "-m",
        "wan_nb",
        "generate",
        "--provider",
        "sim",
        "--image",
        "cat.png",
        "--prompt",
        "x",
    ]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the task exists: QUEUED
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    task_id = first.split()[0]
    assert proc.returncode == 130
    assert _lines(err) == [
        f"wan-nb: interrupted; task {task_id} keeps running on the server: "
        f"`wan-nb wait {task_id} --provider sim` or `wan-nb resume` picks it up"
    ]
    assert [entry.task_id for entry in Journal().entries(unfinished=True)] == [task_id]


def test_usage_errors_and_help_return_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["generate", "--prompt", "x", "--duration", "five"]) == 2  # argparse: not a number
    # a prompt alone is text-to-video now; a ratio no model offers is refused before any request
    assert main(["generate", "--prompt", "a lighthouse", "--ratio", "21:9"]) == 2
    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    for command in ("generate", "status", "wait", "download", "cancel", "list", "resume", "sim"):
        assert command in help_text


def test_no_api_key_flag() -> None:
    assert main(["status", "t", "--api-key", "sk-x"]) == 2


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wan_nb", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and "usage: wan-nb" in result.stdout


def test_sim_subcommand_is_delegated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--help"]) == 0
    assert "--port" in capsys.readouterr().out


# --- output -----------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_state_line_format() -> None:
    running = Task(id="t-1", status=TaskStatus.RUNNING, progress=0.42)
    assert state_line(running, 12.3) == "t-1  RUNNING  42%  12s"
    failed = Task(id="t-2", status=TaskStatus.FAILED, error=TaskError("DataInspectionFailed", "flagged"))
    assert state_line(failed, 3) == "t-2  FAILED  3s  DataInspectionFailed: flagged"
    odd = Task(id="t-3", status=TaskStatus.UNKNOWN, status_raw="EXPIRED")
    assert state_line(odd, 0) == "t-3  UNKNOWN(EXPIRED)  0s"
    assert state_line(odd.evolve(status_raw="UNKNOWN"), 0) == "t-3  UNKNOWN  0s"


def test_pipe_gets_one_line_per_state_change() -> None:
    stream = io.StringIO()
    reporter = Reporter(stream)
    for progress in (0.1, 0.5, 0.9):
        reporter.show(Task(id="t", status=TaskStatus.RUNNING, progress=progress))
    reporter.show(Task(id="t", status=TaskStatus.SUCCEEDED))
    assert [line.split()[1] for line in stream.getvalue().splitlines()] == ["RUNNING", "SUCCEEDED"]


def test_terminal_gets_a_redrawn_progress_bar() -> None:
    stream = _Terminal()
    reporter = Reporter(stream)
    reporter.show(Task(id="t", status=TaskStatus.QUEUED))
    reporter.show(Task(id="t", status=TaskStatus.RUNNING, progress=0.25))
    reporter.show(Task(id="t", status=TaskStatus.RUNNING, progress=0.5))
    reporter.show(Task(id="t", status=TaskStatus.SUCCEEDED))
    reporter.say("wan_outputs/t.mp4")
    text = stream.getvalue()
    assert "[" + "#" * 12 + "." * 12 + "]" in text
    lines = text.split("\n")  # a state change ends the line; progress moves redraw it with \r
    assert [line.rsplit("\r", 1)[-1].split()[1] for line in lines[:3]] == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert lines[1].count("\r") == 2
    assert lines[3] == "wan_outputs/t.mp4"


_HANGING_CREATE = """
import asyncio, httpx
from wan_nb.client import AsyncWanClient
from wan_nb.models import VideoRequest

async def hang(request):
    print("sent", flush=True)  # the server has the create; its answer never comes back
    await asyncio.sleep(3600)

async def main():
    async with AsyncWanClient("dashscope", api_key="sk-test", transport=httpx.MockTransport(hang)) as client:
        await client.submit(VideoRequest(prompt="the lost cat", first_frame="https://example.com/cat.png"))

asyncio.run(main())
"""


def test_a_process_killed_during_a_create_leaves_it_in_the_journal(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with subprocess.Popen([sys.executable, "-c", _HANGING_CREATE], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == "sent\n"
        proc.kill()  # SIGKILL: no handler, no finally
    [create] = Journal().unanswered()
    assert (create.provider, create.base_url, create.problem) == (
        "dashscope",
        "https://dashscope.aliyuncs.com",
        None,
    )
    assert main(["list"]) == 0
    [line] = _lines(capsys.readouterr().out)
    assert line.startswith("-  dashscope  UNANSWERED  wan2.7-i2v  'the lost cat'  sent ")
    assert main(["resume"]) == 0  # no task id to re-attach to: it says where to look instead
    [note] = _lines(capsys.readouterr().err)
    assert note.startswith("wan-nb: note: a create sent to dashscope (https://dashscope.aliyuncs.com) at ")
    assert note.endswith(
        "never got its answer (the process ended first); a task for 'the lost cat' may exist and be billed: "
        "look for it with client.list_tasks() or the console"
    )

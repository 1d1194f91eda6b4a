"""The sync facade (``wan_nb.generate`` and friends) against the in-process simulator."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wan_nb import sync
from wan_nb.client import AsyncWanClient
from wan_nb.errors import TaskFailed, TransportError, ValidationError
from wan_nb.loop import run_sync
from wan_nb.models import TaskStatus, VideoRequest

pytestmark = pytest.mark.usefixtures("fast_sim")  # what the facade returns, not how long the simulator takes

CAT = Path(__file__).resolve().parents[2] / "examples" / "cat.png"


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port that refuses connections: any request there would be a TransportError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_generate_from_fields(tmp_path: Path) -> None:
    task = sync.generate(prompt="a cat", first_frame=CAT, duration=2, provider="sim", out=f"{tmp_path}/out/")
    assert task.status is TaskStatus.SUCCEEDED
    assert task.path == tmp_path / "out" / f"{task.id}.mp4"
    assert task.path.stat().st_size > 0


async def test_the_rest_work_inside_a_running_loop(tmp_path: Path) -> None:
    # An async test body is a cell: the kernel's loop runs, and the facade still just works.
    submitted = sync.cancel(_submitted_id(), provider="sim")
    assert submitted.status is TaskStatus.CANCELED

    task_id = _submitted_id()
    assert sync.get(task_id, provider="sim").id == task_id
    assert sync.wait(task_id, provider="sim", timeout=60).status is TaskStatus.SUCCEEDED
    path = sync.download(task_id, tmp_path / "clip.mp4", provider="sim")
    assert path == tmp_path / "clip.mp4" and path.is_file()


def _submitted_id() -> str:
    """A sim task submitted without waiting (the facade has no submit: generate is submit+wait+download)."""

    async def submit() -> str:
        async with AsyncWanClient("sim") as client:
            return (await client.submit(VideoRequest(prompt="p", first_frame=CAT, duration=2))).id

    return run_sync(submit())


def test_failures_keep_their_type(tmp_path: Path) -> None:
    with pytest.raises(TaskFailed, match="DataInspectionFailed"):
        sync.generate(
            VideoRequest(prompt="[sim:inspection] a cat", first_frame=CAT), provider="sim", out=tmp_path
        )
    # DashScope answers an unknown id with 200 and task_status UNKNOWN (the sim copies it): a state, not an error.
    assert sync.get("no-such-task", provider="sim").status is TaskStatus.UNKNOWN
    with pytest.raises(TaskFailed, match="no-such-task unknown"):
        sync.wait("no-such-task", provider="sim")


def test_validation_error_before_any_request(refused_url: str) -> None:
    with pytest.raises(ValidationError, match="duration"):
        sync.generate(
            prompt="x",
            first_frame=CAT,
            duration=99,
            provider="dashscope",
            api_key="sk-t",
            base_url=refused_url,
        )
    with pytest.raises(TransportError):  # the same call with valid input does reach the (refusing) host
        sync.get("t-1", provider="dashscope", api_key="sk-t", base_url=refused_url, max_retries=0)


def test_client_options_pass_through() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(
            200, json={"request_id": "r", "output": {"task_id": "t-1", "task_status": "RUNNING"}}
        )

    task = sync.get("t-1", provider="dashscope", api_key="sk-t", transport=httpx.MockTransport(handler))
    assert (task.id, task.status) == ("t-1", TaskStatus.RUNNING)
    assert seen == ["GET /api/v1/tasks/t-1"]


def test_request_or_fields_not_both() -> None:
    with pytest.raises(TypeError, match="not both"):
        sync.generate(VideoRequest(prompt="x", first_frame=CAT), prompt="y")
    with pytest.raises(TypeError, match="promt"):
        sync.generate(promt="typo", first_frame=CAT)

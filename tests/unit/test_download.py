"""Downloads: streamed to .part, atomic rename, Content-Length checked, Range resume, no key to storage hosts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.fixtures.client_fakes import CANARY, REQUEST, STORAGE, VIDEO, FakeService, make_client
from wan_nb.client.download import target_path
from wan_nb.errors import DownloadError, ResultExpired, TaskFailed
from wan_nb.models import Task, TaskStatus

URL = f"https://{STORAGE}/task-1.mp4?Expires=4102444800&Signature=abc"
DONE = Task("task-1", TaskStatus.SUCCEEDED, provider="dashscope", video_url=URL)


class Body(httpx.AsyncByteStream):
    """A streamed body that may break (ReadError) after ``cut`` bytes, like a dropped connection."""

    def __init__(self, data: bytes, cut: int | None = None) -> None:
        self.data, self.cut = data, cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        end = len(self.data) if self.cut is None else self.cut
        for start in range(0, end, 1000):
            yield self.data[start : min(start + 1000, end)]
        if self.cut is not None:
            raise httpx.ReadError("connection reset by peer")


def storage(
    *answers: Callable[[httpx.Request], httpx.Response],
) -> tuple[list[httpx.Request], Callable[[httpx.Request], httpx.Response]]:
    """A storage host answering with ``answers`` in turn (then always the last)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    return seen, handler


def whole(
    data: bytes = VIDEO, cut: int | None = None, length: int | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    headers = {"Content-Length": str(len(data) if length is None else length)}
    return lambda request: httpx.Response(200, stream=Body(data, cut), headers=headers)


def ranged(data: bytes = VIDEO) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
        headers = {
            "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}",
            "Content-Length": str(len(data) - start),
        }
        return httpx.Response(206, stream=Body(data[start:]), headers=headers)

    return answer


async def test_streams_to_the_task_named_file_without_authorization(tmp_path: Path) -> None:
    seen, handler = storage(whole())
    async with make_client(handler) as client:
        path = await client.download(DONE, tmp_path)
    assert path == tmp_path / "task-1.mp4" and path.read_bytes() == VIDEO
    assert not (tmp_path / "task-1.mp4.part").exists()
    (request,) = seen
    assert "authorization" not in request.headers and CANARY not in str(request.headers.raw)
    assert request.headers["accept-encoding"] == "identity"


async def test_resumes_an_interrupted_stream_with_range(tmp_path: Path) -> None:
    seen, handler = storage(whole(cut=3000), ranged())
    async with make_client(handler) as client:
        path = await client.download(DONE, tmp_path / "clip.mp4")
    assert path.read_bytes() == VIDEO
    assert "range" not in seen[0].headers and seen[1].headers["range"] == "bytes=3000-"


async def test_resumes_a_part_left_by_an_earlier_attempt(tmp_path: Path) -> None:
    (tmp_path / "task-1.mp4.part").write_bytes(VIDEO[:5000])
    seen, handler = storage(ranged())
    async with make_client(handler) as client:
        assert (await client.download(DONE, f"{tmp_path}/")).read_bytes() == VIDEO
    assert seen[0].headers["range"] == "bytes=5000-"


async def test_a_server_that_ignores_range_restarts_from_zero(tmp_path: Path) -> None:
    (tmp_path / "task-1.mp4.part").write_bytes(b"stale bytes")
    seen, handler = storage(whole())
    async with make_client(handler) as client:
        assert (await client.download(DONE, tmp_path)).read_bytes() == VIDEO
    assert seen[0].headers["range"] == "bytes=11-"


async def test_a_206_for_the_wrong_offset_restarts_from_zero(tmp_path: Path) -> None:
    (tmp_path / "task-1.mp4.part").write_bytes(VIDEO[:100])

    def wrong(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Range": f"bytes 50-{len(VIDEO) - 1}/{len(VIDEO)}"}
        return httpx.Response(206, stream=Body(VIDEO[50:]), headers=headers)

    seen, handler = storage(wrong, whole())
    async with make_client(handler) as client:
        assert (await client.download(DONE, tmp_path)).read_bytes() == VIDEO
    assert "range" not in seen[1].headers


async def test_416_restarts_from_zero(tmp_path: Path) -> None:
    (tmp_path / "task-1.mp4.part").write_bytes(VIDEO + b"extra")
    seen, handler = storage(lambda request: httpx.Response(416), whole())
    async with make_client(handler) as client:
        assert (await client.download(DONE, tmp_path)).read_bytes() == VIDEO
    assert len(seen) == 2


async def test_a_body_shorter_than_content_length_is_a_download_error(tmp_path: Path) -> None:
    seen, handler = storage(whole(VIDEO[:4000], length=len(VIDEO)))  # always short, Range ignored
    async with make_client(handler) as client:
        with pytest.raises(DownloadError, match="without progress"):
            await client.download(DONE, tmp_path)
    assert not (tmp_path / "task-1.mp4").exists()
    assert len(seen) == 6  # one with progress, then five that made none


async def test_a_body_longer_than_content_length_is_a_download_error(tmp_path: Path) -> None:
    _, handler = storage(whole(VIDEO, length=100))
    async with make_client(handler) as client:
        with pytest.raises(DownloadError, match="more bytes"):
            await client.download(DONE, tmp_path)
    assert not (tmp_path / "task-1.mp4").exists() and not (tmp_path / "task-1.mp4.part").exists()


async def test_an_existing_file_is_not_downloaded_again(tmp_path: Path) -> None:
    (tmp_path / "task-1.mp4").write_bytes(b"done before")
    seen, handler = storage(whole())
    async with make_client(handler) as client:
        assert (await client.download(DONE, tmp_path)).read_bytes() == b"done before"
    assert seen == []


@pytest.mark.parametrize("status", [403, 404])
async def test_a_refused_result_url_has_expired(tmp_path: Path, status: int) -> None:
    _, handler = storage(
        lambda request: httpx.Response(status, text="<Error><Code>AccessDenied</Code></Error>")
    )
    async with make_client(handler) as client:
        with pytest.raises(ResultExpired, match="24 h") as caught:
            await client.download(DONE, tmp_path)
    assert caught.value.status_code == status and caught.value.task_id == "task-1"


async def test_past_expires_at_any_client_error_means_expired(tmp_path: Path) -> None:
    old = DONE.evolve(expires_at=datetime.now(UTC) - timedelta(hours=1))
    _, handler = storage(lambda request: httpx.Response(400, text="Request has expired"))
    async with make_client(handler) as client:
        with pytest.raises(ResultExpired):
            await client.download(old, tmp_path)


async def test_download_by_id_fetches_the_state_first(tmp_path: Path) -> None:
    service = FakeService(script=("PENDING", "SUCCEEDED"))
    async with make_client(service) as client:
        task = await client.submit(REQUEST)
        assert (await client.download(task.id, tmp_path)).read_bytes() == VIDEO
    api, result = service.seen("GET", task.id), service.seen("GET", host=STORAGE)
    assert api[0].headers["authorization"] == f"Bearer {CANARY}" and "authorization" not in result[0].headers


async def test_download_of_an_unfinished_or_failed_task(tmp_path: Path) -> None:
    service = FakeService(script=("PENDING", "RUNNING"))
    async with make_client(service) as client:
        task = await client.submit(REQUEST)
        with pytest.raises(DownloadError, match="running; wait"):
            await client.download(task, tmp_path)
    service = FakeService(script=("PENDING", "FAILED"), failure=("InternalError", "boom"))
    async with make_client(service) as client:
        task = await client.submit(REQUEST)
        with pytest.raises(TaskFailed, match="InternalError"):
            await client.download(task, tmp_path)


async def test_gateway_content_goes_to_the_api_host_with_the_key(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/videos/v1/content":  # redirected to storage, as new-api may do
            return httpx.Response(302, headers={"Location": URL})
        return whole()(request)

    done = Task("v1", TaskStatus.SUCCEEDED, provider="gateway")
    async with make_client(handler, provider="gateway") as client:
        assert (await client.download(done, tmp_path)).read_bytes() == VIDEO
    api, result = seen
    assert (api.url.host, api.headers["authorization"]) == ("api-platform.ope.ai", f"Bearer {CANARY}")
    assert result.url.host == STORAGE and "authorization" not in result.headers


async def test_gateway_content_error_falls_back_to_the_upstream_url(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == STORAGE:
            return whole()(request)
        return httpx.Response(400, json={"code": "invalid_request", "message": "task is not completed"})

    done = Task("v1", TaskStatus.SUCCEEDED, provider="gateway", video_url=URL)
    async with make_client(handler, provider="gateway") as client:
        assert (await client.download(done, tmp_path)).read_bytes() == VIDEO
    assert [r.url.host for r in seen] == ["api-platform.ope.ai", STORAGE]


def test_target_path(tmp_path: Path) -> None:
    assert target_path(tmp_path, "t") == tmp_path / "t.mp4"
    assert target_path("out/", "t") == Path("out/t.mp4")
    assert target_path(tmp_path / "new_folder", "t") == tmp_path / "new_folder" / "t.mp4"
    assert target_path(tmp_path / "clip.mp4", "t") == tmp_path / "clip.mp4"


async def test_a_chosen_path_shared_by_two_tasks_gets_the_second_video(tmp_path: Path) -> None:
    # Regression: an existing file at a caller-chosen path used to be returned as is, handing back the
    # first task's video for the second; and the second's .part must not resume from the first's bytes.
    other = Task(
        "task-2", TaskStatus.SUCCEEDED, provider="dashscope", video_url=URL.replace("task-1", "task-2")
    )
    second = b"\x00\x00\x00\x18ftypisom" + b"B" * 4000
    chosen = tmp_path / "same.mp4"
    (tmp_path / "same.mp4.task-1.part").write_bytes(VIDEO[:500])
    _, handler = storage(lambda r: whole(VIDEO if "task-1" in str(r.url) else second)(r))
    async with make_client(handler) as client:
        assert (await client.download(DONE, chosen)).read_bytes() == VIDEO
        assert (await client.download(other, chosen)).read_bytes() == second
    assert not list(tmp_path.glob("*.part"))  # noqa: ASYNC240

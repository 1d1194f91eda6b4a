"""RetryTransport: GET/HEAD retried on transient failures with jittered backoff and Retry-After; POST never."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.fixtures.client_fakes import FakeTime, scripted
from wan_nb.client._retry import RetryTransport

URL = "https://api.example.com/api/v1/tasks/t1"


class Tracked(httpx.AsyncByteStream):
    """A body that records whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"{}"

    async def aclose(self) -> None:
        self.closed = True


def transport(
    *answers: httpx.Response | Exception, max_retries: int = 4
) -> tuple[RetryTransport, FakeTime, list[httpx.Request]]:
    time = FakeTime()
    seen: list[httpx.Request] = []
    answer = scripted(*answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    retry = RetryTransport(
        httpx.MockTransport(handler), max_retries=max_retries, sleep=time.sleep, rand=lambda: 1.0
    )
    return retry, time, seen


async def send(retry: RetryTransport, method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient(transport=retry) as client:
        return await client.request(method, URL)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_get_is_retried_on_transient_statuses_with_backoff(status: int) -> None:
    retry, time, seen = transport(httpx.Response(status), httpx.Response(status), httpx.Response(200))
    assert (await send(retry)).status_code == 200
    assert len(seen) == 3
    assert time.sleeps == [0.5, 1.0]  # full jitter with rand=1: the ceiling, doubling


async def test_full_jitter_stays_under_a_capped_ceiling() -> None:
    retry = RetryTransport(
        httpx.MockTransport(lambda r: httpx.Response(200)), rand=lambda: 0.5, max_backoff=8.0
    )
    assert [retry.delay(n) for n in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
async def test_client_errors_are_not_retried(status: int) -> None:
    retry, time, seen = transport(httpx.Response(status))
    assert (await send(retry)).status_code == status
    assert (len(seen), time.sleeps) == (1, [])


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("closed"),
        httpx.ReadTimeout("slow"),
    ],
)
async def test_get_is_retried_on_connection_errors(error: Exception) -> None:
    retry, time, seen = transport(error, error, httpx.Response(200))
    assert (await send(retry)).status_code == 200
    assert len(seen) == 3 and len(time.sleeps) == 2


async def test_oserror_from_an_asgi_app_counts_as_a_network_error() -> None:
    retry, _, seen = transport(ConnectionResetError("simulated reset"), httpx.Response(200))
    assert (await send(retry)).status_code == 200 and len(seen) == 2
    retry, _, seen = transport(ConnectionResetError("simulated reset"))
    with pytest.raises(httpx.ReadError, match="ConnectionResetError"):
        await send(retry, "POST")
    assert len(seen) == 1


async def test_retry_after_seconds_is_honoured() -> None:
    retry, time, _ = transport(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200))
    assert (await send(retry)).status_code == 200
    assert time.sleeps == [7.0]


async def test_retry_after_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    retry, time, _ = transport(httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200))
    assert (await send(retry)).status_code == 200
    assert 25 <= time.sleeps[0] <= 30


async def test_retry_after_ms_is_honoured() -> None:
    retry, time, _ = transport(httpx.Response(429, headers={"retry-after-ms": "1500"}), httpx.Response(200))
    await send(retry)
    assert time.sleeps == [1.5]


async def test_a_retry_after_beyond_the_cap_is_handed_to_the_caller() -> None:
    retry, time, seen = transport(httpx.Response(429, headers={"Retry-After": "3600"}))
    response = await send(retry)
    assert (response.status_code, len(seen), time.sleeps) == (429, 1, [])


async def test_gives_up_after_max_retries_with_the_last_answer() -> None:
    retry, time, seen = transport(*[httpx.Response(502)] * 3, max_retries=2)
    assert (await send(retry)).status_code == 502
    assert len(seen) == 3 and len(time.sleeps) == 2
    retry, _, seen = transport(*[httpx.ConnectError("down")] * 3, max_retries=2)
    with pytest.raises(httpx.ConnectError):
        await send(retry)
    assert len(seen) == 3


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "1"}), httpx.ReadError("reset")],
)
async def test_post_is_never_retried(answer: httpx.Response | Exception) -> None:
    retry, time, seen = transport(answer, httpx.Response(200))
    if isinstance(answer, Exception):
        with pytest.raises(httpx.ReadError):
            await send(retry, "POST")
    else:
        assert (await send(retry, "POST")).status_code == answer.status_code
    assert (len(seen), time.sleeps) == (1, [])


async def test_retried_responses_are_closed() -> None:
    first = Tracked()
    retry, _, _ = transport(httpx.Response(503, stream=first), httpx.Response(200))
    await send(retry)
    assert first.closed


async def test_head_is_retried_too() -> None:
    retry, _, seen = transport(httpx.Response(503), httpx.Response(200))
    assert (await send(retry, "HEAD")).status_code == 200 and len(seen) == 2

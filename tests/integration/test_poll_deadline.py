"""A wait's deadline in real time: a poll stuck in the retry layer's Retry-After sleeps is cut at the deadline plus the last poll's grace."""

from __future__ import annotations

from time import monotonic

import httpx
import pytest

from tests.fixtures.client_fakes import CANARY
from wan_nb.client import AsyncWanClient
from wan_nb.client.policy import LAST_POLL_GRACE
from wan_nb.errors import WaitTimeout
from wan_nb.models import Task, TaskStatus


async def test_a_poll_retrying_through_long_retry_afters_does_not_outlive_the_deadline() -> None:
    # Real time here: the retry layer sleeps through Retry-After 50 up to four times (about 200 s) per poll.
    def throttled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429, json={"code": "Throttling", "message": "slow down"}, headers={"Retry-After": "50"}
        )

    client = AsyncWanClient(
        "dashscope", api_key=CANARY, transport=httpx.MockTransport(throttled), journal=False
    )
    seen = Task("t-1", TaskStatus.RUNNING, provider="dashscope")
    started = monotonic()
    async with client:
        with pytest.raises(WaitTimeout) as caught:
            await client.wait(seen, timeout=0.5)
    assert monotonic() - started < LAST_POLL_GRACE + 2  # the grace for the poll at the deadline, no more
    assert caught.value.task is seen and caught.value.timeout == 0.5

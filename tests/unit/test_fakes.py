"""The client fakes themselves (``tests/fixtures/client_fakes.py``): the scripted service and the fake time."""

from __future__ import annotations

from tests.fixtures.client_fakes import REQUEST, FakeService, FakeTime, make_client


async def test_fake_service_walks_its_script() -> None:
    service = FakeService()
    async with make_client(service) as client:
        task = await client.wait(await client.submit(REQUEST))
    assert task.status_raw == "SUCCEEDED"
    assert [r.method for r in service.requests] == ["POST", "GET", "GET"]


async def test_fake_time_only_moves_when_sleeping() -> None:
    time = FakeTime()
    await time.sleep(2.5)
    assert (time.clock(), time.sleeps) == (2.5, [2.5])

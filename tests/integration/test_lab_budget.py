"""Estimates against the price table, and budgets: refused before any request, unanswered creates count.

All against the in-process simulator (its requests counted in ``app.stats``), which bills like DashScope
(``usage.duration`` + ``SR``), priced at the default region's list price.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import wan_nb
from wan_nb.client import AsyncWanClient, Budget, PollSchedule
from wan_nb.errors import BudgetExceeded, ConfigError, TransportError, ValidationError, WanError
from wan_nb.lab import pricing
from wan_nb.lab.pricing import Price
from wan_nb.models import VideoRequest
from wan_nb.sim import SimApp, create_app

ROOT = Path(__file__).resolve().parents[2]
CAT = ROOT / "examples" / "cat.png"
FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)
CNY_720P = pricing.PRICES[("wan2.7-i2v", "720P", "cn-beijing")].per_second


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SimApp]:
    made = create_app(state_dir=tmp_path / "sim", task_time=0.5)
    yield made
    made.close()


@pytest.fixture
async def client_of(app: SimApp) -> AsyncIterator[Callable[..., AsyncWanClient]]:
    made: list[AsyncWanClient] = []

    def make(**kwargs: Any) -> AsyncWanClient:
        made.append(AsyncWanClient("sim", transport=httpx.ASGITransport(app=app), poll=FAST, **kwargs))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture(autouse=True)
def _fresh_prices() -> Iterator[None]:
    yield
    pricing.set_prices(None)


def cat(prompt: str = "a cat turns its head", **kwargs: Any) -> VideoRequest:
    return VideoRequest(prompt=prompt, first_frame=CAT, **kwargs)


# -- estimates ------------------------------------------------------------------------------------------------


def test_the_table_names_its_source_and_date() -> None:
    assert "Alibaba" in pricing.SOURCE and pricing.AS_OF.startswith("2026-")
    assert pricing.PRICES[("wan2.7-i2v", "1080P", "ap-southeast-1")] == Price(0.15, "USD")


async def test_a_grid_estimate_on_the_simulator_matches_the_table(client_of: Callable[..., Any]) -> None:
    client = client_of()
    found = client.estimate([cat(seed=s) for s in range(12)], concurrency=2)
    assert found.tasks == 12 and found.billed_seconds == 60
    assert math.isclose(found.cost, 60 * CNY_720P) and found.currency == "CNY"
    # The simulator's own few seconds per task (pricing.SIM_RUN), six rounds of two.
    assert math.isclose(found.wall_seconds, 6 * pricing.SIM_RUN.typical)
    assert str(found) == "12 tasks × 5 s · 720P · wan2.7-i2v ≈ ¥36.00, about 30 s at 2 at once"


async def test_a_real_provider_is_estimated_at_its_region_and_the_services_run_times() -> None:
    async with AsyncWanClient("dashscope-intl", api_key="sk-test", journal=False) as client:
        found = client.estimate(cat(resolution="1080P", duration=10), concurrency=4)
    assert found.currency == "USD" and math.isclose(found.cost, 10 * 0.15)
    assert math.isclose(found.wall_seconds, pricing.SERVICE_RUN.typical * 2 * 1.5)
    assert str(found).startswith("1 task × 10 s · 1080P · wan2.7-i2v ≈ $1.50, about 5 min at 4 at once")


def test_mixed_requests_and_sizes() -> None:
    requests = [cat(duration=3), cat(duration=7, size="1920x1080")]
    found = pricing.estimate(requests, region="cn-beijing", concurrency=1, run=pricing.SERVICE_RUN)
    assert math.isclose(found.cost, 3 * CNY_720P + 7 * 1.0)
    assert found.shape == "10 s in all · 720P/1080P · wan2.7-i2v"
    assert math.isclose(found.wall_seconds, 100 * 3 / 5 + 100 * 7 / 5 * 1.5)  # one at a time


def test_prices_can_be_overridden_for_the_process_and_per_call() -> None:
    key = ("wan2.7-i2v", "720P", "cn-beijing")
    pricing.set_prices({key: Price(0.5, "CNY")})
    assert pricing.estimate(cat(), region=None, concurrency=1).cost == 2.5
    extra = {("my-model", "720P", "cn-beijing"): Price(1.0, "CNY")}
    assert pricing.estimate(cat(model="my-model"), region=None, concurrency=1, prices=extra).cost == 5.0
    with pytest.raises(ValidationError, match=r"model: no price for my-model at 720P in cn-beijing"):
        pricing.estimate(cat(model="my-model"), region=None, concurrency=1)
    with pytest.raises(ValidationError, match="prices"):
        pricing.set_prices({key: 0.5})  # type: ignore[dict-item]


# -- budgets ---------------------------------------------------------------------------------------------------


async def test_a_create_past_the_budget_sends_nothing(app: SimApp, client_of: Callable[..., Any]) -> None:
    client = client_of(budget=2.0)  # one 5 s 720P try costs 3.00
    with pytest.raises(BudgetExceeded) as caught:
        await client.submit(cat())
    assert isinstance(caught.value, WanError) and wan_nb.BudgetExceeded is BudgetExceeded
    assert "nothing was sent" in str(caught.value) and caught.value.cost == 5 * CNY_720P
    assert app.stats.creates.total() == 0 and sum(app.stats.requests.values()) == 0  # not even the upload
    assert client.budget.spent == 0 and client.budget.left == 2.0


async def test_spent_and_left_follow_the_creates_and_the_billed_usage(
    app: SimApp, client_of: Callable[..., Any]
) -> None:
    client = client_of(budget=7.0)
    task = await client.submit(cat(duration=2))
    assert math.isclose(client.budget.spent, 2 * CNY_720P)
    done = await client.wait(task)
    assert done.usage is not None and done.usage.billed_seconds == 2
    assert math.isclose(client.budget.spent, done.usage.billed_seconds * CNY_720P)
    await client.submit(cat(duration=5))
    assert math.isclose(client.budget.left, 7.0 - 7 * CNY_720P)
    assert str(client.budget) == "¥4.20 spent of ¥7.00, ¥2.80 left"
    with pytest.raises(BudgetExceeded):
        await client.submit(cat(duration=5))
    assert app.stats.creates.total() == 2


async def test_a_refused_create_costs_nothing_an_unanswered_one_counts(
    app: SimApp, client_of: Callable[..., Any]
) -> None:
    client = client_of(budget=10.0)
    with pytest.raises(wan_nb.RateLimitError):  # 429: the service created nothing
        await client.submit(cat("[sim:throttle] a cat"))
    assert client.budget.spent == 0
    with pytest.raises(TransportError):  # accepted, answer lost: a task exists and bills
        await client.submit(cat("[sim:create_reset] a cat"))
    assert app.stats.creates.total() == 1 and math.isclose(client.budget.spent, 5 * CNY_720P)


async def test_a_first_clip_bills_its_own_seconds_too(client_of: Callable[..., Any], tmp_path: Path) -> None:
    client = client_of(journal=False)
    video = await client.generate(cat(duration=3), out=tmp_path / "out")
    assert video.path is not None
    continued = VideoRequest(prompt="on", first_clip=video.path, duration=5)
    assert math.isclose(pricing.billed_seconds(continued), 8, abs_tol=0.2)


async def test_one_budget_shared_by_clients_and_currencies_checked(client_of: Callable[..., Any]) -> None:
    shared = Budget(5.0)
    first, second = client_of(budget=shared), client_of(budget=shared)
    await first.submit(cat(duration=5))
    with pytest.raises(BudgetExceeded):
        await second.submit(cat(duration=5))
    assert shared.currency == "CNY"
    with pytest.raises(ConfigError, match="budget: in CNY, but this provider is priced in USD"):
        AsyncWanClient("dashscope-intl", api_key="sk-test", journal=False, budget=shared)
    with pytest.raises(ConfigError, match="budget"):
        Budget(-1)

"""Prices and budgets per model (issue 20 part 4): every family model has a dated, sourced row; estimates count
input video seconds (a local source to edit, an r2v reference video) at the output's rate; Wan 3.0's smart
duration counts its most; and a budget refuses, with nothing sent, an edit that fits only if its input seconds
were forgotten."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.fixtures.client_fakes import FakeService, make_client, upload_service
from tests.fixtures.media import video
from wan_nb.client import Budget
from wan_nb.client._budget import Meter
from wan_nb.errors import BudgetExceeded, ValidationError
from wan_nb.family import MODELS, spec_of
from wan_nb.lab import pricing
from wan_nb.lab.pricing import PRICES, SOURCES, estimate
from wan_nb.models import Reference, Task, TaskStatus, Usage, VideoRequest
from wan_nb.protocols import native

FAMILY = ("wan2.7-t2v", "wan2.7-i2v", "wan2.7-r2v", "wan2.7-videoedit", "wan3.0-video", "wan3.0-video-prime")
REGIONS = ("cn-beijing", "ap-southeast-1", "us-east-1")
CNY_720P = 0.6  # wan2.7 and wan3.0-video at 720P in Beijing (family.md §4)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real 3 s MP4 (256 px, 4 fps): its length is read from its header."""
    path = tmp_path_factory.mktemp("pricing") / "3s.mp4"
    video(path, 3)
    return str(path)


def cost(request: VideoRequest, region: str | None = None) -> tuple[float, float, str]:
    found = estimate(request, region=region, concurrency=1)
    return found.billed_seconds, found.cost, found.currency


# -- the table ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILY)
def test_every_family_model_has_a_sourced_dated_row(model: str) -> None:
    source = SOURCES[model]
    assert source.text and re.fullmatch(r"\d{4}-\d{2}-\d{2}", source.as_of)
    assert source.official is False  # none was read on Alibaba's own pricing page (family.md §4, §9)
    assert "not read on Alibaba's own" in source.text
    for resolution in spec_of(model).resolutions:  # each tier the model offers, in each region
        for region in REGIONS:
            price = PRICES[(model, resolution, region)]
            assert price.per_second > 0
            assert price.currency == ("CNY" if region == "cn-beijing" else "USD")


def test_the_figures_family_md_reports() -> None:
    beijing = {(model, tier): PRICES[(model, tier, "cn-beijing")].per_second for model, tier, _ in PRICES}
    assert beijing[("wan2.7-t2v", "720P")] == beijing[("wan2.7-videoedit", "720P")] == 0.6
    assert beijing[("wan2.7-r2v", "1080P")] == 1.0
    assert (beijing[("wan3.0-video", "480P")], beijing[("wan3.0-video", "1080P")]) == (0.30, 1.20)
    assert (beijing[("wan3.0-video-prime", "480P")], beijing[("wan3.0-video-prime", "1080P")]) == (0.45, 1.80)
    assert ("wan2.7-t2v", "480P", "cn-beijing") not in PRICES  # 480P is Wan 3.0's only
    assert SOURCES["wan3.0-video"] != SOURCES["wan2.7-t2v"]


def test_a_model_without_a_row_says_how_to_add_one() -> None:
    older = VideoRequest(prompt="x", first_frame="https://example.com/cat.png", model="wan2.2-i2v-flash")
    assert older.chosen_model in MODELS
    with pytest.raises(ValidationError, match=r"^model: no price for wan2\.2-i2v-flash at 720P.*set_prices"):
        estimate(older, region=None, concurrency=1)
    extra = {("wan2.2-i2v-flash", "720P", "cn-beijing"): pricing.Price(0.2, "CNY")}
    assert math.isclose(estimate(older, region=None, concurrency=1, prices=extra).cost, 1.0)


async def test_a_dated_snapshot_costs_what_its_base_model_costs() -> None:
    # wan2.7-t2v-2026-04-25 is the name in Alibaba's own t2v example: validation sends it, so it must be priced
    pinned = VideoRequest(prompt="a lighthouse", model="wan2.7-t2v-2026-04-25", duration=2)
    assert cost(pinned) == cost(replace(pinned, model="wan2.7-t2v")) == (2.0, pytest.approx(1.2), "CNY")
    assert cost(replace(pinned, model="wan2.7-i2v-2026-04-25", first_frame="https://example.com/a.png"))[
        1
    ] == (pytest.approx(1.2))
    own = {("wan2.7-t2v-2026-04-25", "720P", "cn-beijing"): pricing.Price(1.0, "CNY")}
    assert estimate(pinned, region=None, concurrency=1, prices=own).cost == pytest.approx(
        2.0
    )  # its own row wins
    with pytest.raises(ValidationError, match=r"^model: no price for wan2\.7-t2v-extra"):
        cost(replace(pinned, model="wan2.7-t2v-extra", allow_unknown_model=True))  # not a snapshot: no guess
    service = FakeService()
    async with make_client(service, provider="relay", budget=2.0) as client:  # a budget prices before sending
        await client.submit(pinned)
        assert client.budget is not None and client.budget.spent == pytest.approx(1.2)
    (create,) = service.seen("POST", "/video-synthesis")
    assert b"wan2.7-t2v-2026-04-25" in create.content


# -- estimates ------------------------------------------------------------------------------------------------


def test_t2v_and_i2v_bill_their_output() -> None:
    assert cost(VideoRequest(prompt="a lighthouse")) == (5.0, pytest.approx(3.0), "CNY")
    assert cost(VideoRequest(prompt="x", ratio="9:16", duration=10, resolution="1080P"))[:2] == (10.0, 10.0)
    assert cost(VideoRequest(prompt="x", first_frame="https://example.com/a.png"))[:2] == (
        5.0,
        pytest.approx(3.0),
    )


def test_a_local_source_video_counts_as_input_and_as_the_kept_output(clip: str) -> None:
    seconds, amount, _ = cost(VideoRequest(prompt="make it snow", video=clip))
    assert seconds == 6.0  # 3 s read + 3 s kept (duration 0), both at the output's rate
    assert amount == pytest.approx(6 * CNY_720P)
    assert pricing.input_seconds(VideoRequest(prompt="x", video=clip)) == 3.0
    assert pricing.output_seconds(VideoRequest(prompt="x", video=clip)) == 3.0


def test_a_cut_edit_counts_only_the_part_kept(clip: str) -> None:
    assert cost(VideoRequest(prompt="x", video=clip, duration=2))[:2] == (4.0, pytest.approx(4 * CNY_720P))
    assert (
        cost(VideoRequest(prompt="x", video=clip, duration=10))[0] == 13.0
    )  # a cut past the end: all 3 s in


def test_a_source_video_link_counts_its_most() -> None:
    request = VideoRequest(prompt="x", video="https://example.com/source.mp4")
    assert cost(request)[0] == 2 * pricing.CLIP_UNKNOWN  # 10 s in, 10 s kept: an estimate errs high


def test_an_r2v_reference_video_counts_its_seconds(clip: str) -> None:
    with_video = VideoRequest(prompt="Video 1 and Image 1", references=[clip, "https://example.com/a.png"])
    assert cost(with_video)[:2] == (8.0, pytest.approx(8 * CNY_720P))  # 5 s out + 3 s of reference video
    assert cost(VideoRequest(prompt="Image 1", references=["https://example.com/a.png"]))[0] == 5.0
    linked = VideoRequest(prompt="Video 1", references=[Reference("https://example.com/v", kind="video")])
    assert cost(linked)[0] == 5.0 + 30  # a link's length is unknown here: r2v's most, 30 s


def test_a_first_clip_counts_its_seconds(clip: str) -> None:
    assert cost(VideoRequest(prompt="x", first_clip=clip))[0] == 8.0


def test_wan3_smart_duration_counts_the_most_it_can_be() -> None:
    smart = VideoRequest(prompt="x", model="wan3.0-video", duration=-1)
    assert pricing.SMART_DURATION == 30
    assert cost(smart)[:2] == (30.0, pytest.approx(30 * CNY_720P))


def test_wan3_480p_and_prime() -> None:
    assert cost(VideoRequest(prompt="x", model="wan3.0-video", resolution="480P"))[:2] == (
        5.0,
        pytest.approx(1.5),
    )
    prime = VideoRequest(prompt="x", model="wan3.0-video-prime", resolution="480P")
    assert cost(prime)[:2] == (5.0, pytest.approx(2.25))
    assert cost(VideoRequest(prompt="x", model="wan3.0-video", resolution="1080P"))[1] == pytest.approx(6.0)
    _, amount, currency = cost(prime, region="ap-southeast-1")
    assert currency == "USD" and amount == pytest.approx(5 * round(0.45 * 0.1714, 4))
    assert "480P" in str(estimate(prime, region=None, concurrency=1))


def test_wan3_reference_video_counts(clip: str) -> None:
    request = VideoRequest(prompt="Video 1", model="wan3.0-video", references=[clip])
    assert cost(request)[0] == 8.0


def test_a_batch_adds_up_per_model(clip: str) -> None:
    batch = [
        VideoRequest(prompt="x"),
        VideoRequest(prompt="x", video=clip),
        VideoRequest(prompt="x", model="wan3.0-video", resolution="480P"),
    ]
    found = estimate(batch, region=None, concurrency=2)
    assert found.tasks == 3 and found.billed_seconds == 5 + 6 + 5
    assert found.cost == pytest.approx(3.0 + 3.6 + 1.5)
    assert found.shape == "16 s in all · 720P/480P · wan2.7-t2v/wan2.7-videoedit/wan3.0-video"


def test_an_estimate_names_the_model_the_inputs_chose(clip: str) -> None:
    assert str(estimate(VideoRequest(prompt="x", video=clip), region=None, concurrency=1)).startswith(
        "1 task × 6 s · 720P · wan2.7-videoedit ≈ ¥3.60"
    )
    assert " · wan2.7-t2v ≈ " in str(estimate(VideoRequest(prompt="x"), region=None, concurrency=1))


# -- the budget -----------------------------------------------------------------------------------------------


async def test_the_budget_refuses_an_edit_by_its_input_seconds_with_nothing_sent(
    clip: str, tmp_path: Path
) -> None:
    edit = VideoRequest(prompt="black and white", video=clip)  # 3 s in + 3 s out = 3.60; output only: 1.80
    assert pricing.output_seconds(edit) * CNY_720P < 3.0 < pricing.billed_seconds(edit) * CNY_720P
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    async with make_client(record, provider="dashscope", budget=3.0) as client:
        with pytest.raises(BudgetExceeded) as caught:
            await client.submit(edit)
        assert client.budget is not None and client.budget.spent == 0
    assert sent == []
    assert "6 s · 720P" in str(caught.value) and "nothing was sent" in str(caught.value)


async def test_the_same_budget_lets_a_cut_edit_through(clip: str) -> None:
    """The positive control: 2 s in + 2 s out = 2.40 fits in 3.00, and the create is sent (the source uploaded
    first: videoedit takes its video by URL or oss:// only)."""
    service = upload_service(files=1)
    async with make_client(service, provider="dashscope", budget=3.0) as client:
        task = await client.submit(VideoRequest(prompt="black and white", video=clip, duration=2))
        assert client.budget is not None and client.budget.spent == pytest.approx(2.4)
    (create,) = service.seen("POST", "/video-synthesis")
    assert task.id == "task-1" and b'"type":"video"' in create.content.replace(b" ", b"")


def test_a_succeeded_task_replaces_the_smart_duration_hold_by_its_usage() -> None:
    budget = Budget(100)
    meter = Meter(budget, None)
    held = meter.hold(VideoRequest(prompt="x", model="wan3.0-video", duration=-1))
    assert budget.spent == pytest.approx(30 * CNY_720P)
    meter.created("t1", held, "wan3.0-video")
    usage = Usage(billed_seconds=7.5, video_seconds=7.5, resolution=480, input_seconds=0)
    meter.observe(Task(id="t1", status=TaskStatus.SUCCEEDED, usage=usage))
    assert budget.spent == pytest.approx(7.5 * 0.30)  # billed at SR's tier: 480P


def test_a_succeeded_edit_is_settled_at_its_fractional_usage(clip: str) -> None:
    budget = Budget(100)
    meter = Meter(budget, None)
    held = meter.hold(VideoRequest(prompt="x", video=clip))
    meter.created("t2", held, "wan2.7-videoedit")
    usage = Usage(billed_seconds=10.04, video_seconds=5.02, resolution=720, input_seconds=5.02)
    meter.observe(Task(id="t2", status=TaskStatus.SUCCEEDED, usage=usage))
    assert budget.spent == pytest.approx(10.04 * CNY_720P)


@pytest.mark.parametrize(
    ("fields", "tier"),
    [
        ({"model": "wan3.0-video", "size": "832*480"}, "480P"),
        ({"first_frame": "https://example.com/a.png", "size": "1000x1000"}, "1080P"),
        ({"first_frame": "https://example.com/a.png", "size": "1280x720"}, "720P"),
        ({"size": "1920*1080"}, "1080P"),
    ],
)
def test_a_size_is_priced_at_the_resolution_the_wire_sends(fields: dict[str, str], tier: str) -> None:
    request = VideoRequest(prompt="x", **fields)  # type: ignore[arg-type]
    assert native.resolution_of(request) == tier
    assert pricing.tier_of(request) == tier
    assert estimate(request, region=None, concurrency=1).cost == pytest.approx(
        5 * PRICES[(request.chosen_model, tier, "cn-beijing")].per_second
    )


def test_the_budget_refusal_says_the_seconds_as_the_estimate_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit bills fractional seconds (usage.duration, family.md §3): the refusal and estimate() agree."""
    from wan_nb.client import _budget

    for module in (pricing, _budget):
        monkeypatch.setattr(module, "billed_seconds", lambda request: 6.048)
    request = VideoRequest(prompt="x")
    assert "6.0 s · 720P" in str(estimate(request, region=None, concurrency=1))
    with pytest.raises(BudgetExceeded) as caught:
        Meter(Budget(0.01), None).hold(request)
    assert "6.0 s · 720P" in str(caught.value) and "6.048" not in str(caught.value)

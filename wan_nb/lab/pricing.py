"""What a request costs and how long it takes, before it is sent: a price table and :class:`Estimate`.

Prices are per generated second, keyed by (model, resolution tier, region); a task is billed
``usage.duration`` seconds (output seconds plus a ``first_clip``'s seconds, native.md §3.1) at the price of its
tier. The table below is a dated lead, not a contract: prices change and relays mark them up (≈ 1.2×,
docs.laozhang.ai), so override it for your account::

    wan_nb.lab.pricing.set_prices({("wan2.7-i2v", "720P", "cn-beijing"): Price(0.5, "CNY")})
    client.estimate(requests, prices={...})          # or per call

Providers that name no region (the gateway, the relay, the simulators) are priced as :data:`DEFAULT_REGION`, so
the simulator bills in the same units as DashScope Beijing and budgets can be tried offline.
Pure (no I/O but reading a local clip's header); must not import httpx, asyncio or ipywidgets.
"""

from __future__ import annotations

import contextlib
import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from wan_nb import media
from wan_nb.errors import ValidationError
from wan_nb.family import snapshot_base, spec_of
from wan_nb.models import Reference, Usage, VideoRequest
from wan_nb.validation import nearest_resolution

__all__ = [
    "AS_OF",
    "CLIP_UNKNOWN",
    "DEFAULT_REGION",
    "PRICES",
    "SERVICE_RUN",
    "SIM_RUN",
    "SMART_DURATION",
    "SOURCE",
    "SOURCES",
    "Estimate",
    "Price",
    "PriceKey",
    "PriceSource",
    "RunTime",
    "active_prices",
    "billed_seconds",
    "estimate",
    "input_seconds",
    "money",
    "output_seconds",
    "price_of",
    "set_prices",
    "shown_seconds",
    "tier_of",
    "tier_of_usage",
]


@dataclass(frozen=True, slots=True)
class Price:
    """One price: ``per_second`` in ``currency`` (ISO 4217: ``CNY``, ``USD``)."""

    per_second: float
    currency: str


PriceKey = tuple[str, str, str]
"""(model, resolution tier ``720P``/``1080P``, region such as ``cn-beijing``)."""


@dataclass(frozen=True, slots=True)
class PriceSource:
    """Where a model's prices come from: ``text`` (who says so), ``as_of`` (when read), and whether the source
    is Alibaba's own (``official``). None of the family's prices was read on Alibaba's pricing page
    (help.aliyun.com/zh/model-studio/model-pricing): research/family.md §4, §9."""

    text: str
    as_of: str
    official: bool


_WAN27_SOURCE = PriceSource(
    "Alibaba Cloud Model Studio's Wan 2.7 list prices (CNY in Beijing), as reported by third parties that agree, "
    "not read on Alibaba's own pricing page (family.md §4): a customer price table listing CNY per model, new-api's "
    "defaultModelPrice for wan2.7 (720P ¥0.6/s, 1080P ×1/0.6) and docs.laozhang.ai (USD = CNY × 0.1714); USD "
    "outside mainland China from fal.ai's llms.txt (fal-ai/wan/v2.7/image-to-video: $0.10/s 720P, $0.15/s 1080P); "
    "input video seconds (first_clip, reference and source videos) at the same rate",
    "2026-12-01",
    official=False,
)
_WAN30_SOURCE = PriceSource(
    "Alibaba Cloud Model Studio's Wan 3.0 list prices as reported by third parties, not read on Alibaba's own "
    'pricing page (family.md §4): a client\'s docstring quoting "官方 2026-08 文档" and a new-api wan3 channel '
    "comment (480P ¥0.3/s, 720P ¥0.6/s, 1080P ¥1.2/s; prime ×1.5, one source); USD = CNY × 0.1714 "
    "(docs.laozhang.ai's rate for Beijing); a limited-time discount may apply",
    "2026-12-01",
    official=False,
)
SOURCES: Mapping[str, PriceSource] = MappingProxyType(
    {
        **dict.fromkeys(
            ("wan2.7-t2v", "wan2.7-i2v", "wan2.7-r2v", "wan2.7-videoedit", "wan2.6-i2v"), _WAN27_SOURCE
        ),
        **dict.fromkeys(("wan3.0-video", "wan3.0-video-prime"), _WAN30_SOURCE),
    }
)
"""Each priced model's :class:`PriceSource`."""
SOURCE = _WAN27_SOURCE.text
AS_OF = _WAN27_SOURCE.as_of
DEFAULT_REGION = "cn-beijing"
_REGIONS = ("cn-beijing", "ap-southeast-1", "us-east-1")
_USD_PER_CNY = 0.1714  # docs.laozhang.ai's conversion for Beijing prices (family.md §4)

# (CNY in Beijing, USD outside mainland China), per second of each tier
_WAN27_LIST = {"720P": (0.6, 0.10), "1080P": (1.0, 0.15)}


def _converted(cny: dict[str, float]) -> dict[str, tuple[float, float]]:
    return {tier: (price, round(price * _USD_PER_CNY, 4)) for tier, price in cny.items()}


_LIST: dict[str, dict[str, tuple[float, float]]] = {
    **{
        model: _WAN27_LIST
        for model in ("wan2.7-t2v", "wan2.7-i2v", "wan2.7-r2v", "wan2.7-videoedit", "wan2.6-i2v")
    },
    "wan3.0-video": _converted({"480P": 0.30, "720P": 0.60, "1080P": 1.20}),
    "wan3.0-video-prime": _converted({"480P": 0.45, "720P": 0.90, "1080P": 1.80}),
}
PRICES: Mapping[PriceKey, Price] = MappingProxyType(
    {
        (model, tier, region): Price(cny, "CNY") if region == "cn-beijing" else Price(usd, "USD")
        for model, tiers in _LIST.items()
        for tier, (cny, usd) in tiers.items()
        for region in _REGIONS
    }
)
"""The built-in table: (model, tier, region) → :class:`Price` (each model's source: :data:`SOURCES`)."""

_overrides: dict[PriceKey, Price] = {}

_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}


def set_prices(prices: Mapping[PriceKey, Price] | None) -> None:
    """Override entries of the table for this process (``None`` goes back to the built-in table)."""
    if prices is None:
        _overrides.clear()
        return
    for key, price in prices.items():
        _check_entry(key, price)
    _overrides.update(prices)


def _check_entry(key: object, price: object) -> None:
    if not (isinstance(key, tuple) and len(key) == 3 and all(isinstance(k, str) for k in key)):
        raise ValidationError("prices", f"{key!r}: keys are (model, '720P' or '1080P', region) tuples")
    if not isinstance(price, Price) or not price.per_second >= 0 or not price.currency:
        raise ValidationError("prices", f"{key!r}: values are Price(per_second >= 0, currency)")


def active_prices(extra: Mapping[PriceKey, Price] | None = None) -> Mapping[PriceKey, Price]:
    """The built-in table, then :func:`set_prices`' overrides, then ``extra``."""
    for key, price in (extra or {}).items():
        _check_entry(key, price)
    return {**PRICES, **_overrides, **(extra or {})}


def tier_of(request: VideoRequest) -> str:
    """``480P``, ``720P`` or ``1080P``: the tier a request is billed at (a ``WxH`` size by its short side)."""
    if request.resolution:
        return request.resolution.upper()
    if request.size:
        # What the wire sends (protocols.native: the model's resolution nearest the size's short side), so a
        # 480P size on Wan 3.0 or 1000x1000 (sent as 1080P) is priced as billed; a malformed size (refused by
        # validation) falls back to the short side's tier.
        with contextlib.suppress(IndexError, TypeError):
            return nearest_resolution(request.size, request.chosen_model)
        sides = [int(part) for part in request.size.lower().replace("*", "x").split("x") if part.isdigit()]
        return "1080P" if sides and min(sides) >= 1080 else "720P"
    return "720P"


def tier_of_usage(usage: Usage) -> str | None:
    """The tier a finished task was billed at (DashScope ``SR``: the short side), when it says."""
    if usage.resolution is None:
        return None
    return "1080P" if usage.resolution >= 1080 else "720P" if usage.resolution >= 720 else "480P"


CLIP_UNKNOWN = 10.0
"""Seconds assumed for an input video (a ``first_clip``, a source to edit) whose length cannot be read here (a
URL): the most the model takes (2-10 s)."""
SMART_DURATION = 30
"""Seconds assumed for ``duration=-1`` (Wan 3.0 picks the length, at most 30 s): the cost is not known before
the task ends, so the estimate and the budget count the most it can be (a new-api fork pre-charges 30 s too)."""


def billed_seconds(request: VideoRequest) -> float:
    """Seconds the service will bill: the output plus every input video (``usage.duration`` of wan2.7 and Wan 3.0
    is input + output, family.md §3): a ``first_clip``, reference videos, and the source of an edit (the part
    kept: all of it with ``duration=0``, else its first ``duration`` seconds)."""
    return output_seconds(request) + input_seconds(request)


def output_seconds(request: VideoRequest) -> float:
    """The video's own length: ``duration``, the model's most for ``-1``, the source's length for an edit that
    keeps it (``0``)."""
    duration = request.chosen_duration
    if duration == -1:
        return float(SMART_DURATION)
    if duration == 0 and request.video is not None:
        return _video_seconds(request.video, "video", CLIP_UNKNOWN)
    return float(duration)


def input_seconds(request: VideoRequest) -> float:
    """Seconds of input video the service bills (at the output's rate)."""
    total = 0.0
    if request.first_clip is not None:
        total += _video_seconds(request.first_clip, "first_clip", CLIP_UNKNOWN)
    if request.video is not None:
        source = _video_seconds(request.video, "video", CLIP_UNKNOWN)
        total += source if request.chosen_duration <= 0 else min(source, request.chosen_duration)
    spec = spec_of(request.chosen_model)
    for index, reference in enumerate(request.references):
        field = f"references[{index}]"
        if _reference_kind(reference, field) == "video" and spec.reference_video is not None:
            # r2v's official example bills 5 s of a reference video; a cap is unconfirmed (family.md §3):
            # count all of it, so an estimate errs high, never low.
            most = spec.reference_video.seconds[1] if spec.reference_video.seconds else CLIP_UNKNOWN
            total += _video_seconds(reference.medium, field, most)
    return total


def _reference_kind(reference: Reference, field: str) -> str | None:
    return reference.kind or media.told_kind(reference.medium, field)


def _video_seconds(value: object, field: str, unknown: float) -> float:
    try:
        medium = media.classify(value, field)
        info = media.video_info(medium) if medium.is_local else None
    except (ValidationError, OSError, TypeError):
        return unknown
    return info.duration_s if info is not None and info.duration_s else unknown


def price_of(
    model: str, tier: str, region: str | None, prices: Mapping[PriceKey, Price] | None = None
) -> Price:
    """The price of one second; ValidationError naming what to set when the table has no entry.

    A dated snapshot (``wan2.7-t2v-2026-04-25``, the name in Alibaba's own t2v example) costs what its base
    model costs, unless the table prices it itself."""
    table = active_prices(prices)
    key = (model, tier, region or DEFAULT_REGION)
    base = snapshot_base(model)
    found = table.get(key) or (table.get((base, tier, key[2])) if base is not None else None)
    if found is None:
        raise ValidationError(
            "model",
            f"no price for {key[0]} at {key[1]} in {key[2]}; add it with "
            f"wan_nb.lab.pricing.set_prices({{{key!r}: Price(per_second, currency)}})",
        )
    return found


def money(amount: float, currency: str) -> str:
    """``¥3.00``, ``$0.50``; other currencies by their code."""
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


@dataclass(frozen=True, slots=True)
class RunTime:
    """How long one task runs on the service, in seconds, for a 720P 5 s request."""

    low: float
    typical: float
    high: float

    def for_request(self, request: VideoRequest) -> RunTime:
        # Work grows with frames and pixels; 1.5× for 1080P is an assumption (2.25× the pixels, not all the work).
        factor = output_seconds(request) / 5 * (1.5 if tier_of(request) == "1080P" else 1.0)
        return RunTime(self.low * factor, self.typical * factor, self.high * factor)


SERVICE_RUN = RunTime(45.0, 100.0, 155.0)
"""720P/5 s took 45-155 s on the relay (native.md §6 "Timing"); 83-253 s, median 105 s, on ofox.ai."""
SIM_RUN = RunTime(2.0, 5.0, 8.0)
"""The simulator: ``task_time`` 4 s by default, plus its render (a few seconds)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a set of requests will bill and about how long it takes at a given concurrency."""

    tasks: int
    billed_seconds: float
    cost: float
    currency: str
    wall_seconds: float
    """From the first create to the last task done, at ``concurrency`` tasks at once, at typical run times."""
    concurrency: int
    shape: str = ""
    """``5 s · 720P · wan2.7-i2v`` (or ``40 s in all · 720P/1080P · wan2.7-t2v/wan2.7-i2v`` when the requests
    differ)."""

    @property
    def cost_text(self) -> str:
        return money(self.cost, self.currency)

    def __str__(self) -> str:
        noun = "task" if self.tasks == 1 else "tasks"
        minutes = self.wall_seconds / 60
        about = f"{minutes:.0f} min" if minutes >= 1.5 else f"{self.wall_seconds:.0f} s"
        return (
            f"{self.tasks} {noun} × {self.shape} ≈ {self.cost_text}, "
            f"about {about} at {self.concurrency} at once"
        )


def estimate(
    requests: VideoRequest | Iterable[VideoRequest],
    *,
    region: str | None,
    concurrency: int,
    run: RunTime = SERVICE_RUN,
    prices: Mapping[PriceKey, Price] | None = None,
) -> Estimate:
    """The :class:`Estimate` of ``requests`` (one or many) priced for ``region``, run ``concurrency`` at once."""
    batch = [requests] if isinstance(requests, VideoRequest) else list(requests)
    if concurrency < 1:
        raise ValidationError("concurrency", f"{concurrency}: at least 1")
    seconds = [billed_seconds(request) for request in batch]
    priced = [price_of(r.chosen_model, tier_of(r), region, prices) for r in batch]
    currencies = {price.currency for price in priced} or {_currency_of(region, prices)}
    if len(currencies) > 1:
        raise ValidationError("prices", f"the requests are priced in {sorted(currencies)}; use one currency")
    cost = sum(s * p.per_second for s, p in zip(seconds, priced, strict=True))
    wall = _makespan([run.for_request(r).typical for r in batch], concurrency)
    return Estimate(
        len(batch), sum(seconds), cost, currencies.pop(), wall, concurrency, _shape(batch, seconds)
    )


def _currency_of(region: str | None, prices: Mapping[PriceKey, Price] | None) -> str:
    wanted = region or DEFAULT_REGION
    found = {p.currency for (_, _, r), p in active_prices(prices).items() if r == wanted}
    return found.pop() if len(found) == 1 else "CNY"


def _makespan(runs: list[float], slots: int) -> float:
    """Greedy list scheduling in submission order: each task takes the slot that frees first."""
    free = [0.0] * min(slots, max(len(runs), 1))
    for run in runs:
        heapq.heappush(free, heapq.heappop(free) + run)
    return max(free) if runs else 0.0


def _shape(batch: list[VideoRequest], seconds: list[float]) -> str:
    tiers = "/".join(dict.fromkeys(tier_of(r) for r in batch)) or "720P"
    # The chosen model is named: with model=None the inputs pick it, and it decides the price.
    models = "/".join(dict.fromkeys(r.chosen_model for r in batch))
    what = f"{tiers} · {models}" if models else tiers
    lengths = set(seconds)
    if len(lengths) == 1:
        (each,) = lengths
        return f"{shown_seconds(each)} s · {what}"
    return f"{shown_seconds(sum(seconds))} s in all · {what}"


def shown_seconds(value: float) -> str:
    """Seconds as estimates and budget refusals say them: ``6``, ``6.0`` for 6.048 (one decimal at most)."""
    return f"{value:.0f}" if math.isclose(value, round(value)) else f"{value:.1f}"

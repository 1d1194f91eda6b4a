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

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from wan_nb import media
from wan_nb.errors import ValidationError
from wan_nb.models import Usage, VideoRequest

__all__ = [
    "AS_OF",
    "CLIP_UNKNOWN",
    "DEFAULT_REGION",
    "PRICES",
    "SERVICE_RUN",
    "SIM_RUN",
    "SOURCE",
    "Estimate",
    "Price",
    "PriceKey",
    "RunTime",
    "active_prices",
    "billed_seconds",
    "estimate",
    "money",
    "price_of",
    "set_prices",
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

SOURCE = (
    "Alibaba Cloud Model Studio list prices for Wan image-to-video (CNY in Beijing; USD in Singapore and Virginia), "
    "as reported by fal.ai's llms.txt (fal-ai/wan/v2.7/image-to-video: $0.10/s 720P, $0.15/s 1080P), Comfy-Org "
    "partner-node pricing (wan2.5-i2v 720p $0.10/s) and docs.laozhang.ai (≈ 1.2× Alibaba's list); not confirmed "
    "on Alibaba's own pricing page: check your bill and override with set_prices()"
)
AS_OF = "2026-12-01"
DEFAULT_REGION = "cn-beijing"

_LIST = {
    "720P": (0.6, 0.10),
    "1080P": (1.0, 0.15),
}  # (CNY in Beijing, USD outside mainland China), per second
PRICES: Mapping[PriceKey, Price] = MappingProxyType(
    {
        (model, tier, region): Price(cny, "CNY") if region == "cn-beijing" else Price(usd, "USD")
        for model in ("wan2.7-i2v", "wan2.6-i2v")
        for tier, (cny, usd) in _LIST.items()
        for region in ("cn-beijing", "ap-southeast-1", "us-east-1")
    }
)
"""The built-in table (source: :data:`SOURCE`, as of :data:`AS_OF`)."""

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
    """``720P`` or ``1080P``: the resolution tier a request is billed at (a ``WxH`` size by its short side)."""
    if request.resolution:
        return request.resolution.upper()
    if request.size:
        sides = [int(part) for part in request.size.lower().replace("*", "x").split("x") if part.isdigit()]
        return "1080P" if sides and min(sides) >= 1080 else "720P"
    return "720P"


def tier_of_usage(usage: Usage) -> str | None:
    """The tier a finished task was billed at (DashScope ``SR``: the short side), when it says."""
    if usage.resolution is None:
        return None
    return "1080P" if usage.resolution >= 1080 else "720P"


CLIP_UNKNOWN = 10.0
"""Seconds assumed for a ``first_clip`` whose length cannot be read here (a URL): its upper limit (2-10 s)."""


def billed_seconds(request: VideoRequest) -> float:
    """Seconds the service will bill: the output, plus the input clip (wan2.7 ``usage.duration``)."""
    return request.duration + (_clip_seconds(request.first_clip) if request.first_clip is not None else 0.0)


def _clip_seconds(clip: object) -> float:
    try:
        medium = media.classify(clip, "first_clip")
        info = media.video_info(medium) if medium.is_local else None
    except (ValidationError, OSError, TypeError):
        return CLIP_UNKNOWN
    return info.duration_s if info is not None and info.duration_s else CLIP_UNKNOWN


def price_of(
    model: str, tier: str, region: str | None, prices: Mapping[PriceKey, Price] | None = None
) -> Price:
    """The price of one second; ValidationError naming what to set when the table has no entry."""
    table = active_prices(prices)
    key = (model, tier, region or DEFAULT_REGION)
    if key not in table:
        raise ValidationError(
            "model",
            f"no price for {key[0]} at {key[1]} in {key[2]}; add it with "
            f"wan_nb.lab.pricing.set_prices({{{key!r}: Price(per_second, currency)}})",
        )
    return table[key]


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
        factor = request.duration / 5 * (1.5 if tier_of(request) == "1080P" else 1.0)
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
    """``5 s · 720P`` (or ``40 s in all · 720P/1080P`` when the requests differ)."""

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
    priced = [price_of(r.model, tier_of(r), region, prices) for r in batch]
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
    lengths = set(seconds)
    if len(lengths) == 1:
        (each,) = lengths
        return f"{_seconds(each)} s · {tiers}"
    return f"{_seconds(sum(seconds))} s in all · {tiers}"


def _seconds(value: float) -> str:
    return f"{value:.0f}" if math.isclose(value, round(value)) else f"{value:.1f}"

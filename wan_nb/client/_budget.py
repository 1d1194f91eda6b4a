"""A spending ceiling: a create that would pass it is refused before anything is sent.

``AsyncWanClient(budget=10)`` (or a :class:`Budget` shared by several clients, as the panel's providers share
one) holds each create's estimate (``wan_nb.lab.pricing``) before its uploads and its POST. The hold is released
only when the answer proves no task exists (the connection was never made, or a 4xx: upstream checks before
creating); a create that went unanswered (reset, timeout, 5xx, cancelled mid-send) stays counted, since a task
may exist and be billed. When a task succeeds with a ``usage`` (DashScope ``usage.duration`` and ``SR``;
the simulator reports the same), its hold becomes the price of what was really billed.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

from collections.abc import Mapping

from wan_nb.errors import BudgetExceeded, ConfigError
from wan_nb.family import WAN27_I2V
from wan_nb.lab.pricing import (
    Price,
    PriceKey,
    billed_seconds,
    money,
    price_of,
    shown_seconds,
    tier_of,
    tier_of_usage,
)
from wan_nb.models import Task, TaskStatus, VideoRequest

__all__ = ["Budget", "Hold", "Meter"]


class Budget:
    """At most ``limit`` (in ``currency``) spent by the clients that share it; ``spent`` and ``left`` say where."""

    def __init__(self, limit: float, currency: str | None = None) -> None:
        if not isinstance(limit, int | float) or isinstance(limit, bool) or not limit >= 0:
            raise ConfigError("budget", f"{limit!r}: a number >= 0 (in the price table's currency)")
        self.limit = float(limit)
        self.currency = currency
        """Set by the first client that uses the budget, from its price table, when not given."""
        self._holds: set[Hold] = set()

    @property
    def spent(self) -> float:
        """Estimates of creates sent (answered or not), replaced by billed amounts as tasks succeed."""
        return sum(hold.amount for hold in self._holds)

    @property
    def left(self) -> float:
        return max(self.limit - self.spent, 0.0)

    def hold(self, cost: float, what: str = "") -> Hold:
        """Count ``cost`` as spent, or raise BudgetExceeded (nothing counted) when it does not fit."""
        spent = self.spent
        if spent + cost > self.limit + 1e-9:
            raise BudgetExceeded(
                cost=cost, spent=spent, limit=self.limit, currency=self.currency or "", what=what
            )
        held = Hold(self, cost)
        self._holds.add(held)
        return held

    def release(self, held: Hold) -> None:
        """Stop counting a hold (its create made no task)."""
        self._holds.discard(held)

    def __str__(self) -> str:
        unit = self.currency or ""
        return f"{money(self.spent, unit)} spent of {money(self.limit, unit)}, {money(self.left, unit)} left"

    def __repr__(self) -> str:
        return f"Budget(limit={self.limit:g}, spent={self.spent:.2f}, currency={self.currency!r})"


class Hold:
    """One create's share of a budget."""

    def __init__(self, budget: Budget, amount: float) -> None:
        self.budget = budget
        self.amount = amount

    def release(self) -> None:
        """No task exists (refused or never sent): it costs nothing."""
        self.budget.release(self)


class Meter:
    """Prices one client's creates for its region and holds them against a budget."""

    def __init__(
        self, budget: Budget, region: str | None, prices: Mapping[PriceKey, Price] | None = None
    ) -> None:
        self.budget = budget
        self.region = region
        self.prices = prices
        # The region's currency, read off one row every region has: a region prices all its models in one.
        currency = price_of(WAN27_I2V.model, "720P", region, prices).currency
        if budget.currency is None:
            budget.currency = currency
        elif budget.currency != currency:
            raise ConfigError(
                "budget", f"in {budget.currency}, but this provider is priced in {currency} ({region})"
            )
        self._tasks: dict[str, tuple[Hold, str]] = {}

    def cost(self, request: VideoRequest) -> float:
        price = price_of(request.chosen_model, tier_of(request), self.region, self.prices)
        return billed_seconds(request) * price.per_second

    def hold(self, request: VideoRequest) -> Hold:
        """The create's hold; BudgetExceeded (or ValidationError for an unpriced model) before any request."""
        what = f"{shown_seconds(billed_seconds(request))} s · {tier_of(request)}"  # as estimate() says it
        return self.budget.hold(self.cost(request), what)

    def created(self, task_id: str, held: Hold, model: str) -> None:
        """Remember which hold a new task stands on, to settle it by the task's usage."""
        self._tasks[task_id] = (held, model)

    def observe(self, task: Task) -> None:
        """A succeeded task with usage: its hold becomes what was billed (``usage.duration`` at ``SR``'s tier)."""
        known = self._tasks.get(task.id)
        if known is None or task.status is not TaskStatus.SUCCEEDED or task.usage is None:
            return
        held, model = known
        tier = tier_of_usage(task.usage)
        if task.usage.billed_seconds is None or tier is None:
            return
        held.amount = task.usage.billed_seconds * price_of(model, tier, self.region, self.prices).per_second
        del self._tasks[task.id]

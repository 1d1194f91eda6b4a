"""Scenario switches: deterministic triggers for tests, seeded rates for soak runs, and the rate limits.

A scenario fires when the request carries ``X-Sim-Scenario: name[,name]``, when the task's prompt contains
``[sim:name]``, or by its configured rate (drawn from a ``random.Random(seed)``, so a run replays).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, deque
from dataclasses import dataclass
from typing import TypeVar

from wan_nb.sim.config import SCENARIOS, SimConfig
from wan_nb.sim.http import Request
from wan_nb.sim.wire import RATE_LIMITED

T = TypeVar("T")

MARKER = re.compile(r"\[sim:([a-z_]+)\]")
GET_FAULT_BUDGET = 2  # a task created with [sim:flaky]/[sim:reset] fails its first two queries


def requested(request: Request, prompt: str = "") -> frozenset[str]:
    names = {name.strip() for name in request.header("x-sim-scenario").split(",")}
    names.update(MARKER.findall(prompt))
    return frozenset(names & set(SCENARIOS))


@dataclass(frozen=True)
class Throttle:
    code: str
    message: str
    retry_after: int


class Faults:
    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._rng = random.Random(config.seed)
        self._window: deque[float] = deque()
        self._budgets: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()

    def draw(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def uniform(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def arm(self, task_id: str, names: frozenset[str]) -> None:
        """Remember a task whose first queries must fail (prompt markers)."""
        if names & {"flaky", "reset"}:
            self._budgets[task_id] = GET_FAULT_BUDGET

    def slow(self, request: Request) -> float:
        hit = "slow" in requested(request) or self.draw(self._config.slow_rate)
        return self._count("slow", self._config.slow_seconds) if hit else 0.0

    def get_fault(self, request: Request, task_id: str) -> str | None:
        """``flaky`` (a 5xx), ``reset`` (the connection drops) or None, for one task query."""
        names = requested(request)
        if self._budgets[task_id] > 0:
            self._budgets[task_id] -= 1
            names = names | {"flaky"}
        if "reset" in names or self.draw(self._config.reset_rate):
            return self._count("reset", "reset")
        if "flaky" in names or self.draw(self._config.flaky_rate):
            return self._count("flaky", "flaky")
        return None

    def rate_limit(self, now: float) -> Throttle | None:
        """Beyond ``qps`` API requests in the last second: 429 Throttling.RateQuota with Retry-After."""
        if self._config.qps is None:
            return None
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._window) >= self._config.qps:
            wait = max(1, math.ceil(self._window[0] + 1.0 - now))
            return self._count("throttle", Throttle("Throttling.RateQuota", RATE_LIMITED, wait))
        self._window.append(now)
        return None

    def _count(self, name: str, value: T) -> T:
        self.injected[name] += 1
        return value

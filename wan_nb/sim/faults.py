"""Scenario switches: deterministic triggers for tests, seeded rates for soak runs, and the rate limits.

A scenario fires when the request carries ``X-Sim-Scenario: name[,name]``, when the task's prompt contains
``[sim:name]``, or by its configured rate. The scenarios:

| name | where | what |
|---|---|---|
| inspection, internal | create | the task ends FAILED DataInspectionFailed / InternalError (engine.py) |
| throttle | create | 429 Throttling.RateQuota, no task (engine.py) |
| flaky | task query, video download | 500 / 503, alternately |
| reset | task query, video download | the connection drops before the answer |
| body_reset | video download | the headers and half the body go out, then the connection drops |
| slow | any request | the answer waits ``slow_seconds`` |
| create_reset | create | the task is created (it runs and bills), but the answer is a reset |
| create_stall | create | the same, after ``create_stall_seconds`` of silence |

A prompt marker arms the task: its first ``GET_FAULT_BUDGET`` queries and, separately, its first downloads
fail that way. Two independent seeded streams keep runs reproducible: per-request faults draw from one
``random.Random``; each create draws its time, outcome and lost answer from its own (``task_stream``), so a
different polling cadence never changes a task.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, deque
from dataclasses import dataclass
from typing import TypeVar

from wan_nb.sim.config import SCENARIOS, SimConfig
from wan_nb.sim.http import Drop, Request
from wan_nb.sim.wire import RATE_LIMITED

T = TypeVar("T")

MARKER = re.compile(r"\[sim:([a-z_]+)\]")
GET_FAULT_BUDGET = 2  # a task created with [sim:flaky] fails its first two queries (and downloads)
# Which armed kinds apply to which GETs; the order is the order they are tried in.
ARMED = {"query": ("reset", "flaky"), "download": ("reset", "flaky", "body_reset")}


def requested(request: Request, prompt: str = "") -> frozenset[str]:
    names = {name.strip() for name in request.header("x-sim-scenario").split(",")}
    names.update(MARKER.findall(prompt))
    return frozenset(names & set(SCENARIOS))


def task_stream(seed: int, sequence: int) -> random.Random:
    """The draws of the ``sequence``-th create (0-based), a function of the seed and that number only."""
    return random.Random(f"wan-sim/{seed}/task/{sequence}")


def chance(stream: random.Random, rate: float) -> bool:
    """A draw that consumes nothing when the rate is zero, so unused knobs leave a stream untouched."""
    return rate > 0 and stream.random() < rate


@dataclass(frozen=True)
class Throttle:
    code: str
    message: str
    retry_after: int


class Faults:
    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._rng = random.Random(config.seed)  # per-request faults only (module docstring)
        self._window: deque[float] = deque()
        self._budgets: Counter[tuple[str, str, str]] = Counter()  # (task id, channel, kind) -> GETs left
        self.injected: Counter[str] = Counter()

    def arm(self, task_id: str, names: frozenset[str]) -> None:
        """Remember a task whose first queries and downloads must fail (prompt markers)."""
        for channel, kinds in ARMED.items():
            for kind in names.intersection(kinds):
                self._budgets[task_id, channel, kind] = GET_FAULT_BUDGET

    def slow(self, request: Request) -> float:
        hit = "slow" in requested(request) or chance(self._rng, self._config.slow_rate)
        return self.count("slow", self._config.slow_seconds) if hit else 0.0

    def get_fault(self, request: Request, task_id: str, channel: str) -> str | None:
        """``reset``, ``flaky`` or None, before a task query (``channel`` "query") or a video download."""
        if self._forced(request, task_id, channel, "reset") or chance(self._rng, self._config.reset_rate):
            return self.count("reset", "reset")
        if self._forced(request, task_id, channel, "flaky") or chance(self._rng, self._config.flaky_rate):
            return self.count("flaky", "flaky")
        return None

    def body_cut(self, request: Request, task_id: str, size: int) -> Drop | None:
        """For a download about to send ``size`` bytes: keep half of them, then reset (Range resume)."""
        forced = self._forced(request, task_id, "download", "body_reset")
        if size < 2 or not (forced or chance(self._rng, self._config.body_reset_rate)):
            return None
        return self.count("body_reset", Drop(keep=size // 2))

    def lost_answer(self, scenarios: frozenset[str], stream: random.Random) -> Drop | None:
        """Whether an accepted create's answer is lost (a stall wins over a plain reset); ``stream`` is the
        create's own, so the draw does not depend on the requests before it."""
        config = self._config
        if "create_stall" in scenarios or chance(stream, config.create_stall_rate):
            return self.count("create_stall", Drop(config.create_stall_seconds))
        if "create_reset" in scenarios or chance(stream, config.create_reset_rate):
            return self.count("create_reset", Drop())
        return None

    def rate_limit(self, now: float) -> Throttle | None:
        """Beyond ``qps`` API requests in the last second: 429 Throttling.RateQuota with Retry-After."""
        if self._config.qps is None:
            return None
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._window) >= self._config.qps:
            wait = max(1, math.ceil(self._window[0] + 1.0 - now))
            return self.count("throttle", Throttle("Throttling.RateQuota", RATE_LIMITED, wait))
        self._window.append(now)
        return None

    def count(self, name: str, value: T) -> T:
        self.injected[name] += 1
        return value

    def _forced(self, request: Request, task_id: str, channel: str, kind: str) -> bool:
        """The request's header asks for ``kind``, or the task's prompt marker has budget left for it."""
        if kind in requested(request):
            return True
        key = (task_id, channel, kind)
        if self._budgets[key] <= 0:
            return False
        self._budgets[key] -= 1
        return True

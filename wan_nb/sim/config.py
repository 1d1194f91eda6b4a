"""The simulator's knobs (one frozen dataclass) and its clock.

Every knob is both a ``create_app(**knobs)`` keyword and a ``wan-nb sim`` flag (``cli.py`` derives the flags
and their help from the fields below, so the two can never drift apart).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Clock = Callable[[], float]

# Scenario names usable in ``X-Sim-Scenario`` headers and ``[sim:NAME]`` prompt markers.
SCENARIOS = ("inspection", "internal", "throttle", "flaky", "reset", "slow")


def _knob(default: Any, text: str) -> Any:
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True)
class SimConfig:
    """What the simulator does; defaults make a lively demo (a task takes ~4 s)."""

    task_time: float = _knob(4.0, "seconds from submit to SUCCEEDED (a quarter of it PENDING)")
    # 720P/5 s took 45–155 s on the relay (native.md §6 "Timing").
    realistic: bool = _knob(False, "draw each task's time from 45–155 s like the real service")
    time_scale: float = _knob(1.0, "multiply every task's time (benchmarks compress time)")
    seed: int = _knob(0, "seed for scenario draws, task times and renders without a request seed")
    api_key: str | None = _knob(None, "the only key accepted; unset: any non-empty key")
    require_key: bool = _knob(True, "answer 401 InvalidApiKey without an Authorization header")
    result_ttl: float = _knob(86400.0, "seconds a signed result URL stays valid (24 h like OSS)")
    state_dir: Path | None = field(
        default=None, metadata={"help": "persist tasks, uploads and renders here (survives restarts)"}
    )
    inspection_rate: float = _knob(0.0, "share of tasks ending FAILED DataInspectionFailed")
    internal_error_rate: float = _knob(0.0, "share of tasks ending FAILED InternalError")
    flaky_rate: float = _knob(0.0, "share of task queries answered 500/503")
    reset_rate: float = _knob(0.0, "share of task queries whose connection is reset")
    slow_rate: float = _knob(0.0, "share of requests delayed by --slow-seconds")
    slow_seconds: float = _knob(2.0, "delay of a slow request")
    qps: float | None = _knob(None, "API requests per second before 429 Throttling.RateQuota")
    max_concurrency: int | None = _knob(None, "unfinished tasks before a create gets 429 Throttling")
    render_workers: int = _knob(1, "render threads (x264 already uses every core)")
    clock: Clock = field(default=time.time, repr=False, compare=False)  # tests inject a fake clock

    def __post_init__(self) -> None:
        # Accept a str from callers and the CLI alike.
        object.__setattr__(self, "state_dir", None if self.state_dir is None else Path(self.state_dir))
        for name in ("inspection_rate", "internal_error_rate", "flaky_rate", "reset_rate", "slow_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.task_time < 0 or self.time_scale <= 0:
            raise ValueError("task_time must be >= 0 and time_scale > 0")

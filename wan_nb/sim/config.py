"""The simulator's knobs (one frozen dataclass) and its clock.

Every knob is both a ``create_app(**knobs)`` keyword and a ``wan-nb sim`` flag (``cli.py`` derives the flags
and their help from the fields below, so the two can never drift apart).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

Clock = Callable[[], float]

# Scenario names usable in ``X-Sim-Scenario`` headers and ``[sim:NAME]`` prompt markers (faults.py says what
# each does).
SCENARIOS = (
    "inspection",
    "internal",
    "throttle",
    "flaky",
    "reset",
    "body_reset",
    "slow",
    "create_reset",
    "create_stall",
)


def _knob(default: Any, text: str) -> Any:
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True)
class SimConfig:
    """What the simulator does; defaults make a lively demo (a task takes ~4 s)."""

    task_time: float = _knob(4.0, "seconds from submit to SUCCEEDED (a quarter of it PENDING)")
    # 720P/5 s took 45–155 s on the relay (native.md §6 "Timing").
    realistic: bool = _knob(False, "draw each task's time from 45–155 s like the real service")
    time_scale: float = _knob(1.0, "multiply every task's time (benchmarks compress time)")
    seed: int = _knob(0, "seed for fault draws, each task's time and outcome, renders without a seed")
    api_key: str | None = _knob(None, "the only key accepted; unset: any non-empty key")
    require_key: bool = _knob(True, "answer 401 InvalidApiKey without an Authorization header")
    result_ttl: float = _knob(86400.0, "seconds a signed result URL stays valid (24 h like OSS)")
    state_dir: Path | None = field(
        default=None, metadata={"help": "persist tasks, uploads and renders here (survives restarts)"}
    )
    inspection_rate: float = _knob(0.0, "share of tasks ending FAILED DataInspectionFailed")
    internal_error_rate: float = _knob(0.0, "share of tasks ending FAILED InternalError")
    flaky_rate: float = _knob(0.0, "share of task queries and video downloads answered 500/503")
    reset_rate: float = _knob(0.0, "share of task queries and video downloads whose connection is reset")
    body_reset_rate: float = _knob(
        0.0, "share of video downloads cut mid-body (half the bytes, then a reset)"
    )
    slow_rate: float = _knob(0.0, "share of requests delayed by --slow-seconds")
    slow_seconds: float = _knob(2.0, "delay of a slow request")
    create_reset_rate: float = _knob(
        0.0, "share of creates accepted (the task runs, bills) whose answer is reset"
    )
    create_stall_rate: float = _knob(0.0, "share of accepted creates whose answer stalls, then is reset")
    create_stall_seconds: float = _knob(300.0, "how long a stalled create answer hangs before the reset")
    qps: float | None = _knob(None, "API requests per second before 429 Throttling.RateQuota")
    max_concurrency: int | None = _knob(None, "unfinished tasks before a create gets 429 Throttling")
    silent: bool = _knob(
        False, "render videos without an audio track (VS Code's Electron has no AAC decoder)"
    )
    render_workers: int = _knob(1, "render threads (x264 already uses every core)")
    clock: Clock = field(default=time.time, repr=False, compare=False)  # tests inject a fake clock

    def __post_init__(self) -> None:
        # Accept a str from callers and the CLI alike.
        object.__setattr__(self, "state_dir", None if self.state_dir is None else Path(self.state_dir))
        for name in (knob.name for knob in fields(self) if knob.name.endswith("_rate")):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.task_time < 0 or self.time_scale <= 0 or self.create_stall_seconds < 0:
            raise ValueError("task_time and create_stall_seconds must be >= 0, time_scale > 0")

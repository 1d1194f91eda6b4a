"""Poll-schedule analytics for the polling benchmark and the docs: the SDK's schedule and a zero-latency model.

Moved out of the runtime package (``wan_nb.client._poll``): nothing a user runs needs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wan_nb.client import PollSchedule

__all__ = ["DASHSCOPE_SDK", "Figures", "figures", "simulate"]

# The dashscope SDK 1.x wait loop (native.md §5.2): 1,1,2,2,2,4,4,4 then 5 s forever.
DASHSCOPE_SDK = PollSchedule(quick=(1, 1, 2, 2, 2, 4, 4, 4), ratio=0.0, floor=5.0, cap=5.0)


@dataclass(frozen=True, slots=True)
class Figures:
    gets: float
    """Task queries until completion is seen (including the first, immediate one)."""
    notice: float
    """Seconds between the task finishing and the client seeing it."""


def simulate(schedule: PollSchedule, task_seconds: float, *, floor: float = 0.0) -> Figures:
    """Poll a task that finishes after ``task_seconds`` (queries take no time); count GETs and lateness.

    ``floor``: the dialect's fewest seconds between polls (``Capabilities.poll_floor``), as the wait loop applies it.
    """
    elapsed, gets, attempt = 0.0, 1, 0
    while elapsed < task_seconds:
        elapsed += max(floor, schedule.delay(elapsed, attempt))
        attempt += 1
        gets += 1
    return Figures(gets, elapsed - task_seconds)


def figures(
    schedule: PollSchedule, task_seconds: float, *, spread: float = 0.2, samples: int = 1000
) -> Figures:
    """:func:`simulate` averaged over finish times uniform in ``task_seconds`` x (1 ± spread/2)."""
    low = task_seconds * (1 - spread / 2)
    runs = [simulate(schedule, low + task_seconds * spread * (i + 0.5) / samples) for i in range(samples)]
    return Figures(sum(r.gets for r in runs) / samples, sum(r.notice for r in runs) / samples)

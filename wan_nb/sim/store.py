"""Tasks as records whose state is a function of the clock: restartable, and the same on every replica.

A task never "moves" by itself: its status is computed from its submit time, its drawn durations, its outcome
and whether its render has finished. So a simulator restarted over the same ``state_dir`` (a notebook kernel
restart) recomputes every earlier task exactly (``status_at``), and only the records need persisting.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TaskRecord:
    task_id: str
    dialect: str  # "native" | "relay" | "unified": which shapes answer for it
    model: str
    prompt: str
    submit_at: float
    queue_seconds: float  # PENDING for this long, then RUNNING (scheduled_time)
    run_seconds: float  # RUNNING at least this long (end_time if the render is done by then)
    spec: dict[str, Any]  # the render spec (render.RenderSpec as JSON)
    render_key: str
    fail_code: str | None = None  # decided at submit: the task ends FAILED with this code
    fail_message: str | None = None
    canceled_at: float | None = None
    extra: dict[str, Any] | None = None  # dialect echoes (unified: size, seconds as sent)
    actual_prompt: str | None = None  # the prompt_extend rewrite (prompt.extend), None when it was off

    @property
    def scheduled_at(self) -> float:
        return self.submit_at + self.queue_seconds

    @property
    def due_at(self) -> float:
        return self.scheduled_at + self.run_seconds


@dataclass(frozen=True)
class RenderState:
    done: bool
    error: str | None = None
    finished_at: float | None = None  # clock time the render finished (end_time when later than due_at)
    input_seconds: float = 0.0  # the first_clip's length: billed too (native.md §3.1)


@dataclass(frozen=True)
class Snapshot:
    """One task at one instant, in canonical terms; the dialects only spell it."""

    record: TaskRecord
    phase: str  # PENDING RUNNING SUCCEEDED FAILED CANCELED
    progress: int  # 0..100
    end_at: float | None
    code: str | None = None
    message: str | None = None
    input_seconds: float = 0.0  # the first_clip's length, once SUCCEEDED


def status_at(record: TaskRecord, now: float, render: RenderState) -> Snapshot:
    """The phase table: canceled wins, then time, then the planned outcome, then the render."""
    if record.canceled_at is not None:
        return Snapshot(record, "CANCELED", 0, record.canceled_at)
    if now < record.scheduled_at:
        return Snapshot(record, "PENDING", 0, None)
    if now < record.due_at:
        return Snapshot(record, "RUNNING", _progress(record, now), None)
    if record.fail_code:
        return Snapshot(record, "FAILED", 100, record.due_at, record.fail_code, record.fail_message)
    if not render.done:
        # A task stays RUNNING until its time elapsed AND its render finished.
        return Snapshot(record, "RUNNING", 99, None)
    end_at = max(record.due_at, render.finished_at or record.due_at)
    if render.error:
        return Snapshot(record, "FAILED", 100, end_at, "InvalidParameter", render.error)
    return Snapshot(record, "SUCCEEDED", 100, end_at, input_seconds=render.input_seconds)


def _progress(record: TaskRecord, now: float) -> int:
    fraction = (now - record.scheduled_at) / max(record.run_seconds, 1e-9)
    return max(1, min(99, int(fraction * 100)))


class TaskStore:
    """In memory, mirrored to ``state_dir/tasks/{id}.json`` when a state directory is configured."""

    def __init__(self, state_dir: Path | None) -> None:
        self._tasks: dict[str, TaskRecord] = {}
        self._dir = state_dir / "tasks" if state_dir else None
        if self._dir:
            self._dir.mkdir(parents=True, exist_ok=True)
            for path in sorted(self._dir.glob("*.json")):
                record = TaskRecord(**json.loads(path.read_text("utf-8")))
                self._tasks[record.task_id] = record

    def add(self, record: TaskRecord) -> None:
        self._tasks[record.task_id] = record
        self._persist(record)

    def get(self, task_id: str) -> TaskRecord | None:
        return self._tasks.get(task_id)

    def cancel(self, task_id: str, now: float) -> TaskRecord:
        record = replace(self._tasks[task_id], canceled_at=now)
        self.add(record)
        return record

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[TaskRecord]:
        return iter(sorted(self._tasks.values(), key=lambda record: record.submit_at))

    def _persist(self, record: TaskRecord) -> None:
        if self._dir is None:
            return
        path = self._dir / f"{record.task_id}.json"
        part = path.with_suffix(".part")
        part.write_text(json.dumps(asdict(record), ensure_ascii=False), "utf-8")
        os.replace(part, path)

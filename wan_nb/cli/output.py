"""What the CLI prints: task states (a line per change, a redrawn progress bar on a terminal) and notes.

Must not import ``wan_nb.protocols``.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from wan_nb.models import Task, TaskStatus

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "PROG", "Reporter", "fail", "note", "state_line"]

PROG = "wan-nb"
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130  # 130 = 128 + SIGINT, the shell convention
BAR_WIDTH = 24


class Reporter:
    """Prints task states: a line per state change; on a terminal, the current line redraws as progress moves."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.last: Task | None = None
        self._open_line = False

    def show(self, task: Task) -> None:
        changed = self.last is None or (task.id, task.status) != (self.last.id, self.last.status)
        self.last = task
        line = state_line(task, time.monotonic() - self.start)
        if self.tty:
            self._redraw(line + _bar(task), newline=changed)
        elif changed:
            self.say(line)

    def _redraw(self, text: str, *, newline: bool) -> None:
        if newline and self._open_line:
            self.stream.write("\n")
        self.stream.write(f"\r{text}\x1b[K")  # carriage return + erase to end of line: no dependency needed
        self.stream.flush()
        self._open_line = True

    def say(self, text: str) -> None:
        """A whole line (ends any progress line being redrawn)."""
        self.end_line()
        print(text, file=self.stream, flush=True)

    def end_line(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False


def state_line(task: Task, elapsed: float) -> str:
    """``<id>  RUNNING  42%  12s`` (the error for failed tasks)."""
    parts = [task.id, status_label(task)]
    if task.progress is not None and not task.done:
        parts.append(f"{task.progress:.0%}")
    parts.append(f"{elapsed:.0f}s")
    if task.error is not None:
        parts.append(f"{task.error.code}: {task.error.message}")
    return "  ".join(parts)


def status_label(task: Task) -> str:
    """The canonical status, plus the wire's own word when no table knew it (``UNKNOWN(EXPIRED)``)."""
    raw = task.status_raw
    known = task.status is not TaskStatus.UNKNOWN or raw in ("", TaskStatus.UNKNOWN.value)
    return task.status.value if known else f"{task.status.value}({raw})"


def _bar(task: Task) -> str:
    if task.progress is None or task.done:
        return ""
    filled = round(min(max(task.progress, 0.0), 1.0) * BAR_WIDTH)
    return f"  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}]"


def note(message: Warning | str, *_: object, **__: object) -> None:
    fail(f"note: {message}")


def fail(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)

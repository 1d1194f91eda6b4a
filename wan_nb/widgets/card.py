"""One card per task: the only code that turns a :class:`Task` into widget values (aesthetics.md R10).

A card is a view: it never talks to a client. The panel's jobs call :meth:`TaskCard.show` with each new
state, :meth:`TaskCard.fail` with an exception, and :meth:`TaskCard.play` once a file or URL is there.
Renders are coalesced to at most 10 a second per card, and each render batches its trait changes with
``hold_sync`` (one comm message per widget instead of one per trait, notebook_tech.md §2.1).
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, Protocol

import ipywidgets as widgets

from wan_nb.display.html import ERROR_COLOUR, status_badge, task_error_html
from wan_nb.display.inputs import billed_text, inputs_html, model_line
from wan_nb.errors import APIError, TaskFailed
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.widgets import _shared, _video
from wan_nb.widgets._lab import rewrite_html
from wan_nb.widgets._preview import preview
from wan_nb.widgets._throttle import Throttle

__all__ = ["PlayListener", "TaskCard", "short_id"]

RENDER_INTERVAL = 0.1
"""Seconds between renders of one card: ≤ 10 updates a second (the issue; notebook_tech.md §2.1)."""

_BAR_STYLES = {
    TaskStatus.RUNNING: "info",
    TaskStatus.SUCCEEDED: "success",
    TaskStatus.FAILED: "danger",
    TaskStatus.CANCELED: "warning",
}
EXCERPT = 90
SHORT_ID = 8


class PlayListener(Protocol):
    """Told when a card's video is there (the panel's chain buttons)."""

    def played(self, task: Task) -> None:
        """From :meth:`TaskCard.play`, on the loop."""

    async def played_soon(self, task: Task) -> None:
        """From :meth:`TaskCard.play_soon` (a job): any disk reads in a worker thread."""


class TaskCard(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Thumbnail, prompt excerpt, status badge, progress, elapsed time, id, Cancel, error, video, code."""

    def __init__(
        self,
        *,
        request: VideoRequest | None = None,
        prompt: str | None = None,
        title: str = "",
        on_cancel: Callable[[TaskCard], object] | None = None,
        video_cap: int = _video.DEFAULT_VIDEO_CAP,
        started: float | None = None,
        timed: bool = True,
    ) -> None:
        self.request = request
        self.prompt = prompt if prompt is not None else (request.prompt if request is not None else "")
        self.task: Task | None = None
        self.error: str | None = None
        """The escaped text of what went wrong (an upstream error or an exception), once something did."""
        self.playback: _video.Playback | None = None
        self.played: list[PlayListener] = []
        """Told once the task's video is there (the panel's chain buttons listen)."""
        self._title = title
        self._video_cap = video_cap
        self._started = time.monotonic() if started is None else started
        self._timed = timed
        self._ended: float | None = None
        self._throttle: Throttle[Task] = Throttle(self._render, RENDER_INTERVAL)
        self._build(on_cancel)
        super().__init__(
            self._layout(), layout=widgets.Layout(border="1px solid #d1d5db", padding="6px", margin="4px 0")
        )
        self.add_class("wan-card")
        self._render_head()

    # -- construction -------------------------------------------------------------------------------------

    def _build(self, on_cancel: Callable[[TaskCard], object] | None) -> None:
        first = self.request.first_frame if self.request is not None else None
        self.thumbnail = preview(first, width=96)
        self.head = _html()
        self.inputs = _html()
        """What the try was made from beyond its first frame: references ("Image 1", "Video 1"), the source of
        an edit or the clip it continues, with their posters and lengths."""
        self.inputs.value = inputs_html(self.request)
        self.bar = widgets.FloatProgress(
            value=0.0,
            min=0.0,
            max=1.0,
            layout=_shared.layout(width="60%"),
            style=_shared.style_of(widgets.FloatProgress),
        )
        self.timing = _html()
        self.error_box = _html()
        self.player = widgets.Output(layout=_shared.layout())
        self.links = _html()
        self.rewrite = _html()
        """The service's rewrite of the prompt against the user's, word by word (``prompt_extend``)."""
        self.poster = widgets.Box(layout=_shared.layout())
        """Stills of the result (``wan_nb.contact_sheet``), readable before any video is played."""
        self.poster.add_class("wan-poster")
        self.actions = widgets.HBox(layout=_shared.layout())
        """The panel's chain buttons for a finished task."""
        self.cancel = widgets.Button(
            description="Cancel",
            icon="stop",
            disabled=True,
            tooltip="Cancel while queued",
            layout=_shared.layout(),
            style=_shared.style_of(widgets.Button),
        )
        self.cancel.add_class("wan-cancel")
        self.cancellable = on_cancel is not None
        """False when the provider has no cancel route (the panel asks its dialect): the card shows no button."""
        if on_cancel is not None:
            self.cancel.on_click(lambda _button: on_cancel(self))
        self.code_button = widgets.ToggleButton(
            description="copy as code",
            icon="code",
            value=False,
            layout=_shared.layout(),
            style=_shared.style_of(widgets.ToggleButton),
        )
        self.code = widgets.Textarea(
            layout=widgets.Layout(display="none", width="100%", height="12em"),  # its own: toggled below
            style=_shared.style_of(widgets.Textarea),
        )
        self.code_button.observe(self._toggle_code, names="value")

    def _layout(self) -> list[widgets.Widget]:
        plain = _shared.layout()
        summary = widgets.VBox(
            [self.head, self.inputs, widgets.HBox([self.bar, self.timing], layout=plain)],
            layout=_shared.layout(flex="1"),
        )
        top = widgets.HBox([self.thumbnail, summary], layout=plain)
        buttons = widgets.HBox(
            [self.cancel, self.code_button, self.actions]
            if self.cancellable
            else [self.code_button, self.actions],
            layout=plain,
        )
        return [top, self.poster, self.rewrite, self.error_box, self.player, self.links, buttons, self.code]

    def _toggle_code(self, change: dict[str, Any]) -> None:
        self.code.layout.display = "" if change["new"] else "none"

    # -- what the jobs call -------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``SUBMITTING`` before there is a task, ``ERROR`` after an exception, else the task's status."""
        if self.error is not None and (self.task is None or not self.task.done):
            return "ERROR"
        return "SUBMITTING" if self.task is None else self.task.status.value

    def show(self, task: Task) -> None:
        """Show a new state of the task (coalesced; a terminal state renders at once)."""
        self.task = task
        if task.done and self._ended is None:
            self._ended = time.monotonic()
        self._throttle.push(task, final=task.done)

    def fail(self, exc: BaseException) -> None:
        """Show an exception from the job on the card (never lost in the kernel log)."""
        if isinstance(exc, TaskFailed):
            self.show(exc.task)
            return
        self.error = html.escape(_describe(exc))
        self._ended = self._ended or time.monotonic()
        self._throttle.flush()
        with _held(self.error_box, self.cancel, self.bar):
            self.error_box.value = f'<div class="wan-error" style="color:{ERROR_COLOUR}">{self.error}</div>'
            self.cancel.disabled = True
            self.bar.bar_style = "danger"
        self._render_head()

    def notice(self, message: str) -> None:
        """Show a note that does not end the task (a cancel the service refused)."""
        self.error_box.value = f'<div class="wan-notice" style="color:#b45309">{html.escape(message)}</div>'

    def play(self, task: Task) -> None:
        """Show the video (or its link) for a finished task."""
        self._show_delivery(task, _video.gather(task, cap=self._video_cap))
        for listener in self.played:
            listener.played(task)

    async def play_soon(self, task: Task) -> None:
        """:meth:`play` from a job: what it reads from the disk (sizes, paths, bytes to embed, the listeners'
        checks) is read in worker threads, so the kernel's loop stays free (``_video.Delivery``)."""
        delivery = await asyncio.to_thread(_video.gather, task, cap=self._video_cap)
        self._show_delivery(task, delivery)
        for listener in self.played:
            await listener.played_soon(task)

    def _show_delivery(self, task: Task, delivery: _video.Delivery) -> None:
        self.task = task
        self._throttle.flush()
        playback = delivery.playback
        if playback is not None and playback != self.playback:
            self.playback = playback
            self.player.outputs = _video.outputs(playback, delivery.data)
        self.links.value = delivery.links

    def show_poster(self, jpeg: bytes) -> None:
        """Show stills of the result (JPEG bytes)."""
        self.poster.children = (
            widgets.Image(value=jpeg, format="jpeg", layout=_shared.layout(max_width="100%")),
        )

    def set_code(self, code: str) -> None:
        """The snippet "copy as code" shows."""
        self.code.value = code

    def tick(self) -> None:
        """Refresh the elapsed time (the panel's clock calls it once a second while the task runs)."""
        self.timing.value = self._timing_text()

    @property
    def active(self) -> bool:
        """True while the task can still change."""
        return self.error is None and (self.task is None or not self.task.done)

    # -- rendering ----------------------------------------------------------------------------------------

    def _render(self, task: Task) -> None:
        with _held(self.bar, self.cancel, self.error_box, self.timing):
            self._render_bar(task)
            self.cancel.disabled = not (self.cancellable and task.status is TaskStatus.QUEUED)
            self.error_box.value = task_error_html(task)
            self.timing.value = self._timing_text()
            self.rewrite.value = rewrite_html(self.prompt, task.prompt)
        if task.error is not None:
            self.error = html.escape(f"{task.error.code}: {task.error.message}")
        self._render_head()

    def _render_bar(self, task: Task) -> None:
        if task.status is TaskStatus.SUCCEEDED:
            self.bar.value = 1.0
        elif task.progress is not None:
            self.bar.value = max(0.0, min(1.0, task.progress))
        self.bar.bar_style = _BAR_STYLES.get(task.status, "")

    def _render_head(self) -> None:
        self.head.value = _head_html(self._title, self.prompt, self.task, self.state, self.request)

    def _timing_text(self) -> str:
        if not self._timed:
            return ""
        end = self._ended or time.monotonic()
        elapsed = end - self._started
        text = f"{elapsed:.0f} s"
        task = self.task
        if task is not None and not task.done and task.progress:
            left = elapsed * (1 - task.progress) / task.progress
            text += f" · {task.progress:.0%} · ~{left:.0f} s left"
        return f'<span class="wan-timing" style="color:#6b7280">{text}</span>'


def _html() -> widgets.HTML:
    """An HTML part of the card, on the shared default layout and style (``_shared``)."""
    return widgets.HTML(layout=_shared.layout(), style=_shared.style_of(widgets.HTML))


def short_id(task_id: str) -> str:
    """A task id short enough for a card's line (DashScope's are 36-character UUIDs)."""
    return task_id if len(task_id) <= SHORT_ID + 1 else task_id[:SHORT_ID] + "…"


def _head_html(title: str, prompt: str, task: Task | None, state: str, request: VideoRequest | None) -> str:
    excerpt = prompt if len(prompt) <= EXCERPT else prompt[: EXCERPT - 1] + "…"
    parts = [status_badge(state)]
    if task is not None and task.status_raw and task.status_raw != task.status.value:
        parts.append(f'<span style="color:#6b7280">({html.escape(task.status_raw)})</span>')
    if title:
        parts.append(f"<b>{html.escape(title)}</b>")
    parts.append(f"<i>{html.escape(excerpt)}</i>")
    ids = []
    if task is not None:
        ids.append(f"task <code>{html.escape(task.id)}</code>")
        if task.request_id:
            ids.append(f"request <code>{html.escape(task.request_id)}</code>")
    facts = [html.escape(model_line(request))] if request is not None else []
    if request is not None and request.parent:
        facts.append(
            f'<span class="wan-parent" title="chained from task {html.escape(request.parent)}">↳ from '
            f"<code>{html.escape(short_id(request.parent))}</code></span>"
        )
    billed = billed_text(task.usage) if task is not None else ""
    if billed:
        facts.append(f'<span class="wan-billed">{html.escape(billed)}</span>')
    lines = [" · ".join(found) for found in (facts, ids) if found]
    return " ".join(parts) + "".join(f'<br><small style="color:#6b7280">{line}</small>' for line in lines)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, APIError):
        return str(exc)  # status, code, message, request id and hint: what a support ticket needs
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def _held(*items: widgets.Widget) -> Iterator[None]:
    """``hold_sync`` on several widgets: each sends one message with all its changed traits."""
    with ExitStack() as stack:
        for item in items:
            stack.enter_context(item.hold_sync())
        yield

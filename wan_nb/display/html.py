"""HTML for ``Task._repr_html_``: a compact status card, and the video once there is one.

Owns :func:`task_card`, and the pieces the panel's cards share with it (:func:`status_badge`,
:func:`task_error_html`, one colour per state in :data:`BADGE_COLOURS`), so a status looks the same in a
``Task``'s own output and on a card. Pure string building from a :class:`~wan_nb.models.Task`; every piece of text is
``html.escape``d (error messages come from the service). Never shows ``Task.raw``.
Imports ``wan_nb.models`` (and, lazily, ``wan_nb.display.video``); must not import httpx, asyncio or ipywidgets.

The poster and the video come from :mod:`wan_nb.display.video`, which picks the source the front end can
play (a relative path under a Jupyter server, an embedded ``data:`` video elsewhere, a live https URL) and
embeds a JPEG poster, so a saved or exported notebook still shows each finished task.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING

from wan_nb.models import Task, TaskStatus

if TYPE_CHECKING:
    from wan_nb.display.frontend import FrontEnd

__all__ = ["BADGE_COLOURS", "status_badge", "task_card", "task_error_html"]

BADGE_COLOURS: dict[str, str] = {
    "SUBMITTING": "#6b7280",  # a card before its create answered
    TaskStatus.QUEUED: "#6b7280",
    TaskStatus.RUNNING: "#2563eb",
    TaskStatus.SUCCEEDED: "#15803d",
    TaskStatus.FAILED: "#b91c1c",
    TaskStatus.CANCELED: "#b45309",
    TaskStatus.UNKNOWN: "#7c3aed",
    "ERROR": "#b91c1c",  # a card whose job raised
}
"""Badge colour per state: the ``TaskStatus`` values plus the card-only ``SUBMITTING`` and ``ERROR``."""
ERROR_COLOUR = "#b91c1c"

_CARD = (
    "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;line-height:1.5;"
    "border:1px solid var(--jp-border-color2,#d1d5db);border-radius:6px;padding:8px 10px;max-width:720px"
)
_MUTED = "color:var(--jp-ui-font-color2,#6b7280)"


def task_card(task: Task, front: FrontEnd | None = None) -> str:
    """The status card for ``task``: badge, ids, prompt, progress, timing, error, and the poster and video
    when there is one (played the way ``front``, default: this kernel's front end, allows)."""
    parts = [
        _header(task),
        _prompt(task),
        _progress(task),
        task_error_html(task),
        _media(task, front),
        _footer(task),
    ]
    body = "".join(part for part in parts if part)
    return f'<div class="wan-nb-task" style="{_CARD}">{body}</div>'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def status_badge(state: str, label: str | None = None) -> str:
    """The coloured badge of a state (``label`` shown instead of the state's name when given)."""
    colour = BADGE_COLOURS.get(state, BADGE_COLOURS[TaskStatus.UNKNOWN])
    return (
        f'<span class="wan-badge" style="background:{colour};color:#fff;border-radius:4px;padding:1px 7px;'
        f'font-weight:600;font-size:12px">{_e(label or state)}</span>'
    )


def task_error_html(task: Task) -> str:
    """Why the task failed, as the service said it (escaped); empty when it did not fail."""
    if task.error is None:
        return ""
    return (
        f'<div class="wan-error" style="color:{ERROR_COLOUR};margin-top:4px"><b>{_e(task.error.code)}</b>: '
        f"{_e(task.error.message)}</div>"
    )


def _header(task: Task) -> str:
    raw = task.status_raw  # the wire's own word, when no status table knew it
    unusual = task.status is TaskStatus.UNKNOWN and raw not in ("", TaskStatus.UNKNOWN.value)
    badge = status_badge(task.status.value, f"{task.status.value} {raw}" if unusual else None)
    facts = [fact for fact in (task.provider, _timing(task)) if fact]
    extra = f' <span style="{_MUTED}">{_e(" · ".join(facts))}</span>' if facts else ""
    return f"<div>{badge} <code>{_e(task.id)}</code>{extra}</div>"


def _timing(task: Task) -> str:
    start = task.started_at or task.created_at
    if start is None:
        return ""
    end = task.finished_at or datetime.now(start.tzinfo)
    seconds = max(0, round((end - start).total_seconds()))
    verb = "took" if task.finished_at else "for"
    created = task.created_at or start
    return f"created {created:%Y-%m-%d %H:%M:%S %Z}".rstrip() + f" · {verb} {_duration(seconds)}"


def _duration(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _progress(task: Task) -> str:
    if task.progress is None or task.done:
        return ""
    share = min(max(task.progress, 0.0), 1.0)
    return (
        f'<div><progress value="{share:.3f}" max="1" style="width:100%;max-width:480px">'
        f"{share:.0%}</progress> {share:.0%}</div>"
    )


def _media(task: Task, front: FrontEnd | None) -> str:
    from wan_nb.display.video import media_html  # here: it reaches PyAV (posters) only once there is a video

    return media_html(task, front) if task.path is not None or task.video_url else ""


def _prompt(task: Task) -> str:
    if not task.prompt:
        return ""
    return f'<div style="margin-top:2px">{_e(task.prompt)}</div>'


def _footer(task: Task) -> str:
    if not task.request_id:
        return ""
    return f'<div style="{_MUTED};font-size:12px">request id <code>{_e(task.request_id)}</code></div>'

"""HTML for ``Task._repr_html_``: a compact status card, and the video once there is one.

Owns :func:`task_card`. Pure string building from a :class:`~wan_nb.models.Task`; every piece of text is
``html.escape``d (error messages come from the service). Never shows ``Task.raw``.
Imports only ``wan_nb.models``; must not import httpx, asyncio or ipywidgets.

Video sources follow notebook_tech.md §2.2-2.3: a downloaded file is shown by a path *relative to the
working directory* (Jupyter serves the notebook's folder under ``/files/``, with Range requests, and
rewrites relative ``src``); an https result URL is played directly; a plain http URL is only linked,
since an https notebook page blocks it as mixed content.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from wan_nb.models import Task, TaskStatus

__all__ = ["task_card"]

BADGE_COLOURS: dict[TaskStatus, str] = {
    TaskStatus.QUEUED: "#6b7280",
    TaskStatus.RUNNING: "#2563eb",
    TaskStatus.SUCCEEDED: "#15803d",
    TaskStatus.FAILED: "#b91c1c",
    TaskStatus.CANCELED: "#b45309",
    TaskStatus.UNKNOWN: "#7c3aed",
}

_CARD = (
    "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;line-height:1.5;"
    "border:1px solid var(--jp-border-color2,#d1d5db);border-radius:6px;padding:8px 10px;max-width:720px"
)
_MUTED = "color:var(--jp-ui-font-color2,#6b7280)"
_VIDEO_ATTRS = 'controls playsinline muted preload="metadata" style="width:480px;max-width:100%;margin-top:6px;display:block"'


def task_card(task: Task) -> str:
    """The status card for ``task``: badge, progress, timing, ids, error, and the video when there is one."""
    parts = [_header(task), _progress(task), _error(task), _media(task), _footer(task)]
    body = "".join(part for part in parts if part)
    return f'<div class="wan-nb-task" style="{_CARD}">{body}</div>'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _header(task: Task) -> str:
    colour = BADGE_COLOURS[task.status]
    raw = task.status_raw  # the wire's own word, when no status table knew it
    unusual = task.status is TaskStatus.UNKNOWN and raw not in ("", TaskStatus.UNKNOWN.value)
    label = f"{task.status.value} {raw}" if unusual else task.status.value
    badge = (
        f'<span style="background:{colour};color:#fff;border-radius:4px;padding:1px 7px;'
        f'font-weight:600;font-size:12px">{_e(label)}</span>'
    )
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


def _error(task: Task) -> str:
    if task.error is None:
        return ""
    return (
        f'<div style="color:#b91c1c;margin-top:4px"><b>{_e(task.error.code)}</b>: '
        f"{_e(task.error.message)}</div>"
    )


def _media(task: Task) -> str:
    if task.path is not None:
        return _local_video(task.path)
    if task.video_url:
        return _remote_video(task)
    return ""


def _local_video(path: Path) -> str:
    src = _servable(path)
    if src is None:
        # Jupyter serves only non-hidden files under its root; a browser on an http(s) page will not open file://.
        return (
            f'<div style="{_MUTED}">Saved outside the notebook\'s folder, so Jupyter cannot show it: '
            f"<code>{_e(path)}</code> ({_e(path.absolute().as_uri())})</div>"
        )
    return _video_tag(src, f"<code>{_e(path)}</code>")


def _servable(path: Path) -> str | None:
    """The URL-quoted path relative to the working directory, or None when Jupyter would not serve it."""
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return None
    if any(part.startswith(".") for part in relative.parts):
        return None
    return quote(relative.as_posix())


def _remote_video(task: Task) -> str:
    url = task.video_url or ""
    expiry = f" (link valid until {task.expires_at:%Y-%m-%d %H:%M})" if task.expires_at else ""
    if url.startswith("https://"):
        return _video_tag(url, _e("result video" + expiry))
    if url.startswith("http://"):
        return (
            f'<div><a href="{_e(url)}" target="_blank" rel="noopener">result video</a>{_e(expiry)} '
            f'<span style="{_MUTED}">(plain http: not embedded, browsers block it in an https page)</span></div>'
        )
    return f"<div>result: <code>{_e(url)}</code>{_e(expiry)}</div>"


def _video_tag(src: str, link_text: str) -> str:
    link = f'<a href="{_e(src)}" target="_blank" rel="noopener">{link_text}</a>'
    return f'<video src="{_e(src)}" {_VIDEO_ATTRS}>{link}</video><div>{link}</div>'


def _footer(task: Task) -> str:
    if not task.request_id:
        return ""
    return f'<div style="{_MUTED};font-size:12px">request id <code>{_e(task.request_id)}</code></div>'

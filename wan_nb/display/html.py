"""All the HTML wan_nb writes for a notebook's output: a task's status card, and the one way to put a video
on a page.

Owns the pieces every page shares: :func:`escape` (every piece of text: prompts and error messages come from
users and servers), :func:`served_path` (the path a Jupyter server serves a file under), :func:`video_data_uri`
(a video embedded in the page), :func:`poster_uri` (its first frame as a JPEG) and :func:`video_tag` (the one
``<video>`` writer). The tutorials' helpers (``wan_nb.notebook.teach``), the report page (``wan_nb.lab.report``)
and the panel's players (``wan_nb.widgets``) build on them.

The card (:func:`task_card`, ``Task._repr_html_``) and the pieces the panel's cards share with it
(:func:`status_badge`, :func:`task_error_html`, one colour per state in :data:`BADGE_COLOURS`) look the same in
a ``Task``'s own output and on a card. Never shows ``Task.raw``. Its video part is what GitHub, nbviewer,
nbconvert HTML and docs builds show without a kernel or a widget manager: the player's source follows
:func:`wan_nb.display.frontend.playback` with ``saved=True``: a relative path where a Jupyter server serves the
folder (Lab, Notebook 7, Binder, Voilà), else the file embedded as a ``data:`` URI below
:data:`~wan_nb.display.frontend.EMBED_CAP` (Colab, VS Code, nbclient/nbconvert: the exported HTML plays
offline), else a live https URL, else a note with the path. The poster, a small JPEG of the first frame
(``wan_nb.media.stills``, PyAV: loaded only once there is a video), is always embedded: it is what remains
where ``<video>`` is stripped (GitHub's ``media-src 'none'``, notebook_tech.md §2.2) or cannot load.
Must not import httpx, asyncio or ipywidgets.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from wan_nb.display import frontend
from wan_nb.errors import WanError
from wan_nb.media import stills, to_data_uri
from wan_nb.models import Task, TaskStatus

__all__ = [
    "BADGE_COLOURS",
    "ERROR_COLOUR",
    "POSTER_WIDTH",
    "escape",
    "live_https",
    "poster_uri",
    "served_path",
    "status_badge",
    "task_card",
    "task_error_html",
    "video_data_uri",
    "video_tag",
]

POSTER_WIDTH = 480
"""Pixels: the width cards and the report page show a video at, so the embedded poster stays ~20-60 KB."""

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
_CARD_PLAYER = (
    'class="wan-video" controls playsinline muted preload="metadata" '
    'style="width:480px;max-width:100%;margin-top:6px;display:block"'
)


# -- what every page shares ---------------------------------------------------------------------------------


def escape(value: object) -> str:
    """``str(value)`` safe inside an element and inside a quoted attribute (either quote)."""
    return html.escape(str(value), quote=True)


def served_path(path: Path, cwd: Path | None = None) -> str | None:
    """``path`` as a URL-quoted path relative to ``cwd`` (default: the working directory, the notebook's
    folder), or None where a Jupyter server would not serve it: JupyterLab turns the relative path into
    ``/files/...``, Binder into ``/user/<id>/files/...``, Voilà into ``/voila/files/...``."""
    try:
        relative = path.resolve().relative_to((cwd or Path.cwd()).resolve())
    except ValueError:
        return None
    if any(part.startswith(".") for part in relative.parts):
        return None  # jupyter_server refuses hidden files (notebook_tech.md §2.2)
    return quote(relative.as_posix())


def video_data_uri(path: Path) -> str:
    """The MP4 at ``path`` as a ``data:`` URI, so the page plays it offline (base64: a third bigger)."""
    return to_data_uri(path.read_bytes(), "video/mp4")


def poster_uri(path: Path) -> str:
    """The first frame of the video at ``path`` as a ``data:`` JPEG, :data:`POSTER_WIDTH` wide, or "" when the
    file cannot be decoded (the player still shows)."""
    try:
        still = stills.poster(path, width=POSTER_WIDTH)
    except WanError:
        return ""
    return to_data_uri(still.read_bytes(), "image/jpeg")


def video_tag(
    src: str, attributes: str, *, poster: str = "", fallback: str = "", quote: Literal['"', "'"] = '"'
) -> str:
    """The ``<video>`` element: ``src`` and ``poster`` escaped, then ``attributes`` (the player's flags, size
    and style, markup) as given; ``fallback`` (markup) shows where the element does not play. ``quote``: the
    one the surrounding markup uses. Players are ``muted`` so browsers allow ``play()`` without a gesture."""
    cover = f" poster={quote}{escape(poster)}{quote}" if poster else ""
    return f"<video src={quote}{escape(src)}{quote}{cover} {attributes}>{fallback}</video>"


def live_https(task: Task) -> bool:
    """True when ``task`` has an https result URL that has not expired: one a page may play."""
    # Result URLs are signed for 24 h (protocol.md §2): an expired one would show a dead player; plain http
    # would be blocked as mixed content on an https Jupyter/Binder page.
    if not (task.video_url or "").startswith("https://"):
        return False
    expires = task.expires_at
    if expires is None:
        return True
    return (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) > datetime.now(UTC)


# -- the card -----------------------------------------------------------------------------------------------


def task_card(task: Task, front: frontend.FrontEnd | None = None) -> str:
    """The status card for ``task``: badge, ids, prompt, progress, timing, error, and the poster and video
    when there is one (played the way ``front``, default: this kernel's front end, allows)."""
    parts = [
        _header(task),
        _prompt(task),
        _progress(task),
        task_error_html(task),
        _media(task, front) if task.path is not None or task.video_url else "",
        _footer(task),
    ]
    body = "".join(part for part in parts if part)
    return f'<div class="wan-nb-task" style="{_CARD}">{body}</div>'


def status_badge(state: str, label: str | None = None) -> str:
    """The coloured badge of a state (``label`` shown instead of the state's name when given)."""
    colour = BADGE_COLOURS.get(state, BADGE_COLOURS[TaskStatus.UNKNOWN])
    return (
        f'<span class="wan-badge" style="background:{colour};color:#fff;border-radius:4px;padding:1px 7px;'
        f'font-weight:600;font-size:12px">{escape(label or state)}</span>'
    )


def task_error_html(task: Task) -> str:
    """Why the task failed, as the service said it (escaped); empty when it did not fail."""
    if task.error is None:
        return ""
    return (
        f'<div class="wan-error" style="color:{ERROR_COLOUR};margin-top:4px"><b>{escape(task.error.code)}</b>: '
        f"{escape(task.error.message)}</div>"
    )


def _header(task: Task) -> str:
    raw = task.status_raw  # the wire's own word, when no status table knew it
    unusual = task.status is TaskStatus.UNKNOWN and raw not in ("", TaskStatus.UNKNOWN.value)
    badge = status_badge(task.status.value, f"{task.status.value} {raw}" if unusual else None)
    facts = [fact for fact in (task.provider, _timing(task)) if fact]
    extra = f' <span style="{_MUTED}">{escape(" · ".join(facts))}</span>' if facts else ""
    return f"<div>{badge} <code>{escape(task.id)}</code>{extra}</div>"


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


def _prompt(task: Task) -> str:
    if not task.prompt:
        return ""
    return f'<div style="margin-top:2px">{escape(task.prompt)}</div>'


def _footer(task: Task) -> str:
    if not task.request_id:
        return ""
    return f'<div style="{_MUTED};font-size:12px">request id <code>{escape(task.request_id)}</code></div>'


# -- the card's poster and player ---------------------------------------------------------------------------


def _media(task: Task, front: frontend.FrontEnd | None) -> str:
    """Poster and player for ``task``, or what stands in for them."""
    front = frontend.detect() if front is None else front
    local = task.path if task.path is not None and task.path.is_file() else None
    relative = served_path(local) if local is not None else None
    mode = frontend.playback(
        front,
        live_url=live_https(task),
        relative=relative is not None,
        size=local.stat().st_size if local is not None else None,
        cap=frontend.EMBED_CAP,  # read now: a notebook may raise it (wan_nb.display.frontend.EMBED_CAP = ...)
        saved=True,
    )
    still = poster_uri(local) if local is not None else ""
    if mode == "relative" and relative is not None:
        return _player(relative, still, f"<code>{escape(task.path)}</code>")
    if mode == "embed" and local is not None:
        return _player(video_data_uri(local), still, f"<code>{escape(task.path)}</code> (embedded)")
    if mode == "url":
        return _player(task.video_url or "", still, escape("result video" + _expiry(task)))
    if mode == "link" and local is not None:
        image = f'<img src="{still}" alt="first frame" style="width:480px;max-width:100%" />' if still else ""
        return f'{image}<div style="{_MUTED}">Too large to embed: <code>{escape(local)}</code></div>'
    return _unplayable(task)


def _expiry(task: Task) -> str:
    return f" (link valid until {task.expires_at:%Y-%m-%d %H:%M})" if task.expires_at else ""


def _player(src: str, still: str, link_text: str) -> str:
    # data: sources are not linked: a multi-megabyte href helps nobody.
    link = (
        ""
        if src.startswith("data:")
        else f'<a href="{escape(src)}" target="_blank" rel="noopener">{link_text}</a>'
    )
    caption = link or link_text
    return video_tag(src, _CARD_PLAYER, poster=still, fallback=caption) + f"<div>{caption}</div>"


def _unplayable(task: Task) -> str:
    url = task.video_url or ""
    if url.startswith("http://"):
        return (
            f'<div><a href="{escape(url)}" target="_blank" rel="noopener">result video</a>{escape(_expiry(task))} '
            f'<span style="{_MUTED}">(plain http: not embedded, browsers block it in an https page)</span></div>'
        )
    if task.path is not None:
        return f'<div style="{_MUTED}">The video is not here: <code>{escape(task.path)}</code></div>'
    if url:
        return f"<div>result: <code>{escape(url)}</code>{escape(_expiry(task))} (expired)</div>"
    return ""

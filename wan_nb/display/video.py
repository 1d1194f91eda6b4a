"""The video part of a saved output (``Task._repr_html_``, the panel's stand-in): a poster and a player.

What GitHub, nbviewer, nbconvert HTML and docs builds show without a kernel or a widget manager. The player's
source follows :func:`wan_nb.display.frontend.playback` with ``saved=True``: a relative path where a Jupyter server
serves the folder (Lab, Notebook 7, Binder, Voilà), else the file embedded as a ``data:`` URI below
:data:`~wan_nb.display.frontend.EMBED_CAP` (Colab, VS Code, nbclient/nbconvert: the exported HTML plays offline),
else a live https result URL, else a note with the path. The poster, a small JPEG of the first frame
(``wan_nb.media.stills``), is always embedded: it is what remains where ``<video>`` is stripped (GitHub's
``media-src 'none'``, notebook_tech.md §2.2) or cannot load.
"""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from wan_nb.display import frontend
from wan_nb.errors import WanError
from wan_nb.media.stills import poster
from wan_nb.models import Task

__all__ = ["POSTER_WIDTH", "media_html"]

POSTER_WIDTH = 480
"""Pixels: the width the card shows the video at, so the embedded poster stays ~20-60 KB."""
_MUTED = "color:var(--jp-ui-font-color2,#6b7280)"
_VIDEO_ATTRS = 'controls playsinline muted preload="metadata" style="width:480px;max-width:100%;margin-top:6px;display:block"'


def media_html(task: Task, front: frontend.FrontEnd | None = None) -> str:
    """Poster and player for ``task`` (empty while there is nothing to show)."""
    front = frontend.detect() if front is None else front
    local = task.path if task.path is not None and task.path.is_file() else None
    relative = _servable(local) if local is not None else None
    mode = frontend.playback(
        front,
        live_url=_live_https(task),
        relative=relative is not None,
        size=local.stat().st_size if local is not None else None,
        cap=frontend.EMBED_CAP,  # read now: a notebook may raise it (wan_nb.display.frontend.EMBED_CAP = ...)
        saved=True,
    )
    still = _poster_uri(local) if local is not None else ""
    if mode == "relative" and relative is not None:
        return _video(relative, still, f"<code>{_e(task.path)}</code>")
    if mode == "embed" and local is not None:
        return _video(_data_uri(local), still, f"<code>{_e(task.path)}</code> (embedded)")
    if mode == "url":
        return _video(task.video_url or "", still, _e("result video" + _expiry(task)))
    if mode == "link" and local is not None:
        image = f'<img src="{still}" alt="first frame" style="width:480px;max-width:100%" />' if still else ""
        return f'{image}<div style="{_MUTED}">Too large to embed: <code>{_e(local)}</code></div>'
    return _unplayable(task)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _live_https(task: Task) -> bool:
    # Result URLs are signed for 24 h (protocol.md §2): an expired one would show a dead player.
    if not (task.video_url or "").startswith("https://"):
        return False
    expires = task.expires_at
    if expires is None:
        return True
    return (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) > datetime.now(UTC)


def _expiry(task: Task) -> str:
    return f" (link valid until {task.expires_at:%Y-%m-%d %H:%M})" if task.expires_at else ""


def _servable(path: Path) -> str | None:
    """The URL-quoted path relative to the working directory, or None when Jupyter would not serve it."""
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return None
    if any(part.startswith(".") for part in relative.parts):
        return None  # jupyter_server refuses hidden files
    return quote(relative.as_posix())


def _data_uri(path: Path) -> str:
    return "data:video/mp4;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _poster_uri(path: Path) -> str:
    """The first frame as a ``data:`` JPEG, or "" when the file cannot be decoded (the player still shows)."""
    try:
        still = poster(path, width=POSTER_WIDTH)
    except WanError:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(still.read_bytes()).decode("ascii")


def _video(src: str, still: str, link_text: str) -> str:
    poster_attr = f' poster="{still}"' if still else ""
    # data: sources are not linked: a multi-megabyte href helps nobody.
    link = (
        ""
        if src.startswith("data:")
        else f'<a href="{_e(src)}" target="_blank" rel="noopener">{link_text}</a>'
    )
    caption = link or link_text
    return f'<video class="wan-video" src="{_e(src)}"{poster_attr} {_VIDEO_ATTRS}>{caption}</video><div>{caption}</div>'


def _unplayable(task: Task) -> str:
    url = task.video_url or ""
    if url.startswith("http://"):
        return (
            f'<div><a href="{_e(url)}" target="_blank" rel="noopener">result video</a>{_e(_expiry(task))} '
            f'<span style="{_MUTED}">(plain http: not embedded, browsers block it in an https page)</span></div>'
        )
    if task.path is not None:
        return f'<div style="{_MUTED}">The video is not here: <code>{_e(task.path)}</code></div>'
    if url:
        return f"<div>result: <code>{_e(url)}</code>{_e(_expiry(task))} (expired)</div>"
    return ""

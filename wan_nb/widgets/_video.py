"""How a finished video plays in the notebook: remote URL, relative path, widget bytes, or a link.

The choices follow notebook_tech.md §2.2–2.3:

- a remote ``https`` result plays from its URL (the browser fetches it; no bytes go through the kernel);
  plain ``http`` would be blocked as mixed content on an https Jupyter/Binder page;
- (which front end runs the kernel decides the rest: ``wan_nb.display.frontend``)
- a downloaded or simulated file under the kernel's working directory (the notebook's folder), where a
  Jupyter server serves it, plays from its *relative* path (``wan_nb.display.html.served_path``: Range
  requests, cheap seeking; Voilà once mp4 is allow-listed). Hidden folders and paths outside the server root
  are not served;
- anything else (VS Code and Colab serve no files) goes through ``ipywidgets.Video`` bytes, below a size cap: those bytes cross the comm
  websocket, stay in kernel RAM, and are re-sent on every page reload (``request_state``);
- above the cap, a text link with the path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wan_nb.display import frontend
from wan_nb.display.frontend import FrontEnd
from wan_nb.display.frontend import Kind as Front
from wan_nb.display.html import escape, live_https, served_path, video_tag
from wan_nb.models import Task

__all__ = [
    "DEFAULT_VIDEO_CAP",
    "Delivery",
    "Playback",
    "choose",
    "gather",
    "links_html",
    "outputs",
]

DEFAULT_VIDEO_CAP = 8 * 1024 * 1024
"""Largest file sent as ``ipywidgets.Video`` bytes (a 39 MB clip took ~2 s on loopback, far longer on Binder)."""

VIDEO_ATTRIBUTES = (
    'class="wan-video" controls muted playsinline preload="metadata" width="480" style="max-width:100%"'
)

Kind = Literal["url", "relative", "bytes", "link"]


@dataclass(frozen=True, slots=True)
class Playback:
    """One way to show a result: ``src`` is a URL, a relative URL path, or a filesystem path."""

    kind: Kind
    src: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """All a card reads from the disk to show a finished task, read in one go by :func:`gather`: a job runs it
    in a worker thread, since a stat or an open can take milliseconds on a disk busy with downloads and the
    journal's fsyncs, and 50 cards delivering together would stall the kernel's loop (``bench/startup.py``)."""

    playback: Playback | None
    links: str
    data: bytes | None = None
    """The file's bytes, for a ``bytes`` playback."""


def gather(task: Task, *, cap: int = DEFAULT_VIDEO_CAP, cwd: Path | None = None) -> Delivery:
    """The :class:`Delivery` of ``task``: its playback, its links and, to embed, its bytes. Touches no widget."""
    playback = choose(task, cap=cap, cwd=cwd)
    data = Path(playback.src).read_bytes() if playback is not None and playback.kind == "bytes" else None
    return Delivery(playback, links_html(task, cwd=cwd), data)


def choose(
    task: Task, *, cap: int = DEFAULT_VIDEO_CAP, cwd: Path | None = None, front: FrontEnd | None = None
) -> Playback | None:
    """The best playback for ``task`` in ``front`` (default: this kernel's), or None while there is nothing
    to play. The panel is a live view: a live https URL comes first (no bytes through the kernel)."""
    front = frontend.detect() if front is None else front
    exists = task.path is not None and task.path.exists()
    relative = served_path(task.path, cwd) if task.path is not None and exists else None
    if front.kind is Front.KERNEL and relative is not None and not live_https(task):
        # nbclient/nbconvert save widget state into the notebook: bytes would bloat it, and what a reader
        # of the file sees is the stand-in (which embeds the video), so the widget plays by path.
        return Playback("relative", relative)
    mode = frontend.playback(
        front,
        live_url=live_https(task),
        relative=relative is not None,
        size=task.path.stat().st_size if task.path is not None and exists else None,
        cap=cap,
    )
    if mode == "url":
        assert task.video_url is not None
        return Playback("url", task.video_url)
    if mode == "relative" and relative is not None:
        return Playback("relative", relative)
    if mode == "embed":
        return Playback("bytes", str(task.path))
    if mode == "link":
        return Playback("link", str(task.path), note="not served here and above the size cap")
    return None


def outputs(playback: Playback, data: bytes | None = None) -> tuple[dict[str, Any], ...]:
    """The Output widget's ``outputs`` for ``playback`` (assigned, never ``with out:`` from a background task,
    whose output would land in whichever cell runs at that moment: notebook_tech.md §2.1). ``data``: the
    file's bytes for a ``bytes`` playback, when already read (:func:`gather`)."""
    if playback.kind in ("url", "relative"):
        return (_display({"text/html": video_tag(playback.src, VIDEO_ATTRIBUTES)}),)
    if playback.kind == "bytes":
        import ipywidgets as widgets

        value = Path(playback.src).read_bytes() if data is None else data
        player = widgets.Video(value=value, format="mp4", autoplay=False, loop=False, controls=True)
        return (_display(player._repr_mimebundle_()),)
    text = f"<p>{escape(playback.src)} ({escape(playback.note)})</p>"
    return (_display({"text/html": text, "text/plain": playback.src}),)


def _display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def links_html(task: Task, *, cwd: Path | None = None) -> str:
    """Download links: the saved file (relative, so it works on Binder too) and the signed result URL."""
    links = []
    if task.path is not None and task.path.exists():
        relative = served_path(task.path, cwd)
        label = escape(f"{task.path.name} ({_megabytes(task.path)})")
        if relative is not None:
            links.append(f'<a href="{escape(relative)}" download="{escape(task.path.name)}">⤓ {label}</a>')
        else:
            links.append(f"saved to <code>{escape(task.path)}</code>")
    if live_https(task):
        assert task.video_url is not None
        links.append(
            f'<a href="{escape(task.video_url)}" target="_blank" rel="noopener">result URL</a> (expires)'
        )
    return " · ".join(links)


def _megabytes(path: Path) -> str:
    return f"{path.stat().st_size / 1_048_576:.1f} MB"

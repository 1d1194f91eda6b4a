"""One medium input of the form: a file upload or a URL/path, a preview, a note and an error line.

An image shows its thumbnail; a clip (a source video, a clip to continue, a reference video) shows its length
and a poster (``_clip.py``, read in a worker thread while a loop runs: PyAV never blocks the kernel loop).
"""

from __future__ import annotations

import asyncio
import html
import os
from collections.abc import Callable
from typing import Any, Literal

import ipywidgets as widgets

from wan_nb import media
from wan_nb.loop import spawn
from wan_nb.widgets._clip import ClipFacts, clip_facts
from wan_nb.widgets._preview import update_preview

__all__ = ["MediaField", "Shows", "error_html"]

PREVIEW_WIDTH = 120
Shows = Literal["image", "clip", "none", "any"]
"""What a field previews: an image's thumbnail, a clip's poster and length, nothing (audio), or whichever the
medium is (a reference: an image or a video)."""


class MediaField:
    """An upload or a typed URL/path for one role (``first_frame``, ``last_frame``, ``driving_audio``).

    The last one chosen wins. An upload's bytes are read into a private attribute and the FileUpload is
    cleared, so the file does not also sit in the widget state (which a saved notebook may embed).
    """

    def __init__(self, role: str, label: str, *, accept: str, shows: Shows) -> None:
        self.role = role
        self.value: Any = None
        """The medium for the request: bytes (an upload), a URL or a path; None when empty."""
        self.name: str | None = None
        """The uploaded file's name (for "copy as code")."""
        self.shows = shows
        self.clip: ClipFacts | None = None
        """A clip's length, size and poster, once read (None: not a clip, or not read yet)."""
        self.pending: asyncio.Task[None] | None = None
        """The worker reading the clip's facts (``await`` it in a test)."""
        self.changed: list[Callable[[MediaField], object]] = []
        """Called after each new value (the form's numbering, hints and estimate follow)."""
        self.upload = widgets.FileUpload(accept=accept, multiple=False, description="upload")
        self.url = widgets.Text(placeholder="https://… or a local path", continuous_update=False)
        self.source = widgets.HTML()
        self.preview = widgets.Box(layout=widgets.Layout(width=f"{PREVIEW_WIDTH + 8}px"))
        self.note = widgets.HTML()
        self.error = widgets.HTML()
        self.upload.observe(self._uploaded, names="value")
        self.url.observe(self._typed, names="value")
        self.title = widgets.HTML(layout=widgets.Layout(width="120px", min_width="120px"))
        self.relabel(label)
        self.inputs = widgets.VBox(
            [widgets.HBox([self.upload, self.url]), self.source, self.note, self.error]
        )
        self.row = widgets.HBox([self.title, self.inputs, self.preview])

    def relabel(self, label: str) -> None:
        self.label = label
        self.title.value = f"<b>{html.escape(label)}</b>"

    def set(self, value: Any, name: str | None = None) -> None:
        """Use ``value`` (a path, URL or bytes) as this medium; None clears it."""
        self.value = bytes(value) if isinstance(value, bytearray | memoryview) else value
        self.name = name
        self.error.value = ""
        self.clip = None
        self.source.value = _source_html(self.value, name)
        shown = self.shown_as()
        if shown == "image":
            update_preview(self.preview, self.value, width=PREVIEW_WIDTH)
        else:
            self.preview.children = ()
        if shown == "clip":
            self._read_clip(self.value)
        for listener in self.changed:
            listener(self)

    def shown_as(self) -> Shows:
        """How the current value is previewed (``any``: as what the medium turns out to be)."""
        if self.shows != "any" or self.value is None:
            return self.shows
        kind = media.told_kind(self.value, self.role)
        if kind == "image":
            return "image"
        return "clip" if kind == "video" else "none"

    def _read_clip(self, value: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._show_clip(value, clip_facts(value, self.role))  # plain code: no loop to keep free
            return
        self.pending = spawn(self._clip_soon(value))

    async def _clip_soon(self, value: Any) -> None:
        facts = await asyncio.to_thread(clip_facts, value, self.role)
        if value is self.value:  # not replaced meanwhile
            self._show_clip(value, facts)

    def _show_clip(self, value: Any, facts: ClipFacts) -> None:
        self.clip = facts
        said = facts.text()
        if said:
            self.source.value = _source_html(value, self.name, said)
        if facts.poster is not None:
            self.preview.children = (
                widgets.Image(
                    value=facts.poster, format="jpeg", layout=widgets.Layout(max_width=f"{PREVIEW_WIDTH}px")
                ),
            )

    def enable(self, reason: str | None) -> None:
        """Enable the inputs, or disable them with ``reason`` shown beside them."""
        disabled = reason is not None
        self.upload.disabled = self.url.disabled = disabled
        self.note.value = f'<small style="color:#6b7280">{html.escape(reason)}</small>' if reason else ""

    def _uploaded(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return  # our own reset below
        upload = files[0]
        self.set(bytes(upload["content"]), name=str(upload["name"]))
        self.upload.value = ()

    def _typed(self, change: dict[str, Any]) -> None:
        text = str(change["new"]).strip()
        self.set(text or None)


def _source_html(value: Any, name: str | None, facts: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        shown = f"{name or 'upload'} ({len(value) / 1024:.0f} KB, uploaded)"
    elif isinstance(value, str) and value.startswith("data:"):
        shown = "inline data: URI"
    else:
        shown = os.fspath(value)
    if facts:
        shown += f" · {facts}"
    return f'<small style="color:#374151">{html.escape(shown)}</small>'


def error_html(message: str) -> str:
    """An error line under a field (escaped: messages may quote user input)."""
    return f'<div class="wan-field-error" style="color:#b91c1c;font-size:90%">⚠ {html.escape(message)}</div>'

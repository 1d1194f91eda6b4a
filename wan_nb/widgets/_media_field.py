"""One medium input of the form: a file upload or a URL/path, a preview, a note and an error line."""

from __future__ import annotations

import html
import os
from typing import Any

import ipywidgets as widgets

from wan_nb.widgets._preview import update_preview

__all__ = ["MediaField", "error_html"]

PREVIEW_WIDTH = 120


class MediaField:
    """An upload or a typed URL/path for one role (``first_frame``, ``last_frame``, ``driving_audio``).

    The last one chosen wins. An upload's bytes are read into a private attribute and the FileUpload is
    cleared, so the file does not also sit in the widget state (which a saved notebook may embed).
    """

    def __init__(self, role: str, label: str, *, accept: str, image: bool) -> None:
        self.role = role
        self.value: Any = None
        """The medium for the request: bytes (an upload), a URL or a path; None when empty."""
        self.name: str | None = None
        """The uploaded file's name (for "copy as code")."""
        self._image = image
        self.upload = widgets.FileUpload(accept=accept, multiple=False, description="upload")
        self.url = widgets.Text(placeholder="https://… or a local path", continuous_update=False)
        self.source = widgets.HTML()
        self.preview = widgets.Box(layout=widgets.Layout(width=f"{PREVIEW_WIDTH + 8}px"))
        self.note = widgets.HTML()
        self.error = widgets.HTML()
        self.upload.observe(self._uploaded, names="value")
        self.url.observe(self._typed, names="value")
        title = widgets.HTML(
            f"<b>{html.escape(label)}</b>", layout=widgets.Layout(width="120px", min_width="120px")
        )
        inputs = widgets.VBox([widgets.HBox([self.upload, self.url]), self.source, self.note, self.error])
        self.row = widgets.HBox([title, inputs, self.preview])

    def set(self, value: Any, name: str | None = None) -> None:
        """Use ``value`` (a path, URL or bytes) as this medium; None clears it."""
        self.value = bytes(value) if isinstance(value, bytearray | memoryview) else value
        self.name = name
        self.error.value = ""
        self.source.value = _source_html(self.value, name)
        if self._image:
            update_preview(self.preview, self.value, width=PREVIEW_WIDTH)

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


def _source_html(value: Any, name: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        shown = f"{name or 'upload'} ({len(value) / 1024:.0f} KB, uploaded)"
    elif isinstance(value, str) and value.startswith("data:"):
        shown = "inline data: URI"
    else:
        shown = os.fspath(value)
    return f'<small style="color:#374151">{html.escape(shown)}</small>'


def error_html(message: str) -> str:
    """An error line under a field (escaped: messages may quote user input)."""
    return f'<div class="wan-field-error" style="color:#b91c1c;font-size:90%">⚠ {html.escape(message)}</div>'

"""A small thumbnail of an image input, for the form and for each card.

A URL is shown by the browser itself (``<img src>``: no bytes through the kernel). Bytes and local files go
through ``ipywidgets.Image``, which sends them over the comm, so only below a cap: a 20 MB photo (the
service's limit) would cost a 20 MB message for a 96-pixel thumbnail, and again on every page reload.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from wan_nb.widgets import _shared

__all__ = ["PREVIEW_CAP", "preview", "update_preview"]

PREVIEW_CAP = 2 * 1024 * 1024
"""Largest image sent to the browser as a thumbnail."""


def preview(value: Any, *, width: int) -> widgets.Box:
    """A box holding the thumbnail of ``value`` (a URL, a path, bytes, or None for an empty box)."""
    box = widgets.Box(layout=_shared.layout(width=f"{width + 8}px", min_width=f"{width + 8}px"))
    update_preview(box, value, width=width)
    return box


def update_preview(box: widgets.Box, value: Any, *, width: int) -> None:
    """Replace the thumbnail in ``box``."""
    box.children = (_thumbnail(value, width),) if value is not None else ()


def _thumbnail(value: Any, width: int) -> widgets.Widget:
    if isinstance(value, str) and value.startswith(("https://", "http://", "data:")):
        if value.startswith("data:") and len(value) > PREVIEW_CAP:
            return _note("inline image", width)
        return widgets.HTML(
            f'<img src="{html.escape(value)}" style="max-width:{width}px;max-height:{width}px">'
        )
    data = _bytes_of(value)
    if data is None:
        return _note(
            os.path.basename(os.fspath(value)) if isinstance(value, str | os.PathLike) else "image", width
        )
    return widgets.Image(value=data, layout=_shared.layout(max_width=f"{width}px", max_height=f"{width}px"))


def _bytes_of(value: Any) -> bytes | None:
    """The image bytes when they are small enough to send, else None."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value) if len(value) <= PREVIEW_CAP else None
    if isinstance(value, str | os.PathLike):
        path = Path(value).expanduser()
        if path.is_file() and path.stat().st_size <= PREVIEW_CAP:
            return path.read_bytes()
    return None


def _note(text: str, width: int) -> widgets.HTML:
    return widgets.HTML(
        f'<div style="width:{width}px;color:#6b7280;font-size:85%">🖼 {html.escape(text)}</div>'
    )

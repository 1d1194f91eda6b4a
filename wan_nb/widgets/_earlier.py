"""A menu of the panel's earlier results that fills a media field: a finished video, or its first frame.

Chaining by hand: a result becomes the next try's reference (``Video 1``, or its first frame as ``Image 1``) or
the source of an edit, without saving and re-uploading it. The first frame is written as a JPEG beside the
video (``media.stills.poster``), in a worker thread while a loop runs (PyAV never blocks the kernel loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from wan_nb.loop import spawn
from wan_nb.widgets._media_field import MediaField

__all__ = ["EarlierMenu", "Results"]

Results = Callable[[], list[tuple[str, Path]]]
"""The panel's finished videos: (what a menu shows, the saved file), newest first."""
_FRAME = "frame:"
"""Marks a result's first frame in the menu (its still is made when picked)."""


class EarlierMenu(widgets.Dropdown):  # type: ignore[misc]  # ipywidgets is untyped
    """Picks an earlier result into ``field``; ``frames``: offer each result's first frame too (an image)."""

    def __init__(self, field: MediaField, results: list[tuple[str, Path]], *, frames: bool) -> None:
        super().__init__(layout=widgets.Layout(width="260px"))
        self.add_class("wan-earlier")
        self.field = field
        self.frames = frames
        self.pending: asyncio.Task[None] | None = None
        """The worker making a first frame (``await`` it in a test)."""
        self.offer(results)
        self.observe(self._picked, names="value")

    def offer(self, results: list[tuple[str, Path]]) -> None:
        """Show ``results`` (after a task finished); hidden while there are none."""
        options: list[tuple[str, str]] = [("an earlier result…", "")]
        for label, path in results:
            options.append((f"video · {label}", str(path)))
            if self.frames:
                options.append((f"first frame · {label}", _FRAME + str(path)))
        self.options = options
        self.value = ""  # no pick
        self.layout.display = "" if results else "none"

    def _picked(self, change: dict[str, Any]) -> None:
        chosen = str(change["new"] or "")
        if not chosen:
            return
        self.value = ""  # a menu of actions: picking the same one again works
        if not chosen.startswith(_FRAME):
            self.field.set(Path(chosen))
            return
        video = Path(chosen[len(_FRAME) :])
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.field.set(_first_frame(video))
            return
        self.pending = spawn(self._frame_soon(video))

    async def _frame_soon(self, video: Path) -> None:
        self.field.set(await asyncio.to_thread(_first_frame, video))


def _first_frame(video: Path) -> Path:
    from wan_nb.media.stills import poster

    return poster(video)

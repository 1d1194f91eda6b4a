"""A foldable section: a toggle button over a box, used instead of ``ipywidgets.Accordion``, which Colab's
widget manager breaks (issue 12). Only Button-family widgets and layout ``display`` are used: widgets every
ipywidgets 8 manager renders."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

__all__ = ["Fold"]


class Fold(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """``heading`` on a toggle; ``children`` shown below it while it is open."""

    def __init__(self, heading: str, children: list[widgets.Widget], *, expanded: bool = False) -> None:
        self.toggle = widgets.ToggleButton(value=expanded, layout=widgets.Layout(width="auto"))
        self.body = widgets.VBox(children)
        super().__init__([self.toggle, self.body])
        self.add_class("wan-fold")
        self.heading = heading
        self.toggle.observe(self._flip, names="value")
        self._flip()

    @property
    def heading(self) -> str:
        return str(self.toggle.description).removeprefix("▾ ").removeprefix("▸ ")

    @heading.setter
    def heading(self, text: str) -> None:
        self.toggle.description = ("▾ " if self.toggle.value else "▸ ") + text
        self.toggle.tooltip = text

    @property
    def expanded(self) -> bool:
        return bool(self.toggle.value)

    def _flip(self, _change: Any = None) -> None:
        self.body.layout.display = "" if self.toggle.value else "none"
        self.heading = self.heading

"""The provider picker and the key field.

The key is never kept in a synced trait: the Password widget syncs only on Enter/blur
(``continuous_update=False``), the panel reads the value at once, clears the widget and hands the key to a
client. A Password widget still sends its value to the kernel in clear text, and any synced value can be
saved in the notebook's widget state; an emptied field cannot leak it. The environment remains the better
place for a key (the picker marks providers whose key variable is set).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from wan_nb.client.providers import PROVIDERS, available_providers
from wan_nb.widgets._media_field import error_html

__all__ = ["ProviderPicker"]


class ProviderPicker(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Choose a provider (marked: key in the environment, key entered, or none needed) and enter a key."""

    def __init__(
        self, provider: str, *, on_change: Callable[[str], object], on_key: Callable[[str, str], object]
    ) -> None:
        self._entered: set[str] = set()
        self._on_key = on_key
        self._on_change = on_change
        self._refreshing = False
        self.dropdown = widgets.Dropdown(description="Provider", layout=widgets.Layout(width="300px"))
        self.key = widgets.Password(
            placeholder="API key (kept in memory only; press Enter)",
            continuous_update=False,
            layout=widgets.Layout(width="320px"),
        )
        self.key.add_class("wan-key")
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        self.refresh(provider)
        self.dropdown.observe(self._changed, names="value")
        self.key.observe(self._key_entered, names="value")
        super().__init__([widgets.HBox([self.dropdown, self.key]), self.status, self.error])

    @property
    def value(self) -> str:
        """The chosen provider's name."""
        return str(self.dropdown.value)

    def refresh(self, provider: str | None = None) -> None:
        """Rebuild the labels (which providers have a key) and select ``provider``."""
        chosen = provider or self.value
        ready = set(available_providers()) | self._entered
        options = [(_label(name, name in ready), name) for name in PROVIDERS]
        self._refreshing = True  # new labels are not a new choice: the form keeps its inputs
        try:
            with self.dropdown.hold_sync():
                self.dropdown.options = options
                self.dropdown.value = chosen
        finally:
            self._refreshing = False
        self.status.value = _status(chosen, ready)

    def flag(self, message: str) -> None:
        """Explain a problem with the provider or its key."""
        self.error.value = error_html(message)

    def clear(self) -> None:
        self.error.value = ""

    def _changed(self, change: dict[str, Any]) -> None:
        if not self._refreshing:
            self.status.value = _status(change["new"], set(available_providers()) | self._entered)
            self._on_change(change["new"])

    def _key_entered(self, change: dict[str, Any]) -> None:
        key = str(change["new"])
        if not key:
            return  # our own reset below
        self.key.value = ""  # out of the synced state before anything else can read or save it
        self._entered.add(self.value)
        self._on_key(self.value, key.strip())
        self.refresh()


def _label(name: str, ready: bool) -> str:
    row = PROVIDERS[name]
    mark = "no key needed" if row.key_env is None else ("✓ key" if ready else "no key")
    return f"{name} ({mark})"


def _status(name: str, ready: set[str]) -> str:
    row = PROVIDERS[name]
    if row.key_env is None:
        text = (
            f"The built-in simulator ({row.dialect} dialect): free synthetic videos, no key, works offline."
        )
    elif name in ready:
        text = f"Key available for {name} (${row.key_env} or entered above; never saved)."
    else:
        text = f"No key for {name}: set ${row.key_env} before starting Jupyter, or enter it above."
    return f'<small style="color:#6b7280">{html.escape(text)}</small>'

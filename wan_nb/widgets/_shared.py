"""Layout and style models shared by every widget that never changes them.

Every ipywidgets ``DOMWidget`` gets its own ``Layout`` (and most a ``...Style``) unless one is passed in, and
each of those is a widget model of its own: a comm opened on the kernel's loop (~0.3 ms each, traitlets'
defaults dominate), and one more state message on every page load. Half of a task card's 47 models were such
defaults. ipywidgets lets any number of views share one layout or style model (its "Styling" guide: "The
layout property can be shared between multiple widgets and assigned directly"), so the parts that keep a
fixed look take one model per distinct set of settings, made on first use.

Only for layouts and styles nobody assigns to afterwards: a widget that toggles its own ``layout.display``
(the code box, a chain bar, a fold's body) keeps a model of its own.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

__all__ = ["layout", "style_of"]

_MADE: dict[tuple[str, tuple[tuple[str, str], ...]], widgets.Widget] = {}


def layout(**settings: str) -> widgets.Layout:
    """The shared ``Layout`` with these settings (``layout()``: ipywidgets' defaults)."""
    found: widgets.Layout = _shared(widgets.Layout, settings)
    return found


def style_of(kind: type[widgets.DOMWidget]) -> widgets.Widget:
    """The shared default style model of widgets of ``kind`` (``HTML``, ``Button``, ``FloatProgress``...)."""
    return _shared(kind.style.klass, {})  # the class its ``style`` trait holds (an ``InstanceDict``)


def _shared(kind: type[widgets.Widget], settings: dict[str, Any]) -> Any:
    key = (kind.__name__, tuple(sorted(settings.items())))
    found = _MADE.get(key)
    if found is None or found.comm is None:  # closed (``Widget.close_all()``): make a live one
        found = _MADE[key] = kind(**settings)
    return found

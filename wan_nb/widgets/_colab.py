"""Colab renders ipywidgets 8 only through its custom widget manager, which a notebook must switch on
(``google.colab.output.enable_custom_widget_manager()``; without it a widget output is an empty box or a
"widget not supported" notice). The panel switches it on when it is made on Colab (the kernel has imported
``google.colab``: wan_nb.display.frontend), once per kernel."""

from __future__ import annotations

import importlib
import sys

__all__ = ["HOW", "enable_widget_manager"]

HOW = "from google.colab import output; output.enable_custom_widget_manager()"
_enabled = False


def enable_widget_manager() -> bool:
    """Switch Colab's custom widget manager on; True when it was done (now or before), False off Colab."""
    global _enabled
    if "google.colab" not in sys.modules:
        return False
    if not _enabled:
        importlib.import_module("google.colab.output").enable_custom_widget_manager()
        _enabled = True
    return True

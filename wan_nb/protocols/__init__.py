"""Pure translation between the common model and the three wire dialects (no I/O, no environment).

``dialect("unified" | "native" | "relay")`` returns the module; each provides the functions of
:class:`wan_nb.protocols.base.Dialect`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from wan_nb.protocols import native, relay, unified
from wan_nb.protocols._common import retry_after
from wan_nb.protocols.base import Call, Dialect, UploadPolicy

__all__ = ["DIALECTS", "Call", "Dialect", "UploadPolicy", "dialect", "retry_after"]

DIALECTS: Final[dict[str, ModuleType]] = {module.NAME: module for module in (unified, native, relay)}


def dialect(name: str) -> ModuleType:
    """The dialect module by name; ValueError naming the choices otherwise."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}") from None

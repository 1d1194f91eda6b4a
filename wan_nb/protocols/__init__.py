"""Pure translation between the common model and the three wire dialects (no I/O, no environment).

``dialect("unified" | "native" | "relay")`` returns the dialect object (a :class:`~wan_nb.protocols.base.Dialect`):
its ``capabilities`` say what it can do, its methods build calls and parse answers. Code outside this package asks
the capabilities and never compares a dialect's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from wan_nb.protocols import native, relay, unified
from wan_nb.protocols._common import retry_after
from wan_nb.protocols.base import Call, Capabilities, Dialect, LocalMedia, UploadPolicy

__all__ = [
    "DIALECTS",
    "Call",
    "Capabilities",
    "Dialect",
    "LocalMedia",
    "UploadPolicy",
    "dialect",
    "retry_after",
]

DIALECTS: Final[Mapping[str, Dialect]] = MappingProxyType(
    {wire.name: wire for wire in (unified.DIALECT, native.DIALECT, relay.DIALECT)}
)


def dialect(name: str) -> Dialect:
    """The dialect object by name; ValueError naming the choices otherwise."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}") from None

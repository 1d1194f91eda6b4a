"""Pure translation between the common model and the three wire dialects (no I/O, no environment).

``dialect("unified" | "native" | "relay")`` returns the dialect: its module, a :class:`~wan_nb.protocols.base.Dialect`.
Its ``capabilities`` say what it can do, its functions build calls and parse answers, its ``uploads`` is DashScope's
temporary upload or None. Code outside this package asks the capabilities and never compares a dialect's name,
nor imports a dialect module (``tests/unit/test_layers.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from wan_nb.protocols import native, relay, unified
from wan_nb.protocols._common import retry_after
from wan_nb.protocols.base import Call, Capabilities, Dialect, LocalMedia, UploadPolicy, Uploads

__all__ = [
    "DIALECTS",
    "Call",
    "Capabilities",
    "Dialect",
    "LocalMedia",
    "UploadPolicy",
    "Uploads",
    "dialect",
    "retry_after",
]

# Typed as Dialect: mypy checks each module against the protocol here (a missing or mistyped member is an error).
DIALECTS: Final[Mapping[str, Dialect]] = MappingProxyType(
    {"unified": unified, "native": native, "relay": relay}
)


def dialect(name: str) -> Dialect:
    """The dialect (its module) by name; ValueError naming the choices otherwise."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}") from None

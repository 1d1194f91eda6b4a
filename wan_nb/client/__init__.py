"""The client room: ``AsyncWanClient`` and what it stands on (providers, polling, retries, journal, downloads).

Imports only from ``wan_nb.protocols`` and below; never ipywidgets, the panel or the CLI.
"""

from __future__ import annotations

from wan_nb.client._batch import BatchItem
from wan_nb.client._budget import Budget
from wan_nb.client._poll import PollSchedule
from wan_nb.client.client import AsyncWanClient, capabilities_of, estimate_on
from wan_nb.client.journal import Journal, JournalEntry
from wan_nb.client.providers import PROVIDERS, Provider, available_providers
from wan_nb.protocols.base import Capabilities

__all__ = [
    "PROVIDERS",
    "AsyncWanClient",
    "BatchItem",
    "Budget",
    "Capabilities",
    "Journal",
    "JournalEntry",
    "PollSchedule",
    "Provider",
    "available_providers",
    "capabilities_of",
    "estimate_on",
]

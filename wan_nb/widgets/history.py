"""Earlier tasks from the journal, shown as cards and re-attached.

Every submit is journaled before it returns (``$WAN_NB_HOME/journal.sqlite3``), so tasks from an earlier
session or from before a kernel restart can be found again: unfinished ones are followed to the end, and
finished ones whose file is missing are downloaded while their result URL still lives (24 h). The embedded
simulator persists its tasks under ``$WAN_NB_HOME/sim``, so this works offline too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from wan_nb.client import AsyncWanClient, JournalEntry
from wan_nb.models import TaskStatus
from wan_nb.widgets._code import resume_snippet
from wan_nb.widgets._fold import Fold
from wan_nb.widgets.card import TaskCard

__all__ = ["HISTORY_LIMIT", "History", "needs_attention"]

HISTORY_LIMIT = 10
"""Finished tasks shown (the newest); unfinished ones are always shown, since they are re-attached."""


def needs_attention(entry: JournalEntry) -> bool:
    """True when the task should be followed (unfinished) or fetched (succeeded, file missing)."""
    if not entry.status.is_terminal:
        return True
    return entry.status is TaskStatus.SUCCEEDED and not entry.downloaded


class History(Fold):
    """A foldable list of cards for the journaled tasks of one provider (open when one needs attention)."""

    def __init__(self, client: AsyncWanClient, *, make_card: Callable[[JournalEntry], TaskCard]) -> None:
        self.entries = _pick(client.journal.entries(provider=client.provider) if client.journal else [])
        self.cards = [make_card(entry) for entry in self.entries]
        super().__init__(
            f"Earlier tasks on {client.provider} ({len(self.cards)})",
            self.cards,
            expanded=any(needs_attention(e) for e in self.entries),
        )
        self.layout.display = "" if self.cards else "none"


def _pick(entries: list[JournalEntry]) -> list[JournalEntry]:
    """Newest first: every entry that needs attention, plus the newest finished ones."""
    newest = sorted(entries, key=lambda e: e.created, reverse=True)
    finished = [e for e in newest if not needs_attention(e)][:HISTORY_LIMIT]
    return [e for e in newest if needs_attention(e) or e in finished]


def card_for(entry: JournalEntry, make: Callable[..., TaskCard]) -> TaskCard:
    """A card (built by ``make(**options)``) showing the entry's last recorded state.

    The caller re-attaches it when :func:`needs_attention` says so.
    """
    task = entry.to_task()
    age = max(0.0, time.time() - entry.created)
    card = make(
        prompt=str(entry.request.get("prompt", "")),
        title=time.strftime("earlier · %d %b %H:%M", time.localtime(entry.created)),
        started=time.monotonic() - age,
        timed=not task.done,  # how long a task took is not journaled; its age is not its run time
    )
    card.set_code(resume_snippet(task.id, entry.provider))
    card.show(task)
    if task.path is not None:
        card.play(task)
    return card

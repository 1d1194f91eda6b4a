"""Earlier tasks from the journal, as a gallery: posters, a filter by prompt text and status, re-open.

Every submit is journaled before it returns (``$WAN_NB_HOME/journal.sqlite3``), so tasks from an earlier
session or from before a kernel restart can be found again: unfinished ones are followed to the end, and
finished ones whose file is missing are downloaded while their result URL still lives (24 h). A try chained
from another (``wan_nb.lab.chain``: the journal keeps its ``parent``) sits under it, indented, its card saying
"↳ from <id>", so a chain of edits reads top to bottom; chains with the newest tries come first. The embedded
simulator persists its tasks under ``$WAN_NB_HOME/sim``, so this works offline too. Each card shows the stills
of its saved video (made in a worker thread once the loop runs) and a *re-open* button that fills the form with
the journaled request (the journal keeps media by name only, so the form keeps its own media).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import ipywidgets as widgets

from wan_nb.client import AsyncWanClient, JournalEntry
from wan_nb.display.inputs import journaled_inputs_html
from wan_nb.models import TaskStatus, VideoRequest
from wan_nb.widgets._code import resume_snippet
from wan_nb.widgets._fold import Fold
from wan_nb.widgets._lab import stills
from wan_nb.widgets.card import TaskCard

__all__ = ["HISTORY_LIMIT", "STATUS_CHOICES", "History", "lineage", "needs_attention"]

HISTORY_LIMIT = 24
"""Finished tasks shown (the newest); unfinished ones are always shown, since they are re-attached."""
COLUMNS = 3
INDENT = 16
"""Pixels a chained try is indented under its parent, per step (at most :data:`MAX_INDENT` steps)."""
MAX_INDENT = 4
STATUS_CHOICES = [("any status", ""), *((status.value.lower(), status.value) for status in TaskStatus)]

Reopen = Callable[..., object]
"""``panel.prefill(request, note, media=False)``."""


def needs_attention(entry: JournalEntry) -> bool:
    """True when the task should be followed (unfinished) or fetched (succeeded, file missing)."""
    if not entry.status.is_terminal:
        return True
    return entry.status is TaskStatus.SUCCEEDED and not entry.downloaded


class History(Fold):
    """A foldable list of cards for the journaled tasks of one provider (open when one needs attention)."""

    def __init__(
        self,
        client: AsyncWanClient,
        *,
        make_card: Callable[[JournalEntry], TaskCard],
        reopen: Reopen | None = None,
    ) -> None:
        journaled = client.journal.entries(provider=client.provider) if client.journal else []
        placed = lineage(_pick(journaled), journaled)
        self.entries = [entry for entry, _ in placed]
        self.depths = [depth for _, depth in placed]
        """How many parents up each entry's chain has among the shown ones (0: it starts a chain)."""
        self.cards = [make_card(entry) for entry in self.entries]
        for card, depth in zip(self.cards, self.depths, strict=True):
            if depth:
                card.layout.margin = f"4px 0 4px {min(depth, MAX_INDENT) * INDENT}px"
                card.add_class("wan-child")
        self.requests = [entry.to_request() for entry in self.entries]
        if reopen is not None:
            for entry, card, request in zip(self.entries, self.cards, self.requests, strict=True):
                card.actions.children = (*card.actions.children, _reopen_button(entry, request, reopen))
        self.text = widgets.Text(placeholder="filter by prompt text", continuous_update=True)
        self.status = widgets.Dropdown(options=STATUS_CHOICES, value="", description="")
        self.text.observe(lambda _change: self.apply_filter(), names="value")
        self.status.observe(lambda _change: self.apply_filter(), names="value")
        self.shown = widgets.HTML()
        self.box = widgets.GridBox(
            self.cards,
            layout=widgets.Layout(grid_template_columns=f"repeat({COLUMNS}, minmax(0, 1fr))", grid_gap="6px"),
        )
        self.box.add_class("wan-history-gallery")
        super().__init__(
            f"Earlier tasks on {client.provider} ({len(self.cards)})",
            [widgets.VBox([widgets.HBox([self.text, self.status, self.shown]), self.box])],
            expanded=any(needs_attention(e) for e in self.entries),
        )
        self.layout.display = "" if self.cards else "none"

    def apply_filter(self) -> list[TaskCard]:
        """Show the cards whose prompt contains the filter text (any case) and whose status is the chosen one."""
        words = self.text.value.strip().lower()
        status = self.status.value
        shown = [
            card
            for entry, card in zip(self.entries, self.cards, strict=True)
            if words in card.prompt.lower()
            and (not status or card.state == status or entry.status.value == status)
        ]
        self.box.children = tuple(shown)
        self.shown.value = f'<small style="color:#6b7280">{len(shown)} of {len(self.cards)}</small>'
        return shown

    async def load_posters(self) -> None:
        """Show the stills of every saved video (decoded in a worker thread, one at a time)."""
        for card in self.cards:
            task = card.task
            if task is not None and task.path is not None:
                sheet = await stills(task)
                if sheet is not None:
                    card.show_poster(sheet)


def _reopen_button(entry: JournalEntry, request: VideoRequest, reopen: Reopen) -> widgets.Button:
    button = widgets.Button(description="re-open", icon="edit", tooltip="Fill the form with this request")
    button.add_class("wan-reopen")
    note = f"re-opened task {entry.task_id} (its media are not journaled: the form keeps its own)"
    again = replace(
        request, parent=entry.task_id
    )  # a rerun comes from this try, as chain.edit_and_rerun says
    button.on_click(lambda _b: reopen(again, note, media=False))
    return button


def _pick(entries: list[JournalEntry]) -> list[JournalEntry]:
    """Newest first: every entry that needs attention, plus the newest finished ones."""
    newest = sorted(entries, key=lambda e: e.created, reverse=True)
    finished = [e for e in newest if not needs_attention(e)][:HISTORY_LIMIT]
    return [e for e in newest if needs_attention(e) or e in finished]


def lineage(shown: list[JournalEntry], journaled: list[JournalEntry]) -> list[tuple[JournalEntry, int]]:
    """``shown`` and the ancestors of each (from ``journaled``, so a chain is whole), each with its depth:
    every chain's first try, then its children depth first (oldest first, as they were made); the chains whose
    newest try is newest come first."""
    known = {entry.task_id: entry for entry in journaled}
    picked = {entry.task_id: entry for entry in shown}
    for entry in shown:
        parent, seen = entry.parent, {entry.task_id}
        while parent is not None and parent in known and parent not in seen:  # a cycle stops the walk
            picked.setdefault(parent, known[parent])
            seen.add(parent)
            parent = known[parent].parent
    children: dict[str, list[JournalEntry]] = {}
    roots = []
    for entry in sorted(picked.values(), key=lambda e: (e.created, e.task_id)):
        if entry.parent is not None and entry.parent in picked and entry.parent != entry.task_id:
            children.setdefault(entry.parent, []).append(entry)
        else:
            roots.append(entry)
    placed: list[tuple[JournalEntry, int]] = []
    done: set[str] = set()

    def place(entry: JournalEntry, depth: int) -> None:
        if entry.task_id in done:
            return
        done.add(entry.task_id)
        placed.append((entry, depth))
        for child in children.get(entry.task_id, []):
            place(child, depth + 1)

    for root in sorted(roots, key=lambda e: _newest(e, children, set()), reverse=True):
        place(root, 0)
    for entry in picked.values():  # a cycle with no root: shown flat rather than lost
        place(entry, 0)
    return placed


def _newest(entry: JournalEntry, children: dict[str, list[JournalEntry]], seen: set[str]) -> float:
    seen.add(entry.task_id)
    below = [_newest(c, children, seen) for c in children.get(entry.task_id, []) if c.task_id not in seen]
    return max([entry.created, *below])


def card_for(entry: JournalEntry, make: Callable[..., TaskCard]) -> TaskCard:
    """A card (built by ``make(**options)``) showing the entry's last recorded state.

    The caller re-attaches it when :func:`needs_attention` says so.
    """
    task = entry.to_task()
    age = max(0.0, time.time() - entry.created)
    card = make(
        request=entry.to_request(),  # chain buttons work from it; its media are not journaled
        prompt=str(entry.request.get("prompt", "")),
        title=time.strftime("earlier · %d %b %H:%M", time.localtime(entry.created)),
        started=time.monotonic() - age,
        timed=not task.done,  # how long a task took is not journaled; its age is not its run time
    )
    card.inputs.value = journaled_inputs_html(entry.request.get("media"))  # the journal names them only
    card.set_code(resume_snippet(task.id, entry.provider))
    card.show(task)
    if task.path is not None:
        card.play(task)
    return card

"""The form's reference list: rows of images and videos (Wan 3.0: audio too), each named as the prompt names it.

References-to-video and Wan 3.0 read the prompt's "Image 1", "Video 2" (family.md §2.2: numbered per kind, in
the order given), so each row is labelled with exactly that name, renumbered as rows are added, removed or
changed. A row's medium is a picked file, a URL or path, or an earlier result of the panel (a finished card's
video, or its first frame); an optional voice (r2v's ``reference_voice``) shows only where the model takes one.
How many rows, and of which kinds, comes from the model's row (``spec.references``, ``spec.reference_kinds``).
Another task keeps the rows: one of a kind the new task does not take is labelled "Video (not taken)", numbered
with no other, explained beside it and in the count, and its chosen kind is kept (for the task it came from);
:meth:`ReferenceList.refusal` says why the list cannot be sent as it is, before Generate.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from wan_nb import media
from wan_nb.family import WAN27_R2V, ModelSpec, ReferenceKind
from wan_nb.models import Reference
from wan_nb.widgets._earlier import EarlierMenu, Results
from wan_nb.widgets._media_field import MediaField

__all__ = ["ReferenceList", "ReferenceRow"]

_ACCEPT = {
    "image": "image/*",
    "video": "video/mp4,video/quicktime,.mp4,.mov",
    "audio": "audio/*,.wav,.mp3",
}
_NOUN: dict[ReferenceKind, str] = {"image": "Image", "video": "Video", "audio": "Audio"}
_PLURAL: dict[ReferenceKind, str] = {"image": "images", "video": "videos", "audio": "audio clips"}


def _accepting(kinds: tuple[ReferenceKind, ...]) -> str:
    """A file input's ``accept`` for ``kinds``."""
    return ",".join(_ACCEPT[kind] for kind in kinds)


class ReferenceRow:
    """One reference: its medium (upload, URL/path or an earlier result), its kind, an optional voice."""

    def __init__(self, owner: ReferenceList) -> None:
        self.owner = owner
        kinds = owner.kinds_taken()
        self.field = MediaField("references", "Reference", accept=_accepting(kinds), shows="any")
        self.kind = widgets.Dropdown(
            options=_kind_options(kinds), value="", layout=widgets.Layout(width="190px")
        )
        self.voice = MediaField("voice", "Voice (optional)", accept=_ACCEPT["audio"], shows="none")
        self.remove = widgets.Button(description="remove", icon="trash", layout=widgets.Layout(width="auto"))
        self.earlier = EarlierMenu(self.field, owner.results(), frames=True)
        self.field.changed.append(lambda _field: owner.renumber())
        self.voice.changed.append(lambda _field: owner.renumber())
        self.kind.observe(lambda _change: owner.renumber(), names="value")
        self.remove.on_click(lambda _button: owner.remove(self))
        # The row's own controls sit under its upload and URL, beside its label.
        self.field.inputs.children = (
            *self.field.inputs.children,
            widgets.HBox([self.kind, self.earlier, self.remove]),
        )
        self.box = widgets.VBox([self.field.row, self.voice.row])
        self.box.add_class("wan-reference")
        self.show_voice(owner.spec.voices)

    @property
    def value(self) -> Any:
        return self.field.value

    def kind_now(self) -> ReferenceKind | None:
        """The kind chosen in the menu, else what the medium says (None: cannot tell, or empty)."""
        chosen = str(self.kind.value)
        if chosen in _NOUN:
            return _kind(chosen)
        if self.field.value is None:
            return None
        return media.told_kind(self.field.value, "references")

    def reference(self) -> Reference | None:
        """The row as a :class:`Reference` (None when no medium is picked)."""
        if self.field.value is None:
            return None
        voice = self.voice.value if self.owner.spec.voices else None
        chosen = str(self.kind.value)
        return Reference(self.field.value, voice=voice, kind=_kind(chosen) if chosen in _NOUN else None)

    def show_voice(self, shown: bool) -> None:
        self.voice.row.layout.display = "" if shown else "none"

    def offer_kinds(self, kinds: tuple[ReferenceKind, ...], chosen: str | None = None) -> None:
        """Offer ``kinds`` in the menu, keeping the chosen kind (or choosing ``chosen``): a kind the task does
        not take stays chosen, marked, so the row says why it is refused and the choice is there again when
        the user goes back to a task that takes it (setting a Dropdown's options resets its value)."""
        kept = str(self.kind.value) if chosen is None else chosen
        options = _kind_options(kinds)
        if kept and kept not in kinds:
            options.append((f"kind: {kept} (not taken here)", kept))
        with self.owner.settling():
            self.kind.options = options
            self.kind.value = kept
        self.field.upload.accept = _accepting(kinds)  # the file picker offers what this task takes


class ReferenceList(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """The rows, an "add a reference" button, and a line saying how many the model takes."""

    def __init__(self, results: Results | None = None, spec: ModelSpec = WAN27_R2V) -> None:
        self.results: Results = results or list
        self.spec = spec
        self.rows: list[ReferenceRow] = []
        self.changed: list[Callable[[], object]] = []
        """Called after the references change (the prompt's hint and the estimate follow)."""
        self.add = widgets.Button(
            description="add a reference", icon="plus", layout=widgets.Layout(width="auto")
        )
        self.add.add_class("wan-add-reference")
        self.add.on_click(lambda _button: self.add_row())
        self.note = widgets.HTML()
        self.rows_box = widgets.VBox()
        self._settling = False
        super().__init__(
            [widgets.HTML("<b>References</b>"), self.rows_box, widgets.HBox([self.add, self.note])]
        )
        self.add_class("wan-references")
        self.renumber()

    def kinds_taken(self) -> tuple[ReferenceKind, ...]:
        return tuple((self.spec.reference_kinds or {"image": 0, "video": 0}).keys())

    def set_spec(self, spec: ModelSpec) -> None:
        """Follow the task's model: its count, kinds and voices (rows beyond them stay, explained)."""
        self.spec = spec
        for row in self.rows:
            row.show_voice(spec.voices)
            row.offer_kinds(self.kinds_taken())
        self.renumber()

    @contextmanager
    def settling(self) -> Iterator[None]:
        """Hold the renumbering (and the listeners after it) while a row's menu is rebuilt."""
        held, self._settling = self._settling, True
        try:
            yield
        finally:
            self._settling = held

    def not_taken(self, kind: ReferenceKind | None) -> bool:
        """Whether a row of ``kind`` is one the task does not take (refused at Generate, named by no prompt)."""
        return kind is not None and kind not in self.kinds_taken()

    def add_row(
        self, value: Any = None, *, voice: Any = None, kind: ReferenceKind | None = None
    ) -> ReferenceRow:
        """A new row at the end (filled with ``value`` when given)."""
        row = ReferenceRow(self)
        self.rows.append(row)
        self.rows_box.children = tuple(r.box for r in self.rows)
        if kind is not None:
            row.offer_kinds(self.kinds_taken(), kind)
        if voice is not None:
            row.voice.set(voice)
        if value is not None:
            row.field.set(value)
        self.renumber()
        return row

    def remove(self, row: ReferenceRow) -> None:
        self.rows.remove(row)
        self.rows_box.children = tuple(r.box for r in self.rows)
        self.renumber()

    def fill(self, references: tuple[Reference, ...]) -> None:
        """Show ``references`` (a chained or re-opened request), one row each."""
        self.rows = []
        self.rows_box.children = ()
        for reference in references:
            self.add_row(reference.medium, voice=reference.voice, kind=reference.kind)
        self.renumber()

    def references(self) -> tuple[Reference, ...]:
        """The filled rows, in order."""
        return tuple(found for row in self.rows if (found := row.reference()) is not None)

    def kinds(self) -> list[ReferenceKind | None]:
        """Each filled row's kind, in order (as validation numbers them)."""
        return [row.kind_now() for row in self.rows if row.value is not None]

    def names(self) -> list[str]:
        """Each row's label: "Image 1", "Video 1"... per kind in order; an empty or unknown row, or one of a
        kind the task does not take ("Video (not taken)"), says so."""
        counts: dict[ReferenceKind, int] = {}
        labels = []
        for row in self.rows:
            if row.value is None:
                labels.append("(empty)")
                continue
            kind = row.kind_now()
            if kind is None:
                labels.append("Reference ?")
                continue
            if self.not_taken(kind):
                labels.append(f"{_NOUN[kind]} (not taken)")
                continue
            counts[kind] = counts.get(kind, 0) + 1
            labels.append(f"{_NOUN[kind]} {counts[kind]}")
        return labels

    def offer(self, results: list[tuple[str, Path]]) -> None:
        """Refresh each row's menu of earlier results (after a task finished)."""
        for row in self.rows:
            row.earlier.offer(results)

    def named_kinds(self) -> list[ReferenceKind | None]:
        """The kinds the prompt may name, in order: :meth:`kinds` without a row of a kind the task does not
        take (its label names no number; numbering is per kind, so the others keep theirs)."""
        return [kind for kind in self.kinds() if not self.not_taken(kind)]

    def refusal(self) -> str | None:
        """Why the rows cannot be sent to the task's model as they are (a kind it does not take, more than it
        takes, in all or of a kind), as validation will refuse them at Generate; None when they can (or the
        task takes no references: then none are sent)."""
        most = self.spec.references[1]
        if not most:
            return None
        for row, label in zip(self.rows, self.names(), strict=True):
            kind = row.kind_now() if row.value is not None else None
            if kind is not None and self.not_taken(kind):
                takes = " and ".join(_PLURAL[k] for k in self.kinds_taken())
                return f"{label}: {self.spec.model} takes {takes} as references, not {_PLURAL[kind]}"
        kinds = self.kinds()
        if len(kinds) > most:
            return f"{len(kinds)} references; {self.spec.model} takes at most {most}"
        for kind, cap in (self.spec.reference_kinds or {}).items():
            if kinds.count(kind) > cap:
                return f"{kinds.count(kind)} {_PLURAL[kind]}; {self.spec.model} takes at most {cap}"
        return None

    def renumber(self) -> None:
        if self._settling:
            return
        for row, label in zip(self.rows, self.names(), strict=True):
            row.field.relabel(label)
            kind = row.kind_now() if row.value is not None else None
            row.field.note.value = (
                '<small style="color:#b45309">cannot tell an image from a video: pick its kind</small>'
                if label == "Reference ?"
                else f'<small style="color:#b91c1c">{html.escape(_not_taken_text(self.spec, kind))}</small>'
                if kind is not None and self.not_taken(kind)
                else ""
            )
        most = self.spec.references[1]
        self.add.disabled = len(self.rows) >= most
        self.note.value = _count_html(self.spec, self.kinds())
        for listener in self.changed:
            listener()


def _count_html(spec: ModelSpec, kinds: list[ReferenceKind | None]) -> str:
    fewest, most = spec.references
    caps = spec.reference_kinds or {}
    said = [f"{len(kinds)} of {fewest}-{most}" if fewest else f"{len(kinds)} of at most {most}"]
    said.append(", ".join(f"{_PLURAL[kind]} ≤ {cap}" for kind, cap in caps.items()))
    if spec.frames_exclude_references:  # Wan 3.0 (family.md §6)
        said.append("frames or references, never both")
    refused = sorted({kind for kind in kinds if kind is not None and kind not in caps})
    if refused:
        said.append(" and ".join(_PLURAL[kind] for kind in refused) + " not taken: remove them")
    over = [kind for kind, cap in caps.items() if kinds.count(kind) > cap]
    colour = "#b91c1c" if over or refused or len(kinds) > most else "#6b7280"
    text = " · ".join(said) + "; the prompt names them as labelled (Image 1, Video 1…)"
    return f'<small style="color:{colour}">{html.escape(text)}</small>'


def _not_taken_text(spec: ModelSpec, kind: ReferenceKind) -> str:
    """``wan2.7-videoedit takes images as references, not videos: remove this one, or pick a task that takes
    videos`` (validation's refusal at Generate, said as soon as the task changes)."""
    takes = " and ".join(_PLURAL[k] for k in spec.reference_kinds or {})
    return (
        f"{spec.model} ({spec.task_name}) takes {takes} as references, not {_PLURAL[kind]}: remove this one, "
        f"or pick a task that takes {_PLURAL[kind]}"
    )


def _kind_options(kinds: tuple[ReferenceKind, ...]) -> list[tuple[str, str]]:
    return [("kind: from the file", ""), *((f"kind: {kind}", kind) for kind in kinds)]


def _kind(name: str) -> ReferenceKind:
    by_name: dict[str, ReferenceKind] = {"image": "image", "video": "video", "audio": "audio"}
    return by_name[name]

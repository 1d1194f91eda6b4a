"""The prompt lab's pieces of the panel: the rewrite diff, chain buttons, estimates and the budget line.

- :func:`rewrite_html`: the user's prompt against the service's ``actual_prompt`` (``wan_nb.lab.promptdiff``).
- :class:`ChainBar`: on a finished card, *reuse seed*, *last frame → next* (*animate this frame* where the try
  takes no frame), *continue clip*, *edit & rerun*, *edit this clip*, *use as a reference*, *same prompt, other
  task…*; each builds the next request with ``wan_nb.lab.chain`` (``parent`` = the card's task) and hands it to
  the panel, which fills the form with it.
- :func:`estimate_html`: "12 tasks × 5 s · 720P · wan2.7-i2v ≈ ¥36.00, about 10 min at 2 at once", and the budget's
  spent / left, shown beside Generate and above a grid before it is run, priced for the picked provider (no
  client needed); an edit without its source gets no price but what it waits for, and a form that cannot be
  sent as it is (:meth:`InputForm.refusal`) no price but why.
- :func:`stills`: the contact sheet a card shows, made in a worker thread (PyAV decodes off the kernel loop).
"""

from __future__ import annotations

import asyncio
import functools
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import ipywidgets as widgets

from wan_nb.client import capabilities_of, estimate_on
from wan_nb.errors import ValidationError, WanError
from wan_nb.family import MODELS, ModelSpec, spec_of
from wan_nb.lab import chain
from wan_nb.lab.pricing import Estimate, input_seconds, money, output_seconds
from wan_nb.lab.promptdiff import diff
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.validation import unnamed_reference

if TYPE_CHECKING:
    from wan_nb.client import AsyncWanClient, Budget, Capabilities
    from wan_nb.validation import Carriage
    from wan_nb.widgets.compare import CompareView
    from wan_nb.widgets.inputs import InputForm

__all__ = [
    "ACTIONS",
    "Action",
    "ChainBar",
    "ChainButtons",
    "Estimates",
    "budget_refusal",
    "estimate_html",
    "refusal_html",
    "rewrite_html",
    "seconds_text",
    "stills",
]

STILLS = 3
"""Frames in a card's contact sheet: the first, the middle and the last show the camera's move at a glance."""
STILL_WIDTH = 160

Fill = Callable[[VideoRequest, str], object]
"""What the panel does with a chained request: fill the form (and say where it came from)."""
Say = Callable[[str], object]
"""Where a refused chain action is explained (the panel's message line)."""


class Holder(Protocol):
    """What :class:`ChainButtons` needs of a card (a ``TaskCard``, which shows this module's rewrite diff):
    the request it ran, and the row of actions its bar joins."""

    @property
    def request(self) -> VideoRequest | None: ...

    @property
    def actions(self) -> Any: ...  # an ipywidgets.HBox (ipywidgets is untyped)


class Build(Protocol):
    """A ``wan_nb.lab.chain`` call: the chained request (ValidationError where it cannot be made)."""

    def __call__(
        self, task: Task, request: VideoRequest, *, dialect: Carriage | None = None
    ) -> VideoRequest: ...


@dataclass(frozen=True, slots=True)
class Action:
    """One chain button: its name (the widget's value), label, tooltip, and the ``wan_nb.lab.chain`` call it makes.

    ``build`` None: the action opens the choice of tasks (*same prompt, other task*). Each is offered only where
    its request validates for the dialect (the reason kept in ``ChainBar.refusals``): a history card's request
    has no media (the journal keeps their names only), so what needs them is not offered there (*re-open*
    keeps the form's media instead). ``frameless_label``: the label on a try whose model takes no frame (the
    action then changes the task).
    """

    name: str
    label: str
    tip: str
    build: Build | None
    frameless_label: str = ""


def takes_frame(request: VideoRequest) -> bool:
    """Whether the try's model starts from a frame: its last frame then starts the next try on the same model;
    otherwise (text, edits) it is animated on image-to-video (``chain.animate_frame``)."""
    return spec_of(request.chosen_model).takes("first_frame")


def _from_last_frame(task: Task, request: VideoRequest, *, dialect: Carriage | None = None) -> VideoRequest:
    if takes_frame(request):
        return chain.next_from_last_frame(task, request, dialect=dialect)
    return chain.animate_frame(task, request, at="last", dialect=dialect)


def _as_reference(task: Task, request: VideoRequest, *, dialect: Carriage | None = None) -> VideoRequest:
    # The prompt must name the new reference ("Image 1", family.md §2.2): the earlier prompt follows, to edit,
    # unless it names references the new request no longer has (an r2v try's "Image 2"): then "Image 1" alone.
    prompt = f"Image 1: {request.prompt}" if request.prompt.strip() else "Image 1"
    if unnamed_reference(prompt, ["image"]) is not None:
        prompt = "Image 1"
    return chain.as_reference(task, request, prompt=prompt, dialect=dialect)


OTHER_TASK = "other_task"
"""The action that opens the choice of targets (:data:`TARGETS`) in the same row of buttons."""
BACK = "back"

ACTIONS: tuple[Action, ...] = (
    Action("reuse_seed", "reuse seed", "Fill the form with this try's request and seed", chain.reuse_seed),
    Action(
        "next_from_last_frame",
        "last frame → next",
        "Start the next try from this video's last frame (image-to-video where this task takes no frame)",
        _from_last_frame,
        frameless_label="animate this frame",
    ),
    Action(
        "continue_clip",
        "continue clip",
        "Continue this video (native first_clip)",
        chain.continue_clip,
    ),
    Action(
        "edit_and_rerun",
        "edit & rerun",
        "Fill the form with this try's request, to edit and send again",
        chain.edit_and_rerun,
    ),
    Action(
        "edit_clip",
        "edit this clip",
        "Video editing of this result: type the instruction (wan2.7-videoedit)",
        chain.edit_clip,
    ),
    Action(
        "as_reference",
        "use as a reference",
        "References-to-video with this video's last frame as Image 1 (wan2.7-r2v)",
        _as_reference,
    ),
    Action(
        OTHER_TASK,
        "same prompt, other task…",
        "The same prompt, seed and settings on another task",
        None,
    ),
)
_BY_NAME = {action.name: action for action in ACTIONS}


def _first_of_each_task() -> tuple[ModelSpec, ...]:
    found: dict[str, ModelSpec] = {}
    for spec in MODELS.values():
        found.setdefault(spec.task, spec)
    return tuple(found.values())


TARGETS = _first_of_each_task()
"""One model per task of the family (the table's first row of each): where *same prompt, other task* goes."""


def rewrite_html(prompt: str, actual: str | None) -> str:
    """The word diff of ``actual`` against ``prompt``; empty when the service used the prompt as written."""
    if not actual or actual.strip() == prompt.strip():
        return ""
    shown = diff(prompt, actual)
    return (
        '<div class="wan-rewrite"><small style="color:#6b7280">the service rewrote the prompt '
        "(prompt_extend):</small>" + shown.html() + "</div>"
    )


class ChainBar(widgets.ToggleButtons):  # type: ignore[misc]  # ipywidgets is untyped
    """The chain actions of one card, as one row of buttons (one widget model, not one per button: a grid of
    cards stays light); offered once its task succeeded and its video is on disk, each only where it works.
    *same prompt, other task…* turns the same row into the choice of tasks (and *back*)."""

    def __init__(self, request: VideoRequest | None, dialect: Capabilities, fill: Fill, say: Say) -> None:
        self.request = request
        self.dialect = dialect
        self._fill = fill
        self._say = say
        self.task: Task | None = None
        self.refusals: dict[str, str] = {}
        """Why an action is not offered for the current task (its name → the reason)."""
        self.target_refusals: dict[str, str] = {}
        """Why a task is not offered by *same prompt, other task* (its model → the reason), once opened."""
        super().__init__(options=[], value=None, style={"button_width": "auto"})
        self.add_class("wan-chain")
        self.layout.display = "none"
        self.observe(self._picked, names="value")

    def refresh(self, task: Task) -> None:
        """Offer what can be chained from ``task``."""
        if not self.current(task):
            self.offer(task, self.refusals_for(task))

    def current(self, task: Task) -> bool:
        """True when the bar already offers what ``task`` allows (played again: the URL, then the file)."""
        return self.task is not None and self.task.path == task.path and self.task.status is task.status

    def refusals_for(self, task: Task) -> dict[str, str] | None:
        """Why each action is not offered for ``task`` (its name → the reason); None when nothing can be
        chained from it yet. Reads the video from disk (its header, its last frame) and touches no widget (a
        worker thread may call it: ``ChainButtons.played_soon``)."""
        if task.status is not TaskStatus.SUCCEEDED or task.path is None or self.request is None:
            return None
        found = {
            action.name: self._refusal(action.build, task, self.request)
            for action in ACTIONS
            if action.build is not None
        }
        if self.request.seed is None:
            found["reuse_seed"] = _NO_SEED
        found[OTHER_TASK] = self._no_other_task(task, self.request)
        return {name: reason for name, reason in found.items() if reason is not None}

    def offer(self, task: Task, refusals: dict[str, str] | None) -> None:
        """Show the actions ``refusals`` (from :meth:`refusals_for`) leaves for ``task``."""
        self.task = task
        self.layout.display = "none" if refusals is None else ""
        if refusals is None:
            return
        self.refusals = refusals
        offered = [action for action in ACTIONS if action.name not in refusals]
        self._show([(self._label(action), action.name, action.tip) for action in offered])

    def _label(self, action: Action) -> str:
        if action.frameless_label and self.request is not None and not takes_frame(self.request):
            return action.frameless_label
        return action.label

    def _show(self, buttons: list[tuple[str, str, str]]) -> None:
        with self.hold_trait_notifications():
            self.options = [(label, name) for label, name, _ in buttons]
            self.tooltips = [tip for _, _, tip in buttons]
            self.value = None

    def _refusal(self, build: Build, task: Task, request: VideoRequest) -> str | None:
        # Ask validation, the one place that knows which dialects and models take what (the gateway carries
        # image-to-video only; first_clip is native wan2.7's; a source to edit is 2-10 s).
        try:
            build(task, request, dialect=self.dialect)
        except ValidationError as exc:
            return str(exc)
        return None

    def _no_other_task(self, task: Task, request: VideoRequest) -> str | None:
        refused = self.targets_refused(task, request)
        own = spec_of(request.chosen_model).task
        if any(spec.model not in refused for spec in TARGETS if spec.task != own):
            return None
        return "no other task takes this try as it is: " + "; ".join(refused.values())

    def targets_refused(self, task: Task, request: VideoRequest) -> dict[str, str]:
        """Why each other task of :data:`TARGETS` cannot take this try as it is (its model → the reason):
        ``chain.other_task`` validated for the dialect (a carried task, the inputs it needs)."""
        own = spec_of(request.chosen_model).task
        found = {}
        for spec in TARGETS:
            if spec.task != own:
                reason = self._refusal(functools.partial(chain.other_task, model=spec), task, request)
                if reason is not None:
                    found[spec.model] = reason
        return found

    def _picked(self, change: dict[str, object]) -> None:
        action = change["new"]
        if isinstance(action, str):
            self.value = None  # a button, not a choice: the next click works again
            self.pick(action)

    def pick(self, action: str) -> VideoRequest | None:
        """Build the chained request and hand it to the panel; a refusal goes to the panel's message line.

        ``"other_task"`` shows the tasks to choose from (each a model name) and ``"back"`` the actions again.
        """
        task, request = self.task, self.request
        if task is None or request is None:
            return None
        if action == BACK:
            self.offer(task, self.refusals)
            return None
        chosen = _BY_NAME.get(action)
        if chosen is not None and chosen.build is None:
            self._open_targets(task, request)
            return None
        target = next((spec for spec in TARGETS if spec.model == action), None)
        try:
            if target is not None:
                self.offer(task, self.refusals)  # the actions again, for the next pick
                following = chain.other_task(task, request, target, dialect=self.dialect)
                note = f"same prompt on {target.task_name} ({target.model})"
            elif chosen is not None and chosen.build is not None:
                following = chosen.build(task, request, dialect=self.dialect)
                note = self._label(chosen)
            else:
                raise ValidationError("action", f"no chain action {action!r}")
        except WanError as exc:
            self._say(str(exc))
            return None
        self._fill(following, f"{note} from task {task.id}")
        return following

    def _open_targets(self, task: Task, request: VideoRequest) -> None:
        own = spec_of(request.chosen_model).task
        self.target_refusals = self.targets_refused(task, request)
        offered = [spec for spec in TARGETS if spec.task != own and spec.model not in self.target_refusals]
        self._show(
            [("← back", BACK, "The chain actions again")]
            + [(s.task_name, s.model, f"This prompt, seed and settings on {s.model}") for s in offered]
        )


_NO_SEED = "the service picked this try's seed and does not report it: set a seed to reuse one"


class ChainButtons:
    """Listens to a card's ``played`` (a ``PlayListener``): its :class:`ChainBar`, made when its video first
    plays (nothing to build while a grid of cards is being set up), refreshed each time after."""

    def __init__(self, card: Holder, dialect: Capabilities, fill: Fill, say: Say) -> None:
        self.card = card
        self.dialect = dialect
        self.fill = fill
        self.say = say
        self.bar: ChainBar | None = None

    def played(self, task: Task) -> None:
        self._bar().refresh(task)

    async def played_soon(self, task: Task) -> None:
        bar = self._bar()
        if not bar.current(task):
            bar.offer(task, await asyncio.to_thread(bar.refusals_for, task))

    def _bar(self) -> ChainBar:
        if self.bar is None:
            self.bar = ChainBar(self.card.request, self.dialect, self.fill, self.say)
            self.card.actions.children = (self.bar, *self.card.actions.children)
        return self.bar


def budget_refusal(client: AsyncWanClient, requests: list[VideoRequest]) -> str | None:
    """Why a grid cannot start within the client's budget (None when it can, or there is no budget)."""
    if client.budget is None or client.meter is None:
        return None
    try:
        cost = sum(client.meter.cost(request) for request in requests)
    except ValidationError as exc:
        return exc.message
    if cost <= client.budget.left + 1e-9:
        return None
    unit = client.budget.currency or ""
    return (
        f"this grid would cost about {money(cost, unit)} but {money(client.budget.left, unit)} of the budget is "
        "left; nothing was sent"
    )


def estimate_html(
    provider: str, budget: Budget | None, requests: list[VideoRequest], concurrency: int
) -> str:
    """One line: the estimate of ``requests`` on ``provider`` (its region's prices and currency: no client
    needed), the input seconds it bills when there are any ("5 s out + 4.0 s in"), and ``budget``'s spent / left
    when there is one. An edit without its source gets no price, but what the price waits for."""
    waiting = next((said for request in requests if (said := _needs_source(request))), None)
    if waiting is not None:
        return f'<small class="wan-estimate" style="color:#6b7280">{html.escape(waiting)}</small>'
    try:
        found: Estimate | str = estimate_on(provider, requests, concurrency=concurrency)
    except ValidationError as exc:
        found = f"no estimate: {exc.message}"
    parts = [html.escape(str(found))]
    if isinstance(found, Estimate):
        parts += [html.escape(said)] if (said := seconds_text(requests)) else []
    if budget is not None:
        parts.append(f"budget: {html.escape(str(budget))}")
        if isinstance(found, Estimate) and budget.currency not in (None, found.currency):
            # a budget counts one currency: a client of this provider would refuse it (ConfigError)
            parts.append(
                f'<span style="color:#b45309">⚠ {html.escape(provider)} prices in {html.escape(found.currency)}, '
                f"the budget is in {html.escape(str(budget.currency))}: set a budget in {html.escape(found.currency)} "
                "to use it</span>"
            )
    return f'<small class="wan-estimate" style="color:#374151">{" · ".join(parts)}</small>'


def refusal_html(refusal: str) -> str:
    """The estimate's place while the form cannot be sent: no price, but why (as said beside the input)."""
    return f'<small class="wan-estimate" style="color:#b45309">⚠ no estimate: {html.escape(refusal)}</small>'


def _needs_source(request: VideoRequest) -> str | None:
    """What an edit's price waits for before its source is picked: the source's seconds are billed as input,
    and with duration 0 the output keeps the source's length too (``usage.duration`` is input + output,
    family.md §3); None when the model takes no source or it is given."""
    if spec_of(request.chosen_model).source_video is None or request.video is not None:
        return None
    if request.chosen_duration == 0:
        return (
            "no estimate yet: pick the source clip; its length decides the price (the edit keeps it, and bills "
            "its seconds in + out)"
        )
    return "no estimate yet: pick the source clip; its seconds are billed as input too"


def seconds_text(requests: list[VideoRequest]) -> str:
    """``5 s out + 4.0 s in``: the input video the service bills too (a source to edit, reference videos, a
    clip to continue: ``usage.duration`` is input + output, family.md §3); empty when there is none."""
    inputs = sum(input_seconds(request) for request in requests)
    if not inputs:
        return ""
    out = sum(output_seconds(request) for request in requests)
    return f"{out:g} s out + {inputs:.1f} s in"


async def stills(task: Task) -> bytes | None:
    """The JPEG contact sheet of a downloaded task (None when its file cannot be decoded)."""
    from wan_nb.media.stills import contact_sheet

    try:
        sheet = await asyncio.to_thread(contact_sheet, task, STILLS, width=STILL_WIDTH)
    except WanError:
        return None
    return await asyncio.to_thread(sheet.read_bytes)


class Estimates:
    """Keeps the estimate beside Generate and the one above the grid current as the inputs change.

    ``provider`` is the picked provider's name: its prices need no client, so a provider not opened yet (a
    simulator of another dialect, a service before its key) has its estimate too. ``budget``: the budget to
    show (the opened client's, else the panel's)."""

    def __init__(
        self,
        form: InputForm,
        compare: CompareView,
        provider: Callable[[], str],
        budget: Callable[[], Budget | None],
        concurrency: int,
    ) -> None:
        self.form = form
        self.compare = compare
        self._provider = provider
        self._budget = budget
        self.concurrency = concurrency
        self.single = widgets.HTML()
        self.single.add_class("wan-estimate-single")
        for trait_owner in (
            form.task,
            form.duration,
            form.duration_auto,
            form.size,
            compare.values,
            compare.prompts,
            compare.axis,
        ):
            trait_owner.observe(lambda _change: self.refresh(), names="value")
        # A clip's length is billed as input: the line follows the media and references that carry one.
        for field in (form.video, form.first_clip):
            field.changed.append(lambda _field: self.refresh())
        form.references.changed.append(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Recompute both lines (after an input changed, or a create spent part of the budget)."""
        refusal = self.form.refusal()
        if refusal is not None:
            # The form cannot be sent as it is (said beside its input): no price that looks like a valid try.
            self.single.value = self.compare.estimate.value = refusal_html(refusal)
            return
        provider, budget = self._provider(), self._budget()
        base = self.form.request()
        self.single.value = estimate_html(provider, budget, [base], self.concurrency)
        try:
            rows = self.compare.cells(base, capabilities_of(provider))
        except ValidationError:
            self.compare.estimate.value = ""
            return
        cells = [request for row in rows for _, request in row]
        self.compare.estimate.value = estimate_html(provider, budget, cells, self.concurrency)

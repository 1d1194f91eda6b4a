"""``WanPanel``: the form, the provider picker, Generate, the cards, the compare grid and the history.

The panel is a view of :class:`~wan_nb.models.Task` objects built on the public ``AsyncWanClient``; it knows
no wire field and does not import httpx (DEVELOPERS.md). Handlers validate synchronously (so a bad input
sends nothing) and then only *spawn* jobs on the kernel's loop (``_jobs.py``), through one concurrency
gate shared by single runs and compare grids.
"""

from __future__ import annotations

import asyncio
import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from wan_nb.client import AsyncWanClient, Budget, capabilities_of
from wan_nb.client.providers import provider_capabilities
from wan_nb.errors import ConfigError, ValidationError
from wan_nb.loop import spawn
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.validation import validate
from wan_nb.widgets import _colab, _video
from wan_nb.widgets._code import request_snippet
from wan_nb.widgets._fold import Fold
from wan_nb.widgets._jobs import DELIVERIES, Jobs, follow, run_request
from wan_nb.widgets._lab import ChainButtons, Estimates, budget_refusal
from wan_nb.widgets._media_field import error_html
from wan_nb.widgets._picker import ProviderPicker
from wan_nb.widgets._static import VIEW, StandIn
from wan_nb.widgets.card import TaskCard
from wan_nb.widgets.compare import CompareView, first_refusal
from wan_nb.widgets.history import History, card_for, needs_attention
from wan_nb.widgets.inputs import InputForm

__all__ = ["WanPanel"]

TICK = 1.0
"""Seconds between refreshes of the elapsed times (one small message per running card)."""


class WanPanel(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Submit tasks of the Wan family (text, image, references, edits, Wan 3.0), watch them live and play the
    results, in one notebook cell."""

    def __init__(
        self,
        client: AsyncWanClient | None = None,
        *,
        provider: str | None = None,
        out_dir: str | os.PathLike[str] = "wan_outputs",
        prompt: str = "",
        first_frame: Any = None,
        concurrency: int = 2,
        timeout: float = 1800.0,
        video_cap: int = _video.DEFAULT_VIDEO_CAP,
        history: bool = True,
        budget: float | Budget | None = None,
    ) -> None:
        """Args:
        client: the client to use (the panel never closes it); default: a client for ``provider``.
        out_dir: where videos are saved, relative to the kernel's working directory (the notebook's folder).
        prompt, first_frame: initial inputs (``first_frame``: a path, URL or bytes); with a first frame the
            form starts on image-to-video, else on text-to-video (another task is one click away).
        concurrency: tasks the panel runs at once, single runs and compare grids together (keep it within the
            account's concurrent-task quota); more wait for a free slot.
        timeout: seconds a job keeps re-sending a create refused with 429, and then follows its task
            before giving up (the task goes on server-side).
        video_cap: largest file played as widget bytes (when it cannot be played by path or URL).
        history: show (and re-attach) the provider's journaled tasks.
        budget: what the clients the panel opens may spend together (``AsyncWanClient(budget=)``); a create
            past it is refused before anything is sent. A ``client`` passed in keeps its own budget.
        """
        _colab.enable_widget_manager()  # before any widget is shown: Colab needs it for ipywidgets 8
        self.budget = Budget(budget) if isinstance(budget, int | float) else budget
        self._clients: dict[str, AsyncWanClient] = {}
        self._owned: list[AsyncWanClient] = []
        first = client or self._open(provider)
        self._clients[first.provider] = first
        self.out_dir = os.path.join(os.fspath(out_dir), "")  # a trailing separator: "save in this folder"
        self.concurrency = concurrency
        """Tasks running at once (read when the panel is made: every run shares its gate)."""
        self._gate = asyncio.Semaphore(concurrency)
        self._deliveries = asyncio.Semaphore(DELIVERIES)
        self.timeout = timeout
        self.video_cap = video_cap
        self.cards: list[TaskCard] = []
        """Every card, oldest first (single runs, grid cells and history)."""
        self.stand_in = StandIn()  # what static renderers show instead of the widget
        self._jobs = Jobs(on_end=self._job_ended)
        self._clock: asyncio.Task[None] | None = None
        self._build(first, prompt, first_frame)
        self.history = (
            History(first, make_card=lambda entry: card_for(entry, self._maker(first)), reopen=self.prefill)
            if history
            else None
        )
        super().__init__(self._sections())
        self.add_class("wan-panel")
        if self.history is not None:
            self._reattach(first, self.history)

    # -- public ---------------------------------------------------------------------------------------------

    @property
    def client(self) -> AsyncWanClient | None:
        """The client for the chosen provider, once it has a key (or needs none)."""
        return self._clients.get(self.picker.value)

    @property
    def jobs(self) -> set[asyncio.Task[None]]:
        """The running jobs (asyncio Tasks on the kernel's loop)."""
        return self._jobs.running

    @property
    def last_job(self) -> asyncio.Task[None] | None:
        """The job started last (``await panel.last_job`` in a test or a cell)."""
        return self._jobs.last

    async def wait_idle(self) -> None:
        """Return once every job has ended (their outcomes are on the cards, and in the static stand-in)."""
        await self._jobs.idle()
        self.stand_in.flush(self._tasks())

    def submit(self, request: VideoRequest) -> TaskCard:
        """Validate ``request`` for the chosen provider and run it in the background; returns its card.

        Raises ValidationError/ConfigError before anything is sent.
        """
        client = self._client_or_raise()
        validate(request, client.capabilities, cloud=client.cloud, providers=provider_capabilities())
        card = self._start(request, client)
        self._show_card(card)
        return card

    async def aclose(self) -> None:
        """Stop following tasks (they go on server-side) and close the clients the panel opened."""
        self._jobs.cancel()
        if self._clock is not None:
            self._clock.cancel()
        await asyncio.gather(*self._jobs.running, return_exceptions=True)
        for client in self._owned:
            await client.aclose()

    # -- construction ---------------------------------------------------------------------------------------

    def prefill(self, request: VideoRequest, note: str = "", *, media: bool = True) -> None:
        """Fill the form with ``request`` (a chained or re-opened try), ready to edit and Generate.

        ``media=False`` keeps the form's media (a journaled request has only their names).
        """
        self.form.fill(request, media=media)
        self.estimates.refresh()
        self.message.value = f'<small style="color:#374151">{html.escape(note)}</small>' if note else ""

    def _say(self, message: str) -> None:
        self.message.value = error_html(message)

    def _job_ended(self) -> None:
        self.stand_in.refresh(self._tasks())
        self.form.offer_results(self._results())
        if self.client is not None and self.client.budget is not None:
            self.estimates.refresh()  # the budget's spent / left moved

    def _open(self, provider: str | None, api_key: str | None = None) -> AsyncWanClient:
        client = AsyncWanClient(provider, api_key=api_key, budget=self.budget)
        self._owned.append(client)
        return client

    def _build(self, client: AsyncWanClient, prompt: str, first_frame: Any) -> None:
        self.picker = ProviderPicker(
            client.provider, on_change=self._provider_changed, on_key=self._key_entered
        )
        self.form = InputForm(
            prompt=prompt, first_frame=first_frame, capabilities=client.capabilities, results=self._results
        )
        self.title = widgets.HTML()
        self.generate = widgets.Button(
            description="Generate",
            button_style="primary",
            icon="play",
            tooltip="Generate a video from the inputs",
        )
        self.generate.add_class("wan-generate")
        self.generate.on_click(self._on_generate)
        self.message = widgets.HTML()
        self.results = widgets.VBox()
        """Cards of single runs, newest first."""
        self.compare = CompareView(client.capabilities)
        self.compare.run.on_click(self._on_compare)
        self.form.task.observe(lambda _change: self._retitle(), names="value")
        self._retitle()
        self.estimates = Estimates(
            self.form, self.compare, lambda: self.picker.value, self._budget_shown, self.concurrency
        )

    def _budget_shown(self) -> Budget | None:
        """The budget beside the estimate: the picked provider's client's, else the one its client will share."""
        client = self.client
        return client.budget if client is not None else self.budget

    def _retitle(self) -> None:
        spec = self.form.spec
        self.compare.set_task(spec)
        self.title.value = (
            f"<h3 class='wan-title' style='margin:4px 0'>{html.escape(spec.model)} · "
            f"{html.escape(spec.task_name)}</h3>"
        )

    def _results(self) -> list[tuple[str, Path]]:
        """The finished videos on disk, newest first: offered as references (and sources) in the form."""
        found = []
        for card in reversed(self.cards):
            task = card.task
            if task is not None and task.status is TaskStatus.SUCCEEDED and task.path is not None:
                found.append(
                    (f"{card.request.prompt[:30] if card.request else ''} ({task.id})", Path(task.path))
                )
        return found

    def _sections(self) -> list[widgets.Widget]:
        title = self.title
        compare = Fold("Compare: prompts × seeds or settings, side by side", [self.compare])
        compare.add_class("wan-compare")
        tail = [self.history] if self.history is not None else []
        return [
            title,
            self.picker,
            self.form,
            widgets.HBox([self.generate, self.estimates.single, self.message]),
            self.results,
            compare,
            *tail,
        ]

    # -- providers and keys ---------------------------------------------------------------------------------

    def _provider_changed(self, name: str) -> None:
        self.picker.clear()
        self.form.set_dialect(capabilities_of(name))
        self.compare.set_dialect(capabilities_of(name))
        self.estimates.refresh()

    def _key_entered(self, name: str, key: str) -> None:
        try:
            self._clients[name] = self._open(name, api_key=key)
        except ConfigError as exc:
            self.picker.flag(exc.message)
        self.estimates.refresh()  # its budget may be another's now

    def _client_or_raise(self) -> AsyncWanClient:
        name = self.picker.value
        if name not in self._clients:
            self._clients[name] = self._open(name)  # ConfigError when its key variable is not set
        return self._clients[name]

    # -- handlers -------------------------------------------------------------------------------------------

    def _on_generate(self, _button: widgets.Button | None = None) -> None:
        self._clear()
        try:
            self.submit(self.form.request())
        except ValidationError as exc:
            self._explain(exc)

    def _on_compare(self, _button: widgets.Button | None = None) -> None:
        self._clear()
        try:
            client = self._client_or_raise()
            rows = self.compare.cells(self.form.request(), client.capabilities)
        except ValidationError as exc:
            self._explain(exc)
            return
        refusal = first_refusal(rows, client.capabilities, cloud=client.cloud) or budget_refusal(
            client, [r for row in rows for _, r in row]
        )
        if refusal is not None:
            self.compare.flag(refusal)  # nothing is sent unless every cell is valid
            return
        cards = [self._start(request, client, title=label) for row in rows for label, request in row]
        self.compare.show_cells(cards, columns=len(rows[0]))

    def _clear(self) -> None:
        self.form.clear_errors()
        self.picker.clear()
        self.compare.clear()
        self.message.value = ""

    def _explain(self, exc: ValidationError) -> None:
        """Show a refusal beside its field (a provider or key problem beside the picker)."""
        if exc.field in ("api_key", "provider", "base_url"):
            self.picker.flag(exc.message)
        elif exc.field == "values":
            self.compare.flag(exc.message)
        elif not self.form.flag(exc.field, exc.message):
            self.message.value = error_html(f"{exc.field}: {exc.message}")

    # -- jobs -----------------------------------------------------------------------------------------------

    def _start(self, request: VideoRequest, client: AsyncWanClient, *, title: str = "") -> TaskCard:
        card = self._card(client, request=request, title=title)
        card.set_code(request_snippet(request, client.provider, self.form.upload_names()))
        job = run_request(
            client,
            request,
            card,
            out=self.out_dir,
            patience=self.timeout,
            gate=self._gate,
            deliveries=self._deliveries,
        )
        self._jobs.start(job, card)
        self._run_clock()
        return card

    def _card(self, client: AsyncWanClient, **kwargs: Any) -> TaskCard:
        # The gateway and the relay have no cancel route (unified_and_peers.md §2.1.1, seed 003): no button.
        cancellable = client.capabilities.can_cancel
        card = TaskCard(
            on_cancel=(lambda c: self._cancel(c, client)) if cancellable else None,
            video_cap=self.video_cap,
            **kwargs,
        )
        card.played.append(ChainButtons(card, client.capabilities, self.prefill, self._say))
        self.cards.append(card)
        return card

    def _maker(self, client: AsyncWanClient) -> Callable[..., TaskCard]:
        return lambda **options: self._card(client, **options)

    def _show_card(self, card: TaskCard) -> None:
        self.results.children = (card, *self.results.children)

    def _cancel(self, card: TaskCard, client: AsyncWanClient) -> None:
        if card.task is None:
            return
        card.cancel.disabled = True
        spawn(_cancel(client, card, card.task), on_error=lambda exc: card.notice(f"cancel failed: {exc}"))

    def _reattach(self, client: AsyncWanClient, history: History) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # plain code: nothing to run jobs on (a notebook cell always has the kernel's loop)
        for entry, card in zip(history.entries, history.cards, strict=True):
            if needs_attention(entry):
                self._jobs.start(
                    follow(
                        client,
                        entry.to_task(),
                        card,
                        out=self.out_dir,
                        patience=self.timeout,
                        deliveries=self._deliveries,
                    ),
                    card,
                )
        spawn(history.load_posters())
        self._run_clock()

    def _run_clock(self) -> None:
        if self._clock is None or self._clock.done():
            self._clock = spawn(self._tick())

    async def _tick(self) -> None:
        while active := [card for card in self.cards if card.active]:
            for card in active:
                card.tick()
            await asyncio.sleep(TICK)

    # -- static rendering -----------------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        """Show the panel, then its static stand-in (kept current as tasks finish; ``_static.py``)."""
        self.stand_in.display(self._repr_mimebundle_(), self._tasks())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, and a line of text for where no widget manager runs (the stand-in lists tasks)."""
        bundle: dict[str, Any] = super()._repr_mimebundle_(**kwargs)
        return {VIEW: bundle[VIEW], "text/plain": "wan_nb panel (interactive in Jupyter with ipywidgets)"}

    def _tasks(self) -> list[Task]:
        return [card.task for card in self.cards if card.task is not None]


async def _cancel(client: AsyncWanClient, card: TaskCard, task: Task) -> None:
    card.show(await client.cancel(task))

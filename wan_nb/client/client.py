"""``AsyncWanClient``: one httpx client, one dialect from ``wan_nb.protocols``, and the rules around paid tasks.

- Validation runs before any request; then uploads; then exactly one create POST, never retried (neither
  protocol is idempotent: a repeat starts and bills a second task). GETs retry in ``_retry.RetryTransport``.
- Every submitted task is journaled before ``submit`` returns; every state change updates the journal.
- Every wait has a deadline (``_watch``); the poll schedule (``_poll.PollSchedule``) is injectable; server
  hints win; no poll comes sooner than the dialect's ``poll_floor``.
- What the dialect can do is asked of its ``capabilities`` (cancel, list, how local media travel), never of its
  name. ``_create.Creator``, ``_watch.Watcher`` and ``_batch.Batch`` get the collaborators they use; journal
  writes run on the journal's writer thread (``_journal_seam.journaled``: a broken journal warns, never raises).
- The key lives in one private attribute and goes only into the Authorization header of API-host requests:
  never to a result URL or an upload host, never into a repr, an error, a log line or the journal.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

from wan_nb.client import policy
from wan_nb.client._api import Api
from wan_nb.client._batch import Batch, BatchItem, map_requests, resume
from wan_nb.client._budget import Budget, Meter
from wan_nb.client._closing import LoopSeen, close_dropped, close_files
from wan_nb.client._create import Creator
from wan_nb.client._journal_rows import public_base_url
from wan_nb.client._journal_seam import JournalWriter, journaled, recent_runs
from wan_nb.client._network import (
    Cert,
    Network,
    ProxyOption,
    Verify,
    build_client,
    check_injection,
    check_timeout,
)
from wan_nb.client._poll import PollSchedule
from wan_nb.client._runs import RunTimes
from wan_nb.client._watch import Watcher
from wan_nb.client.download import save
from wan_nb.client.journal import Journal
from wan_nb.client.providers import PROVIDERS, is_loopback, resolve, sim_transport
from wan_nb.errors import (
    ConfigError,
    DownloadError,
    ResultExpired,
    TaskFailed,
    ValidationError,
)
from wan_nb.lab import pricing
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.protocols import dialect as dialect_named
from wan_nb.protocols.base import Capabilities, Dialect
from wan_nb.validation import check_task_id

__all__ = ["AsyncWanClient", "capabilities_of"]

log = logging.getLogger("wan_nb.client")
Dest = str | PathLike[str]
DEFAULT_OUT = "wan_outputs/"


class AsyncWanClient:
    """Submit, watch, wait for and download Wan image-to-video tasks on one provider.

    ``timeout=`` on ``watch``/``wait``/``generate`` is the public API's per-wait deadline (DEVELOPERS.md),
    checked between polls so the last state seen can go into WaitTimeout (ruff's ASYNC109 is waived there).
    """

    provider: str
    """The resolved provider name (``"sim"`` when there is no provider and no key in the environment)."""
    dialect: str
    """``"unified"`` | ``"native"`` | ``"relay"``: for display; ask ``capabilities``, never compare this."""
    capabilities: Capabilities
    """What the provider's dialect can do (cancel, list, local media, the request fields it carries)."""
    base_url: str
    host: str
    """The API host (``netloc`` of ``base_url``)."""
    journal: Journal | None
    """Where submitted tasks are recorded; None when created with ``journal=False``."""
    poll: PollSchedule
    """The poll schedule, with the clock and sleep every wait and backoff uses."""
    runs: RunTimes
    """How long tasks took on this API, per kind of request (this session's and the journal's recent ones):
    waits skip polls that cannot find one done."""

    def __init__(
        self,
        provider: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        journal: Journal | Literal[False] | None = None,
        poll: PollSchedule | None = None,
        timeout: float | httpx.Timeout = 60.0,
        allow_insecure: bool = False,
        max_retries: int = policy.GET_RETRIES,
        verify: Verify = True,
        cert: Cert | None = None,
        proxy: ProxyOption | None = None,
        trust_env: bool = True,
        http2: bool = False,
        http_client: httpx.AsyncClient | None = None,
        budget: float | Budget | None = None,
    ) -> None:
        """``verify``/``cert``/``proxy``/``trust_env``/``http2`` configure the network (README: company networks).

        ``transport``: an httpx transport to send everything through (tests, a simulator), wrapped in the GET
        retries. ``http_client``: an ``httpx.AsyncClient`` you built and close yourself, used as is (its own
        TLS, proxies, timeouts and transport: no retries are added). ``timeout``: seconds, or an
        ``httpx.Timeout`` for its connect/read/write/pool parts. The in-process simulators have no network:
        the network options do not apply to them. ``budget``: refuse (BudgetExceeded, before any request) a
        create that would pass it; a number is in the provider's price currency (``wan_nb.lab.pricing``), a
        :class:`Budget` may be shared by clients.
        """
        network = Network(verify=verify, cert=cert, proxy=proxy, trust_env=trust_env, http2=http2)
        timeouts = check_timeout(timeout)
        check_injection(network, transport, http_client)
        config = resolve(provider, api_key=api_key, base_url=base_url, allow_insecure=allow_insecure)
        self.provider = config.provider.name
        self.dialect = config.provider.dialect
        self.base_url = config.base_url
        self.host = config.host
        seen = LoopSeen()
        if http_client is None:
            inner = transport or (sim_transport(config.home) if config.in_process else None)
            http = build_client(
                network, timeout=timeouts, max_retries=max_retries, transport=inner, on_request=seen.hook
            )
        else:
            http = http_client
        self._owns_http = http_client is None
        self.journal = _default_journal(config.home) if journal is None else (journal or None)
        self._owns_journal = journal is None
        self._writer = JournalWriter(self.journal) if self.journal is not None else None
        # Closes what this client owns if it is dropped unclosed, without a word (``_closing``).
        owned = self.journal if self._owns_journal else None
        files = functools.partial(close_files, self._writer, owned)
        self._dropped = weakref.finalize(self, close_dropped, seen, http if self._owns_http else None, files)
        self._wire = dialect_named(self.dialect)
        self.capabilities = self._wire.capabilities
        self._api = Api(http, self._wire, config.provider, config.api_key, self.base_url)
        self.poll = poll or PollSchedule()
        # A returning user's waits are paced from the start; not the in-process simulator's (its knobs change).
        recent = [] if config.in_process else recent_runs(self.journal, self.base_url)
        self.runs = RunTimes(recent)
        self._row = PROVIDERS[self.provider]
        self.budget = Budget(budget) if isinstance(budget, int | float) else budget
        """What this client may spend (``.spent``, ``.left``); None without a budget."""
        self.meter = Meter(self.budget, self._row.region) if self.budget is not None else None
        self._creator = Creator(
            self._api,
            self._wire,
            self._writer,
            self.poll,
            self.runs,
            self.provider,
            self.base_url,
            self.host,
            self.cloud,
            self.meter,
        )
        self._query = StateQuery(self._api, self._wire, self.provider, self._writer, self.meter)
        self._watcher = Watcher(self._query, self.poll, self.runs, self.capabilities.poll_floor)
        self._batch = Batch(self._creator, self._writer, self.wait, self.download)

    @property
    def cloud(self) -> bool:
        """True unless the API is on loopback (the simulator, a local server): a cloud service fetches media from
        the internet, so validation refuses links to this machine or a private network for it."""
        return not is_loopback(urlsplit(self.base_url).hostname or "")

    def __repr__(self) -> str:
        shown = public_base_url(self.base_url)  # without a user:password written into the URL
        return f"AsyncWanClient(provider={self.provider!r}, base_url={shown!r}, dialect={self.dialect!r})"

    async def __aenter__(self) -> AsyncWanClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client (unless it was passed in as ``http_client``), and the journal when this client
        opened it."""
        self._dropped.detach()
        if self._owns_http:
            await self._api.http.aclose()
        await asyncio.to_thread(close_files, self._writer, self.journal if self._owns_journal else None)

    # --- tasks ---------------------------------------------------------------------------------------------

    async def submit(self, request: VideoRequest, *, patience: float = 0.0) -> Task:
        """Validate, upload local media, create the task (one POST, never retried) and journal it.

        The create is journaled before it is sent and settled by its answer, so a process killed in between
        leaves an ``unanswered`` create in the journal rather than a billed task nobody knows of.
        ``patience``: seconds to keep re-sending a create the server refused with 429 (it created nothing),
        each time after its ``Retry-After``; 0 raises the first RateLimitError.
        """
        return await self._creator.create(request, patience=patience)

    def estimate(
        self,
        requests: VideoRequest | Iterable[VideoRequest],
        *,
        concurrency: int = 4,
        prices: Mapping[pricing.PriceKey, pricing.Price] | None = None,
    ) -> pricing.Estimate:
        """What ``requests`` would bill on this provider, and about how long they take ``concurrency`` at once.

        Prices come from ``wan_nb.lab.pricing`` (a dated table, overridable); run times from the service's
        figures, or the simulator's own few seconds on a simulator provider. Sends nothing.
        """
        return estimate_on(self.provider, requests, concurrency=concurrency, prices=prices)

    async def get(self, task: Task | str) -> Task:
        """The task's current state (one GET, retried on transient failures)."""
        return await self._query(_id(task))

    async def cancel(self, task: Task | str) -> Task:
        """Cancel a task (DashScope: only while PENDING, else 400 UnsupportedOperation); returns the new state."""
        call = self._wire.cancel_call(_id(task))
        if call is None:  # capabilities.can_cancel is False
            raise ValidationError("provider", f"{self.provider} ({self.dialect} dialect) has no cancel route")
        await self._api.call(call)
        return await self.get(task)

    def watch(self, task: Task | str, *, timeout: float | None = 1800) -> AsyncIterator[Task]:
        """Yield the task's state each time it changes, until a terminal state; WaitTimeout past ``timeout``.

        Polls follow ``self.poll``; a poll in flight is cut short at the deadline (see ``_watch``).
        """
        return self._watcher.watch(task, timeout)

    async def wait(self, task: Task | str, *, timeout: float = 1800) -> Task:  # noqa: ASYNC109
        """The SUCCEEDED task; TaskFailed for FAILED/CANCELED/UNKNOWN; WaitTimeout past ``timeout`` seconds."""
        last: Task | None = None
        async for state in self.watch(task, timeout=timeout):
            last = state
        assert last is not None  # watch yields at least once before returning
        if last.status is TaskStatus.SUCCEEDED:
            return last
        raise TaskFailed(last)

    async def download(self, task: Task | str, dest: Dest = DEFAULT_OUT) -> Path:
        """Stream the video to ``dest`` (a folder gets ``<task_id>.mp4``); returns the file's path."""
        done = await self._succeeded(task)
        try:
            path = await save(self._api, self._wire.content_call(done.id), done, dest)
        except ResultExpired:
            # resume stops trying a URL that is gone
            await journaled(
                self._writer, f"set_expired of task {done.id}", lambda j: j.set_expired(done.id), None
            )
            raise
        await journaled(
            self._writer, f"set_path of task {done.id}", lambda j: j.set_path(done.id, path), None
        )
        return path

    async def _succeeded(self, task: Task | str) -> Task:
        if isinstance(task, Task) and task.status is TaskStatus.SUCCEEDED:
            return task
        current = await self.get(task)
        if current.status is TaskStatus.SUCCEEDED:
            return current
        if current.done:
            raise TaskFailed(current)
        raise DownloadError(
            f"task {current.id} is {current.status.value.lower()}; wait for it before downloading"
        )

    async def generate(
        self,
        request: VideoRequest,
        *,
        out: Dest = DEFAULT_OUT,
        timeout: float = 1800,  # noqa: ASYNC109
    ) -> Task:
        """Submit, wait and download; the returned Task has ``.path`` set."""
        task = await self.wait(await self.submit(request), timeout=timeout)
        return task.evolve(path=await self.download(task, out))

    def map(
        self,
        requests: Iterable[VideoRequest],
        *,
        concurrency: int = 4,
        out: Dest = DEFAULT_OUT,
        timeout: float = 1800,
    ) -> AsyncIterator[BatchItem]:
        """Generate many videos, ``concurrency`` at a time; yields a BatchItem as each one finishes.

        Every request is validated first (ValidationError naming ``requests[i]``, nothing sent); ``out`` is a
        folder. Failures are reported per item (``item.error``), never raised.
        """
        return map_requests(self._batch, list(requests), concurrency=concurrency, out=out, timeout=timeout)

    def resume(
        self, *, out: Dest = DEFAULT_OUT, timeout: float = 1800, concurrency: int = 4
    ) -> AsyncIterator[BatchItem]:
        """Re-attach to this provider's unfinished journaled tasks and download finished ones not on disk."""
        return resume(self._batch, out=out, timeout=timeout, concurrency=concurrency)

    async def list_tasks(self, **filters: str | int) -> list[Task]:
        """DashScope's task list (``status``, ``model_name``, ``start_time``/``end_time`` YYYYMMDDhhmmss...)."""
        call = self._wire.list_call(**filters)
        if call is None:  # capabilities.can_list is False
            raise ValidationError(
                "provider", f"listing tasks is a DashScope native call; {self.provider} is {self.dialect}"
            )
        body, _ = await self._api.call(call)
        return self._wire.parse_task_list(body, self.provider)


def capabilities_of(provider: str) -> Capabilities:
    """What the dialect of a provider of ``PROVIDERS`` can do, without opening a client (the panel's picker)."""
    return dialect_named(PROVIDERS[provider].dialect).capabilities


def estimate_on(
    provider: str,
    requests: VideoRequest | Iterable[VideoRequest],
    *,
    concurrency: int = 4,
    prices: Mapping[pricing.PriceKey, pricing.Price] | None = None,
) -> pricing.Estimate:
    """:meth:`AsyncWanClient.estimate` for a provider of ``PROVIDERS``, without opening a client: an estimate
    needs the provider's region (its prices and currency) and whether it is a simulator (its run times), not a
    connection nor a key (the panel's estimate of a provider picked but not opened yet)."""
    row = PROVIDERS[provider]
    run = pricing.SIM_RUN if row.is_sim else pricing.SERVICE_RUN
    return pricing.estimate(requests, region=row.region, concurrency=concurrency, run=run, prices=prices)


@dataclass(frozen=True, slots=True)
class StateQuery:
    """A task's state now, for ``get`` and every poll of a wait: one GET, the journal and the budget told."""

    api: Api
    wire: Dialect
    provider: str
    writer: JournalWriter | None
    meter: Meter | None

    async def __call__(self, task_id: str) -> Task:
        body, headers = await self.api.call(self.wire.get_call(task_id))
        fresh = self.wire.parse_task(body, headers, self.provider)
        if fresh.id != task_id:  # the relay's flat poll body may leave the id out
            fresh = fresh.evolve(id=task_id)
        writer = self.writer
        if writer is not None and not writer.journal.is_current(fresh):  # a dictionary lookup, no hop
            await journaled(writer, f"update of task {fresh.id}", lambda j: j.update(fresh), None)
        if self.meter is not None:
            self.meter.observe(fresh)
        return fresh


def _default_journal(home: Path) -> Journal:
    path = home / "journal.sqlite3"
    try:
        return Journal(path)
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError(
            "journal", f"cannot open {path}: {exc}; set WAN_NB_HOME or pass journal=False"
        ) from exc


def _id(task: Task | str) -> str:
    return task.id if isinstance(task, Task) else check_task_id(task)

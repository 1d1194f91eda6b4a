"""Creating a task: the one step that costs money, so the one step with the strictest rules.

1. Validate, then upload local media (a dialect with ``uploads``) or inline them (``data_uri``): nothing is sent
   for a request that cannot work. Validation reads each local medium once; the upload or the ``data:`` URI
   sends those bytes. Uploads happen once per create, before any 429 is waited out.
2. Journal the create *before* sending it (``sending``; with a batch's ``plan_id`` it also claims the planned
   request), then send exactly one POST: neither protocol is idempotent, so a repeat would bill a second task.
3. Settle the journal by the answer: the task (``record``, fsynced before the id is handed out); ``refused``
   when the answer proves nothing was created (the connection was never made, or a 4xx: upstream checks
   before creating); ``unsure`` otherwise (a reset, a timeout, a 5xx: the task may exist).
4. Only a 429 is sent again, and only when the caller allows it (``patience``): a throttled create is refused
   before anything is created (DashScope, the relay and the gateway all answer it up front). The backoff is
   ``policy.throttle_backoff``.
5. With a budget (``client/_budget.py``), the create's estimate is held after validation and before the
   uploads (uploads are requests too); it is released only when the answer proves no task exists.
``Creator`` holds what a create uses (the API session, the dialect, the journal's writer, the clock, the run times),
handed in by the client: it reads no other object's privates.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

from wan_nb.client._api import Api
from wan_nb.client._budget import Hold, Meter
from wan_nb.client._journal_seam import JournalWriter, journaled
from wan_nb.client._poll import PollSchedule
from wan_nb.client._runs import RunTimes
from wan_nb.client.policy import throttle_backoff
from wan_nb.client.providers import provider_capabilities
from wan_nb.client.uploads import Uploader, media_urls
from wan_nb.errors import APIError, InvalidResponse, RateLimitError, TransportError, WanError
from wan_nb.models import Task, VideoRequest
from wan_nb.protocols.base import Call, Dialect
from wan_nb.validation import sending_notes, validate

__all__ = ["Creator"]

log = logging.getLogger("wan_nb.client")


@dataclass(frozen=True, slots=True)
class Creator:
    """Creates tasks on one provider: validate, hold the budget, upload, journal, one POST, settle."""

    api: Api
    wire: Dialect
    writer: JournalWriter | None
    """The journal's writer thread; None without a journal."""
    poll: PollSchedule
    runs: RunTimes
    provider: str
    base_url: str
    host: str
    cloud: bool
    """Whether the API is a cloud service (media links must be fetchable from the internet)."""
    meter: Meter | None = None

    async def create(self, request: VideoRequest, *, patience: float, plan_id: str | None = None) -> Task:
        """The new task: ``request`` validated (its local media read once), then sent; a 429 is waited out and
        re-sent while ``patience`` (seconds) lasts. Local media are uploaded once, before the first POST."""
        checked = validate(
            request, self.wire.capabilities, cloud=self.cloud, providers=provider_capabilities()
        )
        for note in sending_notes(request, checked):
            warnings.warn(note, UserWarning, stacklevel=2)
        held = self.meter.hold(request) if self.meter is not None else None
        try:
            urls = await media_urls(checked, self._uploader(request))
        except BaseException:
            _release(held)  # the create was never sent
            raise
        call = self.wire.create_call(request, urls)
        started, attempt = self.poll.clock(), 0
        while True:
            try:
                task = await self._post(call, request, plan_id)
            except RateLimitError as exc:
                wait = exc.retry_after if exc.retry_after is not None else throttle_backoff(attempt)
                if self.poll.clock() - started + wait > patience:
                    _release(held)  # a 429 created nothing
                    raise
                await self.poll.sleep(wait)
                attempt += 1
            except WanError as exc:
                if _nothing_created(exc):
                    _release(held)  # else an unanswered create: a task may exist and be billed
                raise
            else:
                if held is not None and self.meter is not None:
                    self.meter.created(task.id, held, request.chosen_model)
                return task

    def _uploader(self, request: VideoRequest) -> Uploader | None:
        """DashScope's temporary upload when the dialect has it; None: local media go inline."""
        oss = self.wire.uploads
        return (
            Uploader(self.api.http, self.api.call, oss, request.chosen_model, self.poll.sleep)
            if oss is not None
            else None
        )

    async def _post(self, call: Call, request: VideoRequest, plan_id: str | None) -> Task:
        create_id = await journaled(
            self.writer,
            "sending of a create",
            lambda j: j.sending(
                provider=self.provider, base_url=self.base_url, request=request, plan_id=plan_id
            ),
            None,
        )
        try:
            body, headers = await self.api.call(call)
            task = self.wire.parse_task(body, headers, self.provider)
            if not task.id:
                raise InvalidResponse("the create answer carried no task id")
        except WanError as exc:
            await self._settle_failed(create_id, exc)
            if isinstance(exc, TransportError):
                raise self._unsure(exc) from None
            if isinstance(exc, InvalidResponse):  # the create was answered, but not readably: it may exist
                raise InvalidResponse(f"{exc.what}; {self._may_exist()}") from None
            raise
        # Committed on the writer thread, fsynced there (with the burst's other records) before this returns.
        await journaled(
            self.writer,
            f"record of task {task.id}",
            lambda j: j.record(
                task,
                base_url=self.base_url,
                dialect=self.wire.capabilities.name,
                request=request,
                create_id=create_id,
                sync=False,
            ),
            None,
            durable=True,
        )
        self.runs.created(task.id, request, self.poll.clock())
        log.debug("submitted task %s to %s (%s)", task.id, self.provider, self.host)
        return task

    async def _settle_failed(self, create_id: str | None, exc: WanError) -> None:
        """Drop the journaled create when the failure proves no task exists; else keep it, with the reason."""
        if create_id is None:
            return
        if _nothing_created(exc):
            await journaled(self.writer, "refused of a create", lambda j: j.refused(create_id), None)
        else:
            await journaled(self.writer, "unsure of a create", lambda j: j.unsure(create_id, str(exc)), None)

    def _unsure(self, exc: TransportError) -> TransportError:
        if not exc.sent:
            note = "nothing was sent, so no task was created; submitting again is safe"
        else:
            note = f"the create may or may not have reached the server, so {self._may_exist()}"
        return TransportError(f"{exc}; {note}", method=exc.method, url=exc.url, sent=exc.sent)

    def _may_exist(self) -> str:
        listed = self.wire.capabilities.can_list
        where = "client.list_tasks() or the DashScope console" if listed else "the provider's console"
        return (
            f"a task may exist (and be billed); check {where} before submitting again "
            "(not retried automatically; `wan-nb list` shows it)"
        )


def _nothing_created(exc: WanError) -> bool:
    """True when the failure proves no task exists: never sent, or a 4xx (upstream checks before creating)."""
    nothing_sent = isinstance(exc, TransportError) and not exc.sent
    refused = isinstance(exc, APIError) and 400 <= exc.status_code < 500
    return nothing_sent or refused


def _release(held: Hold | None) -> None:
    if held is not None:
        held.release()

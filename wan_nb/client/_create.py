"""Creating a task: the one step that costs money, so the one step with the strictest rules.

1. Validate, then upload local media (native) or inline them (gateway, relay): nothing is sent for a request
   that cannot work.
2. Journal the create *before* sending it (``sending``; with a batch's ``plan_id`` it also claims the planned
   request), then send exactly one POST: neither protocol is idempotent, so a repeat would bill a second task.
3. Settle the journal by the answer: the task (``record``, fsynced before the id is handed out); ``refused``
   when the answer proves nothing was created (the connection was never made, or a 4xx: upstream checks
   before creating); ``unsure`` otherwise (a reset, a timeout, a 5xx: the task may exist).
4. Only a 429 is sent again, and only when the caller allows it (``patience``): a throttled create is refused
   before anything is created (DashScope, the relay and the gateway all answer it up front).
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wan_nb.client.uploads import Uploader, media_urls
from wan_nb.errors import APIError, InvalidResponse, RateLimitError, TransportError, WanError
from wan_nb.models import Task, VideoRequest
from wan_nb.validation import validate

if TYPE_CHECKING:
    from wan_nb.client._budget import Hold
    from wan_nb.client.client import AsyncWanClient

__all__ = ["create", "throttle_backoff"]

log = logging.getLogger("wan_nb.client")


async def create(
    client: AsyncWanClient, request: VideoRequest, *, patience: float, plan_id: str | None = None
) -> Task:
    """The new task; a 429 is waited out and sent again while ``patience`` (seconds) lasts."""
    started, attempt = client.poll.clock(), 0
    while True:
        try:
            return await _create_once(client, request, plan_id)
        except RateLimitError as exc:
            wait = exc.retry_after if exc.retry_after is not None else throttle_backoff(attempt)
            if client.poll.clock() - started + wait > patience:
                raise
            await client.poll.sleep(wait)
            attempt += 1


def throttle_backoff(attempt: int) -> float:
    """Seconds before re-sending a create refused with 429 and no Retry-After: 2 s, doubling, at most 30 s."""
    return float(min(2.0 * 2**attempt, 30.0))


async def _create_once(client: AsyncWanClient, request: VideoRequest, plan_id: str | None) -> Task:
    validate(request, client.dialect, cloud=client.cloud)
    # The budget is checked before the uploads, which are requests too (client/_budget.py).
    held = client.meter.hold(request) if client.meter is not None else None
    uploader = Uploader(client._api.http, client._api.call, request.model, client.poll.sleep)
    try:
        urls = await media_urls(request, client.dialect, uploader)
    except BaseException:
        _release(held)  # the create was never sent
        raise
    call = client._wire.create_call(request, urls)
    create_id = await client._journal(
        "sending", provider=client.provider, base_url=client.base_url, request=request, plan_id=plan_id
    )
    try:
        body, headers = await client._api.call(call)
        task = client._wire.parse_task(body, headers, client.provider)
        if not task.id:
            raise InvalidResponse("the create answer carried no task id")
    except WanError as exc:
        if _nothing_created(exc):
            _release(held)  # else an unanswered create: a task may exist and be billed, so it stays counted
        await _settle_failed(client, create_id, exc)
        if isinstance(exc, TransportError):
            raise _unsure(client, exc) from None
        if isinstance(exc, InvalidResponse):  # the create was answered, but not readably: it may exist
            raise InvalidResponse(f"{exc.what}; {_may_exist(client)}") from None
        raise
    await client._journal(
        "record", task, base_url=client.base_url, dialect=client.dialect, request=request, create_id=create_id
    )
    client.runs.created(task.id, request, client.poll.clock())
    if held is not None and client.meter is not None:
        client.meter.created(task.id, held, request.model)
    log.debug("submitted task %s to %s (%s)", task.id, client.provider, client.host)
    return task


async def _settle_failed(client: AsyncWanClient, create_id: str | None, exc: WanError) -> None:
    """Drop the journaled create when the failure proves no task exists; else keep it, with the reason."""
    if create_id is None:
        return
    if _nothing_created(exc):
        await client._journal("refused", create_id)
    else:
        await client._journal("unsure", create_id, str(exc))


def _nothing_created(exc: WanError) -> bool:
    """True when the failure proves no task exists: never sent, or a 4xx (upstream checks before creating)."""
    nothing_sent = isinstance(exc, TransportError) and not exc.sent
    refused = isinstance(exc, APIError) and 400 <= exc.status_code < 500
    return nothing_sent or refused


def _release(held: Hold | None) -> None:
    if held is not None:
        held.release()


def _unsure(client: AsyncWanClient, exc: TransportError) -> TransportError:
    if not exc.sent:
        note = "nothing was sent, so no task was created; submitting again is safe"
    else:
        note = f"the create may or may not have reached the server, so {_may_exist(client)}"
    return TransportError(f"{exc}; {note}", method=exc.method, url=exc.url, sent=exc.sent)


def _may_exist(client: AsyncWanClient) -> str:
    native = client.dialect == "native"
    where = "client.list_tasks() or the DashScope console" if native else "the provider's console"
    return (
        f"a task may exist (and be billed); check {where} before submitting again "
        "(not retried automatically; `wan-nb list` shows it)"
    )

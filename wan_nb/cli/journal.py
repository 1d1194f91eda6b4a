"""The journal commands: ``list`` what was submitted, ``resume`` what is unfinished or not yet on disk.

Must not import ``wan_nb.protocols``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from wan_nb.cli.output import EXIT_FAILED, Reporter, fail
from wan_nb.client import AsyncWanClient, BatchItem
from wan_nb.client.journal import Journal, JournalEntry, PlannedRequest
from wan_nb.client.providers import is_loopback
from wan_nb.errors import ConfigError
from wan_nb.models import TaskStatus

__all__ = ["cmd_list", "cmd_resume"]

TASK_MEMORY = 24 * 3600
"""Seconds DashScope answers for a task (then UNKNOWN) and its result URL stays valid (protocol.md §2)."""


def _journal(args: argparse.Namespace) -> list[JournalEntry]:
    """Journal entries, narrowed by ``--provider`` and ``--base-url`` when given."""
    return Journal().entries(provider=args.provider, base_url=args.base_url)


async def cmd_list(args: argparse.Namespace, out: Reporter) -> int:
    for entry in _journal(args):
        path = str(entry.path) if entry.downloaded else "-"
        out.say(
            "  ".join(
                [
                    entry.task_id,
                    entry.provider,
                    entry.status.value,
                    _model(entry.request),
                    _excerpt(entry.request),
                    path,
                ]
            )
        )
    for create in Journal().unanswered(provider=args.provider):
        sent = f"sent {_local_time(create.sent)}" + (f": {create.problem}" if create.problem else "")
        out.say(
            "  ".join(
                ["-", create.provider, "UNANSWERED", _model(create.request), _excerpt(create.request), sent]
            )
        )
    for plan in _planned(args):
        note = f"batch {plan.batch_id[:8]} item {plan.position}, planned {_local_time(plan.planned)}"
        planned = json.loads(plan.request)
        out.say("  ".join(["-", plan.provider, "PLANNED", _model(planned), _excerpt(planned), note]))
    return 0


def _planned(args: argparse.Namespace) -> list[PlannedRequest]:
    """Requests of a batch that stopped before sending them (``resume`` sends them)."""
    return Journal().planned(provider=args.provider, base_url=args.base_url)


def _model(request: dict[str, object]) -> str:
    """The model the row was sent to (chosen from its inputs when the request named none)."""
    model = request.get("model")
    return model if isinstance(model, str) and model else "-"


def _excerpt(request: dict[str, object]) -> str:
    prompt = str(request.get("prompt", "")).replace("\n", " ")
    return repr(prompt if len(prompt) <= 40 else prompt[:39] + "…")


def _local_time(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


async def cmd_resume(args: argparse.Namespace, out: Reporter) -> int:
    """Every (provider, base URL) in the journal with work left: re-attach, wait, download."""
    failures = 0
    for provider, base_url in _pending_sources(_journal(args), _planned(args)):
        try:
            client = AsyncWanClient(provider, base_url=base_url)
        except ConfigError as exc:
            fail(f"skipping {provider} tasks on {base_url}: {exc}")
            continue
        async with client:
            async for item in client.resume(out=os.path.join(args.out, ""), timeout=args.timeout):
                failures += _report(item, out)
    _warn_of_unanswered_creates(args.provider)
    return EXIT_FAILED if failures else 0


def _warn_of_unanswered_creates(provider: str | None) -> None:
    """Nothing to re-attach to (no task id), so say where to look; older than a day, upstream forgot them too."""
    for create in Journal().unanswered(provider=provider, since=time.time() - TASK_MEMORY):
        where = (
            "client.list_tasks() or the console" if create.provider.startswith("dashscope") else "the console"
        )
        fail(
            f"note: a create sent to {create.provider} ({create.base_url}) at {_local_time(create.sent)} never "
            f"got its answer ({create.problem or 'the process ended first'}); a task for "
            f"{_excerpt(create.request)} may exist and be billed: look for it with {where}"
        )


def _report(item: BatchItem, out: Reporter) -> int:
    """Show one resumed task (its last state, then its file or its error); 1 when it failed."""
    if item.task is not None:
        out.show(item.task)
    if item.error is not None:
        fail(f"error: {item.error}")
        return 1
    if item.task is not None and item.task.path is not None:
        out.say(str(item.task.path))
    return 0


def _pending_sources(
    entries: Sequence[JournalEntry], planned: Sequence[PlannedRequest]
) -> list[tuple[str, str]]:
    """(provider, base URL) pairs with work left, in journal order: an unfinished task, a finished one not yet
    on disk (and not expired), a planned request never sent.

    One client per pair: a client resumes only its own provider and API, and needs that provider's key.
    """
    wanted = (
        e
        for e in entries
        if not e.status.is_terminal
        or (e.status is TaskStatus.SUCCEEDED and not e.downloaded and not e.expired)
    )
    sources = [(e.provider, e.base_url or _legacy_base_url(e.host)) for e in wanted]
    return list(dict.fromkeys(sources + [(plan.provider, plan.base_url) for plan in planned]))


def _legacy_base_url(host: str) -> str:
    # Rows written before the journal kept base URLs hold the host only: http only to loopback (the key rule).
    scheme = "http" if is_loopback(urlsplit(f"//{host}").hostname or host) else "https"
    return f"{scheme}://{host}"

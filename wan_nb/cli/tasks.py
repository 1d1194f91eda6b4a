"""The task commands: generate, status, wait, download, cancel — each one client, one task.

Must not import ``wan_nb.protocols``.
"""

from __future__ import annotations

import argparse
from typing import get_args

from wan_nb.cli.output import Reporter
from wan_nb.client import AsyncWanClient
from wan_nb.errors import TaskFailed, ValidationError
from wan_nb.family import ReferenceKind
from wan_nb.models import Reference, Task, TaskStatus, VideoRequest

__all__ = ["cmd_cancel", "cmd_download", "cmd_generate", "cmd_status", "cmd_wait"]


def _client(args: argparse.Namespace) -> AsyncWanClient:
    return AsyncWanClient(args.provider, base_url=args.base_url)


async def _follow(client: AsyncWanClient, task: Task | str, limit: float, out: Reporter) -> Task:
    """Show each state until the end; the SUCCEEDED task, else TaskFailed (WaitTimeout past ``limit`` s)."""
    last: Task | None = None
    async for last in client.watch(task, timeout=limit):
        out.show(last)
    assert last is not None  # watch yields at least once
    if last.status is not TaskStatus.SUCCEEDED:
        raise TaskFailed(last)
    return last


async def cmd_generate(args: argparse.Namespace, out: Reporter) -> int:
    request = VideoRequest(
        prompt=args.prompt,
        first_frame=args.image,
        last_frame=args.last_frame,
        driving_audio=args.audio,
        resolution=args.resolution,
        duration=args.duration,
        seed=args.seed,
        model=args.model,
        references=tuple(reference_of(text) for text in args.reference),
        video=args.video,
        ratio=args.ratio,
        audio_setting=args.audio_setting,
    )
    async with _client(args) as client:
        task = await client.submit(request)
        out.show(task)
        done = await _follow(client, task, args.timeout, out)
        out.say(str(await client.download(done, args.out)))
    return 0


def reference_of(text: str) -> Reference:
    """``FILE``, ``FILE:voice=VOICE``, ``FILE:kind=KIND`` or ``FILE:kind=KIND:voice=VOICE`` (``:voice=`` and
    ``:kind=`` are split once, so paths and URLs keep their colons and equals signs).

    ``:kind=image|video|audio`` says what a link without an extension is (``Reference.kind``); after the voice
    it is taken too. A form with nothing on one side of ``:voice=``, two voices, two kinds or another kind is a
    usage error naming the flag: silently dropping a voice the user typed would make a video with the wrong
    timbre, and be billed."""
    medium, marked, voice = text.partition(":voice=")
    medium, kind = _kind_of(medium, text)
    voice, late = _kind_of(voice, text)
    twice = (kind and late) or ":kind=" in medium + voice
    if not medium.strip() or (marked and not voice.strip()) or ":voice=" in voice or twice:
        raise ValidationError(
            "--reference",
            f"{text!r}: expected FILE or FILE:voice=FILE, optionally FILE:kind=image|video|audio (one image or "
            "video, at most one voice, at most one kind)",
        )
    return Reference(medium, voice=voice or None, kind=kind or late)


def _kind_of(part: str, text: str) -> tuple[str, ReferenceKind | None]:
    """``part`` without its ``:kind=KIND`` tail, and the kind."""
    rest, marked, kind = part.rpartition(":kind=")
    if not marked:
        return part, None
    kinds: dict[str, ReferenceKind] = {name: name for name in get_args(ReferenceKind)}
    if kind not in kinds:
        raise ValidationError("--reference", f"{text!r}: kind must be image, video or audio, got {kind!r}")
    return rest, kinds[kind]


async def cmd_status(args: argparse.Namespace, out: Reporter) -> int:
    async with _client(args) as client:
        out.show(await client.get(args.id))
    return 0


async def cmd_wait(args: argparse.Namespace, out: Reporter) -> int:
    async with _client(args) as client:
        await _follow(client, args.id, args.timeout, out)
    return 0


async def cmd_download(args: argparse.Namespace, out: Reporter) -> int:
    async with _client(args) as client:
        out.say(str(await client.download(args.id, args.out)))
    return 0


async def cmd_cancel(args: argparse.Namespace, out: Reporter) -> int:
    async with _client(args) as client:
        out.show(await client.cancel(args.id))
    return 0

"""``wan-nb`` (also ``python -m wan_nb``): generate, follow and fetch Wan image-to-video tasks from a shell.

Owns the argparse commands and their output: one line per state change (a redrawn progress bar when
stdout is a terminal), the file's path on success, ``wan-nb: error: ...`` and exit 1 on failure, exit 2 for
bad input (nothing was sent), exit 130 on Ctrl-C (the task keeps running server-side; ``resume`` picks it up).
Keys come only from the environment: a ``--api-key`` flag would land in shell history and in
``/proc/<pid>/cmdline``, readable by every local user. Must not import ``wan_nb.protocols``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

from wan_nb.client import AsyncWanClient, BatchItem
from wan_nb.client.journal import Journal, JournalEntry
from wan_nb.client.providers import PROVIDERS, is_loopback
from wan_nb.errors import ConfigError, TaskFailed, ValidationError, WanError
from wan_nb.loop import run_sync
from wan_nb.models import DEFAULT_MODEL, Task, TaskStatus, VideoRequest

__all__ = ["main"]

PROG = "wan-nb"
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130  # 130 = 128 + SIGINT, the shell convention
DEFAULT_TIMEOUT = 1800.0
BAR_WIDTH = 24

Command = Callable[[argparse.Namespace, "Reporter"], Coroutine[Any, Any, int]]


class Reporter:
    """Prints task states: a line per state change; on a terminal, the current line redraws as progress moves."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.last: Task | None = None
        self._open_line = False

    def show(self, task: Task) -> None:
        changed = self.last is None or (task.id, task.status) != (self.last.id, self.last.status)
        self.last = task
        line = state_line(task, time.monotonic() - self.start)
        if self.tty:
            self._redraw(line + _bar(task), newline=changed)
        elif changed:
            self.say(line)

    def _redraw(self, text: str, *, newline: bool) -> None:
        if newline and self._open_line:
            self.stream.write("\n")
        self.stream.write(f"\r{text}\x1b[K")  # carriage return + erase to end of line: no dependency needed
        self.stream.flush()
        self._open_line = True

    def say(self, text: str) -> None:
        """A whole line (ends any progress line being redrawn)."""
        self.end_line()
        print(text, file=self.stream, flush=True)

    def end_line(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False


def state_line(task: Task, elapsed: float) -> str:
    """``<id>  RUNNING  42%  12s`` (the error for failed tasks)."""
    parts = [task.id, status_label(task)]
    if task.progress is not None and not task.done:
        parts.append(f"{task.progress:.0%}")
    parts.append(f"{elapsed:.0f}s")
    if task.error is not None:
        parts.append(f"{task.error.code}: {task.error.message}")
    return "  ".join(parts)


def status_label(task: Task) -> str:
    """The canonical status, plus the wire's own word when no table knew it (``UNKNOWN(EXPIRED)``)."""
    raw = task.status_raw
    known = task.status is not TaskStatus.UNKNOWN or raw in ("", TaskStatus.UNKNOWN.value)
    return task.status.value if known else f"{task.status.value}({raw})"


def _bar(task: Task) -> str:
    if task.progress is None or task.done:
        return ""
    filled = round(min(max(task.progress, 0.0), 1.0) * BAR_WIDTH)
    return f"  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}]"


# --- commands ------------------------------------------------------------------------------------------


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
    )
    async with _client(args) as client:
        task = await client.submit(request)
        out.show(task)
        done = await _follow(client, task, args.timeout, out)
        out.say(str(await client.download(done, args.out)))
    return 0


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


def _journal(args: argparse.Namespace) -> list[JournalEntry]:
    """Journal entries, narrowed by ``--provider`` and ``--base-url`` when given."""
    return Journal().entries(provider=args.provider, base_url=args.base_url)


async def cmd_list(args: argparse.Namespace, out: Reporter) -> int:
    for entry in _journal(args):
        prompt = str(entry.request.get("prompt", "")).replace("\n", " ")
        excerpt = prompt if len(prompt) <= 40 else prompt[:39] + "…"
        path = str(entry.path) if entry.downloaded else "-"
        out.say("  ".join([entry.task_id, entry.provider, entry.status.value, repr(excerpt), path]))
    return 0


async def cmd_resume(args: argparse.Namespace, out: Reporter) -> int:
    """Every (provider, base URL) in the journal with work left: re-attach, wait, download."""
    failures = 0
    for provider, base_url in _pending_sources(_journal(args)):
        try:
            client = AsyncWanClient(provider, base_url=base_url)
        except ConfigError as exc:
            _fail(f"skipping {provider} tasks on {base_url}: {exc}")
            continue
        async with client:
            async for item in client.resume(out=os.path.join(args.out, ""), timeout=args.timeout):
                failures += _report(item, out)
    return EXIT_FAILED if failures else 0


def _report(item: BatchItem, out: Reporter) -> int:
    """Show one resumed task (its last state, then its file or its error); 1 when it failed."""
    if item.task is not None:
        out.show(item.task)
    if item.error is not None:
        _fail(f"error: {item.error}")
        return 1
    if item.task is not None and item.task.path is not None:
        out.say(str(item.task.path))
    return 0


def _pending_sources(entries: Sequence[JournalEntry]) -> list[tuple[str, str]]:
    """(provider, base URL) pairs with an unfinished task or a finished one not yet on disk, in journal order.

    One client per pair: a client resumes only its own provider and API, and needs that provider's key.
    """
    wanted = (
        e
        for e in entries
        if not e.status.is_terminal or (e.status is TaskStatus.SUCCEEDED and not e.downloaded)
    )
    return list(dict.fromkeys((e.provider, e.base_url or _legacy_base_url(e.host)) for e in wanted))


def _legacy_base_url(host: str) -> str:
    # Rows written before the journal kept base URLs hold the host only: http only to loopback (the key rule).
    scheme = "http" if is_loopback(urlsplit(f"//{host}").hostname or host) else "https"
    return f"{scheme}://{host}"


# --- parser and entry point ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree; every task subcommand takes ``--provider`` and ``--base-url``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--provider", choices=list(PROVIDERS), help="default: from the environment, else sim")
    common.add_argument(
        "--base-url", help="override the provider's host (keys come only from the environment)"
    )
    parser = argparse.ArgumentParser(prog=PROG, description="Wan 2.7 image-to-video from the shell.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Command, text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, parents=[common], help=text, description=text)
        command.set_defaults(run=run)
        return command

    gen = add("generate", cmd_generate, "submit a task, follow it, download the video")
    gen.add_argument("--image", required=True, help="first frame: a local file or an http(s) URL")
    gen.add_argument("--prompt", required=True)
    gen.add_argument("--audio", help="driving audio (wav/mp3, 2-30 s)")
    gen.add_argument("--last-frame", help="last frame image")
    gen.add_argument("--resolution", help="720P or 1080P (default 720P)")
    gen.add_argument("--duration", type=int, default=5, help="seconds, 2-15 (default 5)")
    gen.add_argument("--seed", type=int)
    gen.add_argument("--model", default=DEFAULT_MODEL)
    for name, run, text in (
        ("status", cmd_status, "show a task's current state"),
        ("wait", cmd_wait, "follow a task until it ends"),
        ("download", cmd_download, "save a finished task's video"),
        ("cancel", cmd_cancel, "cancel a queued task"),
    ):
        add(name, run, text).add_argument("id", help="task id")
    add("list", cmd_list, "journaled tasks: id, provider, status, prompt, file")
    add("resume", cmd_resume, "re-attach to unfinished journaled tasks and download finished ones")
    sub.add_parser("sim", help="run the simulator server (wan-nb sim --help)", add_help=False)
    for name in ("generate", "wait", "resume"):
        sub.choices[name].add_argument(
            "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait"
        )
    for name in ("generate", "download", "resume"):
        sub.choices[name].add_argument(
            "--out", default="wan_outputs", help="folder, or a file name with an extension"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (``wan-nb`` passes it to ``sys.exit``)."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        if words[:1] == ["sim"]:
            # The simulator (numpy, PyAV, uvicorn) loads only for this command; it parses its own flags.
            from wan_nb.sim import cli_main

            return cli_main(words[1:])
        args = build_parser().parse_args(words)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    out = Reporter(sys.stdout)
    command: Command = args.run
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _note  # a note line, not a source location (e.g. the simulator fallback)
            return run_sync(command(args, out))
    except KeyboardInterrupt:
        out.end_line()
        _fail(_interrupted_note(out.last))
        return EXIT_INTERRUPTED
    except ValidationError as exc:  # includes ConfigError: bad input, nothing was sent
        _fail(f"error: {exc}")
        return EXIT_USAGE
    except WanError as exc:
        _fail(f"error: {exc}")
        return EXIT_FAILED


def _interrupted_note(task: Task | None) -> str:
    if task is None or task.done:
        return "interrupted; journaled tasks are listed by `wan-nb list` and picked up by `wan-nb resume`"
    return (
        f"interrupted; task {task.id} keeps running on the server: "
        f"`wan-nb wait {task.id} --provider {task.provider}` or `wan-nb resume` picks it up"
    )


def _note(message: Warning | str, *_: object, **__: object) -> None:
    _fail(f"note: {message}")


def _fail(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)

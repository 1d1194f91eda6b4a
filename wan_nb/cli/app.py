"""The argparse tree and the entry point: exit codes, Ctrl-C, and warnings turned into note lines.

Must not import ``wan_nb.protocols``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from wan_nb.cli import report
from wan_nb.cli.journal import cmd_list, cmd_resume
from wan_nb.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, PROG, Reporter, fail, note
from wan_nb.cli.tasks import cmd_cancel, cmd_download, cmd_generate, cmd_status, cmd_wait
from wan_nb.client.providers import PROVIDERS
from wan_nb.errors import ValidationError, WanError
from wan_nb.loop import run_sync
from wan_nb.models import Task

__all__ = ["build_parser", "main"]

DEFAULT_TIMEOUT = 1800.0

Command = Callable[[argparse.Namespace, Reporter], Coroutine[Any, Any, int]]


# --- commands ------------------------------------------------------------------------------------------


# --- parser and entry point ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree; every task subcommand takes ``--provider`` and ``--base-url``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--provider", choices=list(PROVIDERS), help="default: from the environment, else sim")
    common.add_argument(
        "--base-url", help="override the provider's host (keys come only from the environment)"
    )
    parser = argparse.ArgumentParser(
        prog=PROG, description="Wan video models (text, image, references, edits) from the shell."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Command, text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, parents=[common], help=text, description=text)
        command.set_defaults(run=run)
        return command

    gen = add("generate", cmd_generate, "submit a task, follow it, download the video")
    gen.add_argument("--prompt", default="", help="what should happen (required for text and references)")
    gen.add_argument("--image", help="first frame (image to video): a local file or an http(s) URL")
    gen.add_argument("--audio", help="audio, wav/mp3 2-30 s: lip-sync (image) or the soundtrack (text)")
    gen.add_argument("--last-frame", help="last frame image")
    gen.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="FILE[:kind=KIND][:voice=FILE]",
        help="a reference image or video (Wan 3.0: also audio), optionally with its voice; :kind=image, video or "
        "audio says what a link without an extension is (repeatable; the prompt calls them "
        '"Image 1", "Video 1"...)',
    )
    gen.add_argument("--video", help="a video to edit (mp4/mov, 2-10 s)")
    gen.add_argument(
        "--ratio", help="16:9, 9:16, 1:1, 4:3 or 3:4, Wan 3.0 also adaptive (text, references, editing)"
    )
    gen.add_argument("--audio-setting", choices=("auto", "origin"), help="editing: new sound or the source's")
    gen.add_argument("--resolution", help="720P or 1080P, Wan 3.0 also 480P (default 720P)")
    gen.add_argument(
        "--duration", type=int, help="seconds (default: the model's, 5; editing keeps the source)"
    )
    gen.add_argument("--seed", type=int)
    gen.add_argument(
        "--model", help="default: chosen from the inputs (video: edit, references, image, else text to video)"
    )
    for name, run, text in (
        ("status", cmd_status, "show a task's current state"),
        ("wait", cmd_wait, "follow a task until it ends"),
        ("download", cmd_download, "save a finished task's video"),
        ("cancel", cmd_cancel, "cancel a queued task"),
    ):
        add(name, run, text).add_argument("id", help="task id")
    add("list", cmd_list, "journaled tasks: id, provider, status, model, prompt, file")
    add("resume", cmd_resume, "re-attach to unfinished journaled tasks and download finished ones")
    report.add_arguments(
        add(
            "report",
            report.cmd_report,
            "write one HTML page of the journaled tasks (posters, videos, prompts)",
        )
    )
    sub.add_parser("sim", help="run the simulator server (wan-nb sim --help)", add_help=False)
    sub.add_parser(
        "doctor", help="what works here (front end, encoder, keys, proxies, journal) and how to fix the rest"
    )
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
            return _sim(words[1:])
        if words[:1] == ["doctor"]:
            from wan_nb.notebook.doctor import doctor

            report = doctor()
            print(report)
            return 0 if report.ok else EXIT_FAILED
        args = build_parser().parse_args(words)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    out = Reporter(sys.stdout)
    command: Command = args.run
    try:
        with warnings.catch_warnings():
            warnings.showwarning = note  # a note line, not a source location (e.g. the simulator fallback)
            return run_sync(command(args, out))
    except KeyboardInterrupt:
        out.end_line()
        fail(_interrupted_note(out.last))
        return EXIT_INTERRUPTED
    except ValidationError as exc:  # includes ConfigError: bad input, nothing was sent
        fail(f"error: {exc}")
        return EXIT_USAGE
    except WanError as exc:
        fail(f"error: {exc}")
        return EXIT_FAILED


def _sim(words: list[str]) -> int:
    """``wan-nb sim``: the simulator as an HTTP server, the one part of wan_nb that needs an extra (uvicorn)."""
    if importlib.util.find_spec("uvicorn") is None:
        fail(
            f"error: {PROG} sim serves over HTTP with uvicorn, which is not installed; run: "
            'pip install "wan_nb[sim]"'
        )
        return EXIT_USAGE
    # The simulator (numpy, PyAV, uvicorn) loads only for this command; it parses its own flags.
    from wan_nb.sim import cli_main

    return cli_main(words)


def _interrupted_note(task: Task | None) -> str:
    if task is None or task.done:
        return "interrupted; journaled tasks are listed by `wan-nb list` and picked up by `wan-nb resume`"
    return (
        f"interrupted; task {task.id} keeps running on the server: "
        f"`wan-nb wait {task.id} --provider {task.provider}` or `wan-nb resume` picks it up"
    )

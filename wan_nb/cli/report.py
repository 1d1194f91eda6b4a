"""``wan-nb report``: one self-contained HTML page of the journaled tasks (``wan_nb.report``).

Must not import ``wan_nb.protocols``.
"""

from __future__ import annotations

import argparse

from wan_nb.cli.output import Reporter
from wan_nb.client.journal import Journal
from wan_nb.client.providers import PROVIDERS
from wan_nb.lab.report import report

__all__ = ["add_arguments", "cmd_report"]


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "file", nargs="?", default="session.html", help="the page to write (default session.html)"
    )
    command.add_argument("--last", type=int, help="only the newest N tasks")
    command.add_argument("--title", default="wan_nb session")
    command.add_argument(
        "--video-cap-mb",
        type=float,
        default=8.0,
        help="embed videos up to this size, link larger ones (default 8)",
    )


async def cmd_report(args: argparse.Namespace, out: Reporter) -> int:
    entries = Journal().entries(provider=args.provider, base_url=args.base_url)
    if args.last is not None:
        entries = entries[-args.last :] if args.last > 0 else []
    regions = {PROVIDERS[e.provider].region if e.provider in PROVIDERS else None for e in entries}
    page = report(
        [(entry.to_request(), entry.to_task()) for entry in entries],
        args.file,
        title=args.title,
        video_cap=int(args.video_cap_mb * 1024 * 1024),
        region=regions.pop() if len(regions) == 1 else None,  # mixed regions: each priced at the default
    )
    out.say(f"{page} ({len(entries)} tasks)")
    return 0

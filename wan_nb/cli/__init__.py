"""``wan-nb`` (also ``python -m wan_nb``): generate, follow and fetch Wan image-to-video tasks from a shell.

One line per state change (a redrawn progress bar when stdout is a terminal), the file's path on success,
``wan-nb: error: ...`` and exit 1 on failure, exit 2 for bad input (nothing was sent), exit 130 on Ctrl-C (the
task keeps running server-side; ``resume`` picks it up). Keys come only from the environment: a ``--api-key``
flag would land in shell history and in ``/proc/<pid>/cmdline``, readable by every local user.
Rooms: ``output`` (what is printed), ``tasks`` and ``journal`` (the commands), ``app`` (parser, entry point).
Must not import ``wan_nb.protocols``.
"""

from wan_nb.cli.app import build_parser, main
from wan_nb.cli.output import Reporter, state_line

__all__ = ["Reporter", "build_parser", "main", "state_line"]

"""``python -m wan_nb.sim [--port 8000] [--host 127.0.0.1] [knob flags]``."""

from __future__ import annotations

import sys

from wan_nb.sim.cli import cli_main

if __name__ == "__main__":
    sys.exit(cli_main())

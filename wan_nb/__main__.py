"""``python -m wan_nb``: the same as the ``wan-nb`` command."""

from __future__ import annotations

import sys

from wan_nb.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``import wan_nb`` stays light (issue 2, behaviour 9): no widgets, no PyAV, no simulator until used.

The module set is asserted. Time is only measured and printed (``pytest -s``): timing assertions flake.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

HEAVY = ("ipywidgets", "av", "numpy", "PIL", "uvicorn", "wan_nb.sim", "wan_nb.widgets")
RUNS = 5


def _fresh(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def test_import_wan_nb_loads_no_heavy_module() -> None:
    code = f"import sys, json, wan_nb; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    assert json.loads(_fresh(code)) == []


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(_fresh(code))


def test_import_time_beside_httpx() -> None:
    """Median of fresh-interpreter imports; the figure for the issue's closing note."""
    wan_nb = statistics.median(_import_seconds("wan_nb") for _ in range(RUNS))
    httpx = statistics.median(_import_seconds("httpx") for _ in range(RUNS))
    print(
        f"\nimport wan_nb {wan_nb * 1000:.0f} ms, import httpx {httpx * 1000:.0f} ms, ratio {wan_nb / httpx:.2f}"
    )

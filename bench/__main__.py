"""``python -m bench`` (``make bench``): run every benchmark, write ``bench/RESULTS.md``.

    python -m bench                      # all seven, a few minutes on 2 cores
    python -m bench --only polling,download

Each benchmark is a module with ``run() -> Result``; one that crashes is reported as "not run" with its error
instead of hiding the others. RESULTS.md is rewritten after each benchmark, so an interrupted run still leaves
the figures gathered so far.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from bench import report
from bench._common import Result


def method_text(doc: str) -> str:
    """A module docstring minus its title line, with RST ``literals`` turned into markdown `literals`."""
    body = doc.strip().split("\n", 1)[1] if "\n" in doc.strip() else ""
    body = body.strip()
    if body.startswith("Method") and ":" in body[:40]:
        body = body.split(":", 1)[1].strip()  # the section already says "Method."
        body = body[:1].upper() + body[1:]
    return body.replace("``", "`")


ORDER = ("polling", "overhead", "throughput", "download", "startup", "render", "poster")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
NOTES = [
    "Method notes and, for every goal not met, the reason and what would close it, are in each section below.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(ORDER)}")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(ORDER)
    unknown = sorted(set(names) - set(ORDER))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    results: list[Result] = []
    failures: dict[str, str] = {}
    NOTES.append(
        f"The machine is shared (other engineers' builds and tests run on it): load average {os.getloadavg()[0]:.2f} "
        "at the start of this run; the end value is in the Machine section. Sleep-dominated figures (polling) "
        "barely move with load; CPU-bound ones (render, download, overhead wall time) do."
    )
    for name in names:
        began = time.perf_counter()
        print(f"bench: {name} ...", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.run()
            result.method = method_text(module.__doc__ or "")
            results.append(result)
        except Exception as exc:  # a broken benchmark must not hide the others' figures
            traceback.print_exc()
            failures[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        print(f"bench: {name} done in {time.perf_counter() - began:.0f} s", flush=True)
        report.write(args.out, results, failures, NOTES)
    print(report.render(results, failures, NOTES))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

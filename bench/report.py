"""RESULTS.md: the machine, the goals table (met / not met) and each benchmark's detail section."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench._common import Result

PACKAGES = (
    "wan_nb",
    "httpx",
    "httpcore",
    "dashscope",
    "aiohttp",
    "requests",
    "openai",
    "uvicorn",
    "av",
    "ipywidgets",
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def machine_lines() -> list[str]:
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores; memory {memory_gib():.0f} GiB; load average at the end "
        f"{os.getloadavg()[0]:.2f}",
        f"- OS: {platform.platform()}",
        f"- Python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"- Packages: {versions()}",
    ]


def verdict(met: bool | None) -> str:
    return "—" if met is None else ("**met**" if met else "**not met**")


def render(results: list[Result], failures: dict[str, str], notes: list[str]) -> str:
    lines = [
        "# wan_nb benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every ratio is measured in the same run, against the "
        "official SDKs on the same local simulator. Nothing here is asserted by the test suite.",
        "",
        "## Machine",
        "",
        *machine_lines(),
        "",
        "## Goals",
        "",
        "| goal | measured | target | verdict |",
        "|---|---|---|---|",
    ]
    for result in results:
        for goal in result.goals:
            lines.append(f"| {goal.name} | {goal.measured} | {goal.target} | {verdict(goal.met)} |")
    for name, error in failures.items():
        lines.append(f"| {name} | did not run: {error} | — | **not run** |")
    lines += ["", *notes]
    for result in results:
        lines += ["", f"## {result.title}", ""]
        if result.method:
            gap = "\n\n" if result.method.startswith("- ") else " "  # a list needs its own paragraph
            lines += ["**Method.**" + gap + result.method, ""]
        lines += result.details
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path, results: list[Result], failures: dict[str, str], notes: list[str]) -> None:
    path.write_text(render(results, failures, notes), "utf-8")

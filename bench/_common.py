"""What every benchmark shares: the test image, the key, the request shapes, statistics and the result row."""

from __future__ import annotations

import base64
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

KEY = "sk-bench-local-only"
MODEL = "wan2.7-i2v"


@cache
def png_data_uri(width: int = 320, height: int = 240) -> str:
    """A small first frame as a ``data:`` URI: every client sends the same bytes, no upload step, and the
    simulator renders it for real (one render, cached: all benchmark tasks share image, seed and duration)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "teal")
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, width // 2, height // 2), fill="orange")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def prompt(index: int, tag: str) -> str:
    """A distinct prompt per task, so the simulator's per-fingerprint create counter can spot a duplicate."""
    return f"bench {tag} #{index}: a cat turns its head toward the window"


def native_media() -> list[dict[str, str]]:
    return [{"type": "first_frame", "url": png_data_uri()}]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    return percentile(values, 95)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p99 is a latency that really happened)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Goal:
    """One row of the RESULTS.md table."""

    name: str
    measured: str
    target: str
    met: bool | None  # None: informational, no goal


@dataclass
class Result:
    """A benchmark's goals plus its detail section (markdown) for RESULTS.md."""

    title: str
    goals: list[Goal] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    raw: dict[str, object] = field(default_factory=dict)
    method: str = ""
    """How it was measured (the benchmark module's docstring, set by ``bench.__main__``)."""

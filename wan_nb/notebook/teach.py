"""What the tutorials share, public so that a teacher's own notebook can use it too.

- :func:`show` prints a JSON body with long strings (``data:`` URIs, signed URLs) clipped.
- :func:`table` is a small HTML table (pandas is not a dependency), :func:`videos` a row of captioned videos,
  :func:`grid` a table of videos (prompt × seed, camera move × subject, ...).
- :func:`api_key` returns a real provider's key from the environment, or raises a :class:`ConfigError` that
  says what to do (never a bare ``KeyError``).

The HTML builders are pure string building on ``wan_nb.display.html``: every value is escaped (prompts and
error texts may come from a server), videos are written by its one ``<video>`` writer, and each result also
has a plain-text form for front ends that show no HTML. Local videos play the way saved task cards do (:func:`wan_nb.display.frontend.playback` with ``saved=True``):
by a path relative to the working folder where a Jupyter server serves it (notebook_tech.md §2.2), else
embedded as a ``data:`` URI below :data:`wan_nb.display.frontend.EMBED_CAP` (Colab, VS Code, nbclient), else named.
"""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from wan_nb.client.providers import PROVIDERS, with_colab_secrets
from wan_nb.display import frontend
from wan_nb.display.html import escape, served_path, video_data_uri, video_tag
from wan_nb.errors import ConfigError
from wan_nb.models import Task

__all__ = ["Html", "Shown", "api_key", "clip", "grid", "show", "table", "videos"]

Shown: TypeAlias = Task | Path | str | None
"""What a video slot shows: a task (its saved file, else its error or status), a file, a text, or nothing."""

_RED = "color:#b91c1c"
_MUTED = "color:var(--jp-ui-font-color2,#6b7280)"


@dataclass(frozen=True)
class Html:
    """An HTML snippet: Jupyter renders ``html``; ``repr()`` (terminals, text-only outputs) is ``text``."""

    html: str
    text: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def clip(value: object, limit: int = 80) -> object:
    """``value`` with every string longer than ``limit`` cut to ``limit`` characters (ending in …)."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    if isinstance(value, Mapping):
        return {key: clip(inner, limit) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [clip(inner, limit) for inner in value]
    return value


def show(value: object, *, limit: int = 80) -> None:
    """Print ``value`` as indented JSON, long strings clipped, so the structure stays readable."""
    print(json.dumps(clip(value, limit), indent=2, ensure_ascii=False, default=str))


def table(rows: Iterable[Sequence[object]], header: Sequence[object]) -> Html:
    """An HTML table of ``rows`` under ``header``; every cell is shown with ``str()`` and escaped."""
    lines = [[str(cell) for cell in header], *([str(cell) for cell in row] for row in rows)]
    head = "".join(f"<th>{escape(cell)}</th>" for cell in lines[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in lines[1:]
    )
    return Html(f"<table><tr>{head}</tr>{body}</table>", _text_table(lines))


def videos(items: Mapping[str, Shown], *, width: int = 260, front: frontend.FrontEnd | None = None) -> Html:
    """Captioned videos side by side, one per ``caption: task or file`` (wrapping on narrow screens)."""
    front = frontend.detect() if front is None else front
    figures = "".join(
        f"<figure style='margin:4px'>{_slot(shown, width, front)}<figcaption>{escape(caption)}</figcaption></figure>"
        for caption, shown in items.items()
    )
    text = "\n".join(f"{caption}: {_plain(shown)}" for caption, shown in items.items())
    return Html(f"<div style='display:flex;flex-wrap:wrap'>{figures}</div>", text)


def grid(
    cells: Mapping[tuple[Hashable, Hashable], Shown],
    rows: Sequence[Hashable],
    columns: Sequence[Hashable],
    *,
    width: int = 240,
    front: frontend.FrontEnd | None = None,
) -> Html:
    """A table of videos: one row per ``rows`` label, one column per ``columns`` label, ``cells[row, column]``."""
    front = frontend.detect() if front is None else front
    head = "<tr><th></th>" + "".join(f"<th>{escape(column)}</th>" for column in columns) + "</tr>"
    body = "".join(
        f"<tr><th style='max-width:220px;text-align:left'>{escape(row)}</th>"
        + "".join(f"<td>{_slot(cells.get((row, column)), width, front)}</td>" for column in columns)
        + "</tr>"
        for row in rows
    )
    lines = [["", *map(str, columns)]]
    lines += [[str(row), *(_plain(cells.get((row, column))) for column in columns)] for row in rows]
    return Html(f"<table>{head}{body}</table>", _text_table(lines))


def api_key(provider: str, env: Mapping[str, str] | None = None) -> str:
    """The key of a real ``provider`` from the environment; a ConfigError saying how to set it when absent."""
    row = PROVIDERS.get(provider)
    if row is None:
        raise ConfigError("provider", f"unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}")
    if row.key_env is None:
        raise ConfigError("provider", f"{provider!r} is a simulator: it needs no key")
    key = (with_colab_secrets(os.environ) if env is None else env).get(row.key_env)
    if not key:
        twin = next(
            name for name, other in PROVIDERS.items() if other.is_sim and other.dialect == row.dialect
        )
        raise ConfigError(
            "api_key",
            f"provider {provider!r} reads its key from {row.key_env}, which is not set. Set it in the "
            f"environment before starting Jupyter (on Colab: add it under Secrets, the key icon, and let this "
            f"notebook read it), or set provider = None to use the free simulator ({twin!r}).",
        )
    return key


def _slot(shown: Shown, width: int, front: frontend.FrontEnd) -> str:
    if isinstance(shown, Task):
        if shown.path is not None:
            return _video(shown.path, width, front) + f"<br><code>{escape(shown.id[:12])}…</code>"
        return f"<span style='{_RED}'>{escape(_plain(shown))}</span>"
    if isinstance(shown, Path):
        return _video(shown, width, front)
    if shown is None:
        return f"<span style='{_MUTED}'>missing</span>"
    return f"<span style='{_RED}'>{escape(shown)}</span>"


def _video(path: Path, width: int, front: frontend.FrontEnd) -> str:
    relative = served_path(path)
    size = path.stat().st_size if path.is_file() else None
    mode = frontend.playback(front, live_url=False, relative=relative is not None, size=size, saved=True)
    if mode == "relative" and relative is not None:
        src = relative
    elif mode == "embed":
        src = video_data_uri(path)
    else:  # too large to embed here, or not on disk
        return f"<code>{escape(path)}</code>"
    # single quotes, like the rest of this module's markup
    return video_tag(src, f"width='{width}' controls muted loop playsinline preload='metadata'", quote="'")


def _plain(shown: Shown) -> str:
    if isinstance(shown, Task):
        if shown.path is not None:
            return str(shown.path)
        if shown.error is not None:
            return f"{shown.status.value}: {shown.error.code}: {shown.error.message}"
        return shown.status.value
    return "missing" if shown is None else str(shown)


def _text_table(lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(line[index]) for line in lines) for index in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(wide) for cell, wide in zip(line, widths, strict=False)).rstrip()
        for line in lines
    )

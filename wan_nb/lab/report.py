"""One self-contained HTML page of a session's tries, for docs and teaching: ``wan_nb.report(tasks, path)``.

Each try shows its poster, its video, the prompt and what the service made of it (a word diff, ``promptdiff``),
its task and model, its inputs (reference thumbnails labelled "Image 1", "Video 1", the source clip's poster and
length, the first frame), the try it was chained from, its duration (an edit's 0 as "the source's length", Wan
3.0's -1 as "the model picks", with the length made once known), its parameters (ratio and ``audio_setting``
included), seed, ids, billed seconds (output and input video) and cost; the header sums the seconds and the cost. Posters are ``data:`` URIs; a video up to ``video_cap`` bytes is embedded
as a ``data:`` URI too, so the file opens and plays offline, anywhere (a mail attachment, a static site); a
larger one is linked by its path relative to the page (keep the folder together). Nothing else is fetched: no
script, font or stylesheet from elsewhere. Every piece of text is escaped (prompts and errors come from users
and servers). ``wan-nb report`` builds the same page from the journal.
Reads only the local files of the tasks; imports no httpx, asyncio or ipywidgets.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from wan_nb.display.html import escape, poster_uri, video_data_uri, video_tag
from wan_nb.display.inputs import billed, duration_text, inputs_html, model_line, out_and_in
from wan_nb.errors import ValidationError
from wan_nb.family import WAN27_I2V
from wan_nb.lab.pricing import Price, PriceKey, billed_seconds, money, price_of, tier_of, tier_of_usage
from wan_nb.lab.promptdiff import diff
from wan_nb.media.atomic import write_atomically
from wan_nb.models import Task, TaskStatus, VideoRequest

__all__ = ["DEFAULT_VIDEO_CAP", "Tried", "report"]

DEFAULT_VIDEO_CAP = 8 * 1024 * 1024
"""Largest video embedded in the page (base64 makes it a third bigger); larger ones are linked."""
INPUT_WIDTH = 96
"""Pixels an input's thumbnail is shown wide."""


class Tried(Protocol):
    """Anything with the request and the task of one try: ``client.map``'s BatchItem, a panel card."""

    @property
    def request(self) -> VideoRequest | None: ...

    @property
    def task(self) -> Task | None: ...


Entry = Task | Tried | tuple[VideoRequest | None, Task]


@dataclass(frozen=True, slots=True)
class _Try:
    request: VideoRequest | None
    task: Task


def report(
    tasks: Iterable[Entry],
    path: str | PathLike[str] = "session.html",
    *,
    title: str = "wan_nb session",
    video_cap: int = DEFAULT_VIDEO_CAP,
    region: str | None = None,
    prices: Mapping[PriceKey, Price] | None = None,
) -> Path:
    """Write the page for ``tasks`` (Tasks, BatchItems, cards or ``(request, task)`` pairs) and return its path.

    Costs are priced for ``region`` (``wan_nb.lab.pricing``; None: its default) from the task's billed usage, else
    estimated from the request. The page is written atomically.
    """
    tries = [_as_try(item) for item in tasks]
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValidationError("path", f"{target}: give a .html file name")
    folder = target.parent.resolve()
    sections = [_section(one, folder, video_cap, region, prices) for one in tries]
    total = _billed_total(tries) + _total(tries, region, prices)
    page = _page(title, sections, total)
    _write_atomically(target, page)
    return target


def _as_try(item: Entry) -> _Try:
    if isinstance(item, Task):
        return _Try(None, item)
    if isinstance(item, tuple):
        request, task = item
        return _Try(request, task)
    if item.task is None:
        raise ValidationError("tasks", "an item has no task (a create that failed): leave it out")
    return _Try(item.request, item.task)


# -- one try ------------------------------------------------------------------------------------------------


def _section(
    one: _Try, folder: Path, cap: int, region: str | None, prices: Mapping[PriceKey, Price] | None
) -> str:
    task, request = one.task, one.request
    still = poster_uri(task.path) if task.path is not None and task.path.is_file() else ""
    parts = [
        f'<h2><span class="status status-{escape(task.status.value.lower())}">{escape(task.status.value)}</span> '
        f"<code>{escape(task.id)}</code></h2>",
        _video(task, still, folder, cap),
        _prompts(request, task),
        inputs_html(request, frames=True, width=INPUT_WIDTH),
        _facts(request, task, _cost_text(one, region, prices)),
    ]
    if task.error is not None:
        parts.append(f'<p class="error"><b>{escape(task.error.code)}</b>: {escape(task.error.message)}</p>')
    return '<section class="try">' + "".join(parts) + "</section>"


_PLAYER = "controls playsinline muted"


def _video(task: Task, still: str, folder: Path, cap: int) -> str:
    if task.path is None or not task.path.is_file():
        note = (
            "no video (the task did not succeed)"
            if task.status is not TaskStatus.SUCCEEDED
            else "not downloaded"
        )
        return f'<p class="muted">{escape(note)}</p>'
    size = task.path.stat().st_size
    if size <= cap:
        return video_tag(video_data_uri(task.path), _PLAYER + ' preload="auto"', poster=still)
    link = _relative_link(task.path, folder)
    return (
        video_tag(link, _PLAYER + ' preload="metadata"', poster=still)
        + f'<p class="muted">{escape(f"{size / 1e6:.1f} MB")}, linked beside this page: '
        f'<a href="{escape(link)}">{escape(task.path.name)}</a></p>'
    )


def _relative_link(path: Path, folder: Path) -> str:
    try:
        return quote(Path(os.path.relpath(path.resolve(), folder)).as_posix())
    except ValueError:  # another drive (Windows): only an absolute file URI reaches it
        return path.resolve().as_uri()


def _prompts(request: VideoRequest | None, task: Task) -> str:
    asked = request.prompt if request is not None else None
    rows = []
    if asked is not None:
        rows.append(f'<div><b>prompt</b><pre class="prompt">{escape(asked)}</pre></div>')
    if task.prompt and asked is not None and task.prompt.strip() != asked.strip():
        rewrite = diff(asked, task.prompt)
        rows.append(f"<div><b>what the service did to it</b>{rewrite.html()}</div>")
    elif task.prompt and asked is None:
        rows.append(
            f'<div><b>prompt (as the service used it)</b><pre class="prompt">{escape(task.prompt)}</pre></div>'
        )
    return "".join(rows)


def _facts(request: VideoRequest | None, task: Task, cost: str) -> str:
    facts: list[tuple[str, str]] = [("provider", task.provider)]
    if request is not None:
        facts += [("model", model_line(request)), ("duration", duration_text(request, task.usage))]
        if request.parent:
            facts.append(("chained from", request.parent))
        facts += [
            (name, str(getattr(request, name))) for name in _SETTINGS if getattr(request, name) is not None
        ]
        facts += [(field, _medium(value)) for field, value in request.inputs().items()]
    if task.request_id:
        facts.append(("request id", task.request_id))
    if task.created_at is not None:
        facts.append(("created", f"{task.created_at:%Y-%m-%d %H:%M:%S %Z}".strip()))
    seconds = billed(task.usage)
    if seconds is not None:
        facts.append(("billed", out_and_in(*seconds)))
    if cost:
        facts.append(("cost", cost))
    cells = "".join(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in facts)
    return f'<table class="facts">{cells}</table>'


_SETTINGS = (
    "resolution", "size", "ratio", "audio_setting", "seed", "prompt_extend", "negative_prompt", "watermark",
    "audio",
)  # fmt: skip


def _medium(value: object) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    if isinstance(value, str) and value.startswith("data:"):
        return "a data: URI"
    if isinstance(value, str) and "://" in value:
        return value.split("?", 1)[0]  # a signed URL's query is its signature
    if isinstance(value, str | PathLike):
        return Path(os.fspath(value)).name
    return type(value).__name__


# -- cost ---------------------------------------------------------------------------------------------------


def _cost(
    one: _Try, region: str | None, prices: Mapping[PriceKey, Price] | None
) -> tuple[float, str, bool] | None:
    """(amount, currency, billed) from the task's usage, else an estimate from its request; None if unknown."""
    usage, request = one.task.usage, one.request
    model = request.chosen_model if request is not None else WAN27_I2V.model
    try:
        tier = tier_of_usage(usage) if usage is not None else None
        if usage is not None and usage.billed_seconds is not None and tier is not None:
            price = price_of(model, tier, region, prices)
            return usage.billed_seconds * price.per_second, price.currency, True
        if request is not None and one.task.status is not TaskStatus.FAILED:
            price = price_of(model, tier_of(request), region, prices)
            return billed_seconds(request) * price.per_second, price.currency, False
    except ValidationError:
        return None  # no price for this model: the page says nothing rather than a wrong number
    return None


def _cost_text(one: _Try, region: str | None, prices: Mapping[PriceKey, Price] | None) -> str:
    found = _cost(one, region, prices)
    if found is None:
        return ""
    amount, currency, billed = found
    return money(amount, currency) + ("" if billed else " (estimated)")


def _total(tries: list[_Try], region: str | None, prices: Mapping[PriceKey, Price] | None) -> str:
    costs = [c for c in (_cost(one, region, prices) for one in tries) if c is not None]
    currencies = {currency for _, currency, _ in costs}
    if len(currencies) != 1:
        return ""
    return f" · about {money(sum(amount for amount, _, _ in costs), currencies.pop())}"


def _billed_total(tries: list[_Try]) -> str:
    found = [seconds for seconds in (billed(one.task.usage) for one in tries) if seconds is not None]
    if not found:
        return ""
    return " · billed " + out_and_in(sum(made for made, _ in found), sum(taken for _, taken in found))


# -- the page -----------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#111827}
.try{border:1px solid #d1d5db;border-radius:8px;padding:12px 16px;margin:16px 0}
h2{font-size:15px;margin:0 0 8px} video{width:100%;max-width:640px;display:block;background:#000}
img{max-width:320px} .muted{color:#6b7280} .error{color:#b91c1c} pre{white-space:pre-wrap;margin:2px 0 8px}
.status{color:#fff;border-radius:4px;padding:1px 7px;font-size:12px;background:#6b7280}
.status-succeeded{background:#15803d} .status-failed{background:#b91c1c} .status-running{background:#2563eb}
table.facts{border-collapse:collapse;font-size:13px;margin-top:6px}
table.facts th{text-align:left;color:#6b7280;font-weight:normal;padding:1px 12px 1px 0}
"""


def _page(title: str, sections: list[str], total: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M")
    count = f"{len(sections)} {'try' if len(sections) == 1 else 'tries'}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        # No request leaves the page: everything it shows is inside it (or linked beside it).
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "media-src data: file: 'self'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="muted">{escape(count + total)} · made with wan_nb on {escape(stamp)}</p>'
        + "".join(sections)
        + "</body></html>\n"
    )


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text.encode("utf-8"))

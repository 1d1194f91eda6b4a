"""Exploratory prompting: a grid of prompts (rows) × values of one setting (columns), side by side.

It works for every task the form makes: the rows replace the prompt of the form's request, whatever its task,
so on *Edit a video* they are several edit instructions over one source clip (with "nothing" as the axis: one
column), and on *References → video* several sentences over the same references.

Every cell is a billed task, so the grid is capped at :data:`MAX_CELLS`; its cells go through the panel's
concurrency gate like single runs (``_jobs.py``): DashScope answers 429 ``Throttling`` past an account's
concurrent-task quota (protocol.md §2). The "size" axis takes the values the dialect's ``shape`` calls for: a
resolution tier natively, ``WxH`` on the gateway, which refuses ``720P`` as malformed (protocol.md §4).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import ipywidgets as widgets

from wan_nb.client import Capabilities, capabilities_of
from wan_nb.client.providers import provider_capabilities
from wan_nb.errors import ValidationError
from wan_nb.family import ModelSpec, spec_of
from wan_nb.models import VideoRequest
from wan_nb.validation import validate
from wan_nb.widgets._media_field import error_html

__all__ = ["AXES", "MAX_CELLS", "Cell", "CompareView", "first_refusal"]

MAX_CELLS = 12
NO_AXIS = "none"
AXES = [
    ("nothing (one column)", NO_AXIS),
    ("seed", "seed"),
    ("duration (s)", "duration"),
    ("size / resolution", "size"),
    ("prompt extension", "prompt_extend"),
]
_DEFAULT_VALUES = {
    NO_AXIS: "",
    "seed": "1, 2, 3",
    "duration": "3, 5, 8",
    "size": "720P, 1080P",
    "prompt_extend": "true, false",
}
_GATEWAY_SIZES = "1280x720, 1920x1080"
"""The "size" axis's default on the unified gateway (the same two tiers, as the WxH it takes)."""

Cell = tuple[str, VideoRequest]
"""A column label and the request of one grid cell."""


class CompareView(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """The grid's inputs, its Run button and the GridBox the panel fills with compact cards."""

    def __init__(self, capabilities: Capabilities | None = None) -> None:
        self.capabilities = dialect = capabilities or capabilities_of("sim")
        self.prompts = widgets.Textarea(
            placeholder="One prompt per line (empty: the form's prompt)", layout=widgets.Layout(width="100%")
        )
        self.axis = widgets.Dropdown(options=AXES, value="seed", description="Vary")
        self.values = widgets.Text(value=_defaults("seed", dialect), description="Values")
        self.run = widgets.Button(description="Run grid", icon="th", tooltip="Run every prompt × value")
        self.run.add_class("wan-compare-run")
        self.error = widgets.HTML()
        self.estimate = widgets.HTML()
        """What the grid would cost and take, before it is run (the panel keeps it current)."""
        self.estimate.add_class("wan-estimate-grid")
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_gap="6px"))
        self.axis.observe(
            lambda change: setattr(self.values, "value", _defaults(change["new"], self.capabilities)),
            names="value",
        )
        note = widgets.HTML(
            f'<small style="color:#6b7280">Each cell is one billed task; at most {MAX_CELLS} cells, '
            "run a few at a time within the provider's limits. The other settings come from the form.</small>"
        )
        super().__init__(
            [
                self.prompts,
                widgets.HBox([self.axis, self.values, self.run]),
                self.estimate,
                note,
                self.error,
                self.grid,
            ]
        )

    def cells(self, base: VideoRequest, dialect: Capabilities) -> list[list[Cell]]:
        """Rows of cells: one row per prompt, one column per value. ValidationError for bad values."""
        prompts = [line.strip() for line in self.prompts.value.splitlines() if line.strip()] or [base.prompt]
        axis = str(self.axis.value)
        if axis == NO_AXIS:
            if len(prompts) > MAX_CELLS:
                raise ValidationError("values", f"{len(prompts)} cells; at most {MAX_CELLS}")
            noun = "instruction" if spec_of(base.chosen_model).source_video is not None else "prompt"
            return [[(f"{noun} {i + 1}", replace(base, prompt=p))] for i, p in enumerate(prompts)]
        values = [_parse(axis, text) for text in str(self.values.value).split(",") if text.strip()]
        if not values:
            raise ValidationError("values", "give at least one value, separated by commas")
        if len(prompts) * len(values) > MAX_CELLS:
            raise ValidationError("values", f"{len(prompts)} × {len(values)} cells; at most {MAX_CELLS}")
        field = _field(axis, dialect)
        return [
            [(f"{axis}={value}", replace(base, prompt=p, **{field: value})) for value in values]
            for p in prompts
        ]

    def set_task(self, spec: ModelSpec) -> None:
        """Say what a row is for the form's task: an edit instruction over the same source, or a prompt."""
        self.prompts.placeholder = (
            "One edit instruction per line, all on the form's source video (empty: the form's instruction)"
            if spec.source_video is not None
            else "One prompt per line (empty: the form's prompt)"
        )

    def set_dialect(self, dialect: Capabilities) -> None:
        """Follow the provider's dialect; the "size" values follow too while they are the old default."""
        old, self.capabilities = _defaults(str(self.axis.value), self.capabilities), dialect
        if self.values.value == old:
            self.values.value = _defaults(str(self.axis.value), dialect)

    def show_cells(self, cards: list[widgets.Widget], columns: int) -> None:
        """Lay the cards out ``columns`` to a row."""
        self.grid.layout.grid_template_columns = f"repeat({columns}, minmax(0, 1fr))"
        self.grid.children = tuple(cards)

    def flag(self, message: str) -> None:
        self.error.value = error_html(message)

    def clear(self) -> None:
        self.error.value = ""


def _defaults(axis: str, dialect: Capabilities) -> str:
    """The values an axis starts with, for a dialect."""
    if axis == "size" and dialect.shape == "size":
        return _GATEWAY_SIZES
    return _DEFAULT_VALUES[axis]


def _field(axis: str, dialect: Capabilities) -> str:
    # Natively the size is a resolution tier (720P/1080P); on the gateway a WxH size (protocol.md §4).
    if axis == "size":
        return dialect.shape
    return axis


def _parse(axis: str, text: str) -> Any:
    text = text.strip()
    if axis in ("seed", "duration"):
        try:
            return int(text)
        except ValueError:
            raise ValidationError("values", f"{text!r} is not a whole number") from None
    if axis == "prompt_extend":
        if text.lower() not in ("true", "false"):
            raise ValidationError("values", f"{text!r}: write true or false")
        return text.lower() == "true"
    return text


def first_refusal(rows: list[list[Cell]], dialect: Capabilities, *, cloud: bool = True) -> str | None:
    """The first grid cell the service would refuse, explained; None when all are valid."""
    for row in rows:
        for label, request in row:
            try:
                validate(request, dialect, cloud=cloud, providers=provider_capabilities())
            except ValidationError as exc:
                return f"{label} ({request.prompt[:40]!r}): {exc}"
    return None

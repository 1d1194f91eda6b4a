"""The form: every input of a request, its live explanations, and the request it makes.

The form knows the *capabilities* of the chosen provider's dialect and nothing else about the wire: an input
the dialect does not carry is disabled with the reason beside it (the unified gateway carries only the prompt,
the first image, size, seconds, seed and generate_audio: protocol.md §1, §4), and the size choices are
``WxH`` where the dialect states a size but ``720P``/``1080P`` where it states a resolution tier (the aspect
ratio then follows the first frame).
Only values the user moved away from the service's defaults are sent (be strict in what you send).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from wan_nb.client import Capabilities, capabilities_of
from wan_nb.family import WAN27_I2V
from wan_nb.models import VideoRequest
from wan_nb.widgets._media_field import MediaField, error_html

__all__ = ["InputForm"]

PANEL_MODEL = WAN27_I2V.model
"""What the form makes: image-to-video (a task picker for the family is the panel's next step)."""

PROMPT_LIMIT = 5000
NEGATIVE_LIMIT = 500
SEED_MAX = 2_147_483_647
NATIVE_SIZES = [("720P (aspect of the first frame)", "720P"), ("1080P (aspect of the first frame)", "1080P")]
GATEWAY_SIZES = [
    ("1280×720 landscape", "1280x720"),
    ("720×1280 portrait", "720x1280"),
    ("1920×1080 landscape", "1920x1080"),
    ("1080×1920 portrait", "1080x1920"),
]
GATEWAY_REASON = (
    "not on the unified gateway (it carries only the prompt, first frame, size, duration, seed, audio)"
)
"""Why an input is disabled: the only dialect that lacks fields is the gateway's (its carries say which)."""
_WIDE = widgets.Layout(width="100%")


class InputForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Inputs of one request; :meth:`request` builds it, :meth:`flag` explains a bad field beside it."""

    def __init__(
        self, *, prompt: str = "", first_frame: Any = None, capabilities: Capabilities | None = None
    ) -> None:
        self.first_frame = MediaField("first_frame", "First frame", accept="image/*", image=True)
        self.last_frame = MediaField("last_frame", "Last frame", accept="image/*", image=True)
        self.driving_audio = MediaField(
            "driving_audio", "Driving audio", accept="audio/*,.wav,.mp3", image=False
        )
        self.first_clip = MediaField(
            "first_clip", "Continue clip", accept="video/mp4,video/quicktime,.mp4,.mov", image=False
        )
        self.prompt = widgets.Textarea(
            value=prompt, placeholder="What should happen in the video", layout=_WIDE
        )
        self.negative_prompt = widgets.Textarea(placeholder="What to avoid (optional)", layout=_WIDE, rows=2)
        self.prompt_count = widgets.HTML()
        self.negative_count = widgets.HTML()
        self.size = widgets.Dropdown(description="Size")
        self.duration = widgets.IntSlider(value=5, min=2, max=15, description="Seconds")
        self.seed = widgets.BoundedIntText(value=0, min=0, max=SEED_MAX, description="Seed", disabled=True)
        self.random_seed = widgets.Checkbox(value=True, description="random seed", indent=False)
        self.prompt_extend = widgets.Checkbox(
            value=True, description="let the service extend the prompt", indent=False
        )
        self.watermark = widgets.Checkbox(value=False, description="watermark", indent=False)
        self.audio = widgets.Checkbox(value=True, description="generate audio", indent=False)
        self.native_note = widgets.HTML()
        self.errors: dict[str, str] = {}
        """Field name → message currently shown beside it."""
        self._error_boxes = {
            name: widgets.HTML()
            for name in ("prompt", "negative_prompt", "size", "duration", "seed", "flags")
        }
        self._wire()
        super().__init__(self._rows())
        self.capabilities = capabilities or capabilities_of("sim")
        self.set_dialect(self.capabilities)
        self.first_frame.set(first_frame)
        self._count(self.prompt, self.prompt_count, PROMPT_LIMIT)
        self._count(self.negative_prompt, self.negative_count, NEGATIVE_LIMIT)

    def _wire(self) -> None:
        self.prompt.observe(
            lambda _: self._count(self.prompt, self.prompt_count, PROMPT_LIMIT), names="value"
        )
        self.negative_prompt.observe(
            lambda _: self._count(self.negative_prompt, self.negative_count, NEGATIVE_LIMIT), names="value"
        )
        self.random_seed.observe(lambda change: setattr(self.seed, "disabled", change["new"]), names="value")

    def _rows(self) -> list[widgets.Widget]:
        boxes = self._error_boxes
        flags = widgets.HBox([self.prompt_extend, self.watermark, self.audio])
        return [
            self.first_frame.row,
            widgets.HTML("<b>Prompt</b>"),
            self.prompt,
            widgets.HBox([self.prompt_count, boxes["prompt"]]),
            widgets.HTML("<b>Negative prompt</b>"),
            self.negative_prompt,
            widgets.HBox([self.negative_count, boxes["negative_prompt"]]),
            self.last_frame.row,
            self.driving_audio.row,
            self.first_clip.row,
            widgets.HBox([self.size, boxes["size"]]),
            widgets.HBox([self.duration, boxes["duration"]]),
            widgets.HBox([self.seed, self.random_seed, boxes["seed"]]),
            flags,
            boxes["flags"],
            self.native_note,
        ]

    def _count(self, area: widgets.Textarea, label: widgets.HTML, limit: int) -> None:
        used = len(area.value)
        colour = "#b91c1c" if used > limit else "#6b7280"
        label.value = f'<small class="wan-count" style="color:{colour}">{used} / {limit} characters</small>'

    # -- dialect --------------------------------------------------------------------------------------------

    def set_dialect(self, capabilities: Capabilities) -> None:
        """Enable what the dialect carries; disable the rest with the reason beside it."""
        self.capabilities = capabilities
        carries = capabilities.carries
        self.last_frame.enable(None if "last_frame" in carries else GATEWAY_REASON)
        self.driving_audio.enable(None if "driving_audio" in carries else GATEWAY_REASON)
        self.first_clip.enable(None if "first_clip" in carries else GATEWAY_REASON)
        boxes = {"negative_prompt": self.negative_prompt, "prompt_extend": self.prompt_extend}
        for name, box in (boxes | {"watermark": self.watermark}).items():
            box.disabled = name not in carries
        self.native_note.value = (
            ""
            if not any(box.disabled for box in boxes.values())
            else f'<small style="color:#6b7280">Negative prompt, prompt extension and watermark are {html.escape(GATEWAY_REASON)}.</small>'
        )
        options = NATIVE_SIZES if capabilities.shape == "resolution" else GATEWAY_SIZES
        if self.size.options != tuple(options):
            self.size.options = options
            self.size.value = options[0][1]

    # -- the request ----------------------------------------------------------------------------------------

    def request(self) -> VideoRequest:
        """The request the inputs describe, for the current dialect (only the fields it carries)."""
        carries, tier = self.capabilities.carries, self.capabilities.shape == "resolution"
        return VideoRequest(
            model=PANEL_MODEL,
            prompt=self.prompt.value,
            first_frame=self.first_frame.value,
            negative_prompt=(self.negative_prompt.value or None) if "negative_prompt" in carries else None,
            last_frame=self.last_frame.value if "last_frame" in carries else None,
            driving_audio=self.driving_audio.value if "driving_audio" in carries else None,
            first_clip=self.first_clip.value if "first_clip" in carries else None,
            resolution=self.size.value if tier else None,
            size=None if tier else self.size.value,
            duration=self.duration.value,
            seed=None if self.random_seed.value else self.seed.value,
            # Service defaults (native.md §1.2): prompt_extend true, watermark false, audio on.
            prompt_extend=False if "prompt_extend" in carries and not self.prompt_extend.value else None,
            watermark=True if "watermark" in carries and self.watermark.value else None,
            audio=None if self.audio.value else False,
        )

    def fill(self, request: VideoRequest, *, media: bool = True) -> None:
        """Show ``request`` in the inputs (a chained or re-opened try), ready to edit and Generate.

        ``media=False`` keeps the media inputs as they are (a journaled request carries only their names).
        """
        for field in self._media() if media else ():
            field.set(getattr(request, field.role))
        self.prompt.value = request.prompt
        self.negative_prompt.value = request.negative_prompt or ""
        shape = request.resolution if self.capabilities.shape == "resolution" else request.size
        if shape in [value for _, value in self.size.options]:
            self.size.value = shape
        self.duration.value = max(self.duration.min, min(self.duration.max, request.duration))
        self.random_seed.value = request.seed is None
        if request.seed is not None:
            self.seed.value = request.seed
        self.prompt_extend.value = request.prompt_extend is not False
        self.watermark.value = bool(request.watermark)
        self.audio.value = request.audio is not False

    def _media(self) -> tuple[MediaField, ...]:
        return (self.first_frame, self.last_frame, self.driving_audio, self.first_clip)

    def upload_names(self) -> dict[str, str]:
        """File names of uploaded media, by role (for "copy as code")."""
        fields = self._media()
        return {f.role: f.name for f in fields if f.name is not None and isinstance(f.value, bytes)}

    # -- explanations ---------------------------------------------------------------------------------------

    def flag(self, field: str, message: str) -> bool:
        """Show ``message`` beside the input for ``field`` (a ``ValidationError.field``); False if none."""
        box = self._box_for(field)
        if box is None:
            return False
        self.errors[field] = message
        box.value = error_html(message)
        return True

    def clear_errors(self) -> None:
        """Remove every explanation (before a new attempt)."""
        self.errors.clear()
        for box in self._all_boxes():
            box.value = ""

    def _box_for(self, field: str) -> widgets.HTML | None:
        media = {m.role: m.error for m in self._media()}
        if field in media:
            return media[field]
        if field in ("resolution", "size"):
            return self._error_boxes["size"]
        if field in ("prompt_extend", "watermark", "audio"):
            return self._error_boxes["flags"]
        return self._error_boxes.get(field)

    def _all_boxes(self) -> list[widgets.HTML]:
        media = [m.error for m in self._media()]
        return [*self._error_boxes.values(), *media]

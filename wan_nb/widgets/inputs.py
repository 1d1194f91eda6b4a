"""The form: the task, every input that task takes, their live explanations, and the request they make.

The task picker chooses a model row of ``wan_nb.family`` (``_tasks.TASK_CHOICES``); the row says which inputs
show (first/last frame, driving audio or t2v's soundtrack, a clip to continue, references, a source video,
ratio, ``audio_setting``, the negative prompt), the durations, resolutions and prompt limits. The chosen
provider's dialect says what its wire carries: an input it does not carry is disabled with the reason beside
it (the unified gateway carries only the prompt, the first image, size, seconds, seed and generate_audio:
protocol.md §1, §4), and a task it does not carry stays offered but says so, naming the providers that take
it (``validation.task_refusal``), before Generate. Size choices are ``WxH`` where the dialect states a size,
the model's resolution tiers where it states a tier.
Only values the user moved away from the service's defaults are sent (be strict in what you send).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from wan_nb.client import Capabilities, capabilities_of
from wan_nb.client.providers import provider_capabilities
from wan_nb.family import FrameRole, ModelSpec, spec_of
from wan_nb.models import VideoRequest
from wan_nb.validation import task_refusal, unnamed_reference
from wan_nb.widgets._earlier import EarlierMenu, Results
from wan_nb.widgets._media_field import MediaField, error_html
from wan_nb.widgets._references import ReferenceList
from wan_nb.widgets._tasks import TASK_CHOICES, TaskChoice, choice_for, choice_named

__all__ = ["InputForm"]

SEED_MAX = 2_147_483_647
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
DEFAULT_CHOICE = ""
"""The ratio and audio_setting menus' "leave it to the service" entry (the field is then not sent)."""
AUTO_DURATION = {
    0: "keep the source's length",
    -1: "let the model pick (estimated as 30 s)",
}
"""What a duration that is no length means (family.md §8: videoedit's 0, Wan 3.0's -1)."""
_FRAMES: tuple[FrameRole, ...] = ("first_frame", "last_frame", "first_clip")
"""Media that make a request image-to-video (``family.choose_model``): picking one while the task takes none
switches to the first task that does, as ``VideoRequest(model=None)`` would."""
_WIDE = widgets.Layout(width="100%")


class InputForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Inputs of one request; :meth:`request` builds it, :meth:`flag` explains a bad field beside it."""

    def __init__(
        self,
        *,
        prompt: str = "",
        first_frame: Any = None,
        capabilities: Capabilities | None = None,
        results: Results | None = None,
    ) -> None:
        """``first_frame`` given: image-to-video (as the panel always was); else text-to-video, the shortest
        path, or the first task the dialect carries (the gateway: image-to-video). ``results``: the panel's
        finished videos, offered as references."""
        self.capabilities = capabilities or capabilities_of("sim")
        self.task = widgets.ToggleButtons(
            options=[choice.label for choice in TASK_CHOICES],
            value=_first_task(first_frame is not None, self.capabilities).label,
            style={"button_width": "auto"},
        )
        self.task.add_class("wan-task")
        self.task_note = widgets.HTML()
        self.first_frame = MediaField("first_frame", "First frame", accept="image/*", shows="image")
        self.last_frame = MediaField("last_frame", "Last frame", accept="image/*", shows="image")
        self.driving_audio = MediaField(
            "driving_audio", "Driving audio", accept="audio/*,.wav,.mp3", shows="none"
        )
        self.first_clip = MediaField(
            "first_clip", "Continue clip", accept="video/mp4,video/quicktime,.mp4,.mov", shows="clip"
        )
        self.video = MediaField(
            "video", "Source video", accept="video/mp4,video/quicktime,.mp4,.mov", shows="clip"
        )
        self.video.row.add_class("wan-source-video")
        self.video_earlier = EarlierMenu(self.video, results() if results else [], frames=False)
        """Edit an earlier result: its video as the source."""
        self.video.inputs.children = (*self.video.inputs.children, self.video_earlier)
        self.first_frame.row.add_class("wan-first-frame")
        self.references = ReferenceList(results)
        self.prompt = widgets.Textarea(
            value=prompt, placeholder="What should happen in the video", layout=_WIDE
        )
        self.prompt.add_class("wan-prompt")
        self.prompt_hint = widgets.HTML()
        """Live: a reference the prompt names that is not in the list ("Image 3" with two images)."""
        self.negative_prompt = widgets.Textarea(placeholder="What to avoid (optional)", layout=_WIDE, rows=2)
        self.prompt_count = widgets.HTML()
        self.negative_count = widgets.HTML()
        self.ratio = widgets.Dropdown(description="Ratio")
        self.audio_setting = widgets.Dropdown(description="Sound")
        self.size = widgets.Dropdown(description="Size")
        self.duration = widgets.IntSlider(value=5, min=2, max=15, description="Seconds")
        self.duration_auto = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="auto"))
        self.seed = widgets.BoundedIntText(value=0, min=0, max=SEED_MAX, description="Seed", disabled=True)
        self.random_seed = widgets.Checkbox(value=True, description="random seed", indent=False)
        self.prompt_extend = widgets.Checkbox(
            value=True, description="let the service extend the prompt", indent=False
        )
        self.watermark = widgets.Checkbox(value=False, description="watermark", indent=False)
        self.audio = widgets.Checkbox(value=True, description="generate audio", indent=False)
        self.native_note = widgets.HTML()
        self.parent: str | None = None
        """The task the shown request was chained from (kept from :meth:`fill`; the next Generate carries it)."""
        self.errors: dict[str, str] = {}
        """Field name → message currently shown beside it."""
        self._error_boxes = {
            name: widgets.HTML()
            for name in (
                "model", "prompt", "negative_prompt", "references", "ratio", "audio_setting", "size",
                "duration", "seed", "flags",
            )
        }  # fmt: skip
        self.negative_box = widgets.VBox(
            [
                widgets.HTML("<b>Negative prompt</b>"),
                self.negative_prompt,
                widgets.HBox([self.negative_count, self._error_boxes["negative_prompt"]]),
            ]
        )
        self.ratio_row = widgets.HBox([self.ratio, self._error_boxes["ratio"]])
        self.sound_row = widgets.HBox([self.audio_setting, self._error_boxes["audio_setting"]])
        self.references_box = widgets.VBox([self.references, self._error_boxes["references"]])
        super().__init__(self._rows())
        self._wire()
        self._apply_task(self.choice)
        self.set_dialect(self.capabilities)
        self.first_frame.set(first_frame)

    @property
    def choice(self) -> TaskChoice:
        """The chosen task's picker entry."""
        return choice_named(str(self.task.value))

    @property
    def spec(self) -> ModelSpec:
        """The chosen task's model row: what the form shows and :meth:`request` makes."""
        return self.choice.spec

    def _wire(self) -> None:
        self.task.observe(lambda change: self._task_picked(choice_named(change["new"])), names="value")
        self.prompt.observe(lambda _: self._prompt_changed(), names="value")
        self.negative_prompt.observe(lambda _: self._count_negative(), names="value")
        self.random_seed.observe(lambda change: setattr(self.seed, "disabled", change["new"]), names="value")
        self.duration_auto.observe(
            lambda change: setattr(self.duration, "disabled", change["new"]), names="value"
        )
        self.references.changed.append(self._hint_names)
        for field in _FRAMES:
            getattr(self, field).changed.append(self._frame_picked)

    def _rows(self) -> list[widgets.Widget]:
        boxes = self._error_boxes
        flags = widgets.HBox([self.prompt_extend, self.watermark, self.audio])
        return [
            self.task,
            self.task_note,
            boxes["model"],
            self.first_frame.row,
            self.video.row,
            self.references_box,
            widgets.HTML("<b>Prompt</b>"),
            self.prompt,
            widgets.HBox([self.prompt_count, boxes["prompt"]]),
            self.prompt_hint,
            self.negative_box,
            self.last_frame.row,
            self.driving_audio.row,
            self.first_clip.row,
            self.ratio_row,
            self.sound_row,
            widgets.HBox([self.size, boxes["size"]]),
            widgets.HBox([self.duration, self.duration_auto, boxes["duration"]]),
            widgets.HBox([self.seed, self.random_seed, boxes["seed"]]),
            flags,
            boxes["flags"],
            self.native_note,
        ]

    def _count(self, area: widgets.Textarea, label: widgets.HTML, limit: int) -> None:
        used = len(area.value)
        colour = "#b91c1c" if used > limit else "#6b7280"
        label.value = f'<small class="wan-count" style="color:{colour}">{used} / {limit} characters</small>'

    def _prompt_changed(self) -> None:
        self._count(self.prompt, self.prompt_count, self.spec.prompt_chars)
        self._hint_names()

    def _count_negative(self) -> None:
        self._count(self.negative_prompt, self.negative_count, self.spec.negative_prompt_chars)

    def _hint_names(self) -> None:
        # The same words validation refuses at Generate ("Image 3" with two images), said while typing.
        missing = (
            unnamed_reference(self.prompt.value, self.references.named_kinds())
            if self.spec.references[1]
            else None
        )
        self.prompt_hint.value = (
            f'<small class="wan-prompt-hint" style="color:#b45309">⚠ the prompt {html.escape(missing)}</small>'
            if missing
            else ""
        )

    def _frame_picked(self, field: MediaField) -> None:
        if field.value is not None and not self.spec.takes(_frame_role(field.role)):
            taker = next(choice for choice in TASK_CHOICES if choice.spec.takes(_frame_role(field.role)))
            self.task.value = taker.label

    # -- the task -------------------------------------------------------------------------------------------

    def _task_picked(self, choice: TaskChoice) -> None:
        # Another task is a fresh try, not the chained one (fill() sets the parent after picking the task).
        self.parent = None
        self._apply_task(choice)

    def _apply_task(self, choice: TaskChoice) -> None:
        """Show the inputs ``choice``'s model takes, with its durations, ratios, sizes and limits."""
        spec = choice.spec
        _show(self.first_frame.row, spec.takes("first_frame"))
        _show(self.last_frame.row, spec.takes("last_frame"))
        _show(self.driving_audio.row, spec.takes("driving_audio"))
        # t2v's input.audio_url is a soundtrack the video follows; i2v's drives lip-sync (family.md §2.1).
        self.driving_audio.relabel("Driving audio" if spec.takes("first_frame") else "Soundtrack (audio_url)")
        _show(self.first_clip.row, spec.takes("first_clip"))
        _show(self.video.row, spec.source_video is not None)
        _show(self.references_box, spec.references[1] > 0)
        self.references.set_spec(spec)
        _show(self.negative_box, spec.negative_prompt_chars > 0)
        _show(self.ratio_row, bool(spec.ratios))
        _offer(self.ratio, spec.ratios)
        _show(self.sound_row, bool(spec.audio_settings))
        _offer(self.audio_setting, spec.audio_settings)
        # An edit's sound is its audio_setting (auto: the model decides, origin: the source's), not a switch.
        _show(self.audio, not spec.audio_settings)
        lengths = [d for d in spec.durations if d > 0]
        kept = self.duration.value
        with self.duration.hold_trait_notifications():
            self.duration.max = max(lengths)
            self.duration.min = min(lengths)
            self.duration.value = max(self.duration.min, min(self.duration.max, kept))
        auto = [d for d in spec.durations if d <= 0]
        _show(self.duration_auto, bool(auto))
        self.duration_auto.description = AUTO_DURATION[auto[0]] if auto else ""
        self.duration_auto.value = spec.default_duration <= 0
        self._set_sizes()
        self._prompt_changed()
        self._count_negative()
        self._say_carriage()

    def _say_carriage(self) -> None:
        # A task the dialect cannot carry stays offered, explained with the providers that take it.
        providers = provider_capabilities()
        refusals = [task_refusal(c.spec, self.capabilities, providers) for c in TASK_CHOICES]
        self.task.tooltips = [
            f"{choice.tip} — {refusal}" if refusal else choice.tip
            for choice, refusal in zip(TASK_CHOICES, refusals, strict=True)
        ]
        chosen = refusals[[c.label for c in TASK_CHOICES].index(self.choice.label)]
        self.task_note.value = (
            f'<small class="wan-task-note" style="color:#b45309">⚠ {html.escape(chosen)}</small>'
            if chosen
            else f'<small class="wan-task-note" style="color:#6b7280">{html.escape(self.choice.tip)}</small>'
        )

    def refusal(self) -> str | None:
        """Why the form cannot be sent as it is, already said beside its input before Generate (the task's
        note, the reference list): a task the dialect does not carry, references the task does not take.
        None: nothing known yet (Generate validates everything)."""
        return (
            task_refusal(self.spec, self.capabilities, provider_capabilities()) or self.references.refusal()
        )

    def _set_sizes(self) -> None:
        if self.capabilities.shape == "resolution":
            # i2v follows its image's aspect; the others take a ratio (family.md §8).
            follows = "" if self.spec.ratios else " (aspect of the first frame)"
            options = [(f"{tier}{follows}", tier) for tier in self.spec.resolutions]
        else:
            options = GATEWAY_SIZES
        if self.size.options != tuple(options):
            kept = self.size.value
            values = [value for _, value in options]
            self.size.options = options
            default = self.spec.default_resolution if self.spec.default_resolution in values else values[0]
            self.size.value = kept if kept in values else default

    # -- dialect --------------------------------------------------------------------------------------------

    def set_dialect(self, capabilities: Capabilities) -> None:
        """Enable what the dialect carries; disable the rest with the reason beside it."""
        self.capabilities = capabilities
        carries = capabilities.carries
        for field in (self.last_frame, self.driving_audio, self.first_clip, self.video):
            field.enable(None if field.role in carries else GATEWAY_REASON)
        boxes = {"negative_prompt": self.negative_prompt, "prompt_extend": self.prompt_extend}
        for name, box in (boxes | {"watermark": self.watermark}).items():
            box.disabled = name not in carries
        self.native_note.value = (
            ""
            if not any(box.disabled for box in boxes.values())
            else f'<small style="color:#6b7280">Negative prompt, prompt extension and watermark are {html.escape(GATEWAY_REASON)}.</small>'
        )
        self._set_sizes()
        self._say_carriage()

    # -- the request ----------------------------------------------------------------------------------------

    def request(self) -> VideoRequest:
        """The request the inputs describe: the chosen task's model, only the fields it takes and the dialect
        carries, and the ``parent`` of the last :meth:`fill`."""
        spec, carries = self.spec, self.capabilities.carries
        tier = self.capabilities.shape == "resolution"

        def medium(field: MediaField) -> Any:
            role = field.role
            return field.value if role in carries and spec.takes(_frame_role(role)) else None

        auto = [d for d in spec.durations if d <= 0]
        return VideoRequest(
            model=spec.model,
            prompt=self.prompt.value,
            first_frame=self.first_frame.value if spec.takes("first_frame") else None,
            negative_prompt=(
                (self.negative_prompt.value or None)
                if "negative_prompt" in carries and spec.negative_prompt_chars
                else None
            ),
            last_frame=medium(self.last_frame),
            driving_audio=medium(self.driving_audio),
            first_clip=medium(self.first_clip),
            references=self.references.references() if spec.references[1] else (),
            video=self.video.value if spec.source_video is not None else None,
            ratio=(self.ratio.value or None) if spec.ratios and "ratio" in carries else None,
            audio_setting=(
                (self.audio_setting.value or None)
                if spec.audio_settings and "audio_setting" in carries
                else None
            ),
            resolution=self.size.value if tier else None,
            size=None if tier else self.size.value,
            duration=auto[0] if auto and self.duration_auto.value else self.duration.value,
            seed=None if self.random_seed.value else self.seed.value,
            # Service defaults (native.md §1.2): prompt_extend true, watermark false, audio on.
            prompt_extend=False if "prompt_extend" in carries and not self.prompt_extend.value else None,
            watermark=True if "watermark" in carries and self.watermark.value else None,
            audio=None if self.audio.value or spec.audio_settings else False,
            parent=self.parent,
        )

    def fill(self, request: VideoRequest, *, media: bool = True) -> None:
        """Show ``request`` (a chained or re-opened try, of any task), ready to edit and Generate; its
        ``parent`` is kept, so the next Generate carries it.

        ``media=False`` keeps the media inputs as they are (a journaled request carries only their names).
        """
        self.task.value = choice_for(spec_of(request.chosen_model)).label
        self.parent = request.parent
        if media:
            for field in self._media():
                field.set(getattr(request, field.role))
            self.references.fill(request.references)
        self.prompt.value = request.prompt
        self.negative_prompt.value = request.negative_prompt or ""
        shape = request.resolution if self.capabilities.shape == "resolution" else request.size
        if shape in [value for _, value in self.size.options]:
            self.size.value = shape
        self.ratio.value = request.ratio if request.ratio in self.spec.ratios else DEFAULT_CHOICE
        self.audio_setting.value = (
            request.audio_setting if request.audio_setting in self.spec.audio_settings else DEFAULT_CHOICE
        )
        duration = request.chosen_duration
        self.duration_auto.value = duration <= 0 and duration in self.spec.durations
        if duration > 0:
            self.duration.value = max(self.duration.min, min(self.duration.max, duration))
        self.random_seed.value = request.seed is None
        if request.seed is not None:
            self.seed.value = request.seed
        self.prompt_extend.value = request.prompt_extend is not False
        self.watermark.value = bool(request.watermark)
        self.audio.value = request.audio is not False

    def offer_results(self, results: list[tuple[str, Path]]) -> None:
        """Offer the panel's finished videos (after a task ended) as references and as the source to edit."""
        self.references.offer(results)
        self.video_earlier.offer(results)

    def _media(self) -> tuple[MediaField, ...]:
        return (self.first_frame, self.last_frame, self.driving_audio, self.first_clip, self.video)

    def upload_names(self) -> dict[str, str]:
        """File names of uploaded media, by the field that names them in ``VideoRequest.inputs()`` (for "copy
        as code"): ``first_frame``, ``video``, ``references[0]``, ``references[0].voice``."""
        names = {f.role: f.name for f in self._media() if f.name is not None and isinstance(f.value, bytes)}
        filled = [row for row in self.references.rows if row.value is not None]
        for index, row in enumerate(filled):
            for key, field in (
                (f"references[{index}]", row.field),
                (f"references[{index}].voice", row.voice),
            ):
                if field.name is not None and isinstance(field.value, bytes):
                    names[key] = field.name
        return names

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
        if field.startswith("references["):  # references[1], references[1].voice: that row
            index = int(field[len("references[") : field.index("]")])
            filled = [row for row in self.references.rows if row.value is not None]
            if index < len(filled):
                return (filled[index].voice if field.endswith(".voice") else filled[index].field).error
        if field.startswith("references"):
            return self._error_boxes["references"]
        return self._error_boxes.get(field)

    def _all_boxes(self) -> list[widgets.HTML]:
        media = [m.error for m in self._media()]
        rows = [field.error for row in self.references.rows for field in (row.field, row.voice)]
        return [*self._error_boxes.values(), *media, *rows]


def _first_task(framed: bool, capabilities: Capabilities) -> TaskChoice:
    """Where the form starts: image-to-video with a first frame, else the first task the dialect carries."""
    takers = [
        c
        for c in TASK_CHOICES
        if c.spec.task in capabilities.tasks and (c.spec.takes("first_frame") or not framed)
    ]
    return takers[0] if takers else TASK_CHOICES[0]


def _offer(menu: widgets.Dropdown, values: tuple[str, ...]) -> None:
    """``values`` after the service's default (the field is then not sent); the choice is kept where it is
    still offered."""
    kept = menu.value
    menu.options = [("service default", DEFAULT_CHOICE), *((value, value) for value in values)]
    menu.value = kept if kept in values else DEFAULT_CHOICE


def _show(widget: widgets.Widget, shown: bool) -> None:
    widget.layout.display = "" if shown else "none"


def _frame_role(role: str) -> FrameRole:
    by_name: dict[str, FrameRole] = {
        "first_frame": "first_frame",
        "last_frame": "last_frame",
        "driving_audio": "driving_audio",
        "first_clip": "first_clip",
    }
    return by_name[role]

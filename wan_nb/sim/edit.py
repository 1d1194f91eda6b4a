"""videoedit: the source video's frames, transformed so the instruction shows (family.md §2.1-2.2).

The source is decoded (PyAV), scaled to cover the documented size (the ratio given, else the one nearest the
source's aspect: "omitted → follows source video's aspect") and each frame transformed by what the prompt asks:
"black and white" → grayscale, "night" → darker and bluer, "snow" → falling white flakes, a colour word → a
tint, several at once in that order; an instruction the simulator cannot read gets a visible default style
(posterized, more saturated), so every edit shows. Length: the source's (``duration`` 0) or its first
``duration`` seconds (the cut starts at 0 s), never past its end (whether upstream accepts a ``duration`` longer
than the source is open, family.md §9.2). Sound per ``audio_setting``: ``origin`` keeps the source's track,
``auto`` regenerates (the simulator's pad; a source without sound stays silent under ``origin``). Reference
images are tiled and labelled like r2v's.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wan_nb.sim import audio, family, media, render, scene
from wan_nb.sim.render import FPS, RenderSpec

if TYPE_CHECKING:
    from PIL import Image

    Planes = tuple[Image.Image, Image.Image, Image.Image]

GRAY = re.compile(r"black[ -]and[ -]white|\bb ?& ?w\b|monochrome|gr[ae]y ?scale|黑白|灰度", re.IGNORECASE)
PLACEHOLDER_SECONDS = 5  # a public source is never fetched: a card stands in, this long when no duration


@dataclass(frozen=True)
class Edit:
    """What the instruction asks for, as the simulator reads it."""

    gray: bool
    night: bool
    snow: bool
    tint: tuple[int, int, int] | None

    @classmethod
    def read(cls, prompt: str) -> Edit:
        colours = scene.named_colours(prompt)
        gray = GRAY.search(prompt) is not None
        night = scene.NIGHT.search(prompt) is not None
        return cls(gray, night, scene.SNOW.search(prompt) is not None, colours[0] if colours else None)

    @property
    def names(self) -> list[str]:
        named = [name for name, on in (("black and white", self.gray), ("night", self.night)) if on]
        named += ["snow"] * self.snow + ["tint"] * (self.tint is not None)
        return named or ["posterized (default style)"]

    def tables(self) -> tuple[list[int], list[int], list[int]]:
        """Lookup tables for Y, Cb, Cr (video range) doing every change but the snow."""
        luma, blue, red = list(range(256)), list(range(256)), list(range(256))
        if self.tint is not None:
            cb, cr = _chroma(self.tint)
            blue = [round(value * 0.35 + cb * 0.65) for value in blue]
            red = [round(value * 0.35 + cr * 0.65) for value in red]
        if self.gray:
            blue, red = [128] * 256, [128] * 256
        if self.night:
            luma = [round(16 + (value - 16) * 0.45) for value in luma]
            blue = [round(128 + (value - 128) * 0.6 + 14) for value in blue]
            red = [round(128 + (value - 128) * 0.6 - 6) for value in red]
        if self.names == ["posterized (default style)"]:
            luma = [16 + round((value - 16) / 44) * 44 for value in luma]
            blue = [round(128 + (value - 128) * 1.7) for value in blue]
            red = [round(128 + (value - 128) * 1.7) for value in red]
        return _clip(luma, 16, 235), _clip(blue, 16, 240), _clip(red, 16, 240)


def render_edit(spec: RenderSpec, resolve: media.Resolver) -> bytes:
    data = media.fetch(spec.media["video"], resolve)
    edit = Edit.read(spec.prompt or "")
    if data is None:
        seconds = float(spec.duration or PLACEHOLDER_SECONDS)
        card = media.placeholder(spec.media["video"], "video")
        size = family.table_size(spec.short_side, _ratio(spec, card.width, card.height))
        pictures: Any = (render.still(card, size) for _ in range(round(seconds * FPS)))
    else:
        width, height, source_seconds = _facts(data)
        seconds = source_seconds if spec.duration == 0 else min(spec.duration, source_seconds)
        size = family.table_size(spec.short_side, _ratio(spec, width, height))
        pictures = source_frames(data, size, max(1, round(seconds * FPS)))
    count = max(1, round(seconds * FPS))
    pictures = _edited(pictures, edit, size, spec.seed)
    stills = family.reference_stills(spec, resolve)
    if stills:
        pictures = family.with_tiles(pictures, family.reference_tiles(spec, stills, size, count, resolve), 0)
    move = "kept from the source; edit: " + ", ".join(edit.names)
    return render.finish(spec, pictures, size, move, _sound(spec, data, seconds))


def source_frames(data: bytes, size: tuple[int, int], count: int) -> Any:
    """``count`` frames at the output rate, each the source frame showing then, covering ``size``: scaled and
    converted by FFmpeg (swscale) straight to yuv420p, then centre-cropped."""
    import av
    import numpy as np
    from PIL import Image

    width, height = size
    produced, last = 0, None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            source = (stream.codec_context.width, stream.codec_context.height)
            scale = max(width / source[0], height / source[1])
            cover = (_even_up(source[0] * scale), _even_up(source[1] * scale))
            left, top = (cover[0] - width) // 4 * 2, (cover[1] - height) // 4 * 2
            for frame in container.decode(stream):
                moment = float(frame.time or 0.0)
                if produced / FPS > moment + 1e-6:
                    continue  # a faster source: no output frame falls due yet, skip the conversion
                flat = (
                    frame.reformat(width=cover[0], height=cover[1], format="yuv420p").to_ndarray().reshape(-1)
                )
                area = cover[0] * cover[1]
                luma = flat[:area].reshape(cover[1], cover[0])
                blue = flat[area : area + area // 4].reshape(cover[1] // 2, cover[0] // 2)
                red = flat[area + area // 4 :].reshape(cover[1] // 2, cover[0] // 2)
                half = (slice(top // 2, (top + height) // 2), slice(left // 2, (left + width) // 2))
                last = (
                    np.ascontiguousarray(luma[top : top + height, left : left + width]),
                    np.ascontiguousarray(blue[half]),
                    np.ascontiguousarray(red[half]),
                )
                while produced < count and produced / FPS <= moment + 1e-6:
                    yield tuple(Image.fromarray(plane) for plane in last)
                    produced += 1
                if produced >= count:
                    return
    except (av.error.FFmpegError, ValueError) as error:
        raise media.MediaError("The video video format is not supported.") from error
    if last is None:
        raise media.MediaError("The video video has no frames.")
    while produced < count:  # the container's length ran past its last frame's time
        yield tuple(Image.fromarray(plane) for plane in last)
        produced += 1


def _edited(pictures: Any, edit: Edit, size: tuple[int, int], seed: int) -> Any:
    tables = edit.tables()
    flakes = _Snow(size, seed) if edit.snow else None
    for index, picture in enumerate(pictures):
        planes = tuple(plane.point(table) for plane, table in zip(picture, tables, strict=True))
        yield flakes.fall(planes, index) if flakes else planes


class _Snow:
    """Flakes drawn on the planes, falling and drifting: positions fixed by the seed, moving with the frame."""

    def __init__(self, size: tuple[int, int], seed: int) -> None:
        rng = random.Random(seed)
        width, height = size
        self.size = size
        self.flakes = [
            (rng.uniform(0, width), rng.uniform(0, height), rng.uniform(1.5, 4.0) * height / 720)
            for _ in range(width * height // 2500)
        ]

    def fall(self, planes: Planes, index: int) -> Planes:
        from PIL import ImageDraw

        width, height = self.size
        luma, blue, red = planes
        draws = ImageDraw.Draw(luma), ImageDraw.Draw(blue), ImageDraw.Draw(red)
        for x, y, radius in self.flakes:
            px = (x + 12 * radius * (index / FPS)) % width
            py = (y + 60 * radius * (index / FPS)) % height
            draws[0].ellipse((px - radius, py - radius, px + radius, py + radius), fill=235)
            box = (px / 2 - radius / 2, py / 2 - radius / 2, px / 2 + radius / 2, py / 2 + radius / 2)
            draws[1].ellipse(box, fill=128)
            draws[2].ellipse(box, fill=128)
        return luma, blue, red


def _sound(spec: RenderSpec, data: bytes | None, seconds: float) -> Any:
    """``origin``: the source's own samples (cut like the picture); ``auto``: regenerated (family.md §2.1)."""
    if spec.audio_setting == "origin":
        if data is None:
            return None
        try:
            return audio.decode(data, seconds)
        except ValueError:  # the source has no sound to keep
            return None
    return audio.generate(seconds, spec.seed) if spec.audio else None


def _ratio(spec: RenderSpec, width: int, height: int) -> str:
    return spec.ratio if spec.ratio in family.SIZES[720] else family.nearest_ratio(width, height)


def _facts(data: bytes) -> tuple[int, int, float]:
    """The source's sides and length (the container's, like limits.py reads it)."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            if container.duration is not None:
                seconds = float(container.duration) / 1_000_000
            else:
                seconds = float((stream.duration or 0) * (stream.time_base or 0))
            return stream.codec_context.width, stream.codec_context.height, seconds
    except (av.error.FFmpegError, ValueError, IndexError) as error:
        raise media.MediaError("The video video format is not supported.") from error


def _chroma(colour: tuple[int, int, int]) -> tuple[float, float]:
    """Cb, Cr of an RGB colour in video range (BT.601)."""
    red, green, blue = colour
    return 128 - 0.148 * red - 0.291 * green + 0.439 * blue, 128 + 0.439 * red - 0.368 * green - 0.071 * blue


def _clip(table: list[int], low: int, high: int) -> list[int]:
    return [min(high, max(low, value)) for value in table]


def _even_up(value: float) -> int:
    return (int(value + 0.999) + 1) // 2 * 2

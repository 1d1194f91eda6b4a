"""The rest of the family on frames (family.md §2, §6): t2v's scene, r2v's references, Wan 3.0's three modes.

- t2v renders the prompt's scene (scene.py) at the documented ``resolution × ratio`` size, under the camera move
  and caption i2v uses (render.frames, render.finish).
- r2v shows every reference in the frames: a row of tiles along the bottom, each labelled as prompts address it
  ("Image 1", "Video 1": numbered per kind in media order, family.md §2.2), a reference video playing in its
  tile. With a ``first_frame`` the clip starts on it (the tiles fade in over the first second) and its aspect
  picks the size (the ratio is ignored then, family.md §2.1). The soundtrack is the first ``reference_voice``,
  else a reference video's own sound ("used by default"), else the generated one.
- Wan 3.0 is one model for all three (family.md §6): a frame group renders like i2v (first frame, crossfade to
  the last), a reference group like r2v (``reference_audio`` is the soundtrack), no media like t2v; ``ratio``
  ``adaptive`` follows the first image, else 16:9.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wan_nb.sim import audio, media, render, scene
from wan_nb.sim.camera import Camera
from wan_nb.sim.planes import planes_of
from wan_nb.sim.render import FPS, RenderSpec
from wan_nb.sim.validate import kind_of

if TYPE_CHECKING:
    from PIL import Image

    Planes = tuple[Image.Image, Image.Image, Image.Image]

# Output pixel sizes per short side and ratio: 720P and 1080P as documented (family.md §2.1, t2v and videoedit
# tables); Wan 3.0's 480P sizes are not in the research: the same ratios at 720P's pixel count scaled to 480P
# (832×480 is the older models' 480P 16:9 size).
SIZES: dict[int, dict[str, tuple[int, int]]] = {
    480: {"16:9": (832, 480), "9:16": (480, 832), "1:1": (624, 624), "4:3": (720, 544), "3:4": (544, 720)},
    720: {
        "16:9": (1280, 720),
        "9:16": (720, 1280),
        "1:1": (960, 960),
        "4:3": (1104, 832),
        "3:4": (832, 1104),
    },
    1080: {
        "16:9": (1920, 1080),
        "9:16": (1080, 1920),
        "1:1": (1440, 1440),
        "4:3": (1648, 1248),
        "3:4": (1248, 1648),
    },
}
DEFAULT_RATIO = "16:9"
FADE_SECONDS = 1.0  # r2v's tiles fade in over a first frame
LABELS = {"reference_image": "Image", "reference_video": "Video"}  # family.md §2.2 "Image 1", "Video 1"
SOUNDS = ("reference_voice", "reference_audio")  # an explicit voice or audio wins over a video's own sound


def table_size(short_side: int, ratio: str) -> tuple[int, int]:
    return SIZES[short_side][ratio]


def nearest_ratio(width: int, height: int) -> str:
    """The documented ratio closest to an image's aspect (on a log scale: 2:1 is as far from 1:1 as 1:2)."""

    def distance(ratio: str) -> float:
        wide, tall = (int(part) for part in ratio.split(":"))
        return abs(math.log(width / height) - math.log(wide / tall))

    return min(SIZES[720], key=distance)


def render_scene(spec: RenderSpec, resolve: media.Resolver) -> bytes:
    """t2v (and Wan 3.0 without media): the prompt's scene, the documented size for the ratio."""
    size = table_size(spec.short_side, _ratio(spec.ratio))
    start = _backdrop(spec, size)
    camera = Camera.plan(spec.prompt or "", spec.seed)
    pictures = render.frames(start, size, spec.duration * FPS, camera)
    return render.finish(spec, pictures, size, camera.move, render.soundtrack(spec, resolve))


def render_references(spec: RenderSpec, resolve: media.Resolver) -> bytes:
    """r2v (and Wan 3.0's reference group): the backdrop or first frame, the references tiled and labelled."""
    first = render.load_image(spec, "first_frame", resolve) if "first_frame" in spec.media else None
    images = reference_stills(spec, resolve)
    size = table_size(spec.short_side, _reference_ratio(spec, first, list(images.values())))
    count = spec.duration * FPS
    camera = Camera.plan(spec.prompt or "", spec.seed)
    start = first if first is not None else _backdrop(spec, size)
    pictures = render.frames(start, size, count, camera)
    fade = round(FADE_SECONDS * FPS) if first is not None else 0
    pictures = with_tiles(pictures, reference_tiles(spec, images, size, count, resolve), fade)
    return render.finish(spec, pictures, size, camera.move, _reference_sound(spec, resolve))


def render_wan3(spec: RenderSpec, resolve: media.Resolver) -> bytes:
    """Wan 3.0: the frame group, the reference group, or text alone (validate.py allows one of them)."""
    kinds = {kind_of(role) for role in spec.media}
    if kinds & {"first_frame", "last_frame"}:
        return _render_frames(spec, resolve)
    if kinds:
        return render_references(spec, resolve)
    return render_scene(spec, resolve)


def reference_stills(spec: RenderSpec, resolve: media.Resolver) -> dict[str, Image.Image]:
    """Each shown reference's picture (a video's first frame), by role in media order."""
    return {role: _reference_still(spec, role, resolve) for role, _ in reference_labels(spec.media)}


def reference_tiles(
    spec: RenderSpec,
    stills: dict[str, Image.Image],
    size: tuple[int, int],
    count: int,
    resolve: media.Resolver,
) -> list[Tile]:
    boxes = tile_boxes(len(stills), size)
    labels = dict(reference_labels(spec.media))
    return [
        Tile(box, _tile_frames(spec, role, labels[role], still, box, count, resolve))
        for (role, still), box in zip(stills.items(), boxes, strict=True)
    ]


@dataclass(frozen=True)
class Tile:
    box: tuple[int, int, int, int]  # (left, top, right, bottom), even
    frames: list[Planes]  # one for an image; a video's, looping


def with_tiles(pictures: Any, tiles: list[Tile], fade: int) -> Any:
    """Paste each tile (a video's tile advances a frame each frame); over ``fade`` frames they fade in."""
    from PIL import Image

    for index, picture in enumerate(pictures):
        weight = 1.0 if index >= fade else index / fade
        for tile in tiles:
            luma, blue, red = tile.frames[index % len(tile.frames)]
            left, top = tile.box[:2]
            full = half = None
            if weight < 1.0:
                full = Image.new("L", luma.size, round(255 * weight))
                half = Image.new("L", blue.size, round(255 * weight))
            picture[0].paste(luma, (left, top), full)
            picture[1].paste(blue, (left // 2, top // 2), half)
            picture[2].paste(red, (left // 2, top // 2), half)
        yield picture


def reference_labels(chosen: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(role, label) of every reference shown, in media order: "reference_image.2" → "Image 2"."""
    for role in chosen:
        kind = kind_of(role)
        if kind in LABELS:
            yield role, f"{LABELS[kind]} {role.rpartition('.')[2]}"


def tile_boxes(count: int, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Each tile's (left, top, right, bottom) in a row along the bottom-left: a label band, then the picture
    below it (``picture_box``). All even, for the half-size chroma planes."""
    width, height = size
    margin = _even(max(8, height // 40))
    tile_w = _even(min(width * 0.24, (width - margin * (count + 1)) / max(count, 1)))
    picture_h = _even(tile_w * 0.62)
    tile_h = picture_h + band_height(tile_w)
    top = _even(height - margin - tile_h)
    return [
        (margin + index * (tile_w + margin), top, margin + index * (tile_w + margin) + tile_w, top + tile_h)
        for index in range(count)
    ]


def band_height(tile_width: int) -> int:
    return _even(max(16, tile_width * 0.62 / 5))


def picture_box(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Where a tile's reference is drawn (below the label band, inside a 2 px border)."""
    left, top, right, bottom = box
    return left + 2, top + band_height(right - left) + 2, right - 2, bottom - 2


def _render_frames(spec: RenderSpec, resolve: media.Resolver) -> bytes:
    """Wan 3.0's frame group: like i2v, at the ratio's size (adaptive: the first frame's)."""
    first = render.load_image(spec, "first_frame", resolve) if "first_frame" in spec.media else None
    ratio = spec.ratio
    if ratio in ("", "adaptive"):
        ratio = nearest_ratio(first.width, first.height) if first is not None else DEFAULT_RATIO
    size = table_size(spec.short_side, ratio)
    count = spec.duration * FPS
    camera = Camera.plan(spec.prompt or "", spec.seed)
    pictures = render.frames(first if first is not None else _backdrop(spec, size), size, count, camera)
    if "last_frame" in spec.media:
        end = render.still(render.load_image(spec, "last_frame", resolve), size)
        pictures = render.crossfade(pictures, end, count)
    return render.finish(spec, pictures, size, camera.move, render.soundtrack(spec, resolve))


def _ratio(requested: str) -> str:
    return requested if requested in SIZES[720] else DEFAULT_RATIO


def _reference_ratio(spec: RenderSpec, first: Image.Image | None, images: list[Image.Image]) -> str:
    """A first frame's aspect wins (family.md §2.1: the ratio is ignored then); Wan 3.0's adaptive follows
    the first reference's."""
    if first is not None:
        return nearest_ratio(first.width, first.height)
    if spec.ratio == "adaptive" and images:
        return nearest_ratio(images[0].width, images[0].height)
    return _ratio(spec.ratio)


def _backdrop(spec: RenderSpec, size: tuple[int, int]) -> Image.Image:
    """The scene drawn a third larger than the frame, so the camera's crop stays sharp."""
    return scene.backdrop(spec.prompt or "", spec.seed, (round(size[0] * 1.35), round(size[1] * 1.35)))


def _reference_still(spec: RenderSpec, role: str, resolve: media.Resolver) -> Image.Image:
    """An image reference, or a reference video's first frame (for the ratio)."""
    if kind_of(role) == "reference_image":
        return render.load_image(spec, role, resolve)
    data = media.fetch(spec.media[role], resolve)
    if data is None:
        return media.placeholder(spec.media[role], role)
    pictures = _video_pictures(data, 1)
    if not pictures:
        raise media.MediaError(f"The {role} video has no frames.")
    return pictures[0]


def _tile_frames(
    spec: RenderSpec,
    role: str,
    label: str,
    still: Image.Image,
    box: tuple[int, int, int, int],
    count: int,
    resolve: media.Resolver,
) -> list[Planes]:
    """The tile's planes: one for an image, one per output frame (looping) for a video."""
    width, height = box[2] - box[0], box[3] - box[1]
    pictures = [still]
    if kind_of(role) == "reference_video":
        data = media.fetch(spec.media[role], resolve)
        pictures = _video_pictures(data, count) if data is not None else [still]
    return [_tile_planes(picture, label, (width, height)) for picture in pictures or [still]]


def _video_pictures(data: bytes, count: int) -> list[Image.Image]:
    """Up to ``count`` frames of a video at the output's frame rate (held where the source is slower)."""
    import av

    pictures: list[Image.Image] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            for frame in container.decode(video=0):
                moment = float(frame.time or 0.0)
                while len(pictures) < count and len(pictures) / FPS <= moment + 1e-6:
                    pictures.append(frame.to_image())  # type: ignore[no-untyped-call]
                if len(pictures) >= count:
                    break
    except (av.error.FFmpegError, ValueError) as error:
        raise media.MediaError("The reference_video video format is not supported.") from error
    return pictures


def _tile_planes(picture: Image.Image, label: str, size: tuple[int, int]) -> Planes:
    """A dark card: the label on top, the reference below it, whole (letterboxed), as Y and half Cb/Cr."""
    from PIL import Image, ImageDraw, ImageOps

    width, height = size
    band = band_height(width)
    card = Image.new("RGB", size, (20, 20, 24))
    inner = (width - 4, height - band - 4)
    card.paste(ImageOps.pad(picture.convert("RGB"), inner, color=(20, 20, 24)), (2, band + 2))
    font: Any = media.font(max(10, band * 3 // 4))
    ImageDraw.Draw(card).text((6, band // 2), label, fill=(255, 255, 255), font=font, anchor="lm")
    luma, blue, red = planes_of(card)
    half = (width // 2, height // 2)
    return luma, blue.resize(half), red.resize(half)


def _reference_sound(spec: RenderSpec, resolve: media.Resolver) -> Any:
    """The first voice or audio reference; else the first reference video with sound; else the generated one."""
    ordered = sorted(spec.media, key=lambda role: kind_of(role) not in SOUNDS)
    for role in ordered:
        if kind_of(role) not in (*SOUNDS, "reference_video"):
            continue
        data = media.fetch(spec.media[role], resolve)
        if data is None:
            continue
        try:
            return audio.decode(data, spec.duration)
        except ValueError:  # a video without a sound track
            continue
        except OSError as error:
            raise media.MediaError(f"The {kind_of(role)} format is not supported.") from error
    return audio.generate(spec.duration, spec.seed) if spec.audio else None


def _even(value: float) -> int:
    return int(value) // 2 * 2

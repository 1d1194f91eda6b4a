"""The renderer: a real H.264/AAC MP4 from the first frame — the prompt's camera move (camera.py) under a caption
of the prompt and seed (overlays.py), deterministic for a prompt and seed.

Encoder settings follow notebook_tech.md §5.2-5.3: libx264 ``preset=veryfast`` CRF 23, yuv420p, even W×H,
GOP 2 s, ``movflags=+faststart`` (PyAV only writes ``moov`` first with it, and only to a real file), constant
24 fps with ``pts = i``; frames are drawn in a worker thread while x264 encodes (``drawn_ahead``). Frames are cut at the target size with PIL ``resize(box=...)`` (sub-pixel, no jitter)
from a source pre-scaled so each cut is a ~1:1 resample. The whole pipeline works on Y/Cb/Cr planes already in
video range with chroma at half size, i.e. yuv420p itself: per frame that is half the pixels of RGB and no
colour conversion at all (the RGB→YUV swscale pass cost more than the resize).
"""

from __future__ import annotations

import math
import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wan_nb.sim import audio, media, overlays
from wan_nb.sim.camera import Camera
from wan_nb.sim.planes import planes_of

if TYPE_CHECKING:
    from PIL import Image

    from wan_nb.sim.planes import Planes

FPS = 24
CROSSFADE_SECONDS = 1.0
MAX_ASPECT = 21 / 9  # wider inputs are cropped: x264 and browsers dislike 8:1 frames


@dataclass(frozen=True)
class RenderSpec:
    media: dict[str, str] = field(default_factory=dict)  # role -> url
    duration: int = 5
    short_side: int = 720
    audio: bool = True
    watermark: bool = False
    seed: int = 0
    # The prompt, captioned on the frames and read for camera words (camera.py); None: neither (the knob
    # show_prompt=False), so tasks that differ only in prompt share one render.
    prompt: str | None = None
    # For the media limits checked when the task runs (limits.py): the model, and where each medium sat.
    model: str = "wan2.7-i2v"
    fields: dict[str, str] = field(default_factory=dict)
    # The rest of the family (renderer.RENDERERS picks the module; family.md §2): the model's family, the
    # requested ratio ("" follows the input) and videoedit's audio_setting.
    family: str = "i2v"
    ratio: str = ""
    audio_setting: str = "auto"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def output_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """The first frame's aspect ratio at the requested short side, both sides even (libx264 needs it)."""
    aspect = min(max(width / height, 1 / MAX_ASPECT), MAX_ASPECT)
    long_side = round(short_side * max(aspect, 1 / aspect) / 2) * 2
    return (long_side, short_side) if aspect >= 1 else (short_side, long_side)


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale to cover ``size`` and centre-crop (what a player's object-fit: cover does)."""
    from PIL import ImageOps

    return ImageOps.fit(image, size, method=_bilinear())


def _bilinear() -> int:
    from PIL import Image

    return int(Image.Resampling.BILINEAR)


def cut(planes: Planes, size: tuple[int, int], box: tuple[float, float, float, float]) -> Planes:
    """The ``box`` of the source planes at the output size: 4:2:0, chroma at half width and height."""
    half = (size[0] // 2, size[1] // 2)
    luma, blue, red = planes
    bilinear = _bilinear()
    return (
        luma.resize(size, bilinear, box=box),
        blue.resize(half, bilinear, box=box),
        red.resize(half, bilinear, box=box),
    )


def still(image: Image.Image, size: tuple[int, int]) -> Planes:
    return cut(planes_of(cover(image, size)), size, (0, 0, size[0], size[1]))


def frames(start: Image.Image, size: tuple[int, int], count: int, camera: Camera) -> Any:
    """Yield ``count`` frames (as planes): the camera's crop box over ``start``, in the camera's light."""
    width, height = size
    source = planes_of(cover(start, (round(width * camera.zoom), round(height * camera.zoom))))
    for index in range(count):
        planes = cut(source, size, camera.box(index, count, source[0].size))
        tables = camera.light(index, count)
        if tables is not None:
            planes = (planes[0].point(tables[0]), planes[1].point(tables[1]), planes[2].point(tables[2]))
        yield planes


def encode(path: Path, pictures: Any, size: tuple[int, int], samples: Any) -> None:
    import av

    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.codec_context.gop_size = 2 * FPS
        video.options = {"crf": "23", "preset": "veryfast"}
        sound = audio.add_stream(container) if samples is not None else None
        for index, pixels in enumerate(drawn_ahead(_yuv420p(planes, size[0]) for planes in pictures)):
            frame = av.VideoFrame.from_ndarray(pixels, format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            audio.mux(container, sound, samples)


def drawn_ahead(items: Iterator[Any], depth: int = 8) -> Iterator[Any]:
    """``items``, computed by a worker thread up to ``depth`` ahead of the caller.

    PIL's resize and x264 both release the GIL, so drawing the next frames while this one encodes uses both
    cores instead of taking turns (5 s 720P: ~4.2 s drawn in turn, ~2.7 s drawn ahead; bench/RESULTS.md §6).
    The worker stops as soon as the caller does (an encoder error, a closed generator), and its own errors
    are raised in the caller.
    """
    ready: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def draw() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the caller, whatever it is
            offer(_Failure(exc))

    worker = threading.Thread(target=draw, name="wan_nb-sim-frames", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()


_DONE = object()


@dataclass(frozen=True)
class _Failure:
    error: BaseException


def _yuv420p(planes: Planes, width: int) -> Any:
    """PyAV's yuv420p ndarray layout: Y rows, then U and V packed into rows of ``width``."""
    import numpy as np

    flat = np.concatenate([np.asarray(plane).reshape(-1) for plane in planes])
    return flat.reshape(-1, width)


def render(spec: RenderSpec, resolve: media.Resolver) -> bytes:
    """The MP4 bytes for ``spec``; raises ``media.MediaError`` for unusable inputs."""
    start = _start_image(spec, resolve)
    size = output_size(start.width, start.height, spec.short_side)
    count = spec.duration * FPS
    camera = Camera.plan(spec.prompt or "", spec.seed)
    pictures = frames(start, size, count, camera)
    if "last_frame" in spec.media:
        end = still(load_image(spec, "last_frame", resolve), size)
        pictures = crossfade(pictures, end, count)
    return finish(spec, pictures, size, camera.move, soundtrack(spec, resolve))


def finish(spec: RenderSpec, pictures: Any, size: tuple[int, int], move: str, samples: Any) -> bytes:
    """The caption and the watermark on the frames, then the MP4 bytes (every family ends here)."""
    if spec.prompt is not None:
        label = overlays.caption(spec.prompt, spec.seed, move, size)
        pictures = overlays.stamp(pictures, label, overlays.top_left(label, size))
    if spec.watermark:
        label = overlays.watermark(size)
        pictures = overlays.stamp(pictures, label, overlays.bottom_right(label, size))
    with tempfile.TemporaryDirectory(prefix="wan-sim-") as folder:
        path = Path(folder) / "render.mp4"
        encode(path, pictures, size, samples)
        return path.read_bytes()


def load_image(spec: RenderSpec, role: str, resolve: media.Resolver) -> Image.Image:
    """The image at ``role``, or a placeholder card for a public URL (never fetched)."""
    url = spec.media[role]
    data = media.fetch(url, resolve)
    return media.placeholder(url, role) if data is None else media.open_image(data, role)


def _start_image(spec: RenderSpec, resolve: media.Resolver) -> Image.Image:
    """The first frame, or the last frame of ``first_clip`` (the continuation starts where the clip ends)."""
    if "first_clip" not in spec.media:
        return load_image(spec, "first_frame", resolve)
    url = spec.media["first_clip"]
    data = media.fetch(url, resolve)
    return media.placeholder(url, "first_clip") if data is None else media.last_video_frame(data)


def crossfade(pictures: Any, end: Planes, count: int) -> Any:
    """The clip ends exactly on ``last_frame``: a cosine crossfade over the final second."""
    from PIL import Image

    span = min(count - 1, round(CROSSFADE_SECONDS * FPS))
    for index, picture in enumerate(pictures):
        weight = (index - (count - 1 - span)) / max(span, 1)
        if weight <= 0:
            yield picture
        else:
            alpha = (1 - math.cos(math.pi * min(weight, 1.0))) / 2
            yield tuple(Image.blend(plane, last, alpha) for plane, last in zip(picture, end, strict=True))


def soundtrack(spec: RenderSpec, resolve: media.Resolver) -> Any:
    if "driving_audio" in spec.media:
        data = media.fetch(spec.media["driving_audio"], resolve)
        if data is not None:
            try:
                return audio.decode(data, spec.duration)
            except (ValueError, OSError) as error:
                raise media.MediaError("The driving_audio format is not supported.") from error
    return audio.generate(spec.duration, spec.seed) if spec.audio else None


def write_atomically(path: Path, data: bytes) -> None:
    part = path.with_suffix(path.suffix + ".part")
    part.write_bytes(data)
    os.replace(part, path)

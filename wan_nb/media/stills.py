"""Posters and contact sheets: JPEG stills of a finished video, written next to it.

```python
wan_nb.poster(task)                  # wan_outputs/<id>.poster.jpg: the first frame
wan_nb.poster(task, at="last")       # <id>.last.jpg: the next request's first_frame (chaining a clip)
wan_nb.poster(task, at=2.5)          # <id>.t2.5.jpg
wan_nb.contact_sheet(task)           # <id>.sheet6.w320.jpg: six evenly spaced frames side by side
```

Posters are what static outputs (saved notebooks, GitHub, nbviewer, exported HTML) can show of a video.
Each file is reused while it is newer than the video, and written atomically (a temporary file in the same
folder, then ``os.replace``), so concurrent callers never see half a JPEG. Decoding is PyAV's: a still inside
the clip seeks to the keyframe before it and decodes only from there (wan2.7's and the simulator's GOPs are
at most a few seconds), never the whole file. PyAV and Pillow are imported only when a still is made.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from wan_nb.errors import ValidationError, WanError
from wan_nb.media.atomic import write_atomically
from wan_nb.models import Task

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["contact_sheet", "poster"]

At = Literal["first", "last"] | float
JPEG_QUALITY = 88
SHEET_TILE_WIDTH = 320  # six 16:9 tiles make a 1920 px strip: readable, and light in a saved notebook
MAX_SHEET_FRAMES = 48
_EPSILON = 1e-3  # seconds: a requested time within a millisecond of a frame's start picks that frame
SEEK_GAP = 2.0  # seconds: about one GOP (the simulator's is 2 s), past which a seek beats decoding forward


def poster(task_or_path: Task | str | PathLike[str], at: At = "first", *, width: int | None = None) -> Path:
    """Write one frame of the video as a JPEG beside it and return its path.

    ``at``: ``"first"``, ``"last"`` or a time in seconds from the start (0 to the clip's length). ``width``
    scales the still (aspect kept); None keeps the video's size, which a ``first_frame`` for the next try
    needs. Raises :class:`ValidationError` (field ``task_or_path``, ``at`` or ``width``) for a task without a
    downloaded file, a missing or undecodable file, or an ``at`` outside the clip.
    """
    video = _video_path(task_or_path)
    point = _check_at(at)
    _check_width(width, "width")
    target = _sibling(video, _at_label(point), width)
    if _fresh(target, video):
        return target
    with _Reader(video, width) as reader:
        image = reader.first() if point == "first" else reader.last() if point == "last" else reader.at(point)
    _save(image, target)
    return target


def contact_sheet(
    task_or_path: Task | str | PathLike[str], frames: int = 6, *, width: int | None = SHEET_TILE_WIDTH
) -> Path:
    """Write a horizontal strip of ``frames`` evenly spaced stills (the first to the last) as a JPEG.

    Each tile is ``width`` pixels wide (aspect kept; None: the video's own width), so the sheet is
    ``frames * width`` wide. Errors as :func:`poster`, and ``frames`` must be 1 to 48.
    """
    video = _video_path(task_or_path)
    if isinstance(frames, bool) or not isinstance(frames, int) or not 1 <= frames <= MAX_SHEET_FRAMES:
        raise ValidationError("frames", f"must be an integer from 1 to {MAX_SHEET_FRAMES}, got {frames!r}")
    _check_width(width, "width")
    target = _sibling(video, f"sheet{frames}", width)
    if _fresh(target, video):
        return target
    with _Reader(video, width) as reader:
        tiles = reader.spread(frames)
    _save(_strip(tiles), target)
    return target


def _video_path(task_or_path: Task | str | PathLike[str]) -> Path:
    if isinstance(task_or_path, Task):
        if task_or_path.path is None:
            raise ValidationError(
                "task_or_path",
                f"task {task_or_path.id} has no downloaded video (Task.path is None); "
                "download it first (client.download(task) or generate(...))",
            )
        path = Path(task_or_path.path)
    elif isinstance(task_or_path, str | PathLike):
        path = Path(task_or_path)
    else:
        raise ValidationError(
            "task_or_path", f"expected a Task or a path to an MP4, got {type(task_or_path).__name__}"
        )
    if not path.is_file():
        raise ValidationError("task_or_path", f"no video file at {path}")
    return path


def _check_at(at: object) -> At:
    if at in ("first", "last"):
        return at
    if isinstance(at, bool) or not isinstance(at, int | float) or at != at or at < 0:
        raise ValidationError("at", f'must be "first", "last" or seconds >= 0, got {at!r}')
    return float(at)


def _check_width(width: object, field: str) -> None:
    if width is None:
        return
    if isinstance(width, bool) or not isinstance(width, int) or not 16 <= width <= 8192:
        raise ValidationError(field, f"must be None or an integer from 16 to 8192 pixels, got {width!r}")


def _at_label(at: At) -> str:
    if at == "first":
        return "poster"
    if at == "last":
        return "last"
    return f"t{round(float(at), 3):g}"


def _sibling(video: Path, label: str, width: int | None) -> Path:
    scaled = f".w{width}" if width is not None else ""
    return video.with_name(f"{video.stem}.{label}{scaled}.jpg")


def _fresh(target: Path, video: Path) -> bool:
    """The still exists and was written after the video was (a re-downloaded video gets new stills)."""
    try:
        return target.stat().st_mtime_ns >= video.stat().st_mtime_ns
    except FileNotFoundError:
        return False


def _strip(tiles: list[Image.Image]) -> Image.Image:
    from PIL import Image

    sheet = Image.new("RGB", (sum(tile.width for tile in tiles), max(tile.height for tile in tiles)))
    left = 0
    for tile in tiles:
        sheet.paste(tile, (left, 0))
        left += tile.width
    return sheet


def _save(image: Image.Image, target: Path) -> None:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    write_atomically(target, buffer.getvalue())


class _Reader:
    """One open video: its first stream's frames by time, seeking to the keyframe before each; stills come
    out ``width`` wide (None: the video's size)."""

    def __init__(self, path: Path, width: int | None = None) -> None:
        try:
            import av
        except ImportError as error:  # av is in the [sim] extra, which the default install has
            raise WanError("posters need PyAV and Pillow: pip install 'wan_nb[sim]'") from error
        self._path, self._width = path, width
        self._errors: tuple[type[BaseException], ...] = (av.error.FFmpegError, ValueError, OSError)
        try:
            self._container: Any = av.open(str(path), mode="r")
        except self._errors as error:
            raise self._undecodable(error) from None
        if not self._container.streams.video:
            self._container.close()
            raise ValidationError("task_or_path", f"{path.name} has no video stream")
        self._stream = self._container.streams.video[0]

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._container.close()

    @property
    def duration(self) -> float:
        """The clip's length in seconds (the stream's when known, else the container's)."""
        stream = self._stream
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return float(self._container.duration or 0) / 1_000_000

    def first(self) -> Image.Image:
        return self._image(next(self._decoded(None), None))

    def last(self) -> Image.Image:
        """Seek to the end's keyframe, decode to the end; a file whose seek finds nothing is decoded from
        the start."""
        frame = self._frames_at([self.duration + 1.0])[0]
        return self._image(frame if frame is not None else _last_of(self._decoded(None)))

    def at(self, seconds: float) -> Image.Image:
        if seconds > self.duration + _EPSILON:
            raise ValidationError("at", f"{seconds:g} s is past the end of the clip ({self.duration:.3f} s)")
        return self._image(self._frames_at([seconds])[0])

    def spread(self, count: int) -> list[Image.Image]:
        """``count`` stills evenly spaced over the clip, from the first frame to the last."""
        times = [self.duration * index / max(count - 1, 1) for index in range(count)]
        return [self._image(frame) for frame in self._frames_at(times)]

    def _frames_at(self, times: list[float]) -> list[Any]:
        """For each of the ascending ``times``, the frame on screen then: the last one starting at or before
        it (the first after a seek that overshot). Close times share one forward decode; a time further than
        ``SEEK_GAP`` ahead seeks instead (skipping whole GOPs undecoded)."""
        picks: list[Any] = []
        frames: Iterator[Any] = iter(())
        current: Any = None  # the frame on screen at the previous time
        ahead: Any = None  # the next frame, decoded but not yet shown
        for seconds in times:
            if current is None or seconds - _time(current) > SEEK_GAP:
                frames = self._decoded(seconds)
                current = next(frames, None)
                ahead = next(frames, None)
            while ahead is not None and _time(ahead) <= seconds + _EPSILON:
                current, ahead = ahead, next(frames, None)
            picks.append(current)
        return picks

    def _decoded(self, seconds: float | None) -> Iterator[Any]:
        """Frames from the keyframe at or before ``seconds`` (None: from the start), in order."""
        try:
            if seconds is not None and seconds > 0 and self._stream.time_base is not None:
                offset = int(seconds / self._stream.time_base)
                self._container.seek(offset, stream=self._stream, backward=True, any_frame=False)
            else:
                self._container.seek(0, stream=self._stream, backward=True, any_frame=False)
            yield from self._container.decode(self._stream)
        except self._errors as error:
            raise self._undecodable(error) from None

    def _image(self, frame: Any) -> Image.Image:
        if frame is None:
            raise ValidationError("task_or_path", f"{self._path.name} has no decodable video frame")
        if self._width is None or self._width == frame.width:
            image: Image.Image = frame.to_image()
            return image
        # Scaled by swscale while converting to RGB: one pass in C instead of a PIL resize after it.
        height = max(1, round(frame.height * self._width / frame.width))
        scaled: Image.Image = frame.to_image(width=self._width, height=height, interpolation="AREA")
        return scaled

    def _undecodable(self, error: BaseException) -> ValidationError:
        # The exception's type only: FFmpeg's message repeats the full path, which the field already names.
        return ValidationError(
            "task_or_path", f"{self._path.name} is not a video PyAV can decode ({type(error).__name__})"
        )


def _time(frame: Any) -> float:
    return float(frame.time or 0.0)


def _last_of(frames: Iterator[Any]) -> Any:
    tail = deque(frames, maxlen=1)  # decodes them all, keeps the last
    return tail[0] if tail else None

"""Media inputs: classify what the user passed, read local ones, sniff them, make ``data:`` URIs.

A medium (``first_frame``, ``last_frame``, ``driving_audio``, ``first_clip``) may be an ``http(s)://`` URL,
an ``oss://`` URL (a DashScope temporary upload), a ``data:`` URI, a local path (``str``, ``pathlib.Path``
or ``file://`` URL), ``bytes`` or a PIL image. :func:`classify` sorts it into a :class:`Medium`; remote
kinds (``url``, ``oss``) are never fetched. Validation reads and sniffs a local medium once, into a
:class:`Content` that the create then uploads or inlines without reading it again. Stdlib only: a PIL image is encoded to PNG through its own
``save`` method, so Pillow is never imported here. No network, no environment, no asyncio.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from wan_nb.errors import ValidationError
from wan_nb.family import ReferenceKind
from wan_nb.media.sniff import (
    AudioInfo,
    ImageInfo,
    VideoInfo,
    foreign_image,
    image_complete,
    mp4_skeleton,
    sniff_audio,
    sniff_image,
    sniff_video,
)

__all__ = [
    "ALLOWED",
    "AudioInfo",
    "Content",
    "ImageInfo",
    "Info",
    "Medium",
    "VideoInfo",
    "classify",
    "filename_for",
    "foreign_image",
    "image_complete",
    "load",
    "mime_type",
    "read",
    "reference_kind",
    "sniff",
    "sniff_audio",
    "sniff_image",
    "sniff_video",
    "to_data_uri",
    "told_kind",
    "video_info",
]

MediumKind = Literal["url", "oss", "data", "file", "bytes"]
Info = ImageInfo | AudioInfo | VideoInfo
ALLOWED = "allowed: http(s)://, oss://, data: URI, a local path, bytes or a PIL image"

# A scheme is two or more characters (RFC 3986 §3.1); one letter before a colon is a Windows drive.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")
# PNG can store these PIL modes as they are; anything else (CMYK, YCbCr, HSV, F...) is converted first.
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
# format → (MIME type, file extension)
_TYPES = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "bmp": ("image/bmp", "bmp"),
    "webp": ("image/webp", "webp"),
    "gif": ("image/gif", "gif"),
    "wav": ("audio/wav", "wav"),
    "mp3": ("audio/mpeg", "mp3"),
    "mp4": ("video/mp4", "mp4"),
    "mov": ("video/quicktime", "mov"),
}


@dataclass(frozen=True, slots=True)
class Medium:
    """One classified medium. ``value`` is the URL, the ``data:`` URI, the path, or the bytes."""

    kind: MediumKind
    value: str | bytes
    field: str

    @property
    def is_local(self) -> bool:
        """True when wan_nb must send the content itself (upload or ``data:`` URI) rather than a link."""
        return self.kind in ("data", "file", "bytes")

    def __repr__(self) -> str:  # never print megabytes of payload
        shown = f"<{len(self.value)} bytes>" if isinstance(self.value, bytes) else _clip(self.value)
        return f"Medium({self.kind}, {shown}, field={self.field!r})"


@dataclass(frozen=True, slots=True)
class Content:
    """A local medium as validation read and sniffed it: the create uploads or inlines these bytes, read once."""

    medium: Medium
    data: bytes = field(repr=False)  # never print megabytes of payload
    info: Info

    @property
    def mime(self) -> str:
        """The MIME type of the sniffed format (what :func:`mime_type` says of the bytes)."""
        return _TYPES[self.info.format][0]

    @property
    def filename(self) -> str:
        """A name for an upload, as :func:`filename_for` gives it, from the format already sniffed."""
        return filename_for(self.medium, self.info)


def _clip(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def classify(value: object, field: str) -> Medium:
    """Sort a user's medium into a kind; ValidationError for a refused URL scheme, TypeError for a wrong type."""
    if _is_pil_image(value):
        return Medium("bytes", _png_bytes(value), field)
    if isinstance(value, bytes | bytearray | memoryview):
        return Medium("bytes", bytes(value), field)
    if isinstance(value, os.PathLike):
        return Medium("file", os.path.expanduser(os.fsdecode(value)), field)
    if isinstance(value, str):
        return _classify_text(value, field)
    raise TypeError(f"{field}: got {type(value).__name__}; {ALLOWED}")


def _classify_text(value: str, field: str) -> Medium:
    if not value.strip():
        raise ValidationError(field, f"is empty; {ALLOWED}")
    match = _SCHEME.match(value)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("http", "https"):
        if not urlsplit(value).netloc:
            raise ValidationError(field, f"URL has no host: {_clip(value)}")
        return Medium("url", value, field)
    if scheme == "oss":
        return Medium("oss", value, field)
    if scheme == "data":
        return Medium("data", value, field)
    if scheme == "file":
        return Medium("file", _file_url_path(value, field), field)
    if scheme and not os.path.exists(value):  # "shot:1.png" may still name a real file
        raise ValidationError(field, f"URL scheme {scheme}: is not supported; {ALLOWED}")
    return Medium("file", os.path.expanduser(value), field)


def _file_url_path(url: str, field: str) -> str:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValidationError(field, f"file:// URL on another host ({parts.netloc}); give a local path")
    path = unquote(parts.path)
    return path[1:] if _DRIVE.match(path[1:]) else path  # file:///C:/x.png is C:/x.png


def _is_pil_image(value: object) -> bool:
    # Duck-typed so that checking never imports Pillow.
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")


def _png_bytes(image: Any) -> bytes:
    if getattr(image, "mode", "RGB") not in _PNG_MODES:
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def load(medium: Medium) -> bytes:
    """The content of a local medium (file, bytes, data URI). Remote kinds are never fetched."""
    if isinstance(medium.value, bytes):
        return medium.value
    if medium.kind == "data":
        return _decode_data_uri(medium.value, medium.field)
    if medium.kind == "file":
        with _open(medium) as stream:
            return stream.read()
    raise ValueError(f"{medium.field}: {medium.kind} media are links, not loaded: {_clip(medium.value)}")


def _decode_data_uri(uri: str, field: str) -> bytes:
    header, comma, payload = uri.partition(",")
    if not comma:
        raise ValidationError(field, "malformed data: URI; expected data:<mime>;base64,<data>")
    if not header.lower().endswith(";base64"):
        return unquote_to_bytes(payload)
    try:
        return base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, "malformed data: URI; its base64 payload does not decode") from None


def _open(medium: Medium) -> BinaryIO:
    """Open a file medium, turning OS errors into one-line ValidationErrors naming the field."""
    path = str(medium.value)
    try:
        return open(path, "rb")  # the callers close it
    except FileNotFoundError:
        raise ValidationError(medium.field, f"file not found: {path}") from None
    except IsADirectoryError:
        raise ValidationError(medium.field, f"is a directory, not a file: {path}") from None
    except (OSError, ValueError) as exc:  # permissions, a NUL byte in the path...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValidationError(medium.field, f"cannot read {path}: {reason}") from None


def read(medium: Medium, most: float) -> tuple[int, bytes | None]:
    """``(size, content)`` of a local medium, opened once; the content is None when the size is over ``most``
    bytes: a file is measured with ``os.fstat`` before it is read, so a huge one never is."""
    if medium.kind != "file":
        data = load(medium)
        return len(data), data if len(data) <= most else None
    with _open(medium) as stream:  # opening (not stat) also catches directories and unreadable files
        size = os.fstat(stream.fileno()).st_size
        return size, stream.read() if size <= most else None


def video_info(medium: Medium, data: bytes | None = None) -> VideoInfo | None:
    """:func:`sniff_video` of a local medium, from a file's ``ftyp`` and ``moov`` boxes only (``moov`` may sit
    after ``mdat``); ``data``: its content, already read (else only those boxes of a file are read)."""
    if medium.kind != "file":
        return sniff_video(load(medium) if data is None else data)
    if data is not None:
        return sniff_video(mp4_skeleton(io.BytesIO(data)))
    with _open(medium) as stream:
        return sniff_video(mp4_skeleton(stream))


def sniff(data: bytes) -> Info | None:
    """Whichever of the image, audio and video sniffers recognises the bytes."""
    return sniff_image(data) or sniff_audio(data) or sniff_video(data)


def mime_type(data: bytes) -> str:
    """The MIME type the bytes' header shows (``application/octet-stream`` when unknown)."""
    info = sniff(data)
    return _TYPES[info.format][0] if info else "application/octet-stream"


def to_data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,<data>``: how the gateway and the relay take local media (protocol.md §1)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def filename_for(medium: Medium, info: Info | None = None) -> str:
    """A name for an upload: a file's own basename, else ``<field>.<ext>`` from the sniffed format (``info``
    when the content was sniffed already)."""
    if medium.kind == "file":
        return os.path.basename(str(medium.value)) or medium.field
    if medium.kind in ("url", "oss"):
        return os.path.basename(urlsplit(str(medium.value)).path) or medium.field
    info = info or sniff(load(medium))
    return f"{medium.field}.{_TYPES[info.format][1] if info else 'bin'}"


_KIND_OF_FORMAT: dict[str, ReferenceKind] = {
    **dict.fromkeys(("jpeg", "png", "bmp", "webp", "gif"), "image"),
    **dict.fromkeys(("mp4", "mov"), "video"),
    **dict.fromkeys(("wav", "mp3"), "audio"),
}
_KIND_OF_TOP_TYPE: dict[str, ReferenceKind] = {"image": "image", "video": "video", "audio": "audio"}
_KIND_OF_EXTENSION: dict[str, ReferenceKind] = {
    **dict.fromkeys(
        (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".heic", ".avif", ".tif", ".tiff"), "image"
    ),
    **dict.fromkeys((".mp4", ".mov", ".m4v"), "video"),
    **dict.fromkeys((".wav", ".mp3"), "audio"),
}


def reference_kind(medium: Medium) -> ReferenceKind | None:
    """Whether a reference is an image, a video or audio: a ``data:`` URI's type, raw bytes' header, else the
    file's or the link's extension (a local file without one: its header). None when nothing says."""
    if medium.kind == "data":
        return _KIND_OF_TOP_TYPE.get(str(medium.value)[5:].partition("/")[0].lower())
    if medium.kind == "bytes":
        info = sniff(load(medium))
        return _KIND_OF_FORMAT.get(info.format) if info else None
    path = urlsplit(str(medium.value)).path if medium.kind in ("url", "oss") else str(medium.value)
    found = _KIND_OF_EXTENSION.get(os.path.splitext(path)[1].lower())
    if found is None and medium.kind == "file":
        with _open(medium) as stream:
            info = sniff(stream.read(64 * 1024))
        return _KIND_OF_FORMAT.get(info.format) if info else None
    return found


def told_kind(value: object, field: str) -> ReferenceKind | None:
    """:func:`reference_kind` of ``value`` when it can be told; None when it cannot (not a medium, a file that
    cannot be read, a link that names no kind). For labels, previews, estimates and the journal, which must not
    refuse: :func:`wan_nb.validation.validate` does, naming the field."""
    try:
        return reference_kind(classify(value, field))
    except (ValidationError, OSError, TypeError):
        return None

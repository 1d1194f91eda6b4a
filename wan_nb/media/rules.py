"""What one medium must be before it is sent: a link the service can fetch, or content it can use.

Split from :mod:`wan_nb.validation` (which decides *which* media a request carries): here each medium alone is
judged against its :class:`MediaLimits`. Pure: nothing is fetched, links are judged as written.
"""

from __future__ import annotations

import hashlib
import io
import re

from wan_nb import media
from wan_nb.errors import ValidationError
from wan_nb.family import MediaLimits
from wan_nb.media.hosts import unreachable_reason

__all__ = ["MB", "MediaLimits", "check_content", "check_reachable"]

MB = 1024 * 1024


def check_reachable(medium: media.Medium) -> None:
    reason = unreachable_reason(str(medium.value))
    if reason is not None:
        raise ValidationError(
            medium.field,
            f"the cloud service cannot fetch this URL ({reason}); pass the local file's path instead "
            "(wan_nb uploads it)",
        )


_DATA_HEADER = re.compile(r"^data:[\w.+-]+/[\w.+-]+(;[\w.+-]+=[^;,]*)*(;base64)?$", re.I)
# How to turn a refused format into an accepted one (the service takes JPEG, PNG, BMP, WEBP).
_CONVERT = {
    "heic": "a HEIC phone photo; convert it to JPEG (macOS Preview: File > Export; Windows Photos: Save as; "
    "Python: pillow-heif), or set the iPhone's Camera > Formats to Most Compatible",
    "heif": "a HEIF photo; convert it to JPEG (macOS Preview: File > Export; Python: pillow-heif)",
    "avif": "an AVIF image; save it as PNG, JPEG or WEBP first",
    "tiff": "a TIFF image; save it as PNG or JPEG first",
    "svg": "an SVG drawing; render it to PNG first",
    "gif": "a GIF; save the frame you want as PNG first",
}


def check_content(medium: media.Medium, limits: MediaLimits, model: str) -> media.Content:
    """The local medium's content, read once (after its size is checked) and sniffed once, when it passes."""
    field = medium.field
    if medium.kind == "data":
        _check_data_uri(str(medium.value), field, limits)
    size, data = media.read(medium, limits.max_mb * MB)
    if data is None:
        raise ValidationError(field, f"is {size / MB:.1f} MB; at most {limits.max_mb:g} MB for {model}")
    found = _sniffed(medium, data, limits)
    if found is None or found.format not in limits.formats:
        what = f"in {found.format.upper()} format" if found else f"not {limits.noun} (or damaged)"
        raise ValidationError(field, f"is {what}; allowed: {', '.join(limits.formats).upper()}")
    if isinstance(found, media.ImageInfo | media.VideoInfo):
        _check_sides(field, found.width, found.height, limits, model)
    seconds = found.duration_s if not isinstance(found, media.ImageInfo) else None
    if seconds is None and limits.seconds:
        raise ValidationError(field, f"is {limits.noun} whose length cannot be read (damaged or unfinished?)")
    if seconds is not None and limits.seconds and not limits.seconds[0] <= seconds <= limits.seconds[1]:
        low, high = limits.seconds
        raise ValidationError(field, f"is {seconds:.1f} s long; allowed: {low:g}-{high:g} s for {model}")
    return media.Content(medium, data, found)


def _check_data_uri(uri: str, field: str, limits: MediaLimits) -> None:
    header = uri.partition(",")[0]
    if "," not in uri or not _DATA_HEADER.match(header):
        raise ValidationError(field, "malformed data: URI; expected data:<type>/<subtype>;base64,<data>")
    most = int(limits.max_mb * MB * 4 / 3) + len(header) + 1024  # base64 grows 4/3: decode nothing too big
    if len(uri) > most:
        raise ValidationError(
            field, f"data: URI of {len(uri) / MB:.1f} MB characters; at most {limits.max_mb:g} MB decoded"
        )


def _sniffed(medium: media.Medium, data: bytes, limits: MediaLimits) -> media.Info | None:
    if "mp4" in limits.formats:
        return media.video_info(medium, data)
    foreign = media.foreign_image(data)
    if foreign is not None:
        allowed = ", ".join(limits.formats).upper()
        raise ValidationError(medium.field, f"is {_CONVERT[foreign]} (allowed: {allowed})")
    found = media.sniff(data)
    if isinstance(found, media.ImageInfo) and not _decodes(data, found.format):
        raise ValidationError(medium.field, f"is a damaged or truncated {found.format.upper()} image")
    return found


_DECODED: dict[bytes, bool] = {}
"""Outcome of :func:`_decodes` per content digest: one image is checked about three times per Generate (the
panel, ``submit``, the estimate) and a grid sends the same image to every cell; a digest is ~20x cheaper than
a decode and the outcome depends on the bytes alone."""
_DECODED_KEPT = 64


def _decodes(data: bytes, image_format: str) -> bool:
    """:func:`_decode` once per distinct content (``_DECODED``)."""
    digest = hashlib.blake2b(data, digest_size=16).digest()
    if digest not in _DECODED:
        if len(_DECODED) >= _DECODED_KEPT:
            _DECODED.pop(next(iter(_DECODED)))  # the oldest: dicts keep insertion order
        _DECODED[digest] = _decode(data, image_format)
    return _DECODED[digest]


def _decode(data: bytes, image_format: str) -> bool:
    """A full decode with Pillow when it is importable (truncation and corrupt data raise); else structural."""
    try:
        from PIL import Image  # heavy: only for a local image, once
    except ImportError:
        return media.image_complete(data, image_format)
    try:
        with Image.open(io.BytesIO(data)) as image:
            # A JPEG decoded at 1/8 scale still reads every entropy-coded byte (a cut file still fails), ~5x faster.
            image.draft("RGB", (max(image.width // 8, 1), max(image.height // 8, 1)))
            image.load()
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError... for broken files
        return False
    return True


def _check_sides(field: str, width: int | None, height: int | None, limits: MediaLimits, model: str) -> None:
    if width is None or height is None:
        return
    if limits.side and not all(limits.side[0] <= side <= limits.side[1] for side in (width, height)):
        low, high = limits.side
        raise ValidationError(field, f"is {width}x{height} px; allowed: {low}-{high} px a side for {model}")
    if limits.aspect and max(width, height) > limits.aspect * min(width, height):
        ratio, most = max(width, height) / max(min(width, height), 1), f"{limits.aspect:g}"
        raise ValidationError(field, f"is {width}x{height} px (1:{ratio:.2f}); allowed: 1:{most} to {most}:1")

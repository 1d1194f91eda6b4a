"""Header sniffers: what a medium is, and its pixel size or length, read from its first bytes. Stdlib only.

Each ``sniff_*`` takes bytes and returns an info object, or None when the bytes are not that kind of
medium, or are too truncated or garbled to tell: a sniffer never raises. Formats follow their specs:
PNG IHDR/tRNS (PNG §11.2), JPEG SOFn markers (ITU T.81 B.2), BMP's DIB header, WebP's VP8/VP8L/VP8X
chunks (RFC 9649), WAV's RIFF ``fmt ``/``data`` chunks, MPEG audio frame headers with the Xing/Info or
VBRI frame count, ISO-BMFF ``ftyp``/``moov``/``mvhd``/``tkhd`` boxes (ISO 14496-12 §4.3, §8.2.2, §8.3.2).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal, TypeVar

__all__ = [
    "AudioInfo",
    "ImageInfo",
    "VideoInfo",
    "foreign_image",
    "image_complete",
    "mp4_skeleton",
    "sniff_audio",
    "sniff_image",
    "sniff_video",
]

ImageFormat = Literal["jpeg", "png", "bmp", "webp", "gif"]


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: ImageFormat
    width: int
    height: int
    has_alpha: bool | None = None
    """None where the header does not say (BMP, GIF)."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    format: Literal["wav", "mp3"]
    duration_s: float | None
    """None when the header does not let us tell."""


@dataclass(frozen=True, slots=True)
class VideoInfo:
    format: Literal["mp4", "mov"]
    duration_s: float | None
    width: int | None = None
    height: int | None = None


_Info = TypeVar("_Info")
# What slicing/unpacking past the end of truncated or hostile bytes raises.
_BROKEN = (struct.error, IndexError, ValueError)


def _first(parsers: tuple[Callable[[bytes], _Info | None], ...], data: bytes) -> _Info | None:
    for parse in parsers:
        try:
            info = parse(data)
        except _BROKEN:
            info = None
        if info is not None:
            return info
    return None


def sniff_image(data: bytes) -> ImageInfo | None:
    """Format and pixel size of a PNG, JPEG, BMP, WebP or GIF image."""
    return _first((_png, _jpeg, _webp, _bmp, _gif), data)


def _png(d: bytes) -> ImageInfo | None:
    if not d.startswith(b"\x89PNG\r\n\x1a\n") or d[12:16] != b"IHDR":
        return None
    width, height, _depth, color = struct.unpack_from(">IIBB", d, 16)
    # Colour types 4 and 6 carry alpha; any other type is transparent only with a tRNS chunk.
    return ImageInfo("png", width, height, color in (4, 6) or _png_has_trns(d))


def _png_has_trns(d: bytes) -> bool:
    pos = 8
    while pos + 8 <= len(d):
        length, kind = struct.unpack_from(">I", d, pos)[0], d[pos + 4 : pos + 8]
        if kind in (b"tRNS", b"IDAT"):  # tRNS must come before the first IDAT
            return kind == b"tRNS"
        pos += 12 + length
    return False


# SOF0-SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(d: bytes) -> ImageInfo | None:
    if not d.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 4 <= len(d) and d[pos] == 0xFF:
        marker = d[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif 0xD0 <= marker <= 0xD9 or marker == 0x01:  # RSTn, SOI, EOI, TEM: no length field
            pos += 2
        elif marker in _SOF:
            height, width = struct.unpack_from(">HH", d, pos + 5)
            return ImageInfo("jpeg", width, height, False)
        else:
            pos += 2 + struct.unpack_from(">H", d, pos + 2)[0]
    return None


def _webp(d: bytes) -> ImageInfo | None:
    if d[:4] != b"RIFF" or d[8:12] != b"WEBP" or len(d) < 30:
        return None
    chunk = d[12:16]
    if chunk == b"VP8 " and d[23:26] == b"\x9d\x01\x2a":  # lossy: 14-bit sizes after the start code
        width, height = struct.unpack_from("<HH", d, 26)
        return ImageInfo("webp", width & 0x3FFF, height & 0x3FFF, False)
    if chunk == b"VP8L" and d[20] == 0x2F:  # lossless: 14+14 bits of size-1, then the alpha hint
        bits = struct.unpack_from("<I", d, 21)[0]
        return ImageInfo("webp", (bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1, bool(bits >> 28 & 1))
    if chunk == b"VP8X":  # extended: flags, then 24-bit canvas size-1
        width = int.from_bytes(d[24:27], "little") + 1
        height = int.from_bytes(d[27:30], "little") + 1
        return ImageInfo("webp", width, height, bool(d[20] & 0x10))
    return None


def _bmp(d: bytes) -> ImageInfo | None:
    if d[:2] != b"BM":
        return None
    header = struct.unpack_from("<I", d, 14)[0]
    if header == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        width, height = struct.unpack_from("<HH", d, 18)
    elif header >= 40:  # BITMAPINFOHEADER and later; a negative height means top-down rows
        width, height = struct.unpack_from("<ii", d, 18)
    else:
        return None
    return ImageInfo("bmp", abs(width), abs(height))


def _gif(d: bytes) -> ImageInfo | None:
    if d[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    width, height = struct.unpack_from("<HH", d, 6)
    return ImageInfo("gif", width, height)


def sniff_audio(data: bytes) -> AudioInfo | None:
    """Format and length of a WAV or MP3 file (the length from the whole file's bytes)."""
    return _first((_wav, _mp3), data)


def _wav(d: bytes) -> AudioInfo | None:
    if d[:4] != b"RIFF" or d[8:12] != b"WAVE":
        return None
    byte_rate, pos = 0, 12
    while pos + 8 <= len(d):
        kind, size = struct.unpack_from("<4sI", d, pos)
        if kind == b"fmt ":
            byte_rate = struct.unpack_from("<I", d, pos + 16)[0]
        elif kind == b"data":  # a streamed WAV may declare more than it holds: trust the bytes
            seconds = min(size, len(d) - pos - 8) / byte_rate if byte_rate else None
            return AudioInfo("wav", seconds)
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    return AudioInfo("wav", None)


@dataclass(frozen=True, slots=True)
class _Frame:
    offset: int
    length: int
    kbps: int
    rate: int
    samples: int
    side_info: int


# Layer III tables (ISO 11172-3 / 13818-3), by MPEG version bits: 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5.
_KBPS = {
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_SCAN = 65536  # how far past the ID3 tag to look for the first frame


def _mp3(d: bytes) -> AudioInfo | None:
    frame = _first_frame(d, _id3_end(d))
    if frame is None:
        return None
    seconds = _vbr_seconds(d, frame)
    if seconds is None:  # constant bitrate: bytes / bitrate, minus an ID3v1 tag at the end
        tail = 128 if d[-128:-125] == b"TAG" else 0
        seconds = (len(d) - frame.offset - tail) * 8 / (frame.kbps * 1000)
    return AudioInfo("mp3", seconds)


def _id3_end(d: bytes) -> int:
    if d[:3] != b"ID3" or len(d) < 10:
        return 0
    size = 0
    for byte in d[6:10]:  # syncsafe: 7 bits per byte
        size = size << 7 | byte & 0x7F
    return 10 + size + (10 if d[5] & 0x10 else 0)  # flag 0x10: a footer follows


def _first_frame(d: bytes, start: int) -> _Frame | None:
    """The first frame header that the next one confirms (or that starts the data and runs past its end)."""
    pos = d.find(b"\xff", start, start + _SCAN)
    while pos >= 0:
        frame = _frame_at(d, pos)
        if frame is not None:
            after = pos + frame.length
            if _frame_at(d, after) is not None or (pos == start and after >= len(d)):
                return frame
        pos = d.find(b"\xff", pos + 1, start + _SCAN)
    return None


def _frame_at(d: bytes, pos: int) -> _Frame | None:
    head = d[pos : pos + 4]
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version, layer = head[1] >> 3 & 3, head[1] >> 1 & 3
    kbps_index, rate_index = head[2] >> 4, head[2] >> 2 & 3
    if (
        version == 1 or layer != 1 or kbps_index in (0, 15) or rate_index == 3
    ):  # reserved, not layer III, free
        return None
    mpeg1, mono = version == 3, head[3] >> 6 == 3
    kbps, rate = _KBPS[mpeg1][kbps_index], _RATES[version][rate_index]
    samples = 1152 if mpeg1 else 576
    length = samples // 8 * kbps * 1000 // rate + (head[2] >> 1 & 1)
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return _Frame(pos, length, kbps, rate, samples, side_info)


def _vbr_seconds(d: bytes, frame: _Frame) -> float | None:
    """Length from the frame count LAME (Xing/Info) or Fraunhofer (VBRI) write into the first frame."""
    xing = frame.offset + 4 + frame.side_info
    count: int | None = None
    if d[xing : xing + 4] in (b"Xing", b"Info") and struct.unpack_from(">I", d, xing + 4)[0] & 1:
        count = struct.unpack_from(">I", d, xing + 8)[0]
    elif d[frame.offset + 36 : frame.offset + 40] == b"VBRI":
        count = struct.unpack_from(">I", d, frame.offset + 50)[0]
    return None if not count else count * frame.samples / frame.rate


def sniff_video(data: bytes) -> VideoInfo | None:
    """Container, length (``mvhd``) and picture size (first video ``tkhd``) of an MP4 or MOV file."""
    return _first((_iso_bmff,), data)


def mp4_skeleton(stream: BinaryIO, max_boxes: int = 1024) -> bytes:
    """The ``ftyp`` and ``moov`` boxes of a file, found by seeking: ``moov`` often sits after ``mdat``."""
    total, pos, parts = stream.seek(0, 2), 0, []
    for _ in range(max_boxes):
        if pos + 8 > total:
            break
        stream.seek(pos)
        head = stream.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        if size == 1 and len(head) == 16:
            size = struct.unpack_from(">Q", head, 8)[0]
        elif size == 0:  # the last box runs to the end of the file
            size = total - pos
        if size < 8:
            break
        if kind in (b"ftyp", b"moov"):
            stream.seek(pos)
            parts.append(stream.read(min(size, total - pos)))
        pos += size
    return b"".join(parts)


def _boxes(d: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, box end) of each box in ``d[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", d, pos)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", d, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, min(pos + size, end)
        pos += size


# HEIF/AVIF still images share the ISO-BMFF ftyp box with MP4: their brands say they are no video.
_IMAGE_BRANDS = {
    b"heic": "heic", b"heix": "heic", b"heim": "heic", b"heis": "heic", b"hevc": "heic", b"hevx": "heic",
    b"mif1": "heif", b"msf1": "heif", b"avif": "avif", b"avis": "avif",
}  # fmt: skip


def foreign_image(data: bytes) -> str | None:
    """The name of an image format the service refuses (``heic``, ``heif``, ``avif``, ``tiff``, ``svg``,
    ``gif``) when the bytes are one, so the refusal can say how to convert it."""
    if data[4:8] == b"ftyp" and data[8:12] in _IMAGE_BRANDS:
        return _IMAGE_BRANDS[data[8:12]]
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in data[:4096].lower():
        return "svg"
    return None


def image_complete(data: bytes, image_format: str) -> bool:
    """Structural check that an image was not cut short (used when Pillow is absent): a PNG ends with its IEND
    chunk, a JPEG with EOI (FFD9, trailing padding allowed), a WebP/BMP holds the bytes its header declares."""
    if image_format == "png":
        return data.rstrip(b"\x00")[-8:-4] == b"IEND"
    if image_format == "jpeg":
        return b"\xff\xd9" in data.rstrip(b"\x00")[-64:]
    try:
        if image_format == "webp":
            return len(data) >= int(struct.unpack_from("<I", data, 4)[0]) + 8
        if image_format == "bmp":
            return len(data) >= int(struct.unpack_from("<I", data, 2)[0])
    except _BROKEN:
        return False
    return True


def _iso_bmff(d: bytes) -> VideoInfo | None:
    first = next(_boxes(d, 0, len(d)), None)
    if first is None or first[0] != b"ftyp" or first[2] - first[1] < 8:  # major brand + minor version
        return None
    if d[first[1] : first[1] + 4] in _IMAGE_BRANDS:  # a HEIC/AVIF photo, not a movie
        return None
    container: Literal["mp4", "mov"] = "mov" if d[first[1] : first[1] + 4] == b"qt  " else "mp4"
    moov = next(((s, e) for kind, s, e in _boxes(d, 0, len(d)) if kind == b"moov"), None)
    if moov is None:
        return VideoInfo(container, None)
    return VideoInfo(container, _movie_seconds(d, *moov), *_picture_size(d, *moov))


def _movie_seconds(d: bytes, start: int, end: int) -> float | None:
    for kind, body, _ in _boxes(d, start, end):
        if kind == b"mvhd":  # version 1 widens the times and duration to 64 bits
            layout, offset = (">IQ", 20) if d[body] == 1 else (">II", 12)
            timescale, duration = struct.unpack_from(layout, d, body + offset)
            unknown = duration in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)
            return duration / timescale if timescale and not unknown else None
    return None


def _picture_size(d: bytes, start: int, end: int) -> tuple[int | None, int | None]:
    for kind, body, box_end in _boxes(d, start, end):
        for child, child_body, _ in _boxes(d, body, box_end) if kind == b"trak" else ():
            if child == b"tkhd":  # 16.16 fixed-point width and height close the box
                offset = 84 if d[child_body] == 1 else 76
                width, height = struct.unpack_from(">II", d, child_body + offset)
                if width and height:
                    return width >> 16, height >> 16
    return None, None

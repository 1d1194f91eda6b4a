"""Input media for the renderer: fetch what may be fetched offline, decode it, or draw a placeholder card.

Only ``data:`` URIs, the simulator's own ``oss://`` uploads and result URLs, and loopback URLs (127.0.0.0/8,
``localhost``, ``*.localhost`` per RFC 6761) are read; the simulator never sends traffic to any other host, so a
public URL renders from a card that says so instead of failing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import ipaddress
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

if TYPE_CHECKING:
    from PIL import Image

# url -> bytes for the simulator's own objects (oss:// uploads, /results/ URLs), None when not ours.
Resolver = Callable[[str], bytes | None]

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


class MediaError(Exception):
    """The medium cannot be read or is not usable (the task fails with InvalidParameter, like upstream)."""


class FetchError(Exception):
    """A loopback URL that could not be read; ``reason`` says why (limits.py names the URL and field)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _LoopbackRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only while it stays on loopback: the simulator never contacts another host."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not is_loopback(newurl):
            raise FetchError(f"redirected off loopback to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """No proxies (HTTP(S)_PROXY would send loopback traffic elsewhere); redirects only on loopback."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _LoopbackRedirects())


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(url: str, resolve: Resolver) -> bytes | None:
    """The bytes behind ``url``, or None when it is a public URL we must not contact; ``FetchError`` when a
    loopback URL cannot be read."""
    if url.startswith("data:"):
        return decode_data_uri(url)
    own = resolve(url)
    if own is not None or url.startswith("oss://"):
        return own
    if not (url.startswith(("http://", "https://")) and is_loopback(url)):
        return None
    try:
        with _opener().open(url, timeout=30) as answer:  # loopback only, checked above
            data: bytes = answer.read()
            return data
    except urllib.error.HTTPError as error:
        raise FetchError(f"HTTP {error.code}") from error
    except urllib.error.URLError as error:
        raise FetchError(str(error.reason)) from error
    except (OSError, ValueError) as error:  # a timeout or a connection dropped mid-body; a malformed URL
        raise FetchError(str(error) or type(error).__name__) from error


def decode_data_uri(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if header.endswith(";base64"):
        return base64.b64decode(payload)
    return unquote_to_bytes(payload)


def open_image(data: bytes, role: str) -> Image.Image:
    """The decoded RGB image; its documented limits were checked before the render (limits.py)."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise MediaError(f"The {role} image format is not supported.") from error
    return image.convert("RGB")


def font(size: int) -> object:
    from PIL import ImageFont

    for path in FONT_PATHS:
        if not os.path.isfile(path):
            continue  # else Pillow walks ~/.local/share/fonts and /usr/share/fonts for a file of that name
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def has_cjk_font() -> bool:
    from pathlib import Path

    return any(Path(path).is_file() for path in FONT_PATHS[:2])


def placeholder(url: str, role: str, size: tuple[int, int] = (1280, 720)) -> Image.Image:
    """A card for media the simulator cannot fetch offline; its colours are a function of the URL."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(url.encode()).digest()
    top, bottom = digest[:3], digest[3:6]
    card = Image.linear_gradient("L").resize(size)
    card = Image.composite(Image.new("RGB", size, tuple(bottom)), Image.new("RGB", size, tuple(top)), card)
    draw = ImageDraw.Draw(card)
    shown = url if len(url) <= 70 else url[:67] + "..."
    lines = ("wan_nb simulator", f"{role}: not fetched (offline)", shown)
    for index, line in enumerate(lines):
        draw.text((60, 220 + index * 90), line, fill="white", font=font(56 if index == 0 else 34))  # type: ignore[arg-type]
    return card


def last_video_frame(data: bytes) -> Image.Image:
    """The last decoded frame of ``first_clip`` (mp4/mov, native.md §1.2)."""
    import av

    last = None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            for frame in container.decode(video=0):
                last = frame
    except (av.error.FFmpegError, ValueError) as error:
        raise MediaError("The first_clip video format is not supported.") from error
    if last is None:
        raise MediaError("The first_clip video has no frames.")
    image: Image.Image = last.to_image()  # type: ignore[no-untyped-call]
    return image

"""The picture format the whole simulator pipeline works on: Y, Cb, Cr planes in video range.

Both the renderer (``render.py``: frames cut from the first frame) and the overlays (``overlays.py``: labels
stamped on those frames) make planes from a PIL image here, so neither imports the other. Pillow loads in the
caller (an ``Image`` is handed in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

    Planes = tuple[Image.Image, Image.Image, Image.Image]  # Y (W×H), Cb, Cr (W/2×H/2 once cut)

# PIL's YCbCr is full range (JPEG); H.264 players assume limited "video" range: Y 16–235, C 16–240.
LUMA_RANGE = [16 + round(value * 219 / 255) for value in range(256)]
CHROMA_RANGE = [128 + round((value - 128) * 224 / 255) for value in range(256)]


def planes_of(image: Image.Image) -> Planes:
    """Full-size Y, Cb, Cr planes in video range (chroma is halved when cut)."""
    luma, blue, red = image.convert("YCbCr").split()
    return luma.point(LUMA_RANGE), blue.point(CHROMA_RANGE), red.point(CHROMA_RANGE)

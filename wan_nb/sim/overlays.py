"""What the simulator writes on its frames: the caption (prompt, seed, camera move) and the watermark.

The caption is the simulator's honesty: the video cannot show what the prompt asks for, so it shows the prompt
itself, top-left, with the seed and the camera move it followed, so a grid of tries reads at a glance. Fonts:
a CJK font or DejaVu when the system has one (media.FONT_PATHS), else Pillow's own TrueType (Pillow >= 10.1,
bundled in every wheel: Latin only). Characters the font cannot draw become "…" and the caption says which
font package would show them, rather than boxes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wan_nb.sim import media
from wan_nb.sim.planes import planes_of
from wan_nb.sim.prompt import LABELS

if TYPE_CHECKING:
    from PIL import Image, ImageFont

PROMPT_LINES = 2
_MISSING = "\U0010fffd"  # a private-use code point no font has: its mask is the font's "missing glyph" box


def caption(prompt: str, seed: int, move: str, size: tuple[int, int]) -> Image.Image:
    """An RGBA label: up to two lines of prompt, then ``seed N · camera: MOVE``, white on a dark panel."""
    from PIL import Image, ImageDraw

    points = max(14, size[1] // 24)
    font: Any = media.font(points)
    usable = size[0] - 2 * _margin(size) - 2 * (points // 2)
    shown, dropped = _drawable(prompt.strip() or "(no prompt)", font)
    lines = _wrap(shown, font, usable, PROMPT_LINES)
    info = f"seed {seed} · camera: {LABELS.get(move, move)}"
    lines.append(info + (" · install fonts-noto-cjk to see the prompt" if dropped else ""))
    pad, step = points // 2, round(points * 1.3)
    width = min(usable, max(round(font.getlength(line)) for line in lines)) + 2 * pad
    label = Image.new("RGBA", (width + width % 2, step * len(lines) + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(label)
    draw.rounded_rectangle((0, 0, label.width - 1, label.height - 1), radius=pad, fill=(0, 0, 0, 150))
    for index, line in enumerate(lines):
        draw.text((pad, pad + index * step), line, fill=(255, 255, 255, 255), font=font)
    return label


def watermark(size: tuple[int, int]) -> Image.Image:
    """The visible corner label ("AI生成" bottom-right like upstream, native.md §1.2; Latin if no CJK font)."""
    from PIL import Image, ImageDraw

    text = "AI生成" if media.has_cjk_font() else "AI generated"
    points = max(18, size[1] // 24)
    label = Image.new("RGBA", (points * len(text), points * 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(label)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=media.font(points))  # type: ignore[arg-type]
    label = label.crop((0, 0, right - left + 12, bottom - top + 12))
    draw = ImageDraw.Draw(label)
    draw.rounded_rectangle((0, 0, label.width - 1, label.height - 1), radius=6, fill=(0, 0, 0, 110))
    draw.text((6 - left, 6 - top), text, fill=(255, 255, 255, 230), font=media.font(points))  # type: ignore[arg-type]
    return label


def top_left(label: Image.Image, size: tuple[int, int]) -> tuple[int, int]:
    margin = _margin(size)
    return margin // 2 * 2, margin // 2 * 2


def bottom_right(label: Image.Image, size: tuple[int, int]) -> tuple[int, int]:
    margin = _margin(size)
    return (size[0] - label.width - margin) // 2 * 2, (size[1] - label.height - margin) // 2 * 2


def stamp(pictures: Any, label: Image.Image, where: tuple[int, int]) -> Any:
    """Paste the label on each frame's planes (chroma at half size and half offset); ``where`` is even."""
    left, top = where
    alpha = label.getchannel("A")
    luma, blue, red = planes_of(label.convert("RGB"))
    half = (max(1, label.width // 2), max(1, label.height // 2))
    blue, red, chroma_alpha = blue.resize(half), red.resize(half), alpha.resize(half)
    for picture in pictures:
        picture[0].paste(luma, (left, top), alpha)
        picture[1].paste(blue, (left // 2, top // 2), chroma_alpha)
        picture[2].paste(red, (left // 2, top // 2), chroma_alpha)
        yield picture


def _margin(size: tuple[int, int]) -> int:
    return max(8, size[1] // 40)


def _drawable(text: str, font: ImageFont.FreeTypeFont) -> tuple[str, bool]:
    """``text`` with each run of characters the font has no glyph for replaced by "…"; and whether any was."""
    missing = bytes(font.getmask(_MISSING))
    out: list[str] = []
    dropped = False
    for char in text:
        if char.isspace() or char.isascii() or bytes(font.getmask(char)) != missing:
            out.append(" " if char.isspace() else char)
        elif not out or out[-1] != "…":
            out.append("…")
            dropped = True
    return "".join(out), dropped


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, most: int) -> list[str]:
    """Greedy wrap at spaces (or anywhere, for text without them) into at most ``most`` lines; the last one
    ends in "…" when the text goes on."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < most:
        cut = _fit(rest, font, width)
        if cut < len(rest) and " " in rest[:cut]:
            cut = rest[:cut].rindex(" ") + 1
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        last = lines[-1]
        while last and font.getlength(last + " …") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines


def _fit(text: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    """How many leading characters of ``text`` fit in ``width`` pixels (at least one)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low

"""t2v's scene: a backdrop drawn from the prompt's words and the seed, for the camera to move over.

The simulator cannot paint what a prompt describes, so it paints what it can read in it: the colours it names
(English or Chinese) tint the sky and the ground, night words darken the sky and light a moon and stars, snow
words whiten the ground, and each of the first content words becomes a shape of its own colour carrying the word,
placed by the seed. Two prompts (or two seeds) give visibly different scenes; one prompt and seed always the same.
"""

from __future__ import annotations

import colorsys
import hashlib
import random
import re
from typing import TYPE_CHECKING, Any

from wan_nb.sim import media

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
# Colour words the scene (and videoedit's tint, edit.py) understands.
COLOURS: dict[str, RGB] = {
    "red": (205, 45, 45),
    "orange": (235, 130, 40),
    "yellow": (235, 210, 60),
    "gold": (215, 175, 55),
    "golden": (215, 175, 55),
    "green": (60, 165, 75),
    "teal": (40, 150, 150),
    "cyan": (60, 200, 215),
    "blue": (50, 95, 210),
    "purple": (135, 65, 180),
    "violet": (135, 65, 180),
    "pink": (235, 120, 170),
    "brown": (125, 85, 50),
    "红": (205, 45, 45),
    "橙": (235, 130, 40),
    "黄": (235, 210, 60),
    "金": (215, 175, 55),
    "绿": (60, 165, 75),
    "青": (40, 150, 150),
    "蓝": (50, 95, 210),
    "紫": (135, 65, 180),
    "粉": (235, 120, 170),
    "棕": (125, 85, 50),
}
NIGHT = re.compile(r"\b(?:night|midnight|moon(?:lit|light)?|dark)\b|夜|月", re.IGNORECASE)
SNOW = re.compile(r"\b(?:snow(?:y|ing|fall)?|winter|blizzard)\b|雪|冬", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]{4,}|[\u3400-\u9fff]{2,4}")
_STOP = frozenset(
    re.findall(
        r"\w+",
        "with from into onto over under that this there their they them then than when where while which what "
        "slowly camera shot pans pan tilt zoom push pull scene video frame very some more most about across "
        "through toward towards before after behind",
    )
)
SHAPES = 5  # content words drawn as shapes


def named_colours(text: str) -> list[RGB]:
    """The colours ``text`` names, in order of appearance."""
    lowered = text.lower()
    found = sorted(
        (place, colour) for word, colour in COLOURS.items() if (place := _find(lowered, word)) >= 0
    )
    return [colour for _, colour in found]


def _find(text: str, word: str) -> int:
    if word.isascii():
        match = re.search(rf"\b{word}\b", text)
        return match.start() if match else -1
    return text.find(word)


def content_words(text: str) -> list[str]:
    """The first distinct words worth drawing (four letters or more, not camera talk)."""
    seen: list[str] = []
    for word in _WORD.findall(text):
        if word.lower() not in _STOP and word.lower() not in COLOURS and word.lower() not in seen:
            seen.append(word.lower())
    return seen[:SHAPES]


def word_colour(word: str) -> RGB:
    hue = hashlib.sha256(word.encode()).digest()[0] / 255
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.65, 0.9)
    return round(red * 255), round(green * 255), round(blue * 255)


def backdrop(prompt: str, seed: int, size: tuple[int, int]) -> Image.Image:
    """The scene at ``size`` (draw it larger than the frame: the camera crops into it)."""
    from PIL import Image, ImageDraw

    rng = random.Random(f"{seed}\n{prompt}")
    width, height = size
    night, snow = NIGHT.search(prompt) is not None, SNOW.search(prompt) is not None
    colours = named_colours(prompt)
    sky = colours[0] if colours else word_colour(prompt + str(seed))
    ground = colours[1] if len(colours) > 1 else _shade(sky, 0.55)
    if night:
        sky, ground = _shade(sky, 0.25), _shade(ground, 0.35)
    if snow:
        ground = (235, 238, 245)
    horizon = round(height * rng.uniform(0.55, 0.7))
    scene = _gradient((width, horizon), _mix(sky, (255, 255, 255), 0.35), sky)
    canvas = Image.new("RGB", size, ground)
    canvas.paste(scene, (0, 0))
    draw = ImageDraw.Draw(canvas)
    _hills(draw, rng, size, horizon, ground)
    _sky_light(draw, rng, size, horizon, night)
    if snow:
        for _ in range(width * height // 3000):
            x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(1.5, 4)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(250, 250, 255))
    for index, word in enumerate(content_words(prompt)):
        _shape(draw, rng, size, horizon, word, index)
    return canvas


def _gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    from PIL import Image

    ramp = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)


def _hills(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], horizon: int, ground: RGB
) -> None:
    width, height = size
    for layer in range(2):
        colour = _shade(ground, 0.8 + 0.15 * layer)
        points = [(0.0, float(height))]
        x = 0.0
        while x < width:
            points.append((x, horizon - rng.uniform(0.02, 0.12) * height * (1 - 0.4 * layer)))
            x += rng.uniform(0.08, 0.2) * width
        points += [(float(width), horizon - 0.05 * height), (float(width), float(height))]
        draw.polygon(points, fill=colour)


def _sky_light(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], horizon: int, night: bool
) -> None:
    width, height = size
    radius = height * rng.uniform(0.06, 0.1)
    x, y = rng.uniform(0.1, 0.9) * width, rng.uniform(0.12, 0.3) * height
    colour = (235, 235, 215) if night else (255, 230, 150)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    for _ in range(120 if night else 0):
        sx, sy = rng.uniform(0, width), rng.uniform(0, horizon * 0.8)
        draw.rectangle((sx, sy, sx + 2, sy + 2), fill=(255, 255, 240))


def _shape(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], horizon: int, word: str, index: int
) -> None:
    """A word's shape standing on the ground, the word written across it."""
    width, height = size
    colour = word_colour(word)
    span = height * rng.uniform(0.16, 0.26)
    x = (index + 0.5 + rng.uniform(-0.25, 0.25)) * width / SHAPES
    bottom = horizon + rng.uniform(0.02, 0.2) * (height - horizon)
    box = (x - span / 2, bottom - span, x + span / 2, bottom)
    form = hashlib.sha256(word.encode()).digest()[1] % 3
    outline = _shade(colour, 0.5)
    if form == 0:
        draw.ellipse(box, fill=colour, outline=outline, width=3)
    elif form == 1:
        draw.rounded_rectangle(box, radius=span / 8, fill=colour, outline=outline, width=3)
    else:
        draw.polygon([(box[0], box[3]), (x, box[1]), (box[2], box[3])], fill=colour, outline=outline)
    font: Any = media.font(max(12, round(span / 6)))
    where = (x, bottom - span / 3)
    draw.text(
        where, word, fill=(255, 255, 255), font=font, anchor="mm", stroke_width=2, stroke_fill=(0, 0, 0)
    )


def _shade(colour: RGB, factor: float) -> RGB:
    red, green, blue = colour
    return round(red * factor), round(green * factor), round(blue * factor)


def _mix(colour: RGB, other: RGB, weight: float) -> RGB:
    def blend(a: int, b: int) -> int:
        return round(a * (1 - weight) + b * weight)

    return blend(colour[0], other[0]), blend(colour[1], other[1]), blend(colour[2], other[2])

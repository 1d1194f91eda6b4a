"""The simulated camera: the move the prompt names (prompt.py), with speed, easing and light from the seed.

Every move is a crop box travelling over the first frame (a 2D stand-in for a real camera: no parallax, no
new content): push in / pull out scale the box about the centre, pans and tilts slide it across the margin a
zoomed-in view leaves, an orbit circles it, static holds it. A prompt with no camera words drifts (a gentle
zoom with a slant, the direction drawn from the prompt and seed). The seed sets how far the camera goes, the
easing curve and a slow change of light (brightness and warmth over the clip), so two seeds of one prompt differ
and two prompts of one seed differ.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from wan_nb.sim.prompt import camera_move

Box = tuple[float, float, float, float]

EASINGS = ("cosine", "smoothstep", "linear", "ease_out")


@dataclass(frozen=True)
class Camera:
    move: str  # one of prompt.MOVES, or "drift"
    zoom: (
        float  # the closest view (>= 1): a push's end, a pan's constant zoom; the source is pre-scaled by it
    )
    easing: str
    gain: tuple[float, float]  # brightness multiplier at the first and the last frame
    warmth: float  # chroma shift (Cr up, Cb down) reached at the last frame, in 8-bit steps
    slant: tuple[float, float]  # the drift's direction (unit vector)

    @classmethod
    def plan(cls, prompt: str, seed: int) -> Camera:
        rng = random.Random(seed)
        amount = rng.random()
        easing = EASINGS[rng.randrange(len(EASINGS))]
        gain = (1.0, 1.0 + rng.uniform(-0.08, 0.08))
        warmth = rng.uniform(-6.0, 6.0)
        move = camera_move(prompt) or "drift"
        mixed = hashlib.sha256(f"{seed}\n{prompt}".encode()).digest()
        angle = int.from_bytes(mixed[:4], "big") / 2**32 * 2 * math.pi
        zoom = 1.0 if move == "static" else 1.15 + 0.2 * amount
        return cls(move, zoom, easing, gain, warmth, (math.cos(angle), math.sin(angle)))

    def eased(self, index: int, count: int) -> float:
        t = index / max(count - 1, 1)
        if self.easing == "cosine":
            return (1 - math.cos(math.pi * t)) / 2
        if self.easing == "smoothstep":
            return t * t * (3 - 2 * t)
        if self.easing == "ease_out":
            return 1 - (1 - t) ** 2
        return t

    def box(self, index: int, count: int, source: tuple[int, int]) -> Box:
        """The crop of the pre-scaled source shown at frame ``index``."""
        e = self.eased(index, count)
        width, height = source
        zoom, dx, dy = self._pose(e)
        box_w, box_h = width / zoom, height / zoom
        free_x, free_y = (width - box_w) / 2, (height - box_h) / 2
        centre_x, centre_y = width / 2 + dx * free_x, height / 2 + dy * free_y
        return (centre_x - box_w / 2, centre_y - box_h / 2, centre_x + box_w / 2, centre_y + box_h / 2)

    def _pose(self, e: float) -> tuple[float, float, float]:
        """(zoom, x, y) at eased time ``e``; x and y are fractions of the free margin, -1..1 (negative: left/up).

        Panning left turns the view left, so the box moves left and the scene slides right on screen."""
        top = self.zoom
        if self.move == "push_in":
            return 1.0 + (top - 1.0) * e, 0.0, 0.0
        if self.move == "pull_out":
            return top - (top - 1.0) * e, 0.0, 0.0
        if self.move in ("pan_left", "pan_right"):
            sign = -1.0 if self.move == "pan_left" else 1.0
            return top, sign * (2 * e - 1) * 0.9, 0.0
        if self.move in ("tilt_up", "tilt_down"):
            sign = -1.0 if self.move == "tilt_up" else 1.0
            return top, 0.0, sign * (2 * e - 1) * 0.9
        if self.move == "orbit":
            angle = 2 * math.pi * e
            return top, 0.8 * math.sin(angle), 0.4 * (1 - math.cos(angle)) - 0.4
        if self.move == "static":
            return 1.0, 0.0, 0.0
        # drift: a fifth of the way in, sliding along the slant
        zoom = 1.0 + (top - 1.0) * (0.4 + 0.6 * e)
        return zoom, self.slant[0] * (2 * e - 1) * 0.5, self.slant[1] * (2 * e - 1) * 0.5

    def light(self, index: int, count: int) -> tuple[list[int], list[int], list[int]] | None:
        """Lookup tables (video range) for Y, Cb, Cr at frame ``index``; None when the light is unchanged."""
        t = index / max(count - 1, 1)
        gain = self.gain[0] + (self.gain[1] - self.gain[0]) * t
        shift = self.warmth * t
        if abs(gain - 1.0) < 1e-3 and abs(shift) < 0.5:
            return None
        luma = [min(235, max(16, round(16 + (value - 16) * gain))) for value in range(256)]
        blue = [min(240, max(16, round(value - shift))) for value in range(256)]
        red = [min(240, max(16, round(value + shift))) for value in range(256)]
        return luma, blue, red

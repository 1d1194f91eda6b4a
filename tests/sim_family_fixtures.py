"""Helpers for the family's simulator tests: a tone no generated soundtrack has, frames and what they measure."""

from __future__ import annotations

import io
import math
import wave
from collections.abc import Iterator
from typing import Any


def tone_wav(seconds: float, hertz: float = 1000.0, rate: int = 16000) -> bytes:
    """A pure tone no generated soundtrack contains (its chords are 220–554 Hz, audio.py)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(9000 * math.sin(2 * math.pi * hertz * i / rate)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(sample.to_bytes(2, "little", signed=True) for sample in samples))
    return buffer.getvalue()


def frames(data: bytes) -> Iterator[Any]:
    """Each frame as an RGB array (int16, so differences do not wrap)."""
    import av
    import numpy as np

    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            yield np.asarray(frame.to_image(), dtype=np.int16)


def frame(data: bytes, index: int) -> Any:
    for number, picture in enumerate(frames(data)):
        if number == index:
            return picture
    raise AssertionError(f"no frame {index}")


def loudest_hertz(data: bytes, seconds: float) -> float:
    """The strongest frequency of a file's sound over its first ``seconds``."""
    import numpy as np

    from wan_nb.sim import audio

    samples = audio.decode(data, seconds)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.argmax(spectrum) * audio.RATE / len(samples))


def saturation(picture: Any) -> float:
    from PIL import Image

    hsv = Image.fromarray(picture.astype("uint8")).convert("HSV")
    import numpy as np

    return float(np.asarray(hsv.getchannel("S")).mean() / 255)


def luma(picture: Any) -> float:
    return float((picture[..., 0] * 0.299 + picture[..., 1] * 0.587 + picture[..., 2] * 0.114).mean())

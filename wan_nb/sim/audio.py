"""The soundtrack: the driving audio decoded and trimmed/padded to the clip, or a generated one.

wan2.7 adds sound by itself when no driving audio is given (native.md §1.2, ``parameters.audio``); a longer
driving audio is truncated to ``duration``, a shorter one leaves the rest silent (native.md §1.3).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]

RATE = 44100
# A pentatonic palette; the seed picks the chord, so a seed always sounds the same.
_NOTES = (220.0, 246.94, 277.18, 329.63, 369.99, 440.0, 493.88, 554.37)


def fit(samples: Samples, seconds: float) -> Samples:
    import numpy as np

    wanted = round(seconds * RATE)
    if len(samples) >= wanted:
        return samples[:wanted]
    return np.concatenate([samples, np.zeros(wanted - len(samples), dtype=np.float32)])


def decode(data: bytes, seconds: float) -> Samples:
    """Any container/codec FFmpeg reads (wav, mp3, the audio of an mp4), as mono float32 at RATE."""
    import av
    import numpy as np

    chunks: list[Any] = []
    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        for frame in container.decode(audio=0):
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)
    return fit(samples, seconds)


def generate(seconds: float, seed: int) -> Samples:
    """A soft three-note pad with a slow swell and a faint breath of noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE), dtype=np.float32) / RATE
    chord = rng.choice(_NOTES, size=3, replace=False)
    tone = sum(np.sin(2 * np.pi * note * t) * (0.5 / (i + 1)) for i, note in enumerate(chord))
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / max(seconds, 1.0))
    fade = np.minimum(1.0, np.minimum(t / 0.3, (seconds - t) / 0.3))
    noise = rng.normal(0.0, 0.01, size=t.shape)
    samples: Samples = (0.25 * tone * swell * np.clip(fade, 0.0, 1.0) + noise).astype(np.float32)
    return samples


def add_stream(container: Any) -> Any:
    """Streams must all exist before the first packet is muxed (the header is written then)."""
    return container.add_stream("aac", rate=RATE, layout="mono")


def mux(container: Any, stream: Any, samples: Samples) -> None:
    """AAC, mono, frames of the encoder's frame size with increasing pts; flushed (notebook_tech.md §5.3)."""
    import av

    size = stream.codec_context.frame_size or 1024
    for offset in range(0, len(samples), size):
        frame = av.AudioFrame.from_ndarray(
            samples[None, offset : offset + size], format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = RATE, offset
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))

"""Sample media shipped inside the wheel, so a notebook or a snippet finds them from any folder.

A tutorial opened alone from a link (Binder, Colab, a laptop) has no repository beside it: its pictures come
from here, through :mod:`importlib.resources`, never from a path relative to the working folder.

```python
from wan_nb import VideoRequest, assets
VideoRequest(prompt="the cat blinks", first_frame=assets.cat, driving_audio=assets.voice)
```

| name | what it is | use it as |
|---|---|---|
| ``cat`` (``cat.png``) | 960x640 PNG: a black cat in front of green hills, the moon up right | ``first_frame`` |
| ``cat_last`` (``cat_last.png``) | 960x640 PNG: the cat has turned round, the moon up left | ``last_frame`` |
| ``voice`` (``voice.wav``) | 3 s of 16 kHz mono WAV | ``driving_audio`` (lip-sync) |
| ``clip`` (``clip.mp4``) | 2 s H.264/AAC clip rendered once by the simulator | ``first_clip`` (continue it) |

Stdlib only; imports nothing from wan_nb.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from pathlib import Path

__all__ = ["NAMES", "cat", "cat_last", "clip", "names", "path", "voice"]

NAMES = ("cat.png", "cat_last.png", "voice.wav", "clip.mp4")
"""Every file this package ships."""

_HERE = Path(__file__).parent
# A wheel installed as a zip (zipimport) has no real files: as_file() extracts each once, for the process.
_extracted = ExitStack()
atexit.register(_extracted.close)


def path(name: str) -> Path:
    """The file ``name`` (one of :data:`NAMES`) as a real path on disk."""
    if name not in NAMES:
        raise ValueError(f"wan_nb.assets has no {name!r}; choose one of {', '.join(NAMES)}")
    found = _HERE / name
    if found.is_file():  # any ordinary install: no importlib.resources, whose imports cost ~30 ms
        return found
    from importlib import resources

    return _extracted.enter_context(resources.as_file(resources.files(__name__) / name))


def names() -> list[str]:
    """The names :func:`path` accepts."""
    return list(NAMES)


cat = path("cat.png")
cat_last = path("cat_last.png")
voice = path("voice.wav")
clip = path("clip.mp4")

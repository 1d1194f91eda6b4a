"""The offline simulator: a faithful local stand-in for the unified, native and relay dialects of Wan 2.7
image-to-video, rendering real H.264 MP4s; the native and relay dialects also play the rest of the family
(wan2.7 t2v, r2v, videoedit and Wan 3.0: validate.MODELS, renderer.RENDERERS).

```python
import httpx
from wan_nb.sim import create_app
app = create_app(task_time=2.0, seed=7)                       # knobs: wan_nb.sim.config.SimConfig
client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim.localhost")
```
or as a server: ``wan-nb sim --port 8000`` / ``python -m wan_nb.sim``. It imports nothing from the rest of
``wan_nb``: it is an independent implementation of the wire formats. Importing it stays light (PyAV, numpy and
Pillow load inside the renderer; uvicorn inside ``serve``).
"""

from __future__ import annotations

from wan_nb.sim.app import SimApp, create_app
from wan_nb.sim.cli import cli_main, serve
from wan_nb.sim.config import SimConfig
from wan_nb.sim.engine import SimStats

__all__ = ["SimApp", "SimConfig", "SimStats", "cli_main", "create_app", "serve"]

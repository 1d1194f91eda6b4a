"""wan_nb: Alibaba's Wan video models (text, image, references, edits) from Jupyter, with an offline simulator.

```python
from wan_nb import AsyncWanClient, VideoRequest
async with AsyncWanClient() as client:          # no key in the environment: the built-in simulator
    task = await client.generate(VideoRequest(prompt="a cat turns its head", first_frame="cat.png"))
task                                            # a status card with the video
```

The public surface is ``__all__`` (``tests/unit/test_api.py`` pins it). Names whose modules are heavy or rarely
needed (the panel and ipywidgets, the report page and its word diff, the doctor, the lab's modules) load when
first named, through the one table ``_LAZY``, so ``import wan_nb`` stays close to ``import httpx``.
"""

from typing import TYPE_CHECKING

from wan_nb import assets  # sample media (wan_nb.assets.cat, …): paths only, nothing read at import
from wan_nb._version import __version__
from wan_nb.client import AsyncWanClient, BatchItem, Budget
from wan_nb.display.html import task_card
from wan_nb.errors import (
    APIError,
    AuthenticationError,
    BudgetExceeded,
    ConfigError,
    DownloadError,
    InvalidResponse,
    NotFoundError,
    RateLimitError,
    ResultExpired,
    ServerError,
    TaskFailed,
    TransportError,
    ValidationError,
    WaitTimeout,
    WanError,
)
from wan_nb.lab.pricing import Estimate
from wan_nb.loop import enable_nested, run_sync, spawn
from wan_nb.media.stills import contact_sheet, poster
from wan_nb.models import Reference, Task, TaskError, TaskStatus, Usage, VideoRequest, draw_cards_with
from wan_nb.sync import cancel, download, generate, get, wait

if TYPE_CHECKING:
    from wan_nb.display import frontend
    from wan_nb.lab import chain, pricing, promptdiff
    from wan_nb.lab.report import report
    from wan_nb.notebook import teach
    from wan_nb.notebook.doctor import Diagnosis, doctor
    from wan_nb.widgets import WanPanel
    from wan_nb.widgets import WanPanel as panel
del TYPE_CHECKING

draw_cards_with(task_card)  # a Task's HTML is its status card (wan_nb.models imports no presentation code)
del draw_cards_with, task_card

_LAZY = {
    # name: (module, attribute of it; None for the module itself)
    "panel": ("wan_nb.widgets", "WanPanel"),  # wan_nb.panel(**fields) builds and shows the panel
    "WanPanel": ("wan_nb.widgets", "WanPanel"),
    "report": ("wan_nb.lab.report", "report"),
    "doctor": ("wan_nb.notebook.doctor", "doctor"),
    "Diagnosis": ("wan_nb.notebook.doctor", "Diagnosis"),
    "chain": ("wan_nb.lab.chain", None),
    "pricing": ("wan_nb.lab.pricing", None),
    "promptdiff": ("wan_nb.lab.promptdiff", None),
    "teach": ("wan_nb.notebook.teach", None),
    "frontend": ("wan_nb.display.frontend", None),
}


def __getattr__(name: str) -> object:
    """A name of ``_LAZY``, imported when first named (``wan_nb.report``, ``from wan_nb import chain``)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'wan_nb' has no attribute {name!r}")
    import importlib

    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "APIError",
    "AsyncWanClient",
    "AuthenticationError",
    "BatchItem",
    "Budget",
    "BudgetExceeded",
    "ConfigError",
    "Diagnosis",
    "DownloadError",
    "Estimate",
    "InvalidResponse",
    "NotFoundError",
    "RateLimitError",
    "Reference",
    "ResultExpired",
    "ServerError",
    "Task",
    "TaskError",
    "TaskFailed",
    "TaskStatus",
    "TransportError",
    "Usage",
    "ValidationError",
    "VideoRequest",
    "WaitTimeout",
    "WanError",
    "WanPanel",
    "__version__",
    "assets",
    "cancel",
    "chain",
    "contact_sheet",
    "doctor",
    "download",
    "enable_nested",
    "frontend",
    "generate",
    "get",
    "panel",
    "poster",
    "pricing",
    "promptdiff",
    "report",
    "run_sync",
    "spawn",
    "teach",
    "wait",
]

"""wan_nb: Alibaba's Wan 2.7 image-to-video model (wan2.7-i2v) from Jupyter, with an offline simulator.

```python
from wan_nb import AsyncWanClient, VideoRequest
async with AsyncWanClient() as client:          # no key in the environment: the built-in simulator
    task = await client.generate(VideoRequest(prompt="a cat turns its head", first_frame="cat.png"))
task                                            # a status card with the video
```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from wan_nb import assets  # sample media (wan_nb.assets.cat, …): paths only, nothing read at import
from wan_nb._version import __version__
from wan_nb.client import AsyncWanClient, BatchItem, Budget
from wan_nb.errors import (
    APIError,
    AuthenticationError,
    BudgetExceeded,
    ConfigError,
    DownloadError,
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
from wan_nb.loop import enable_nested, run_sync, spawn
from wan_nb.models import Task, TaskError, TaskStatus, Usage, VideoRequest
from wan_nb.poster import contact_sheet, poster
from wan_nb.pricing import Estimate
from wan_nb.sync import cancel, download, generate, status, wait

if TYPE_CHECKING:
    from wan_nb.diagnose import Report
    from wan_nb.report_page import report
    from wan_nb.widgets import WanPanel


def __getattr__(name: str) -> Any:
    """``report`` loads when first named (``wan_nb.report``, ``from wan_nb import report``): the page writer
    and its word diff (difflib) are a tenth of ``import wan_nb``'s own time, and a client needs neither. Its
    module's name differs from the function's, so importing the module never shadows it."""
    if name == "report":
        return importlib.import_module("wan_nb.report_page").report
    raise AttributeError(f"module 'wan_nb' has no attribute {name!r}")


__all__ = [
    "APIError",
    "AsyncWanClient",
    "AuthenticationError",
    "BatchItem",
    "Budget",
    "BudgetExceeded",
    "ConfigError",
    "DownloadError",
    "Estimate",
    "NotFoundError",
    "RateLimitError",
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
    "__version__",
    "assets",
    "cancel",
    "contact_sheet",
    "doctor",
    "download",
    "enable_nested",
    "generate",
    "panel",
    "poster",
    "report",
    "run_sync",
    "spawn",
    "status",
    "wait",
]


def panel(**kwargs: Any) -> WanPanel:
    """Show the notebook panel (ipywidgets is imported only now)."""
    from wan_nb.widgets import WanPanel

    return WanPanel(**kwargs)


def doctor() -> Report:
    """What works here and how to fix what does not (front end, widgets, encoder, keys by name, proxies,
    journal); a table in a notebook, text in ``print``. Sends nothing anywhere."""
    from wan_nb.diagnose import doctor as run

    return run()

"""The small synchronous facade, for scripts and cells that don't write ``await``.

```python
import wan_nb
task = wan_nb.generate(prompt="a cat turns its head", first_frame="cat.png")   # submit, wait, download
task.path
```

Each function is one call of :class:`~wan_nb.client.AsyncWanClient` run through :func:`wan_nb.loop.run_sync`
by a single generic helper, so there is no hand-written sync twin of the client. The client is built
*inside* the coroutine: an httpx client is bound to the loop that opened its connections
(notebook_tech.md §1.2), and here that is wan_nb's private loop.
The other functions pass their keyword arguments (``provider``, ``api_key``, ``base_url``, ``transport``...)
to the client.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Literal, TypedDict, TypeVar, Unpack

import httpx

from wan_nb.client import AsyncWanClient, Budget, PollSchedule
from wan_nb.client.journal import Journal
from wan_nb.loop import run_sync
from wan_nb.models import Task, VideoRequest

__all__ = ["ClientOptions", "cancel", "download", "generate", "get", "wait"]

T = TypeVar("T")
DEFAULT_TIMEOUT = 1800.0
"""Seconds a wait may take; generous, since a 1080P 15 s task can queue for minutes."""


def _with_client(call: Callable[[AsyncWanClient], Awaitable[T]], client_kwargs: Mapping[str, Any]) -> T:
    async def main() -> T:
        async with AsyncWanClient(**client_kwargs) as client:
            return await call(client)

    return run_sync(main())


class ClientOptions(TypedDict, total=False):
    """What every facade verb passes to :class:`AsyncWanClient` (its keyword arguments but ``timeout``: here
    ``timeout`` is how long a wait may take)."""

    provider: str | None
    api_key: str | None
    base_url: str | None
    transport: httpx.AsyncBaseTransport | None
    journal: Journal | Literal[False] | None
    poll: PollSchedule | None
    allow_insecure: bool
    max_retries: int
    verify: bool | str | PathLike[str] | ssl.SSLContext
    cert: str | PathLike[str] | tuple[str, str] | tuple[str, str, str] | None
    proxy: str | httpx.URL | httpx.Proxy | None
    trust_env: bool
    http2: bool
    http_client: httpx.AsyncClient | None
    budget: float | Budget | None


def generate(
    request: VideoRequest | None = None,
    *,
    out: str | PathLike[str] = "wan_outputs/",
    timeout: float = DEFAULT_TIMEOUT,
    **kwargs: Any,
) -> Task:
    """Submit, wait and download; returns the finished Task with ``.path`` set.

    Pass a :class:`VideoRequest`, or its fields: ``generate(prompt="...", first_frame="cat.png")``; the
    :class:`ClientOptions` (``provider=``, ``transport=``, ``verify=``...) go to the client.
    """
    options = {name: value for name, value in kwargs.items() if name in ClientOptions.__annotations__}
    fields = {name: value for name, value in kwargs.items() if name not in options}
    if request is not None and fields:
        raise TypeError(f"pass a VideoRequest or its fields, not both (got {', '.join(sorted(fields))})")
    job = request if request is not None else VideoRequest(**fields)
    return _with_client(lambda c: c.generate(job, out=out, timeout=timeout), options)


def get(task_id: Task | str, **client_kwargs: Unpack[ClientOptions]) -> Task:
    """The task's state now (one query), like :meth:`AsyncWanClient.get`."""
    return _with_client(lambda c: c.get(task_id), client_kwargs)


def wait(
    task_id: Task | str, *, timeout: float = DEFAULT_TIMEOUT, **client_kwargs: Unpack[ClientOptions]
) -> Task:
    """Poll until the task is finished; raises TaskFailed, or WaitTimeout (the task keeps running)."""
    return _with_client(lambda c: c.wait(task_id, timeout=timeout), client_kwargs)


def download(
    task_id: Task | str, dest: str | PathLike[str] = "wan_outputs/", **client_kwargs: Unpack[ClientOptions]
) -> Path:
    """Save the finished task's video under ``dest`` (a folder, or a file name); returns the path."""
    return _with_client(lambda c: c.download(task_id, dest), client_kwargs)


def cancel(task_id: Task | str, **client_kwargs: Unpack[ClientOptions]) -> Task:
    """Cancel a queued task; returns its state after the cancel."""
    return _with_client(lambda c: c.cancel(task_id), client_kwargs)

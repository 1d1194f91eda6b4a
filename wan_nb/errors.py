"""Every error wan_nb raises, in one tree rooted at :class:`WanError`.

```
WanError
├── ValidationError (also ValueError)    bad input, raised before any request is sent
│   └── ConfigError                      no key for an explicit provider, unknown provider, insecure URL
├── TransportError                       could not reach the host (connect/read failure, timeout)
├── APIError                             the server answered non-2xx: .status_code .code .message .request_id
│   ├── AuthenticationError              401/403, with a .hint (region, provider, key variable)
│   ├── NotFoundError                    404, or the gateway's 400 task_not_exist
│   ├── RateLimitError                   429, with .retry_after (seconds) when the server said
│   └── ServerError                      5xx
├── TaskFailed                           the task ended FAILED/CANCELED/UNKNOWN: .task
├── WaitTimeout (also TimeoutError)      a wait passed its deadline: .task is the last state seen
├── ResultExpired                        the result URL is past its 24 h life (403/404 from storage)
├── BudgetExceeded                       a create would pass the client's budget; raised before any request
└── DownloadError                        the body was cut short or its length did not match
```

Rule: an HTTP 200 that reports a failed task is :class:`TaskFailed`, never :class:`APIError`.
httpx exceptions never leave the client: they become :class:`TransportError` (``raise ... from exc``).
This module imports nothing from wan_nb, so every layer can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wan_nb.models import Task

__all__ = [
    "APIError",
    "AuthenticationError",
    "BudgetExceeded",
    "ConfigError",
    "DownloadError",
    "NotFoundError",
    "RateLimitError",
    "ResultExpired",
    "ServerError",
    "TaskFailed",
    "TransportError",
    "ValidationError",
    "WaitTimeout",
    "WanError",
    "api_error",
]


class WanError(Exception):
    """Base of every error wan_nb raises on purpose."""


class ValidationError(WanError, ValueError):
    """A request that cannot work; raised before anything is sent, so nothing is billed.

    ``field`` names the offending field (``"duration"``, ``"first_frame"``, ``"api_key"``...).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class ConfigError(ValidationError):
    """The client is set up wrong: unknown provider, no key, key over plain http."""


class TransportError(WanError):
    """The host could not be reached or the connection broke; ``method`` and ``url`` say where.

    ``sent`` is False only when no connection was ever made, so the server cannot have seen the request
    (for a create: no task exists, submitting again is safe). The httpx error is named in the message but not
    chained: its ``.request`` carries the Authorization header.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "", sent: bool = True) -> None:
        self.method = method
        self.url = url
        self.sent = sent
        where = f" ({method} {url})" if method else ""
        super().__init__(f"{message}{where}")


class APIError(WanError):
    """The server answered with an error status; carries what a support ticket needs."""

    def __init__(
        self,
        status_code: int,
        *,
        code: str | None = None,
        message: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        hint: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.request_id = request_id
        self.body = body
        self.hint = hint
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [str(self.status_code)]
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + ": " + (self.message or "no message")
        if self.request_id:
            text += f" (request_id={self.request_id})"
        if self.hint:
            text += f". {self.hint}"
        return text


class AuthenticationError(APIError):
    """401/403: wrong key, key from another region, or the model is not enabled for it."""


class NotFoundError(APIError):
    """404, or the gateway's HTTP 400 ``task_not_exist``."""


class RateLimitError(APIError):
    """429 Throttling; ``retry_after`` is the server's hint in seconds, when it gave one."""

    def __init__(self, status_code: int, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(status_code, **kwargs)


class ServerError(APIError):
    """5xx from the service."""


class TaskFailed(WanError):
    """The task reached a terminal state other than SUCCEEDED; ``task`` holds it (and ``task.error``)."""

    def __init__(self, task: Task) -> None:
        self.task = task
        error = task.error
        detail = f"{error.code}: {error.message}" if error else _no_detail(task)
        rid = f" (request_id={task.request_id})" if task.request_id else ""
        super().__init__(f"task {task.id} {task.status.value.lower()}: {detail}{rid}")


def _no_detail(task: Task) -> str:
    if task.status_raw.upper() == "UNKNOWN":
        # DashScope answers UNKNOWN (HTTP 200) for an id it does not know or a task older than 24 h.
        return "the service does not know this task id (wrong id, wrong region/provider, or older than 24 h)"
    return f"status {task.status_raw or task.status.value}"


class WaitTimeout(WanError, TimeoutError):
    """A wait passed its deadline; ``task`` is the last state seen. The task itself goes on."""

    def __init__(self, task: Task, timeout: float) -> None:
        self.task = task
        self.timeout = timeout
        super().__init__(
            f"task {task.id} still {task.status.value.lower()} after {timeout:g} s; "
            f"it keeps running server-side: wait again or resume later"
        )


class ResultExpired(WanError):
    """The result URL no longer works: result URLs are signed for 24 hours after the task ends."""

    def __init__(self, task_id: str, status_code: int) -> None:
        self.task_id = task_id
        self.status_code = status_code
        super().__init__(
            f"result of task {task_id} is no longer available (HTTP {status_code}): result URLs expire "
            "24 h after the task finishes; download sooner (wan-nb resume does it for journaled tasks)"
        )


class BudgetExceeded(WanError):
    """A create would take spending past the budget; raised before anything is sent, so nothing is billed.

    ``cost`` is the create's estimate, ``spent`` and ``limit`` the budget's, all in ``currency``.
    """

    def __init__(self, *, cost: float, spent: float, limit: float, currency: str, what: str = "") -> None:
        self.cost = cost
        self.spent = spent
        self.limit = limit
        self.currency = currency
        left = max(limit - spent, 0.0)
        subject = f" ({what})" if what else ""
        super().__init__(
            f"budget: this create{subject} would cost about {cost:.2f} {currency}, but only {left:.2f} of the "
            f"{limit:.2f} {currency} budget is left ({spent:.2f} spent); nothing was sent"
        )


class DownloadError(WanError):
    """The download ended early or its size did not match Content-Length."""


_BY_STATUS: Mapping[int, type[APIError]] = {
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


def api_error(
    status_code: int,
    *,
    code: str | None = None,
    message: str | None = None,
    request_id: str | None = None,
    body: Any = None,
    retry_after: float | None = None,
    hint: str | None = None,
) -> APIError:
    """The one place where an HTTP status picks the error class."""
    kwargs: dict[str, Any] = {
        "code": code,
        "message": message,
        "request_id": request_id,
        "body": body,
        "hint": hint,
    }
    if code == "task_not_exist":
        return NotFoundError(status_code, **kwargs)
    if status_code == 429:
        return RateLimitError(status_code, retry_after=retry_after, **kwargs)
    if status_code >= 500:
        return ServerError(status_code, **kwargs)
    return _BY_STATUS.get(status_code, APIError)(status_code, **kwargs)

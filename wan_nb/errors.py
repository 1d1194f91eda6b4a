"""Every error wan_nb raises, in one tree rooted at :class:`WanError`.

```
WanError
├── ValidationError (also ValueError)    bad input, raised before any request is sent
│   └── ConfigError                      no key for an explicit provider, unknown provider, insecure URL
├── TransportError                       could not reach the host (connect/read failure, timeout)
├── InvalidResponse                      the server's answer broke the protocol (not JSON, a missing or
│                                        mistyped field, an unsafe task id or result URL)
├── APIError                             the server answered non-2xx: .status_code .code .message .request_id
│   ├── AuthenticationError              401/403, with a .hint (region, provider, key variable)
│   ├── NotFoundError                    404, or the gateway's 400 task_not_exist
│   ├── RateLimitError                   429, with .retry_after (seconds) when the server said
│   └── ServerError                      5xx
├── TaskFailed                           the task ended FAILED/CANCELED/UNKNOWN: .task
├── WaitTimeout (also TimeoutError)      a wait passed its deadline: .task is the last state seen
├── ResultExpired                        the result URL is past its 24 h life (403/404 from storage, or
│                                        its expiry answer whatever the status)
├── BudgetExceeded                       a create would pass the client's budget; raised before any request
└── DownloadError                        the body was cut short, its length did not match, it was no
                                         video (a page, JSON, XML), or its path left the caller's folder
```

Rule: an HTTP 200 that reports a failed task is :class:`TaskFailed`, never :class:`APIError`.
Rule: every text a server wrote goes through :func:`server_text` before it reaches a message: one line, at most
``SERVER_TEXT_LIMIT`` characters then ``…``, markup reduced to text, the secrets it was given redacted.
httpx exceptions never leave the client: they become :class:`TransportError` (``raise ... from exc``).
This module imports nothing from wan_nb, so every layer can use it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from wan_nb.models import Task

__all__ = [
    "APIError",
    "AuthenticationError",
    "BudgetExceeded",
    "ConfigError",
    "DownloadError",
    "InvalidResponse",
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
    "redact",
    "server_text",
]

SERVER_TEXT_LIMIT = 300
"""Characters of server-written text an error message keeps (then ``…``)."""
REDACTED = "***"


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


class InvalidResponse(WanError):
    """The server answered, but not as its protocol says: not JSON, a missing or mistyped field, a task id that is
    not a safe token, a result URL wan_nb will not fetch. For a create the task may still exist (and be billed):
    the journal keeps it as unanswered."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"the server's answer was invalid: {what}")


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
    """The download ended early, its size did not match Content-Length, the answer was no video, or the task id
    would have put the file outside the folder the caller chose. Nothing is left at the final path."""


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


# Markup: blocks whose text is never meant for a reader, then any tag. The input is bounded before these run.
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<!\[CDATA\[|\]\]>|<\?.*?\?>", re.I | re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!DOCTYPE[^<>]*>", re.I)
# C0/C1 controls (ANSI escapes start with ESC), bidi overrides, line and paragraph separators: a message is one
# plain line whatever a server put in it.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_SPACE = re.compile(r"\s+")
# Credentials a server may quote without knowing they are ours: a URL's user:password (a proxy's), an
# Authorization header's token.
_USERINFO = re.compile(r"(?<=://)[^\s/@:]+:[^\s/@]+@")
_TOKEN = re.compile(r"\b(Bearer|Basic)\s+[\w.~+/=-]{8,}", re.I)
_SCAN_LIMIT = 64 * 1024


def secret_forms(secret: str) -> list[str]:
    """``secret`` as a server might echo it: verbatim, percent-encoded, HTML-escaped."""
    if not secret:
        return []
    return sorted({secret, quote(secret, safe=""), html.escape(secret)}, key=len, reverse=True)


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` (text or parsed JSON) with every form of every secret replaced by ``***``."""
    forms = [form for secret in secrets for form in secret_forms(secret)]
    return _redact(value, forms) if forms else value


def _redact(value: Any, forms: list[str]) -> Any:
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {_redact(key, forms): _redact(item, forms) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item, forms) for item in value]
    return value


def server_text(raw: object, *, secrets: Iterable[str] = (), limit: int = SERVER_TEXT_LIMIT) -> str:
    """Text a server wrote, made fit for a one-line message: secrets redacted (before and after the markup is
    decoded), HTML/XML reduced to its text, controls and whitespace runs folded to one space, bounded to
    ``limit`` characters then ``…``."""
    forms = [form for secret in secrets for form in secret_forms(secret)]
    text = _redact(raw if isinstance(raw, str) else str(raw), forms)[:_SCAN_LIMIT]
    if "<" in text and ">" in text:
        text = html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", text)))
    elif "&" in text:
        text = html.unescape(text)
    text = _TOKEN.sub(r"\1 " + REDACTED, _USERINFO.sub(REDACTED + "@", _redact(text, forms)))
    text = _SPACE.sub(" ", _UNSAFE.sub(" ", text)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

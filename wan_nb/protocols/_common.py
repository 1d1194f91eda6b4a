"""Wire facts shared by the dialects: the status table, progress, times, error bodies and hints.

Pure functions over parsed JSON and header mappings. Header names are matched case-insensitively because
callers may pass a plain dict as well as ``httpx.Headers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from wan_nb.errors import APIError, api_error
from wan_nb.models import TaskError, TaskStatus

# protocol.md §4 and unified_and_peers.md §2.7: every spelling seen across DashScope, the relay, new-api's two
# views, ope.ai and OpenAI. Keys are lower-case; lookups fold case. UNKNOWN is per dialect (see callers).
STATUS_TABLE: Mapping[str, TaskStatus] = {
    **dict.fromkeys(
        ["pending", "queued", "submitted", "not_start", "in_queue", "starting", "preparing", "created"],
        TaskStatus.QUEUED,
    ),
    # DashScope's SDK also defines SUSPENDED: the task still exists and may resume, so keep waiting.
    "suspended": TaskStatus.QUEUED,
    **dict.fromkeys(["running", "in_progress", "processing", "generating"], TaskStatus.RUNNING),
    **dict.fromkeys(["succeeded", "success", "completed", "finished"], TaskStatus.SUCCEEDED),
    **dict.fromkeys(["failed", "failure", "error", "expired"], TaskStatus.FAILED),
    **dict.fromkeys(["canceled", "cancelled"], TaskStatus.CANCELED),
    "unknown": TaskStatus.UNKNOWN,
}

CHINA_TIME = timezone(timedelta(hours=8), "CST")
RESULT_URL_LIFETIME = timedelta(hours=24)


def segment(task_id: str) -> str:
    """A task id as one URL path segment: an id holding ``/``, ``?`` or ``..`` must not reach another route."""
    return quote(task_id, safe="")


def status_of(raw: object, overrides: Mapping[str, TaskStatus] | None = None) -> TaskStatus:
    """Map a wire status through the table; a value nobody knows becomes UNKNOWN (the raw string is kept)."""
    key = str(raw or "").strip().lower()
    if overrides and key in overrides:
        return overrides[key]
    return STATUS_TABLE.get(key, TaskStatus.UNKNOWN)


def progress_of(raw: object) -> float | None:
    """0-1 from an int percent (OpenAI, relay) or a ``"30%"`` string (new-api's task table)."""
    if isinstance(raw, bool) or raw is None:
        return None
    text = str(raw).strip().rstrip("%")
    try:
        value = float(text)
    except ValueError:
        return None
    return min(max(value / 100.0, 0.0), 1.0)


def china_time(raw: object) -> datetime | None:
    """DashScope times: ``"2025-09-25 11:07:28.590"``, no zone, China time (native.md §3.1)."""
    if not isinstance(raw, str) or not raw:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=CHINA_TIME)
        except ValueError:
            continue
    return None


def epoch_time(raw: object) -> datetime | None:
    """Unix seconds (OpenAI, ope.ai) or milliseconds (one newapi.pro sample): values past 1e12 are ms."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
        return None
    seconds = raw / 1000 if raw > 1e12 else raw
    return datetime.fromtimestamp(seconds, tz=UTC)


def url_expiry(url: str | None, finished: datetime | None) -> datetime | None:
    """When a signed result URL dies: its OSS ``Expires=`` epoch, else 24 h after the task ended."""
    if not url:
        return None
    expires = parse_qs(urlsplit(url).query).get("Expires")
    if expires and expires[0].isdigit():
        return datetime.fromtimestamp(int(expires[0]), tz=UTC)
    return finished + RESULT_URL_LIFETIME if finished else None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup over any mapping."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date) or ``retry-after-ms``."""
    millis = header(headers, "retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def poll_after(headers: Mapping[str, str]) -> float | None:
    """The server's polling hint: OpenAI's ``openai-poll-after-ms``, else ``Retry-After``."""
    millis = header(headers, "openai-poll-after-ms")
    if millis is not None and millis.strip().isdigit():
        return int(millis) / 1000.0
    return retry_after(headers)


def task_error(code: object, message: object) -> TaskError | None:
    """A TaskError when the wire carried either a code or a message."""
    if not code and not message:
        return None
    return TaskError(code=str(code or "Unknown"), message=str(message or ""))


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one (wire bodies are untrusted)."""
    return value if isinstance(value, Mapping) else {}


def text_of(value: object) -> str | None:
    """A non-empty string or None."""
    return str(value) if value not in (None, "") else None


def error_from_body(status: int, body: Any, headers: Mapping[str, str], hint: str | None) -> APIError:
    """Any of the error shapes in the family, to the right APIError subclass.

    - DashScope (and the relay's create): flat ``{"code", "message", "request_id"}`` (``msg`` in some SDK paths).
    - new-api task errors: ``{"code", "message", "data"}``.
    - OpenAI-style: ``{"error": {"message", "type", "code"}}``.
    - Anything else (an HTML proxy page): the first 200 characters of the text, code None.
    """
    code: object = None
    message: object = None
    request_id: object = None
    if isinstance(body, Mapping):
        nested = body.get("error")
        if isinstance(nested, Mapping):
            code = nested.get("code") or nested.get("type")
            message = nested.get("message")
        else:
            code = body.get("code")
            message = body.get("message") or body.get("msg") or (nested if isinstance(nested, str) else None)
        request_id = body.get("request_id")
    elif body:
        message = str(body)[:200]
    request_id = request_id or header(headers, "x-request-id") or header(headers, "x-oneapi-request-id")
    return api_error(
        status,
        code=text_of(code),
        message=text_of(message),
        request_id=text_of(request_id),
        body=body,
        retry_after=retry_after(headers),
        hint=hint,
    )

"""Wire facts shared by the dialects: the status table, progress, times, error bodies and hints.

Pure functions over parsed JSON and header mappings. Header names are matched case-insensitively because
callers may pass a plain dict as well as ``httpx.Headers``.

Everything a server sends is untrusted: a field that must be there and is not, or has the wrong JSON type, is an
:class:`~wan_nb.errors.InvalidResponse` (never a KeyError/TypeError); a task id must be a safe token (it names
files and URL segments); a result URL must be https (plain http only on loopback: the simulator); error texts
pass through :func:`~wan_nb.errors.server_text` (one line, bounded, markup reduced to text).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from wan_nb.errors import APIError, InvalidResponse, api_error, server_text
from wan_nb.media.hosts import is_fetchable
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


MAX_ID = 128
# A task id becomes a file name (<id>.mp4) and a URL segment: letters, digits and a few marks, no separator, no
# leading dot or dash (a hidden file, a CLI flag), no "..". Real ids: DashScope UUIDs, "video_68d7…", "task_Abc…".
_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=+@-]{0,127}")  # MAX_ID characters
MAX_STATUS = 64


def shown(value: object, limit: int = 60) -> str:
    """A server's value as a message may quote it: repr, one line, bounded."""
    return server_text(repr(value), limit=limit)


def task_id(value: object, where: str) -> str | None:
    """The server's task id when it is a safe token; None when absent; InvalidResponse otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _SAFE_ID.fullmatch(value) or ".." in value:
        raise InvalidResponse(
            f"{where} {shown(value)} is not a safe task id (letters, digits and _.=+@-, at most {MAX_ID})"
        )
    return value


def status_text(value: object, where: str) -> str:
    """The wire status, which every task answer must carry as a short string."""
    if value is None or value == "":
        raise InvalidResponse(f"{where} is missing")
    if not isinstance(value, str) or len(value) > MAX_STATUS or not value.strip():
        raise InvalidResponse(f"{where} {shown(value)} is not a status")
    return value


def optional_text(value: object, where: str) -> str | None:
    """A string field: None when absent, a number as its text, any other JSON type an InvalidResponse."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidResponse(f"{where} is a JSON {_json_type(value)}, not a string")


def object_of(value: object, where: str) -> Mapping[str, Any]:
    """A JSON object field: ``{}`` when absent or null, an InvalidResponse for any other type."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    raise InvalidResponse(f"{where} is a JSON {_json_type(value)}, not an object")


def _json_type(value: object) -> str:
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def result_url(value: object, where: str) -> str | None:
    """A result URL wan_nb will fetch: https, or plain http to loopback (the simulator); no file:, ftp:, data:."""
    url = optional_text(value, where)
    if url is None or is_fetchable(url):
        return url
    raise InvalidResponse(f"{where} {shown(url, 80)} is not an https URL wan_nb will fetch")


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
            hinted = _seconds(float(millis) / 1000.0)
        except ValueError:
            hinted = None
        if hinted is not None:
            return hinted
    value = header(headers, "retry-after")
    if value is None:
        return None
    try:
        return _seconds(float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read as such
        when = when.replace(tzinfo=UTC)
    return _seconds((when - datetime.now(UTC)).total_seconds())


def _seconds(value: float) -> float | None:
    """A hint in seconds: NaN and infinities are garbage (ignored), the past is now."""
    return max(value, 0.0) if math.isfinite(value) else None


def poll_after(headers: Mapping[str, str]) -> float | None:
    """The server's polling hint: OpenAI's ``openai-poll-after-ms``, else ``Retry-After``."""
    millis = header(headers, "openai-poll-after-ms")
    if millis is not None and millis.strip().isdigit():
        return int(millis) / 1000.0
    return retry_after(headers)


def task_error(code: object, message: object) -> TaskError | None:
    """A TaskError when the wire carried either a code or a message (one line each, bounded)."""
    if not code and not message:
        return None
    return TaskError(code=server_text(code or "Unknown", limit=80), message=server_text(message or ""))


def number(value: object) -> float | None:
    """A JSON number as a float; None for anything else (``true`` is no number)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


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
    - Anything else (an HTML proxy page, an XML storage error): its text, code None.
    Every text is one line and bounded (:func:`~wan_nb.errors.server_text`); the key was redacted by the caller.
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
        message = body
    request_id = request_id or header(headers, "x-request-id") or header(headers, "x-oneapi-request-id")
    return api_error(
        status,
        code=_bounded(code, 80),
        message=_bounded(message, None),
        request_id=_bounded(request_id, 80),
        body=body if isinstance(body, Mapping) else _bounded(body, None),
        retry_after=retry_after(headers),
        hint=hint,
    )


def request_id_of(value: object, headers: Mapping[str, str]) -> str | None:
    """The answer's request id (the body's, else ``X-Request-Id``), bounded: quoted in messages and tickets."""
    return _bounded(value, 80) or _bounded(header(headers, "x-request-id"), 80)


def _bounded(value: object, limit: int | None) -> str | None:
    if value in (None, ""):
        return None
    text = server_text(value) if limit is None else server_text(value, limit=limit)
    return text or None

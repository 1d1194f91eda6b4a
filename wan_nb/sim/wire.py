"""Wire facts shared by the three dialects: request ids, China-time stamps, and the error bodies.

DashScope errors are flat ``{"code", "message", "request_id"}`` with ``application/json`` (the SDK parses them only
then, native.md §2/§5.4); the new-api gateway answers ``{"code", "message", "data"}`` for task errors and
``{"error": {"message", "type", "code"}}`` elsewhere (unified_and_peers.md §2.1.8-2.1.9).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from wan_nb.sim.http import HTTPError, Response, json_response

CHINA = timezone(timedelta(hours=8))

# DashScope's messages, verbatim where the research quotes them (native.md §1.1, §2, §4).
NO_KEY = "No API-key provided."
BAD_KEY = "Invalid API-key provided."
SYNC_REFUSED = "current user api does not support synchronous calls"
NO_MODEL = "Model not exist."
RATE_LIMITED = "Requests rate limit exceeded, please try again later."
INSPECTION = "Input or output data may contain inappropriate content."
INTERNAL = "An internal error has occured, please try again later or contact service support."
UNAVAILABLE = "The service is temporarily unavailable, please try again later."
OSS_UNRESOLVED = (
    "InternalError.Algo.InvalidParameter: The provided URL does not appear to be valid. "
    "Ensure it is correctly formatted."
)
NOT_PENDING = "Failed to cancel the task, please confirm if the task is in PENDING status."
URL_ERROR = "url error, please check url!"  # wrong path (native.md §2 InvalidParameter row, §7)
# new-api replaces the message of every 429 it writes (unified_and_peers.md §2.1.9, controller/relay.go).
GATEWAY_BUSY = "当前分组上游负载已饱和，请稍后再试"
# Object storage's own wording: the research quotes no OSS 5xx body; this is OSS's (and S3's) standard text.
OSS_INTERNAL = "We encountered an internal error. Please try again."


def request_id() -> str:
    return str(uuid.uuid4())


def china_time(epoch: float) -> str:
    """``YYYY-MM-DD HH:MM:SS.mmm`` in China time, no zone (native.md §3.1)."""
    stamp = datetime.fromtimestamp(epoch, CHINA)
    return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"


def parse_compact_time(text: str) -> float | None:
    """List filters use ``YYYYMMDDhhmmss`` in China time (native.md §3.3)."""
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CHINA).timestamp()
    except ValueError:
        return None


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def native_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HTTPError:
    body = {"code": code, "message": message, "request_id": request_id()}
    return HTTPError(json_response(status, body, headers))


def gateway_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HTTPError:
    """new-api's task error ``{"code", "message", "data"}`` (controller/relay.go), whose 429s all say
    ``GATEWAY_BUSY`` whatever upstream said."""
    text = GATEWAY_BUSY if status == 429 else message
    return HTTPError(json_response(status, {"code": code, "message": text, "data": None}, headers))


def openai_error(status: int, message: str, kind: str, code: str | None = None) -> HTTPError:
    """new-api's video proxy and OpenAI-style errors ``{"error": {"message", "type", "code"?}}``."""
    error: dict[str, str] = {"message": message, "type": kind}
    if code:
        error["code"] = code
    return HTTPError(json_response(status, {"error": error}))


def oss_error(status: int, code: str, message: str) -> Response:
    """Object storage answers XML (signed result URLs, the upload host)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        f"  <Code>{code}</Code>\n  <Message>{message}</Message>\n"
        f"  <RequestId>{uuid.uuid4().hex[:24].upper()}</RequestId>\n"
        "  <HostId>dashscope-result.sim.localhost</HostId>\n</Error>\n"
    )
    return Response(status, body.encode("utf-8"), {"content-type": "application/xml"})


def dialect_error(
    shape: str, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> HTTPError:
    """One error in the shape of the route that failed: DashScope's flat body or new-api's task error."""
    if shape == "native":
        return native_error(status, code, message, headers)
    return gateway_error(status, code, message, headers)


def server_error(shape: str, status: int) -> HTTPError:
    """A 500 or 503 as the route's server spells it (an injected ``flaky`` fault)."""
    code, message = ("InternalError", INTERNAL) if status == 500 else ("ServiceUnavailable", UNAVAILABLE)
    if shape == "oss":
        return HTTPError(oss_error(status, "InternalError", OSS_INTERNAL))
    if shape == "proxy":
        # new-api's video proxy spells its errors OpenAI-style (unified_and_peers.md §2.1.8); its 5xx body is
        # not documented, so the same shape with the server_error type.
        return openai_error(status, message, "server_error")
    return dialect_error(shape, status, code, message)

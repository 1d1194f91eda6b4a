"""The relay (seed 003): DashScope's native create behind a prefix, polled through the relay's own flat route.

Create ``POST /wan/api/v1/services/aigc/video-generation/video-synthesis`` (native headers and body);
poll ``GET /v1/tasks/{id}`` → ``{"task_id", "status": submitted|in_progress|completed|failed, "progress",
"result_url", "error"}``; download ``result_url`` with **no** Authorization (sending it is refused), within 24 h.
The relay asks clients not to poll faster than every 3 s; the client's schedule respects that.
This module is a :class:`~wan_nb.protocols.base.Dialect` (mypy checks it where ``protocols.DIALECTS`` is built).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from wan_nb.errors import APIError
from wan_nb.models import Task, VideoRequest
from wan_nb.protocols import _common as c
from wan_nb.protocols import native
from wan_nb.protocols.base import REQUEST_FIELDS, Call, Capabilities

NAME = "relay"
CREATE_PATH = "/wan" + native.CREATE_PATH

# The relay's gateway may label uncompressed bodies `content-encoding: gzip`; its own script asks for identity
# (native.md §6, "Transport quirk").
_IDENTITY = {"Accept-Encoding": "identity"}

# The native create behind a proxy: no cancel, no list, ``data:`` URIs, polls no faster than 3 s.
capabilities: Final = Capabilities(
    name=NAME,
    can_cancel=False,
    can_list=False,
    local_media="data_uri",  # the relay's own script inlines files (seed 003)
    carries=REQUEST_FIELDS,  # the native body, whole
    shape="resolution",
    poll_floor=3.0,  # "do not poll faster than every 3 s" (protocol.md §3)
)
uploads: Final = None


def create_call(request: VideoRequest, media_urls: Mapping[str, str]) -> Call:
    """The native create, under ``/wan`` (``/v1/videos`` on the relay drops ``media``, native.md §6)."""
    headers = native.create_headers(media_urls) | _IDENTITY
    return Call("POST", CREATE_PATH, headers=headers, json=native.create_body(request, media_urls))


def get_call(task_id: str) -> Call:
    return Call("GET", f"/v1/tasks/{c.segment(task_id)}", headers=_IDENTITY)


def cancel_call(task_id: str) -> Call | None:
    """The relay documents no cancel route."""
    return None


def content_call(task_id: str) -> Call | None:
    """The result is ``result_url``, fetched without Authorization."""
    return None


def list_call(**filters: str | int) -> Call | None:
    """The relay documents no task list route."""
    return None


def parse_task_list(body: Mapping[str, Any], provider: str) -> list[Task]:
    """Never asked: there is no list call to answer."""
    raise NotImplementedError(f"{NAME} has no task list")


def parse_task(body: Mapping[str, Any], headers: Mapping[str, str], provider: str) -> Task:
    """The create answer is native-shaped (``output``); the poll answer is flat."""
    if isinstance(body.get("output"), Mapping):
        return native.parse_task(body, headers, provider)
    status_raw = c.status_text(body.get("status"), "status")
    video_url = c.result_url(body.get("result_url"), "result_url")
    return Task(
        id=c.task_id(body.get("task_id") or body.get("id"), "task_id") or "",
        status=c.status_of(status_raw),
        provider=provider,
        status_raw=status_raw,
        progress=c.progress_of(body.get("progress")),
        video_url=video_url,
        error=_error_of(body),
        expires_at=c.url_expiry(video_url, None),
        request_id=c.request_id_of(body.get("request_id"), headers),
        poll_after=c.poll_after(headers),
        raw=body,
    )


def _error_of(body: Mapping[str, Any]) -> Any:
    error = body.get("error")
    if isinstance(error, Mapping):
        return c.task_error(error.get("code"), error.get("message"))
    # APIYI's script also reads fail_reason (native.md §6).
    return c.task_error(None, error or body.get("fail_reason"))


def parse_error(status: int, body: Any, headers: Mapping[str, str], hint: str | None = None) -> APIError:
    """The create errors are DashScope's flat shape; the relay's own routes may answer the gateway shapes."""
    return c.error_from_body(status, body, headers, hint)

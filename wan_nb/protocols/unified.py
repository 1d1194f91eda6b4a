"""The OpenAI-style unified gateway (seed 000, protocol.md §1): ``VideoRequest`` ⇄ ``/v1/videos`` JSON.

Create ``POST /v1/videos`` (JSON; ``seconds`` is a string; the first frame goes in
``input_reference.content[0].image_url.url``), query ``GET /v1/videos/{id}``, download
``GET /v1/videos/{id}/content`` (an error until the task succeeded). No cancel. The gateway maps these onto
DashScope's fields itself (seed 000's table); native-only fields are refused earlier by validation.
This module is a :class:`~wan_nb.protocols.base.Dialect` (mypy checks it where ``protocols.DIALECTS`` is built).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NotRequired, TypedDict

from wan_nb.errors import APIError
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.protocols import _common as c
from wan_nb.protocols.base import Call, Capabilities

NAME = "unified"
VIDEOS = "/v1/videos"

# Seed 000 / protocol.md §4: 720P ↔ 1280x720, 1080P ↔ 1920x1080.
SIZE_OF_RESOLUTION: Mapping[str, str] = {"720P": "1280x720", "1080P": "1920x1080"}

# In this gateway family `unknown` / NOT_START mean "not started yet" (new-api's OpenAI view maps NOT_START to
# unknown, unified_and_peers.md §2.1.6): keep waiting, within the deadline.
_STATUS_OVERRIDES: Mapping[str, TaskStatus] = {"unknown": TaskStatus.QUEUED}

# The OpenAI-style gateway: no cancel, no list, ``data:`` URIs, the gateway's fields only.
capabilities: Final = Capabilities(
    name=NAME,
    can_cancel=False,
    can_list=False,
    local_media="data_uri",  # seed 000
    # prompt, first image, size, seconds, seed, generate_audio (protocol.md §1, §4)
    carries=frozenset({"prompt", "first_frame", "resolution", "size", "duration", "seed", "audio"}),
    shape="size",
    poll_floor=0.0,
    tasks=frozenset(
        {"image"}
    ),  # only wan2.7-i2v is documented on the unified endpoint (seed 000, family.md §5)
)
uploads: Final = None


class ImageURL(TypedDict):
    url: str


class ContentItem(TypedDict):
    type: str
    role: str
    image_url: ImageURL


class InputReference(TypedDict):
    content: list[ContentItem]


class CreateBody(TypedDict):
    model: str
    prompt: str
    size: str
    seconds: str
    input_reference: InputReference
    generate_audio: NotRequired[bool]
    seed: NotRequired[int]


def size_of(request: VideoRequest) -> str:
    """``size`` as sent: the request's (``*`` folded to ``x``), else from the resolution, else 1280x720."""
    if request.size:
        return request.size.lower().replace("*", "x")
    return SIZE_OF_RESOLUTION.get((request.resolution or "720P").upper(), "1280x720")


def create_call(request: VideoRequest, media_urls: Mapping[str, str]) -> Call:
    """``POST /v1/videos`` with the seed's recommended JSON body."""
    return Call(
        "POST", VIDEOS, headers={"Content-Type": "application/json"}, json=create_body(request, media_urls)
    )


def create_body(request: VideoRequest, media_urls: Mapping[str, str]) -> CreateBody:
    """Only the first image is consumed, as the first frame; top-level ``content`` is refused by the gateway."""
    reference: ContentItem = {
        "type": "image_url",
        "role": "first_frame",
        "image_url": {"url": media_urls.get("first_frame", "")},
    }
    body: CreateBody = {
        "model": request.chosen_model,
        "prompt": request.prompt,
        "size": size_of(request),
        "seconds": str(request.chosen_duration),
        "input_reference": {"content": [reference]},
    }
    if request.audio is not None:
        body["generate_audio"] = request.audio
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def get_call(task_id: str) -> Call:
    return Call("GET", f"{VIDEOS}/{c.segment(task_id)}")


def cancel_call(task_id: str) -> Call | None:
    """The gateway family exposes no cancel route (unified_and_peers.md §2.1.1)."""
    return None


def content_call(task_id: str) -> Call | None:
    """The MP4 bytes, through the gateway (with Authorization, unlike a signed storage URL)."""
    return Call("GET", f"{VIDEOS}/{c.segment(task_id)}/content")


def list_call(**filters: str | int) -> Call | None:
    """The gateway family documents no task list either (unified_and_peers.md §2.1.1)."""
    return None


def parse_task_list(body: Mapping[str, Any], provider: str) -> list[Task]:
    """Never asked: there is no list call to answer."""
    raise NotImplementedError(f"{NAME} has no task list")


def parse_task(body: Mapping[str, Any], headers: Mapping[str, str], provider: str) -> Task:
    """The OpenAI video object, ope.ai's variant, or new-api's TaskDto (``{"code":"success","data":{...}}``)."""
    data = c.mapping(body.get("data")) or body
    metadata = c.object_of(data.get("metadata"), "metadata")
    status_raw = c.status_text(data.get("status"), "status")
    finished = c.epoch_time(data.get("completed_at") or data.get("finished_at"))
    video_url = c.result_url(
        metadata.get("url") or data.get("result_url") or data.get("video_url"), "the result URL"
    )
    return Task(
        id=c.task_id(data.get("id") or data.get("task_id"), "id") or "",
        status=c.status_of(status_raw, _STATUS_OVERRIDES),
        provider=provider,
        status_raw=status_raw,
        progress=c.progress_of(data.get("progress")),
        video_url=video_url,
        error=_error_of(data),
        created_at=c.epoch_time(data.get("created_at")),
        finished_at=finished if _finished(status_raw) else None,
        expires_at=c.epoch_time(data.get("expires_at")) or c.url_expiry(video_url, None),
        request_id=c.request_id_of(metadata.get("request_id"), headers),
        prompt=c.optional_text(data.get("prompt"), "prompt"),
        poll_after=c.poll_after(headers),
        raw=body,
    )


def _finished(status_raw: str) -> bool:
    # new-api fills completed_at from UpdatedAt, so it is non-zero before completion (§2.1.5): trust it only
    # once the status is terminal.
    return c.status_of(status_raw, _STATUS_OVERRIDES).is_terminal


def _error_of(data: Mapping[str, Any]) -> Any:
    error = data.get("error")
    if isinstance(error, Mapping):
        return c.task_error(error.get("code"), error.get("message"))
    return c.task_error(None, error or data.get("fail_reason"))


def parse_error(status: int, body: Any, headers: Mapping[str, str], hint: str | None = None) -> APIError:
    """``{"code", "message", "data"}`` or ``{"error": {...}}``; 400 ``task_not_exist`` is a NotFoundError."""
    return c.error_from_body(status, body, headers, hint)

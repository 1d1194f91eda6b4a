"""DashScope's native async task API (seed 003, protocol.md §2): ``VideoRequest`` ⇄ wire JSON.

Create: ``POST /api/v1/services/aigc/video-generation/video-synthesis`` with ``X-DashScope-Async: enable``
(the HTTP API only supports async mode for video). Query: ``GET /api/v1/tasks/{id}``. Cancel:
``POST /api/v1/tasks/{id}/cancel`` (PENDING only). List: ``GET /api/v1/tasks``. Local files: DashScope's
temporary upload, :mod:`wan_nb.protocols.oss_upload` (this dialect's ``uploads``).
No I/O, no environment: the client sends these calls. This module is a
:class:`~wan_nb.protocols.base.Dialect` (mypy checks it where ``protocols.DIALECTS`` is built).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NotRequired, TypedDict

from wan_nb.errors import APIError, InvalidResponse
from wan_nb.models import MEDIA_ROLES, Task, Usage, VideoRequest
from wan_nb.protocols import _common as c
from wan_nb.protocols import oss_upload
from wan_nb.protocols.base import REQUEST_FIELDS, Call, Capabilities, Uploads

# The temporary upload is a module of its own; its names stay reachable here too (the native-calls notebook).
from wan_nb.protocols.oss_upload import oss_url as oss_url
from wan_nb.protocols.oss_upload import parse_upload_policy as parse_upload_policy
from wan_nb.protocols.oss_upload import upload_form as upload_form
from wan_nb.protocols.oss_upload import upload_policy_call as upload_policy_call
from wan_nb.validation import model_limits, nearest_resolution, ratio_of, reference_kinds

NAME = "native"
API = "/api/v1"
CREATE_PATH = f"{API}/services/aigc/video-generation/video-synthesis"

# DashScope's own API: cancel (PENDING only), a task list, OSS uploads, every request field.
capabilities: Final = Capabilities(
    name=NAME,
    can_cancel=True,
    can_list=True,
    local_media="oss_upload",
    carries=REQUEST_FIELDS,
    shape="resolution",
    poll_floor=0.0,  # DashScope allows 20 task queries/s per account (native.md §3)
)
uploads: Final[Uploads] = oss_upload


class MediaItem(TypedDict):
    type: str
    """i2v ``first_frame|last_frame|driving_audio|first_clip``; r2v ``reference_image|reference_video|first_frame``;
    videoedit ``video|reference_image``; Wan 3.0 also ``reference_audio`` (family.md §2.2, §6)."""
    url: str
    reference_voice: NotRequired[str]
    """A reference's voice (r2v: on a ``reference_image`` or ``reference_video`` item, family.md §2.2)."""


class CreateInput(TypedDict, total=False):
    prompt: str
    negative_prompt: str
    media: list[MediaItem]
    img_url: str
    audio_url: str


class CreateBody(TypedDict):
    model: str
    input: CreateInput
    parameters: dict[str, Any]


class TaskOutput(TypedDict, total=False):
    task_id: str
    task_status: str
    submit_time: str
    scheduled_time: str
    end_time: str
    orig_prompt: str
    actual_prompt: str
    video_url: str
    code: str
    message: str


class TaskBody(TypedDict):
    request_id: NotRequired[str]
    output: TaskOutput
    usage: NotRequired[dict[str, Any]]


def is_legacy(model: str) -> bool:
    """True for models that take ``input.img_url`` rather than ``input.media`` (wan2.6-i2v and before,
    native.md §1.3); the model table in ``validation`` is the single source."""
    return model_limits(model).legacy


def resolution_of(request: VideoRequest) -> str:
    """``resolution`` as sent: the request's, else the model's resolution nearest ``size``, else the default.

    DashScope's own default is 1080P; for wan2.7 we default to 720P (cheaper, and the relay's documented
    default) and always send it, so what is billed never depends on a server-side default.
    """
    if request.resolution:
        return request.resolution.upper()
    if request.size:
        return nearest_resolution(request.size, request.chosen_model)
    return model_limits(request.chosen_model).default_resolution


def create_call(request: VideoRequest, media_urls: Mapping[str, str]) -> Call:
    """The create call; adds ``X-DashScope-OssResourceResolve`` when any medium is an ``oss://`` upload."""
    return Call(
        "POST", CREATE_PATH, headers=create_headers(media_urls), json=create_body(request, media_urls)
    )


def create_headers(media_urls: Mapping[str, str]) -> dict[str, str]:
    """Async mode is mandatory; oss:// URLs only resolve with the resolve header (native.md §4)."""
    headers = {"X-DashScope-Async": "enable", "Content-Type": "application/json"}
    if any(url.startswith("oss://") for url in media_urls.values()):
        headers["X-DashScope-OssResourceResolve"] = "enable"
    return headers


def create_body(request: VideoRequest, media_urls: Mapping[str, str]) -> CreateBody:
    """The native body of any model: ``input.media`` (wan2.7, Wan 3.0), t2v's ``input.audio_url``, or the
    legacy ``img_url`` body of older models. ``media_urls``: each medium's URL by its field (``first_frame``,
    ``video``, ``references[0]``, ``references[0].voice``)."""
    model = request.chosen_model
    payload: CreateInput = {}
    if request.prompt:
        payload["prompt"] = request.prompt
    if request.negative_prompt:
        payload["negative_prompt"] = request.negative_prompt
    if is_legacy(model):
        payload.update(_legacy_media(media_urls))
    elif model_limits(model).task == "text":
        # t2v has no media: its soundtrack is input.audio_url (family.md §2.1)
        if "driving_audio" in media_urls:
            payload["audio_url"] = media_urls["driving_audio"]
    elif items := media_items(request, media_urls):
        # Wan 3.0 from a prompt alone has none: the key is left out, as the official SDK does (family.md §6)
        payload["media"] = items
    return {"model": model, "input": payload, "parameters": parameters(request)}


def media_items(request: VideoRequest, media_urls: Mapping[str, str]) -> list[MediaItem]:
    """``input.media`` in the official examples' order: the frames (i2v's, r2v's first frame), the video to
    edit, then the references as given, each typed by its kind, a voice on its own item (family.md §2.2)."""
    items: list[MediaItem] = [
        {"type": role, "url": media_urls[role]} for role in MEDIA_ROLES if role in media_urls
    ]
    if "video" in media_urls:
        items.append({"type": "video", "url": media_urls["video"]})
    for index, kind in enumerate(reference_kinds(request)):
        item: MediaItem = {"type": f"reference_{kind}", "url": media_urls[f"references[{index}]"]}
        voice = media_urls.get(f"references[{index}].voice")
        if voice is not None:
            item["reference_voice"] = voice
        items.append(item)
    return items


def _legacy_media(media_urls: Mapping[str, str]) -> CreateInput:
    legacy: CreateInput = {}
    if "first_frame" in media_urls:
        legacy["img_url"] = media_urls["first_frame"]
    if "driving_audio" in media_urls:
        legacy["audio_url"] = media_urls["driving_audio"]
    return legacy


def parameters(request: VideoRequest) -> dict[str, Any]:
    """``parameters``: resolution and duration always; the rest only when the user set them."""
    params: dict[str, Any] = {"resolution": resolution_of(request), "duration": request.chosen_duration}
    optional = {
        "ratio": ratio_of(request),
        "audio_setting": request.audio_setting,
        "prompt_extend": request.prompt_extend,
        "watermark": request.watermark,
        "seed": request.seed,
        "audio": request.audio,
    }
    params.update({name: value for name, value in optional.items() if value is not None})
    return params


def get_call(task_id: str) -> Call:
    """Task query: Authorization only, no async header (native.md §3.1)."""
    return Call("GET", f"{API}/tasks/{c.segment(task_id)}")


def cancel_call(task_id: str) -> Call | None:
    """Cancel works only while the task is PENDING; otherwise 400 UnsupportedOperation."""
    return Call("POST", f"{API}/tasks/{c.segment(task_id)}/cancel")


def content_call(task_id: str) -> Call | None:
    """No content endpoint: the result is ``output.video_url``, a signed OSS URL fetched without auth."""
    return None


def list_call(**filters: str | int) -> Call:
    """``GET /api/v1/tasks`` with start_time/end_time (YYYYMMDDhhmmss), model_name, status, page_no, page_size."""
    params = {"page_no": "1", "page_size": "10"} | {key: str(value) for key, value in filters.items()}
    return Call("GET", f"{API}/tasks", params=params)


def parse_task(body: Mapping[str, Any], headers: Mapping[str, str], provider: str) -> Task:
    """A create or query answer (``{"request_id", "output": {...}, "usage": {...}}``) to a Task."""
    return task_from_output(
        c.object_of(body.get("output"), "output"),
        usage=body.get("usage"),
        request_id=c.request_id_of(body.get("request_id"), headers),
        poll_after=c.poll_after(headers),
        provider=provider,
        raw=body,
    )


def task_from_output(
    output: Mapping[str, Any],
    *,
    usage: Any,
    request_id: str | None,
    poll_after: float | None,
    provider: str,
    raw: Mapping[str, Any],
) -> Task:
    """The ``output`` object (also the items of a task list) to a Task."""
    status_raw = c.status_text(output.get("task_status"), "output.task_status")
    finished = c.china_time(output.get("end_time"))
    video_url = c.result_url(output.get("video_url"), "output.video_url")
    return Task(
        id=c.task_id(output.get("task_id"), "output.task_id") or "",
        # UNKNOWN here means no such task, or older than 24 h: terminal (native.md §3.1).
        status=c.status_of(status_raw),
        provider=provider,
        status_raw=status_raw,
        video_url=video_url,
        # A FAILED task is HTTP 200 with output.code/output.message (native.md §3.1).
        error=c.task_error(output.get("code"), output.get("message")),
        created_at=c.china_time(output.get("submit_time")),
        started_at=c.china_time(output.get("scheduled_time")),
        finished_at=finished,
        expires_at=c.url_expiry(video_url, finished),
        request_id=request_id,
        usage=usage_of(usage),
        prompt=c.optional_text(
            output.get("actual_prompt") or output.get("orig_prompt"), "output.orig_prompt"
        ),
        poll_after=poll_after,
        raw=raw,
    )


def usage_of(raw: Any) -> Usage | None:
    """wan2.7 and Wan 3.0: duration (input + output; videoedit's in fractions: 10.04), input_video_duration,
    output_video_duration, SR; legacy: video_duration (native.md §3.1, family.md §3)."""
    if not isinstance(raw, Mapping) or not raw:
        return None
    video = raw.get("output_video_duration", raw.get("video_duration"))
    return Usage(
        billed_seconds=c.number(raw.get("duration", video)),
        video_seconds=c.number(video),
        video_count=_integer(raw.get("video_count")),
        resolution=_integer(raw.get("SR")),
        input_seconds=c.number(raw.get("input_video_duration")),
    )


def _integer(value: Any) -> int | None:
    number = c.number(value)
    return int(number) if number is not None else None


def parse_task_list(body: Mapping[str, Any], provider: str) -> list[Task]:
    """SDK 2.0 expects a flat ``{"tasks": [...]}``; older answers nest under ``output`` or ``data``."""
    container = c.mapping(body.get("output")) or body
    items = container.get("tasks") or container.get("data") or []
    if not isinstance(items, list):
        raise InvalidResponse(f"the task list is a JSON {type(items).__name__}, not an array")
    request_id = c.request_id_of(body.get("request_id"), {})
    return [
        task_from_output(
            item, usage=item.get("usage"), request_id=request_id, poll_after=None, provider=provider, raw=item
        )
        for item in items
        if isinstance(item, Mapping)
    ]


def parse_error(status: int, body: Any, headers: Mapping[str, str], hint: str | None = None) -> APIError:
    """Flat ``{"code", "message", "request_id"}`` (native.md §2)."""
    return c.error_from_body(status, body, headers, hint)

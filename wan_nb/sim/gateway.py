"""The unified gateway (``/v1/videos``, protocol.md §1) and the relay's flat poll (``/v1/tasks/{id}``, §3).

Both sit in front of the same simulated DashScope: the gateway maps its OpenAI-style body onto a native job
(seed 000's table; new-api's Ali adaptor, unified_and_peers.md §2.1.3) and spells states its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wan_nb.sim import native, validate
from wan_nb.sim.engine import Engine
from wan_nb.sim.http import Request, Response, json_response
from wan_nb.sim.results import serve_bytes
from wan_nb.sim.store import Snapshot
from wan_nb.sim.wire import gateway_error, openai_error

# Canonical phase → (unified gateway, relay) spellings (protocol.md §1, §3; new-api convertAliStatus).
SPELLINGS: Mapping[str, tuple[str, str]] = {
    "PENDING": ("QUEUED", "submitted"),
    "RUNNING": ("IN_PROGRESS", "in_progress"),
    "SUCCEEDED": ("SUCCESS", "completed"),
    "FAILED": ("FAILURE", "failed"),
    "CANCELED": ("FAILURE", "failed"),
}
MISSING_IMAGE = "wan2.7-i2v requires image, images, input_reference, or input.media"
# Only i2v is documented on a unified endpoint; t2v/r2v/videoedit/Wan 3.0 are native (or native passthrough)
# only (family.md §5: "plan for native … only", APIYI and laozhang: "do not use /v1/videos" for Wan).
NOT_UNIFIED = "model {model} is not supported on /v1/videos, use the native video-synthesis API"


def create(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    body = _body(request)
    _served(str(body["model"]))
    native_body = to_native(body)
    # The gateway cannot carry the OSS resolve header: oss:// URLs never resolve through it.
    job, scenarios = native.admit(engine, request, native_body, False, gateway_error)
    size, seconds = str(body.get("size") or job.resolution), str(job.duration)
    accepted = engine.submit(job, "unified", body, scenarios, size=size, seconds=seconds)
    video = video_object(engine, request.origin, _known(engine, accepted.record.task_id))
    return accepted.answer(json_response(200, video))


def _body(request: Request) -> Mapping[str, Any]:
    try:
        body = request.json()
    except ValueError as error:
        raise gateway_error(400, "invalid_request", "request body is not valid JSON") from error
    if not isinstance(body, Mapping):
        raise gateway_error(400, "invalid_request", "request body must be a JSON object")
    if "content" in body:
        raise gateway_error(
            400, "invalid_request", "Top-level content is not supported, use input_reference.content"
        )
    if not body.get("model"):
        raise gateway_error(400, "missing_model", "model is required")
    if not str(body.get("prompt") or "").strip():
        raise gateway_error(400, "invalid_request", "prompt is required")
    return body


def _served(model: str) -> None:
    """The rest of the family is refused before the body is mapped (an unknown model is upstream's to refuse)."""
    try:
        rule = validate.rule_for(model)
    except validate.Invalid:
        return
    if not rule.unified:
        raise gateway_error(400, "model_not_supported", NOT_UNIFIED.format(model=model))


def to_native(body: Mapping[str, Any]) -> dict[str, Any]:
    """seed 000's mapping: first image → media[first_frame], size → resolution, seconds → duration (int)."""
    image = first_image(body)
    if not image:
        raise gateway_error(400, "invalid_request", MISSING_IMAGE)
    parameters: dict[str, Any] = {"resolution": resolution_of(str(body.get("size") or "720P"))}
    parameters["duration"] = _duration(body.get("seconds", body.get("duration", 5)))
    if "generate_audio" in body:
        parameters["audio"] = body["generate_audio"]
    if "seed" in body:
        parameters["seed"] = body["seed"]
    payload: dict[str, Any] = {"prompt": body["prompt"], "media": [{"type": "first_frame", "url": image}]}
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping):  # new-api merges metadata onto the upstream request
        payload.update(metadata.get("input") or {})
        parameters.update(metadata.get("parameters") or {})
    return {"model": body["model"], "input": payload, "parameters": parameters}


def first_image(body: Mapping[str, Any]) -> str | None:
    """Only the first image is consumed (ope.ai ``input_reference.content``; new-api ``image``/``images``)."""
    reference = body.get("input_reference")
    if isinstance(reference, str):
        return reference
    content = reference.get("content") if isinstance(reference, Mapping) else None
    for item in content if isinstance(content, list) else []:
        url = (item.get("image_url") or {}).get("url") if isinstance(item, Mapping) else None
        if isinstance(url, str) and url:
            return url
    images = body.get("images")
    image = body.get("image") or (images[0] if isinstance(images, list) and images else None)
    return image if isinstance(image, str) else None


def resolution_of(size: str) -> str:
    """``1280x720`` → 720P, ``1920x1080`` → 1080P (nearest short side); ``720p``/``720`` → 720P."""
    text = size.upper().replace("*", "X")
    if "X" in text:
        try:
            short = min(int(part) for part in text.split("X"))
        except ValueError:
            return text
        return "1080P" if short > 900 else "720P" if short > 600 else "480P"
    return text if text.endswith("P") else text + "P"


def _duration(value: Any) -> Any:
    """``seconds`` is a string ("5"); a non-integer string is the gateway's error, not upstream's."""
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise gateway_error(400, "invalid_request", f"invalid seconds: {value}")
        return int(value)
    return value


def video_object(engine: Engine, origin: str, snap: Snapshot) -> dict[str, Any]:
    record, extra = snap.record, snap.record.extra or {}
    video: dict[str, Any] = {
        "id": record.task_id,
        "object": "video",
        "status": SPELLINGS[snap.phase][0],
        "created_at": int(record.submit_at),
        "model": record.model,
        "prompt": record.prompt,
        "size": extra.get("size", ""),
        "seconds": extra.get("seconds", str(record.spec["duration"])),
        "progress": snap.progress,
    }
    if snap.end_at is not None:
        video["completed_at"] = int(snap.end_at)
    if snap.phase == "SUCCEEDED":
        url = engine.result_url(origin, snap)
        video["expires_at"] = int(snap.end_at or 0) + int(engine.config.result_ttl)
        # new-api copies DashScope's orig_prompt/actual_prompt into metadata (unified_and_peers.md §2.1.5);
        # its upstream create defaults prompt_extend to true (§2.1.3).
        prompts = {"orig_prompt": record.prompt} | (
            {"actual_prompt": record.actual_prompt} if record.actual_prompt is not None else {}
        )
        usage = native.usage(record.model, record.spec, snap.input_seconds)
        video["metadata"] = {"url": url, **prompts, "usage": usage}
    elif snap.phase in ("FAILED", "CANCELED"):
        video["error"] = {
            "code": snap.code or "Canceled",
            "message": snap.message or "The task was canceled.",
        }
    return video


def get(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """An unknown id is HTTP 400 ``task_not_exist``, not 404 (new-api, unified_and_peers.md §2.1.5)."""
    return json_response(200, video_object(engine, request.origin, _known(engine, params["id"])))


def content(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """The MP4 through the gateway; 400 until SUCCESS (new-api video_proxy, §2.1.8), Range forwarded."""
    snap = engine.snapshot(params["id"])
    if snap is None:
        raise openai_error(404, "Task not found", "invalid_request_error")
    if snap.phase != "SUCCEEDED":
        status = SPELLINGS[snap.phase][0]
        raise openai_error(
            400, f"Task is not completed yet, current status: {status}", "invalid_request_error"
        )
    data = engine.video(snap.record.task_id)
    if data is None:
        raise openai_error(404, "Video content not found", "invalid_request_error")
    return serve_bytes(data, request.header("range"))


def relay_task(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """The relay's flat poll body (protocol.md §3; APIYI's ``{status, progress, result_url, task_id}``)."""
    snap = _known(engine, params["id"])
    body: dict[str, Any] = {
        "task_id": snap.record.task_id,
        "status": SPELLINGS[snap.phase][1],
        "progress": snap.progress,
    }
    if snap.phase == "SUCCEEDED":
        body["result_url"] = engine.result_url(request.origin, snap)
    elif snap.phase == "FAILED":
        body["error"] = f"{snap.code}: {snap.message}"
    elif snap.phase == "CANCELED":
        body["error"] = "Canceled: the task was canceled."
    return json_response(200, body)


def _known(engine: Engine, task_id: str) -> Snapshot:
    snap = engine.snapshot(task_id)
    if snap is None:
        raise gateway_error(400, "task_not_exist", "task_not_exist")
    return snap


def relay_create(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """The native create under ``/wan`` (native headers, body and errors)."""
    return native.create(engine, request, params, dialect="relay")

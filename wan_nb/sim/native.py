"""DashScope's native routes (protocol.md §2, native.md §1-4): create, query, cancel, list, getPolicy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from wan_nb.sim import faults, render, validate
from wan_nb.sim.engine import Engine
from wan_nb.sim.http import HTTPError, Request, Response, json_response
from wan_nb.sim.store import Snapshot
from wan_nb.sim.upload import policy_data
from wan_nb.sim.wire import (
    NOT_PENDING,
    SYNC_REFUSED,
    china_time,
    native_error,
    parse_compact_time,
    request_id,
)

LIST_PAGE_SIZE = 10
ErrorFactory = Callable[..., HTTPError]


def parse_body(request: Request) -> Any:
    try:
        return request.json()
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise native_error(400, "InvalidParameter", "Request body is not a valid JSON.") from error


def admit(
    engine: Engine, request: Request, body: Any, resolve_oss: bool, error: ErrorFactory
) -> tuple[validate.Job, frozenset[str]]:
    """What every create does before it creates (native, relay and, after mapping, the gateway): upstream's
    validation, then the QPS/concurrency throttle; failures are spelled by ``error`` in the caller's dialect."""
    try:
        job = validate.validate(body, lambda url, model: engine.oss_problem(url, model, resolve_oss))
    except validate.Invalid as invalid:
        raise error(invalid.status, invalid.code, invalid.message) from invalid
    scenarios = faults.requested(request, job.prompt)
    throttle = engine.admit(scenarios)
    if throttle:
        raise error(429, throttle.code, throttle.message, {"retry-after": str(throttle.retry_after)})
    return job, scenarios


def create(engine: Engine, request: Request, params: dict[str, str], dialect: str = "native") -> Response:
    """The HTTP API is async-only for video: without the header the service refuses (native.md §1.1)."""
    if request.header("x-dashscope-async").lower() != "enable":
        raise native_error(403, "AccessDenied", SYNC_REFUSED)
    body = parse_body(request)
    resolve_header = request.header("x-dashscope-ossresourceresolve").lower() == "enable"
    job, scenarios = admit(engine, request, body, resolve_header, native_error)
    accepted = engine.submit(job, dialect, body, scenarios)
    output = {"task_id": accepted.record.task_id, "task_status": "PENDING"}
    return accepted.answer(json_response(200, {"request_id": request_id(), "output": output}))


def get(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """Unknown or expired ids still answer 200 with UNKNOWN (native.md §3.1)."""
    snap = engine.snapshot(params["id"])
    if snap is None:
        output: dict[str, Any] = {"task_id": params["id"], "task_status": "UNKNOWN"}
        return json_response(200, {"request_id": request_id(), "output": output})
    return json_response(200, {"request_id": request_id(), **task_body(engine, request.origin, snap)})


def task_body(engine: Engine, origin: str, snap: Snapshot) -> dict[str, Any]:
    """``output`` (and ``usage`` once SUCCEEDED); a FAILED task carries output.code/message (native.md §3.1)."""
    record = snap.record
    output: dict[str, Any] = {
        "task_id": record.task_id,
        "task_status": snap.phase,
        "submit_time": china_time(record.submit_at),
    }
    if snap.phase != "PENDING" and record.canceled_at is None:
        output["scheduled_time"] = china_time(record.scheduled_at)
    if snap.end_at is not None:
        output["end_time"] = china_time(snap.end_at)
    if snap.phase == "FAILED":
        output.update(code=snap.code, message=snap.message)
    if snap.phase != "SUCCEEDED":
        return {"output": output}
    output["orig_prompt"] = record.prompt
    if record.actual_prompt is not None:  # only when prompt_extend rewrote it (native.md §3.1)
        output["actual_prompt"] = record.actual_prompt
    output["video_url"] = engine.result_url(origin, snap)
    return {"output": output, "usage": usage(record.model, record.spec, snap.input_seconds)}


def usage(model: str, spec: dict[str, Any], input_seconds: float = 0.0) -> dict[str, Any]:
    """wan2.7: duration = input_video_duration + output_video_duration (a first_clip's, r2v's reference
    videos' and videoedit's source seconds are billed too), SR = the resolution's number; older models:
    video_duration (native.md §3.1, family.md §3). Upstream's examples show whole seconds except videoedit's
    floats (10.04 = 5.02 + 5.02); how it rounds a fractional clip is UNCONFIRMED, so the nearest second.
    t2v, r2v and Wan 3.0 add ``ratio``, Wan 3.0 ``fps`` (family.md §3, §6)."""
    rule = validate.rule_for(model)
    seconds, short_side = spec["duration"], spec["short_side"]
    if not rule.media_protocol:
        return {"video_duration": seconds, "video_count": 1, "SR": short_side}
    if rule.billed_float:  # videoedit: the source (or its cut from 0 s) in, as many seconds out
        kept = round(input_seconds if seconds == 0 else min(seconds, input_seconds), 2)
        clip: float = kept
        output: float = kept
    else:
        clip, output = int(input_seconds + 0.5), seconds
    body: dict[str, Any] = {
        "duration": round(clip + output, 2),
        "input_video_duration": clip,
        "output_video_duration": output,
        "video_count": 1,
        "SR": short_side,
    }
    if rule.usage_ratio:
        body["ratio"] = spec.get("ratio") or "16:9"
    if rule.usage_fps:
        body["fps"] = render.FPS
    return body


def cancel(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """Only a PENDING task can be canceled; anything else is 400 UnsupportedOperation (native.md §3.2)."""
    snap = engine.snapshot(params["id"])
    if snap is None or snap.phase != "PENDING":
        raise native_error(400, "UnsupportedOperation", NOT_PENDING)
    engine.cancel(params["id"])
    return json_response(200, {"request_id": request_id()})


def task_list(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """``{page_no, page_size, total, tasks}`` as SDK 2.0's JobList reads it (native.md §3.3)."""
    query = request.query
    page_no = _positive(query.get("page_no"), 1)
    page_size = _positive(query.get("page_size"), LIST_PAGE_SIZE)
    snaps = [snap for snap in map(engine.snapshot, _newest_first(engine)) if snap and _matches(snap, query)]
    page = snaps[(page_no - 1) * page_size : page_no * page_size]
    tasks = [task_body(engine, request.origin, snap)["output"] for snap in page]
    payload = {"request_id": request_id(), "page_no": page_no, "page_size": page_size, "total": len(snaps)}
    return json_response(200, {**payload, "tasks": tasks})


def _newest_first(engine: Engine) -> list[str]:
    return [record.task_id for record in reversed(list(engine.tasks))]


def _matches(snap: Snapshot, query: Any) -> bool:
    record = snap.record
    start = parse_compact_time(query.get("start_time", ""))
    end = parse_compact_time(query.get("end_time", ""))
    checks = (
        query.get("task_id") in (None, "", record.task_id),
        query.get("model_name") in (None, "", record.model),
        query.get("status") in (None, "", snap.phase),
        start is None or record.submit_at >= start,
        end is None or record.submit_at <= end,
    )
    return all(checks)


def _positive(text: str | None, default: int) -> int:
    try:
        value = int(text or default)
    except ValueError as error:
        raise native_error(400, "InvalidParameter", "page_no and page_size must be integers.") from error
    return max(1, value)


def upload_policy(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    """``GET /api/v1/uploads?action=getPolicy&model=...``; the upload host is this simulator (native.md §4)."""
    if request.query.get("action") != "getPolicy":
        raise native_error(400, "InvalidParameter", "The action parameter must be getPolicy.")
    model = request.query.get("model", "")
    if not model:
        raise native_error(400, "InvalidParameter", 'Required parameter "model" missing from request.')
    data = policy_data(request.origin, model, engine.now(), engine.secret)
    return json_response(200, {"request_id": request_id(), "data": data})

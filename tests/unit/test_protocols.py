"""Ring 1: the pure translation tables. Golden wire JSON (tests/fixtures/golden, from protocol.md and the research
reports) → Task; every status spelling; both error shapes; VideoRequest → each wire body."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from wan_nb.errors import (
    APIError,
    AuthenticationError,
    InvalidResponse,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from wan_nb.models import TaskStatus, VideoRequest
from wan_nb.protocols import (
    DIALECTS,
    Capabilities,
    Dialect,
    _common,
    dialect,
    native,
    oss_upload,
    relay,
    unified,
)

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
IMG = "https://example.com/first.png"


def golden(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


# --- statuses -------------------------------------------------------------------------------------------

STATUS_CASES = [
    ("PENDING", TaskStatus.QUEUED),
    ("QUEUED", TaskStatus.QUEUED),
    ("SUBMITTED", TaskStatus.QUEUED),
    ("NOT_START", TaskStatus.QUEUED),
    ("queued", TaskStatus.QUEUED),
    ("submitted", TaskStatus.QUEUED),
    ("pending", TaskStatus.QUEUED),
    ("RUNNING", TaskStatus.RUNNING),
    ("IN_PROGRESS", TaskStatus.RUNNING),
    ("in_progress", TaskStatus.RUNNING),
    ("processing", TaskStatus.RUNNING),
    ("SUCCEEDED", TaskStatus.SUCCEEDED),
    ("SUCCESS", TaskStatus.SUCCEEDED),
    ("completed", TaskStatus.SUCCEEDED),
    ("succeeded", TaskStatus.SUCCEEDED),
    ("FAILED", TaskStatus.FAILED),
    ("FAILURE", TaskStatus.FAILED),
    ("failed", TaskStatus.FAILED),
    ("error", TaskStatus.FAILED),
    ("CANCELED", TaskStatus.CANCELED),
    ("cancelled", TaskStatus.CANCELED),
    ("canceled", TaskStatus.CANCELED),
    ("UNKNOWN", TaskStatus.UNKNOWN),
    ("brand_new_state", TaskStatus.UNKNOWN),
]


@pytest.mark.parametrize(("raw", "expected"), STATUS_CASES, ids=[c[0] or "empty" for c in STATUS_CASES])
def test_native_status_table(raw: str, expected: TaskStatus) -> None:
    task = native.parse_task({"output": {"task_id": "t", "task_status": raw}}, {}, "dashscope")
    assert task.status is expected
    assert task.status_raw == raw  # the raw spelling survives, known or not


@pytest.mark.parametrize("raw", ["", None, 7, ["RUNNING"], "x" * 65])
def test_a_missing_or_mistyped_status_is_an_invalid_answer_not_unknown(raw: object) -> None:
    # An empty body from a captive portal must not read as "no such task" (terminal UNKNOWN).
    with pytest.raises(InvalidResponse, match="task_status"):
        native.parse_task({"output": {"task_id": "t", "task_status": raw}}, {}, "dashscope")


@pytest.mark.parametrize("raw", ["unknown", "UNKNOWN", "NOT_START"])
def test_unified_unknown_means_not_started(raw: str) -> None:
    # new-api's OpenAI view reports NOT_START as `unknown`: keep waiting (protocol.md §4).
    task = unified.parse_task({"id": "v", "status": raw}, {}, "gateway")
    assert task.status is TaskStatus.QUEUED
    assert not task.done


def test_unknown_value_does_not_crash_and_is_terminal_natively() -> None:
    task = native.parse_task({"output": {"task_id": "t", "task_status": "TELEPORTED"}}, {}, "dashscope")
    assert task.status is TaskStatus.UNKNOWN and task.status_raw == "TELEPORTED" and task.done


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (TaskStatus.QUEUED, False),
        (TaskStatus.RUNNING, False),
        (TaskStatus.SUCCEEDED, True),
        (TaskStatus.FAILED, True),
    ]
    + [(TaskStatus.CANCELED, True), (TaskStatus.UNKNOWN, True)],
)
def test_is_terminal(status: TaskStatus, terminal: bool) -> None:
    assert status.is_terminal is terminal


# --- golden bodies → Task -------------------------------------------------------------------------------


def test_native_create_answer() -> None:
    task = native.parse_task(golden("native_create"), {}, "dashscope")
    assert (task.id, task.status, task.request_id) == (
        "0385dc79-5ff8-4d82-bcb6-000000",
        TaskStatus.QUEUED,
        "4909100c-7b5a-9f92-bfe5-000000",
    )
    assert task.progress is None and task.provider == "dashscope"


def test_native_succeeded_wan27() -> None:
    task = native.parse_task(golden("native_succeeded"), {}, "dashscope")
    assert task.status is TaskStatus.SUCCEEDED and task.video_url and task.video_url.startswith("https://")
    assert task.created_at == datetime(2025, 9, 25, 3, 7, 28, 590000, tzinfo=UTC)  # China time is UTC+8
    assert task.started_at is not None and task.finished_at is not None
    assert task.expires_at == datetime.fromtimestamp(1758856631, tz=UTC)  # from the signed URL's Expires=
    assert task.usage is not None
    assert (task.usage.billed_seconds, task.usage.video_seconds, task.usage.resolution) == (15, 15, 720)
    assert task.prompt == "A scene of urban fantasy art."


def test_native_succeeded_legacy_shape() -> None:
    task = native.parse_task(golden("native_succeeded_legacy"), {}, "dashscope")
    assert task.usage is not None and task.usage.video_seconds == 5 and task.usage.resolution == 1080
    assert task.prompt and task.prompt.startswith("一只白猫")  # actual_prompt wins over orig_prompt
    # No Expires= in the URL: 24 h after end_time (native.md §3.1).
    assert task.finished_at and task.expires_at
    assert (task.expires_at - task.finished_at).total_seconds() == 24 * 3600


def test_native_running_and_failed_and_unknown() -> None:
    running = native.parse_task(golden("native_running"), {}, "dashscope")
    assert running.status is TaskStatus.RUNNING and running.started_at and running.error is None
    failed = native.parse_task(golden("native_failed"), {}, "dashscope")
    assert failed.status is TaskStatus.FAILED and failed.error is not None
    assert failed.error.code == "DataInspectionFailed" and "inappropriate" in failed.error.message
    unknown = native.parse_task(golden("native_unknown"), {}, "dashscope")
    assert unknown.status is TaskStatus.UNKNOWN and unknown.done


def test_unified_bodies() -> None:
    created = unified.parse_task(golden("unified_create"), {"X-Request-Id": "hdr-1"}, "gateway")
    assert created.status is TaskStatus.QUEUED and created.created_at == datetime.fromtimestamp(
        1780021218, tz=UTC
    )
    assert created.request_id == "hdr-1"
    running = unified.parse_task(golden("unified_in_progress"), {}, "gateway")
    assert running.status is TaskStatus.RUNNING and running.progress == pytest.approx(0.3)
    done = unified.parse_task(golden("unified_completed_newapi"), {}, "gateway")
    assert done.status is TaskStatus.SUCCEEDED and done.progress == 1.0 and done.request_id == "req-newapi-1"
    assert done.video_url and done.expires_at == datetime.fromtimestamp(1762585920, tz=UTC)
    failed = unified.parse_task(golden("unified_failed"), {}, "gateway")
    assert failed.status is TaskStatus.FAILED and failed.error and failed.error.code == "DataInspectionFailed"


def test_unified_taskdto_envelope_and_millisecond_times() -> None:
    task = unified.parse_task(golden("unified_taskdto"), {}, "gateway")
    assert (task.id, task.status, task.progress) == ("task_xyz", TaskStatus.SUCCEEDED, 1.0)
    assert task.video_url == "https://cdn.example/v.mp4" and task.error is None
    assert task.created_at == datetime.fromtimestamp(1764347090.922, tz=UTC)


def test_unified_completed_at_ignored_until_terminal() -> None:
    # new-api fills completed_at from UpdatedAt even while running (unified_and_peers.md §2.1.5).
    task = unified.parse_task({"id": "v", "status": "in_progress", "completed_at": 1762499520}, {}, "gateway")
    assert task.finished_at is None


def test_poll_after_hint() -> None:
    task = unified.parse_task({"id": "v", "status": "queued"}, {"openai-poll-after-ms": "2500"}, "gateway")
    assert task.poll_after == 2.5


def test_relay_create_is_native_and_poll_is_flat() -> None:
    created = relay.parse_task(golden("native_create"), {}, "relay")
    assert created.status is TaskStatus.QUEUED
    done = relay.parse_task(golden("relay_poll_completed"), {}, "relay")
    assert done.status is TaskStatus.SUCCEEDED and done.progress == 1.0 and done.video_url
    assert done.expires_at == datetime.fromtimestamp(1780100000, tz=UTC)
    failed = relay.parse_task(golden("relay_poll_failed"), {}, "relay")
    assert failed.status is TaskStatus.FAILED and failed.error and "too small" in failed.error.message


@pytest.mark.parametrize(
    ("raw", "expected"), [(30, 0.3), ("30%", 0.3), ("100%", 1.0), (None, None), ("x", None)]
)
def test_progress(raw: object, expected: float | None) -> None:
    assert _common.progress_of(raw) == (pytest.approx(expected) if expected is not None else None)


def test_task_list_and_upload_policy() -> None:
    tasks = native.parse_task_list(golden("native_task_list"), "dashscope")
    assert [(t.id, t.status) for t in tasks] == [("t-1", TaskStatus.SUCCEEDED), ("t-2", TaskStatus.RUNNING)]
    policy = native.parse_upload_policy(golden("native_upload_policy"))
    assert policy.upload_host.startswith("https://dashscope-file")
    form = native.upload_form(policy, "cat.png")
    assert form["key"] == "dashscope-instant/abc/2024-07-18/xyz/cat.png"
    assert form["OSSAccessKeyId"] == "LTAI-test" and form["success_action_status"] == "200"
    assert native.oss_url(policy, "cat.png") == "oss://dashscope-instant/abc/2024-07-18/xyz/cat.png"
    # The native dialect's uploads are this module; its names stay reachable on native (notebook 03).
    assert native.uploads is oss_upload and native.upload_form is oss_upload.upload_form


# --- errors -------------------------------------------------------------------------------------------------


def test_native_flat_error() -> None:
    error = native.parse_error(401, golden("native_error_401"), {}, hint="check DASHSCOPE_API_KEY")
    assert isinstance(error, AuthenticationError)
    assert (error.code, error.request_id) == ("InvalidApiKey", "fb53c4ec-1c12-4fc4-a580-cdb7c3261fc1")
    assert str(error).startswith("401 InvalidApiKey: Invalid API-key provided. (request_id=fb53c4ec")
    assert "DASHSCOPE_API_KEY" in str(error)


def test_gateway_error_shapes() -> None:
    missing = unified.parse_error(400, golden("unified_error_newapi"), {"X-Oneapi-Request-Id": "r9"})
    assert isinstance(missing, NotFoundError) and missing.request_id == "r9"  # HTTP 400 task_not_exist
    early = unified.parse_error(400, golden("unified_error_openai"), {})
    assert type(early) is APIError and early.code == "invalid_request_error" and "IN_PROGRESS" in str(early)


@pytest.mark.parametrize(
    ("status", "headers", "cls", "retry_after"),
    [
        (429, {"Retry-After": "7"}, RateLimitError, 7.0),
        (429, {"retry-after-ms": "1500"}, RateLimitError, 1.5),
        (500, {}, ServerError, None),
        (503, {}, ServerError, None),
        (403, {}, AuthenticationError, None),
        (404, {}, NotFoundError, None),
    ],
)
def test_status_picks_class(
    status: int, headers: dict[str, str], cls: type[APIError], retry_after: float | None
) -> None:
    error = native.parse_error(status, {"code": "X", "message": "m", "request_id": "r"}, headers)
    assert type(error) is cls
    if retry_after is not None:
        assert isinstance(error, RateLimitError) and error.retry_after == retry_after


def test_non_json_error_body_is_kept_short() -> None:
    error = relay.parse_error(502, "<html>" + "x" * 1000, {})
    assert isinstance(error, ServerError) and error.code is None and len(error.message or "") == 300
    assert (error.message or "").endswith("…") and "<html>" not in str(error)


# --- VideoRequest → wire ------------------------------------------------------------------------------------


def test_native_wan27_body_and_headers() -> None:
    request = VideoRequest(
        prompt="rap under a bridge",
        first_frame=IMG,
        driving_audio="oss://dashscope-instant/a/voice.mp3",
        negative_prompt="blur",
        resolution="1080P",
        duration=10,
        seed=42,
        prompt_extend=True,
        watermark=False,
    )
    urls = {"first_frame": IMG, "driving_audio": "oss://dashscope-instant/a/voice.mp3"}
    call = native.create_call(request, urls)
    assert (call.method, call.path) == ("POST", "/api/v1/services/aigc/video-generation/video-synthesis")
    assert call.headers["X-DashScope-Async"] == "enable"
    assert call.headers["X-DashScope-OssResourceResolve"] == "enable"
    assert "Authorization" not in call.headers
    assert call.json == {
        "model": "wan2.7-i2v",
        "input": {
            "prompt": "rap under a bridge",
            "negative_prompt": "blur",
            "media": [
                {"type": "first_frame", "url": IMG},
                {"type": "driving_audio", "url": urls["driving_audio"]},
            ],
        },
        "parameters": {
            "resolution": "1080P",
            "duration": 10,
            "prompt_extend": True,
            "watermark": False,
            "seed": 42,
        },
    }


def test_native_defaults_and_no_resolve_header_without_oss() -> None:
    call = native.create_call(VideoRequest(first_frame=IMG), {"first_frame": IMG})
    assert "X-DashScope-OssResourceResolve" not in call.headers
    assert call.json is not None and call.json["parameters"] == {"resolution": "720P", "duration": 5}
    assert "prompt" not in call.json["input"]  # optional for i2v; never sent empty


@pytest.mark.parametrize(
    ("size", "resolution"), [("1280x720", "720P"), ("720*1280", "720P"), ("1920x1080", "1080P")]
)
def test_native_size_maps_to_nearest_resolution(size: str, resolution: str) -> None:
    assert native.resolution_of(VideoRequest(size=size)) == resolution


def test_native_legacy_model_uses_img_url() -> None:
    request = VideoRequest(prompt="cat", model="wan2.6-i2v", audio=True)
    call = native.create_call(request, {"first_frame": IMG, "driving_audio": "https://e/a.mp3"})
    assert call.json is not None
    assert call.json["input"] == {"prompt": "cat", "img_url": IMG, "audio_url": "https://e/a.mp3"}
    assert call.json["parameters"]["audio"] is True


def test_unified_body_matches_seed() -> None:
    request = VideoRequest(prompt="walk two steps", first_frame=IMG, duration=5, audio=False, seed=7)
    call = unified.create_call(request, {"first_frame": IMG})
    assert (call.method, call.path) == ("POST", "/v1/videos")
    assert call.json == {
        "model": "wan2.7-i2v",
        "prompt": "walk two steps",
        "size": "1280x720",
        "seconds": "5",  # a string on this wire (seed 000)
        "input_reference": {
            "content": [{"type": "image_url", "role": "first_frame", "image_url": {"url": IMG}}],
        },
        "generate_audio": False,
        "seed": 7,
    }
    assert (
        unified.create_call(VideoRequest(resolution="1080P"), {"first_frame": IMG}).json["size"]
        == "1920x1080"
    )  # type: ignore[index]


def test_relay_create_and_poll_calls() -> None:
    call = relay.create_call(VideoRequest(first_frame=IMG), {"first_frame": IMG})
    assert call.path == "/wan/api/v1/services/aigc/video-generation/video-synthesis"
    assert call.headers["X-DashScope-Async"] == "enable"
    assert relay.get_call("t1").path == "/v1/tasks/t1"
    assert relay.cancel_call("t1") is None and relay.content_call("t1") is None


def test_routes() -> None:
    assert native.get_call("t").path == "/api/v1/tasks/t"
    cancel = native.cancel_call("t")
    assert cancel is not None and (cancel.method, cancel.path) == ("POST", "/api/v1/tasks/t/cancel")
    assert unified.cancel_call("t") is None
    content = unified.content_call("t")
    assert content is not None and content.path == "/v1/videos/t/content"
    listing = native.list_call(status="SUCCEEDED", page_size=50)
    assert listing.params == {"page_no": "1", "page_size": "50", "status": "SUCCEEDED"}
    assert native.upload_policy_call("wan2.7-i2v").params == {"action": "getPolicy", "model": "wan2.7-i2v"}


def test_dialect_lookup() -> None:
    assert dialect("native") is native and dialect("relay") is relay
    assert dialect("unified") is unified and list(DIALECTS) == ["unified", "native", "relay"]
    assert all(
        isinstance(wire, Dialect) and wire.capabilities.name == name for name, wire in DIALECTS.items()
    )
    assert not isinstance(_common, Dialect)  # a module without the members is no dialect
    with pytest.raises(ValueError, match="unified, native, relay"):
        dialect("grpc")


@pytest.mark.parametrize("name", ["unified", "native", "relay"])
def test_declared_capabilities_match_what_the_dialect_builds(name: str) -> None:
    wire = dialect(name)
    caps = wire.capabilities
    assert caps.can_cancel == (wire.cancel_call("t") is not None)
    assert caps.can_list == (wire.list_call() is not None)
    assert caps.accepts_oss == (caps.local_media == "oss_upload") == (wire.uploads is not None)
    if not caps.can_list:
        with pytest.raises(NotImplementedError, match="has no task list"):
            wire.parse_task_list({"tasks": []}, "x")
    urls = {"first_frame": IMG}
    body = wire.create_call(VideoRequest(first_frame=IMG, resolution="720P"), urls).json or {}
    shape = "size" if "size" in body else "resolution"
    assert caps.shape == shape and {"prompt", "first_frame", "duration", "seed"} <= caps.carries


def test_the_relay_polls_no_faster_than_every_three_seconds_and_cannot_cancel() -> None:
    caps = relay.capabilities
    assert caps.poll_floor == 3.0 and not caps.can_cancel and not caps.can_list  # protocol.md §3
    assert dialect("native").capabilities.poll_floor == 0.0 and dialect("native").capabilities.can_cancel
    gateway = unified.capabilities
    assert "last_frame" not in gateway.carries and "driving_audio" not in gateway.carries


def test_capabilities_refuse_a_field_the_model_does_not_have() -> None:
    with pytest.raises(ValueError, match="unknown request fields"):
        Capabilities("x", False, False, "data_uri", frozenset({"colour"}), "size", 0.0)


@pytest.mark.parametrize(
    ("request_", "resolution"),
    [
        (VideoRequest(model="wan2.2-i2v-plus"), "1080P"),  # offers only 480P/1080P: its own default
        (VideoRequest(model="wan2.5-i2v-preview", size="640x480"), "480P"),
        (VideoRequest(model="wan2.7-i2v-2026-04-25"), "720P"),
    ],
)
def test_resolution_follows_the_model_table(request_: VideoRequest, resolution: str) -> None:
    assert native.resolution_of(request_) == resolution

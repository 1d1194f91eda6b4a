"""The unified gateway (``/v1/videos``) and the relay (``/wan/...`` create, flat ``/v1/tasks/{id}``)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.sim import (
    ASYNC,
    AUTH,
    NATIVE_CREATE,
    FakeClock,
    client,
    data_uri,
    native_body,
    png_bytes,
    probe,
    sim,
)


def unified_body(**changes: Any) -> dict[str, Any]:
    reference = {"type": "image_url", "role": "first_frame", "image_url": {"url": data_uri(png_bytes())}}
    body = {
        "model": "wan2.7-i2v",
        "prompt": "a cat turns its head",
        "size": "1280x720",
        "seconds": "2",
        "generate_audio": True,
        "seed": 7,
        "input_reference": {"content": [reference]},
    }
    return body | changes


async def _until(
    http: httpx.AsyncClient, path: str, clock: FakeClock, done: tuple[str, ...]
) -> dict[str, Any]:
    import asyncio

    for _ in range(1200):
        clock.advance(60)
        body: dict[str, Any] = (await http.get(path, headers=AUTH)).json()
        if body["status"] in done:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(path)


async def test_unified_create_and_lifecycle_and_content() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=4.0) as app:
        async with client(app) as http:
            created = await http.post("/v1/videos", json=unified_body(), headers=AUTH)
            video_id = created.json()["id"]
            early = await http.get(f"/v1/videos/{video_id}/content", headers=AUTH)
            clock.advance(2)
            running = (await http.get(f"/v1/videos/{video_id}", headers=AUTH)).json()
            done = await _until(http, f"/v1/videos/{video_id}", clock, ("SUCCESS", "FAILURE"))
            content = await http.get(f"/v1/videos/{video_id}/content", headers=AUTH)
            ranged = await http.get(f"/v1/videos/{video_id}/content", headers=AUTH | {"Range": "bytes=0-99"})
    body = created.json()
    assert created.status_code == 200
    assert video_id.startswith("task_") and len(video_id) == 37
    assert (body["object"], body["status"], body["size"], body["seconds"]) == (
        "video",
        "QUEUED",
        "1280x720",
        "2",
    )
    assert body["progress"] == 0 and isinstance(body["created_at"], int)
    assert early.status_code == 400
    assert early.json() == {
        "error": {
            "message": "Task is not completed yet, current status: QUEUED",
            "type": "invalid_request_error",
        }
    }
    assert running["status"] == "IN_PROGRESS" and 0 < running["progress"] < 100
    assert done["status"] == "SUCCESS" and done["progress"] == 100
    assert done["metadata"]["url"].startswith("http://sim.localhost/results/")
    assert done["completed_at"] >= done["created_at"] and done["expires_at"] > done["completed_at"]
    assert content.headers["content-type"] == "video/mp4"
    assert probe(content.content)["size"] == (1280, 720)
    assert ranged.status_code == 206 and len(ranged.content) == 100


async def test_unified_unknown_id_is_400_task_not_exist() -> None:
    with sim() as app:
        async with client(app) as http:
            answer = await http.get("/v1/videos/task_nope", headers=AUTH)
            content = await http.get("/v1/videos/task_nope/content", headers=AUTH)
    assert answer.status_code == 400
    assert answer.json() == {"code": "task_not_exist", "message": "task_not_exist", "data": None}
    assert content.status_code == 404 and "error" in content.json()


@pytest.mark.parametrize(
    ("changes", "code", "fragment"),
    [
        ({"content": [{"type": "text", "text": "x"}]}, "invalid_request", "Top-level content"),
        ({"model": ""}, "missing_model", "model is required"),
        ({"prompt": "  "}, "invalid_request", "prompt is required"),
        ({"input_reference": {"content": []}}, "invalid_request", "requires image"),
        ({"seconds": "16"}, "InvalidParameter", "between 2 and 15"),
        ({"seconds": "five"}, "invalid_request", "invalid seconds"),
        ({"size": "640x360"}, "InvalidParameter", "parameters.resolution"),
        ({"model": "wan9"}, "InvalidParameter", "Model not exist."),
    ],
)
async def test_unified_errors_use_the_gateway_task_error_shape(changes, code, fragment) -> None:  # type: ignore[no-untyped-def]
    with sim() as app:
        async with client(app) as http:
            answer = await http.post("/v1/videos", json=unified_body(**changes), headers=AUTH)
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"code", "message", "data"} and body["data"] is None
    assert body["code"] == code and fragment in body["message"]


async def test_unified_sizes_and_other_image_fields() -> None:
    clock = FakeClock()
    image = data_uri(png_bytes())
    with sim(clock=clock, inspection_rate=1.0) as app:
        async with client(app) as http:
            bodies = [
                unified_body(size="1920x1080"),
                unified_body(size="720p", input_reference=image),
                {"model": "wan2.7-i2v", "prompt": "p", "image": image, "duration": 3, "size": "1080P"},
            ]
            answers = [await http.post("/v1/videos", json=body, headers=AUTH) for body in bodies]
            clock.advance(30)
            failed = (await http.get(f"/v1/videos/{answers[0].json()['id']}", headers=AUTH)).json()
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[2].json()["seconds"] == "3"
    assert failed["status"] == "FAILURE"
    assert failed["error"]["code"] == "DataInspectionFailed"


async def test_unified_auth_error_is_openai_shaped() -> None:
    with sim() as app:
        async with client(app) as http:
            answer = await http.post("/v1/videos", json=unified_body())
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "No API-key provided."


async def test_relay_create_and_flat_poll() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=4.0) as app:
        async with client(app) as http:
            created = await http.post("/wan" + NATIVE_CREATE, json=native_body(), headers=ASYNC)
            task_id = created.json()["output"]["task_id"]
            first = (await http.get(f"/v1/tasks/{task_id}", headers=AUTH)).json()
            clock.advance(2)
            second = (await http.get(f"/v1/tasks/{task_id}", headers=AUTH)).json()
            done = await _until(http, f"/v1/tasks/{task_id}", clock, ("completed", "failed"))
            video = await http.get(done["result_url"])
            native_view = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()
    assert created.json()["output"]["task_status"] == "PENDING"
    assert first == {"task_id": task_id, "status": "submitted", "progress": 0}
    assert second["status"] == "in_progress" and 0 < second["progress"] < 100
    assert done["status"] == "completed" and done["progress"] == 100
    assert "Expires=" in done["result_url"] and "Signature=" in done["result_url"]
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert native_view["output"]["task_status"] == "SUCCEEDED"


async def test_relay_failed_and_unknown() -> None:
    clock = FakeClock()
    body = native_body()
    body["input"]["prompt"] = "[sim:inspection]"
    with sim(clock=clock) as app:
        async with client(app) as http:
            refused = await http.post("/wan" + NATIVE_CREATE, json=body, headers=AUTH)
            task_id = (await http.post("/wan" + NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"][
                "task_id"
            ]
            clock.advance(30)
            failed = (await http.get(f"/v1/tasks/{task_id}", headers=AUTH)).json()
            unknown = await http.get(f"/v1/tasks/{uuid.uuid4()}", headers=AUTH)
    assert refused.status_code == 403 and refused.json()["code"] == "AccessDenied"
    assert failed["status"] == "failed"
    assert failed["error"].startswith("DataInspectionFailed: ")
    assert unknown.status_code == 400 and unknown.json()["code"] == "task_not_exist"

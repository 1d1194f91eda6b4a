"""The native DashScope dialect, route by route (protocol.md §2, native.md §1-3)."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.fixtures.sim import (
    ASYNC,
    AUTH,
    KEY,
    NATIVE_CREATE,
    FakeClock,
    client,
    data_uri,
    native_body,
    png_bytes,
    sim,
    wait_final,
)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")


async def test_create_answers_pending_with_ids() -> None:
    with sim() as app:
        async with client(app) as http:
            answer = await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
    assert answer.status_code == 200
    body = answer.json()
    assert body["output"]["task_status"] == "PENDING"
    uuid.UUID(body["request_id"])
    uuid.UUID(body["output"]["task_id"])


async def test_create_without_async_header_is_refused_like_upstream() -> None:
    with sim() as app:
        async with client(app) as http:
            answer = await http.post(NATIVE_CREATE, json=native_body(), headers=AUTH)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["code"] == "AccessDenied"
    assert body["message"] == "current user api does not support synchronous calls"
    assert set(body) == {"code", "message", "request_id"}


async def test_task_moves_pending_running_succeeded_with_wire_fields() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=4.0) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            pending = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()
            clock.advance(2)
            running = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()
            done = await wait_final(http, task_id, clock)
    assert pending["output"]["task_status"] == "PENDING"
    assert "scheduled_time" not in pending["output"]
    assert running["output"]["task_status"] == "RUNNING"
    assert TIMESTAMP.match(running["output"]["scheduled_time"])
    output = done["output"]
    assert output["task_status"] == "SUCCEEDED"
    assert all(TIMESTAMP.match(output[name]) for name in ("submit_time", "scheduled_time", "end_time"))
    assert output["orig_prompt"] == "a cat"
    assert output["video_url"].startswith("http://sim.localhost/results/")
    assert "Expires=" in output["video_url"] and "Signature=" in output["video_url"]
    assert done["usage"] == {
        "duration": 2,
        "input_video_duration": 0,
        "output_video_duration": 2,
        "video_count": 1,
        "SR": 720,
    }


async def test_trailing_slash_and_unknown_id_answer_200_unknown() -> None:
    with sim() as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            slashed = await http.get(f"/api/v1/tasks/{task_id}/", headers=AUTH)
            unknown = await http.get(f"/api/v1/tasks/{uuid.uuid4()}", headers=AUTH)
    assert slashed.status_code == 200 and slashed.json()["output"]["task_id"] == task_id
    assert unknown.status_code == 200
    assert unknown.json()["output"]["task_status"] == "UNKNOWN"


async def test_task_older_than_a_day_is_unknown() -> None:
    clock = FakeClock()
    with sim(clock=clock, inspection_rate=1.0) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            clock.advance(25 * 3600)
            answer = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()
    assert answer["output"]["task_status"] == "UNKNOWN"


async def test_failed_task_is_http_200_with_output_code() -> None:
    clock = FakeClock()
    body = native_body()
    body["input"]["prompt"] = "a cat [sim:inspection]"
    with sim(clock=clock) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=body, headers=ASYNC)).json()["output"]["task_id"]
            clock.advance(10)
            answer = await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)
    assert answer.status_code == 200
    output = answer.json()["output"]
    assert output["task_status"] == "FAILED"
    assert output["code"] == "DataInspectionFailed"
    assert output["message"] == "Input or output data may contain inappropriate content."
    assert "video_url" not in output


async def test_internal_error_scenario_by_header() -> None:
    clock = FakeClock()
    with sim(clock=clock) as app:
        async with client(app) as http:
            headers = ASYNC | {"X-Sim-Scenario": "internal"}
            task_id = (await http.post(NATIVE_CREATE, json=native_body(), headers=headers)).json()["output"][
                "task_id"
            ]
            clock.advance(10)
            output = (await http.get(f"/api/v1/tasks/{task_id}", headers=AUTH)).json()["output"]
    assert (output["task_status"], output["code"]) == ("FAILED", "InternalError")


async def test_cancel_only_while_pending() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=4.0, inspection_rate=1.0) as app:
        async with client(app) as http:
            first = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            canceled = await http.post(f"/api/v1/tasks/{first}/cancel", headers=AUTH)
            state = (await http.get(f"/api/v1/tasks/{first}", headers=AUTH)).json()["output"]
            second = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            clock.advance(2)
            refused = await http.post(f"/api/v1/tasks/{second}/cancel", headers=AUTH)
    assert canceled.status_code == 200 and "request_id" in canceled.json()
    assert state["task_status"] == "CANCELED"
    assert refused.status_code == 400
    assert refused.json()["code"] == "UnsupportedOperation"


@pytest.mark.parametrize(
    ("mutate", "code", "message"),
    [
        (lambda b: b["input"].pop("media"), "InvalidParameter", "Field required: input.media"),
        (lambda b: b.update(model="wan9-i2v"), "InvalidParameter", "Model not exist."),
        (lambda b: b.pop("model"), "BadRequest.EmptyModel", None),
        (lambda b: b.pop("input"), "BadRequest.EmptyInput", None),
        (lambda b: b["parameters"].update(duration=16), "InvalidParameter", "between 2 and 15"),
        (lambda b: b["parameters"].update(duration=1), "InvalidParameter", "between 2 and 15"),
        (lambda b: b["parameters"].update(duration="5"), "InvalidParameter", "valid integer"),
        (lambda b: b["parameters"].update(resolution="480P"), "InvalidParameter", "parameters.resolution"),
        (lambda b: b["input"].update(prompt="x" * 5001), "InvalidParameter", "at most 5000"),
        (lambda b: b["input"].update(negative_prompt="x" * 501), "InvalidParameter", "at most 500"),
        (lambda b: b["parameters"].update(seed=-1), "InvalidParameter", "parameters.seed"),
        (
            lambda b: b["input"]["media"].append({"type": "first_clip", "url": "https://e/x.mp4"}),
            "InvalidParameter",
            "combination",
        ),
        (
            lambda b: b["input"]["media"].append({"type": "first_frame", "url": "https://e/x.png"}),
            "InvalidParameter",
            "at most once",
        ),
        (lambda b: b["input"]["media"][0].update(type="video"), "InvalidParameter", "input.media.0.type"),
        (lambda b: b["input"]["media"][0].update(url="ftp://x/y.png"), "InvalidURL", None),
        (lambda b: b.update(model="wan2.2-kf2v-flash"), "InvalidParameter", "url error, please check url!"),
    ],
)
async def test_validation_errors_are_flat_400s(mutate, code, message) -> None:  # type: ignore[no-untyped-def]
    body = native_body()
    mutate(body)
    with sim() as app:
        async with client(app) as http:
            answer = await http.post(NATIVE_CREATE, json=body, headers=ASYNC)
    assert answer.status_code == 400
    error = answer.json()
    assert set(error) == {"code", "message", "request_id"}
    assert error["code"] == code
    assert message is None or message in error["message"]
    assert app.stats.creates.total() == 0


async def test_older_img_url_body_with_sdk_quirks() -> None:
    """dashscope 1.x adds extend_prompt/function and sends charset in Content-Type (native.md §5.4)."""
    body = {
        "model": "wan2.6-i2v",
        "parameters": {},
        "input": {
            "prompt": "y",
            "extend_prompt": True,
            "function": "video-synthesis",
            "img_url": data_uri(png_bytes()),
        },
    }
    headers = ASYNC | {"Content-Type": "application/json; charset=utf-8"}
    clock = FakeClock()
    with sim(clock=clock, inspection_rate=0.0) as app:
        async with client(app) as http:
            import json

            answer = await http.post(NATIVE_CREATE, content=json.dumps(body).encode(), headers=headers)
            assert answer.status_code == 200, answer.text
            missing = await http.post(
                NATIVE_CREATE, json={"model": "wan2.6-i2v", "input": {"prompt": "y"}}, headers=ASYNC
            )
    assert missing.json()["message"] == "Field required: input.img_url"


async def test_dated_snapshot_model_is_accepted() -> None:
    body = native_body()
    body["model"] = "wan2.7-i2v-2026-04-25"
    with sim(inspection_rate=1.0) as app:
        async with client(app) as http:
            answer = await http.post(NATIVE_CREATE, json=body, headers=ASYNC)
    assert answer.status_code == 200


async def test_list_with_filters_and_paging() -> None:
    clock = FakeClock()
    with sim(clock=clock, inspection_rate=1.0) as app:
        async with client(app) as http:
            ids = []
            for _ in range(3):
                answer = await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
                ids.append(answer.json()["output"]["task_id"])
                clock.advance(1)
            page = (
                await http.get("/api/v1/tasks", params={"page_no": 1, "page_size": 2}, headers=AUTH)
            ).json()
            failed = (await http.get("/api/v1/tasks", params={"status": "FAILED"}, headers=AUTH)).json()
            clock.advance(10)
            by_model = await http.get(
                "/api/v1/tasks", params={"model_name": "wan2.7-i2v", "status": "FAILED"}, headers=AUTH
            )
            other_model = (
                await http.get("/api/v1/tasks", params={"model_name": "wan2.6-i2v"}, headers=AUTH)
            ).json()
    assert (page["page_no"], page["page_size"], page["total"]) == (1, 2, 3)
    assert [task["task_id"] for task in page["tasks"]] == ids[::-1][:2]
    assert "request_id" in page
    assert failed["total"] == 0
    assert by_model.json()["total"] == 3
    assert other_model["total"] == 0


async def test_list_time_window_in_china_time() -> None:
    clock = FakeClock(now=1_780_000_000.0)  # 2026-05-28 20:26:40 UTC = 2026-05-29 04:26:40 China time
    with sim(clock=clock, inspection_rate=1.0) as app:
        async with client(app) as http:
            await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)
            inside = {"start_time": "20260529040000", "end_time": "20260529050000"}
            outside = {"start_time": "20260528200000", "end_time": "20260528210000"}
            hit = (await http.get("/api/v1/tasks", params=inside, headers=AUTH)).json()
            miss = (await http.get("/api/v1/tasks", params=outside, headers=AUTH)).json()
    assert (hit["total"], miss["total"]) == (1, 0)


async def test_key_checking_any_key_and_fixed_key() -> None:
    with sim() as app:
        async with client(app) as http:
            missing = await http.post(
                NATIVE_CREATE, json=native_body(), headers={"X-DashScope-Async": "enable"}
            )
            anyone = await http.get(
                f"/api/v1/tasks/{uuid.uuid4()}", headers={"Authorization": "Bearer whatever"}
            )
    assert missing.status_code == 401
    assert missing.json()["code"] == "InvalidApiKey"
    assert missing.json()["message"] == "No API-key provided."
    assert anyone.status_code == 200
    with sim(api_key=KEY) as app:
        async with client(app) as http:
            wrong = await http.get(
                f"/api/v1/tasks/{uuid.uuid4()}", headers={"Authorization": "Bearer sk-other"}
            )
            right = await http.get(f"/api/v1/tasks/{uuid.uuid4()}", headers=AUTH)
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Invalid API-key provided.")
    assert right.status_code == 200
    with sim(api_key=KEY) as app:
        async with client(app) as http:
            schemes = {
                scheme: await http.get("/api/v1/tasks/x", headers={"Authorization": scheme + KEY})
                for scheme in ("", "Basic ", "Token ", "bearer ")
            }
            gateway = await http.get("/v1/videos/x", headers={"Authorization": KEY})
    assert {scheme: answer.status_code for scheme, answer in schemes.items()} == {
        "": 401,
        "Basic ": 401,
        "Token ": 401,
        "bearer ": 200,  # the scheme is case-insensitive (RFC 7235 §2.1)
    }
    assert schemes[""].json()["code"] == "InvalidApiKey"
    assert gateway.status_code == 401 and gateway.json()["error"]["code"] == "invalid_api_key"
    with sim(require_key=False) as app:
        async with client(app) as http:
            open_door = await http.get(f"/api/v1/tasks/{uuid.uuid4()}")
    assert open_door.status_code == 200


async def test_unknown_paths_answer_like_each_service() -> None:
    """DashScope: 400 InvalidParameter "url error, please check url!" (native.md §2, §7); the gateway: 404."""
    with sim() as app:
        async with client(app) as http:
            wrong_path = await http.post("/api/v1/services/aigc/image2video/video-synthesis", headers=ASYNC)
            wrong_method = await http.get(NATIVE_CREATE, headers=AUTH)
            relay = await http.get("/wan/api/v1/nothing", headers=AUTH)
            gateway = await http.get("/v1/nothing", headers=AUTH)
            storage = await http.post("/results/x.mp4")
    for answer in (wrong_path, wrong_method, relay):
        assert answer.status_code == 400
        assert answer.json()["code"] == "InvalidParameter"
        assert answer.json()["message"] == "url error, please check url!"
        assert set(answer.json()) == {"code", "message", "request_id"}
    assert gateway.status_code == 404 and gateway.json()["error"]["type"] == "invalid_request_error"
    assert storage.status_code == 405 and b"<Code>MethodNotAllowed</Code>" in storage.content
    assert app.stats.requests["unmatched"] == 5

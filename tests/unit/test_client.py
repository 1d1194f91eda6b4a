"""AsyncWanClient over httpx.MockTransport: errors, no create retry, uploads, cancel, map, list, secrets."""

from __future__ import annotations

import asyncio
import builtins
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.client_fakes import (
    CANARY,
    REQUEST,
    STORAGE,
    VIDEO,
    FakeService,
    FakeTime,
    json_response,
    make_client,
    png,
    upload_service,
)
from wan_nb import assets, media
from wan_nb.client import AsyncWanClient, BatchItem, Journal
from wan_nb.errors import (
    APIError,
    AuthenticationError,
    InvalidResponse,
    NotFoundError,
    RateLimitError,
    ServerError,
    TaskFailed,
    TransportError,
    ValidationError,
    WanError,
)
from wan_nb.models import TaskStatus, VideoRequest

NATIVE_CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"

# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "status", "body", "kind", "code", "message", "request_id"),
    [
        (
            "dashscope",
            400,
            {"code": "InvalidParameter", "message": "bad duration", "request_id": "r1"},
            APIError,
            "InvalidParameter",
            "bad duration",
            "r1",
        ),
        (
            "dashscope",
            401,
            {"code": "InvalidApiKey", "message": "Invalid API-key provided.", "request_id": "r2"},
            AuthenticationError,
            "InvalidApiKey",
            "Invalid API-key provided.",
            "r2",
        ),
        (
            "dashscope",
            429,
            {"code": "Throttling.RateQuota", "message": "slow down", "request_id": "r3"},
            RateLimitError,
            "Throttling.RateQuota",
            "slow down",
            "r3",
        ),
        (
            "dashscope",
            500,
            {"code": "InternalError", "message": "oops", "request_id": "r4"},
            ServerError,
            "InternalError",
            "oops",
            "r4",
        ),
        (
            "gateway",
            400,
            {"code": "task_not_exist", "message": "task_not_exist", "data": None},
            NotFoundError,
            "task_not_exist",
            "task_not_exist",
            None,
        ),
        (
            "gateway",
            403,
            {"error": {"message": "no access", "type": "invalid_request_error", "code": "forbidden"}},
            AuthenticationError,
            "forbidden",
            "no access",
            None,
        ),
        ("relay", 502, "<html>Bad Gateway</html>", ServerError, None, "Bad Gateway", None),
    ],
)
async def test_error_shapes_map_to_classes(
    provider: str,
    status: int,
    body: Any,
    kind: type[APIError],
    code: str | None,
    message: str,
    request_id: str | None,
) -> None:
    answer = json_response(status, body) if isinstance(body, dict) else httpx.Response(status, text=body)
    async with make_client(lambda request: answer, provider=provider, max_retries=0) as client:
        with pytest.raises(kind) as caught:
            await client.get("t1")
    error = caught.value
    assert (error.status_code, error.code, error.message, error.request_id) == (
        status,
        code,
        message,
        request_id,
    )


async def test_request_id_from_the_header_when_the_body_has_none() -> None:
    answer = json_response(404, {"error": {"message": "gone"}}, [("x-request-id", "hdr-1")])
    async with make_client(lambda request: answer, provider="gateway") as client:
        with pytest.raises(NotFoundError, match="request_id=hdr-1"):
            await client.get("t1")


async def test_auth_errors_carry_a_hint_with_region_and_variable() -> None:
    answer = json_response(401, {"code": "InvalidApiKey", "message": "Invalid API-key provided."})
    async with make_client(lambda request: answer, provider="dashscope-intl") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get("t1")
    hint = caught.value.hint or ""
    assert "DASHSCOPE_API_KEY" in hint and "ap-southeast-1" in hint and "region" in hint
    assert "dashscope-us" in hint and hint in str(caught.value)


async def test_rate_limit_carries_retry_after() -> None:
    answer = json_response(429, {"code": "Throttling", "message": "later"}, [("Retry-After", "90")])
    async with make_client(lambda request: answer) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.submit(REQUEST)
    assert caught.value.retry_after == 90


async def test_httpx_errors_never_escape_raw() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("name resolution failed")

    async with make_client(handler, max_retries=1) as client:
        with pytest.raises(TransportError) as caught:
            await client.get("t1")
    assert "ConnectError: name resolution failed" in str(caught.value) and caught.value.sent is False
    # Not chained: the httpx error's .request carries the Authorization header.
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert caught.value.method == "GET" and "/api/v1/tasks/t1" in caught.value.url


@pytest.mark.parametrize("bad", ["", "  ", "a\nb", "x" * 257, "tab\there"])
async def test_a_task_id_that_cannot_be_one_is_refused_before_any_request(bad: str) -> None:
    seen: list[httpx.Request] = []
    async with make_client(lambda request: seen.append(request) or json_response(200, {})) as client:
        with pytest.raises(ValidationError, match=r"^task_id: "):
            await client.get(bad)
        with pytest.raises(ValidationError, match=r"^task_id: "):
            await client.cancel(bad)
    assert seen == []


async def test_a_task_id_stays_one_path_segment() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return json_response(200, {"output": {"task_id": "x", "task_status": "RUNNING"}})

    async with make_client(handler, max_retries=0) as client:
        await client.get("../../uploads?action=getPolicy")
        await client.cancel("../services/aigc/video-generation/video-synthesis?")
    assert seen == [
        "/api/v1/tasks/..%2F..%2Fuploads%3Faction%3DgetPolicy",
        "/api/v1/tasks/..%2Fservices%2Faigc%2Fvideo-generation%2Fvideo-synthesis%3F/cancel",
        "/api/v1/tasks/..%2Fservices%2Faigc%2Fvideo-generation%2Fvideo-synthesis%3F",
    ]


# --- submit ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (VideoRequest(prompt="x", model="wan2.7-i2v"), "first_frame"),
        (VideoRequest(prompt="x", first_frame="https://e.com/a.png", duration=20), "duration"),
        (VideoRequest(prompt="x", first_frame="ftp://e.com/a.png"), "first_frame"),
    ],
)
async def test_validation_happens_before_any_request(request_: VideoRequest, field: str) -> None:
    service = FakeService()
    async with make_client(service) as client:
        with pytest.raises(ValidationError) as caught:
            await client.submit(request_)
    assert caught.value.field == field and service.requests == []


async def test_native_only_fields_refused_on_the_gateway_before_any_request() -> None:
    service = FakeService(dialect="unified")
    async with make_client(service, provider="gateway") as client:
        with pytest.raises(ValidationError, match="last_frame"):
            await client.submit(
                VideoRequest(prompt="x", first_frame="https://e.com/a.png", last_frame="https://e.com/b.png")
            )
    assert service.requests == []


async def test_submit_sends_one_create_with_the_key() -> None:
    service = FakeService()
    async with make_client(service) as client:
        task = await client.submit(REQUEST)
    assert (task.id, task.status, task.provider) == ("task-1", TaskStatus.QUEUED, "dashscope")
    (create,) = service.requests
    assert create.url == f"https://dashscope.aliyuncs.com{NATIVE_CREATE}"
    assert (
        create.headers["authorization"] == f"Bearer {CANARY}"
        and create.headers["x-dashscope-async"] == "enable"
    )


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("reset"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("closed"),
        ConnectionResetError("asgi"),
    ],
)
async def test_a_create_that_may_have_landed_is_never_retried(failure: Exception) -> None:
    service = FakeService(overrides={("POST", NATIVE_CREATE): [failure]})
    async with make_client(service) as client:
        with pytest.raises(TransportError, match="may or may not have reached the server") as caught:
            await client.submit(REQUEST)
    assert len(service.seen("POST")) == 1
    assert "list_tasks" in str(caught.value)


async def test_a_create_that_could_not_connect_says_it_is_safe_to_repeat() -> None:
    service = FakeService(overrides={("POST", NATIVE_CREATE): [httpx.ConnectError("refused")]})
    async with make_client(service) as client:
        with pytest.raises(TransportError, match="no task was created"):
            await client.submit(REQUEST)
    assert len(service.seen("POST")) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_a_create_answered_with_a_transient_status_is_not_retried(status: int) -> None:
    answer = json_response(status, {"code": "X", "message": "x"}, [("Retry-After", "1")])
    service = FakeService(overrides={("POST", NATIVE_CREATE): [answer]})
    async with make_client(service) as client:
        with pytest.raises(APIError):
            await client.submit(REQUEST)
    assert len(service.seen("POST")) == 1


async def test_a_create_answer_without_an_id_is_an_error() -> None:
    answer = json_response(200, {"request_id": "r", "output": {"task_status": "PENDING"}})
    service = FakeService(overrides={("POST", NATIVE_CREATE): [answer]})
    async with make_client(service) as client:
        with pytest.raises(InvalidResponse, match=r"no task id.*a task may exist"):
            await client.submit(REQUEST)


async def test_get_retries_transient_failures_then_succeeds() -> None:
    time = FakeTime()
    service = FakeService(
        overrides={("GET", "/api/v1/tasks/task-1"): [httpx.Response(503), httpx.ConnectError("x")]}
    )
    async with make_client(service, time) as client:
        task = await client.submit(REQUEST)
        assert (await client.get(task)).status is TaskStatus.RUNNING
    assert len(service.seen("GET")) == 3 and len(time.sleeps) == 2


# --- uploads ---------------------------------------------------------------------------------------------


async def test_native_local_files_go_through_the_temporary_upload(tmp_path: Path) -> None:
    service = upload_service()
    # two different pictures (the same content in two fields is uploaded once)
    first, last = png(tmp_path / "first frame.png"), png(tmp_path / "last.png", (256, 320))
    async with make_client(service) as client:
        await client.submit(VideoRequest(prompt="x", first_frame=first, last_frame=last))
    policy, upload = (
        service.seen("GET", "/api/v1/uploads")[0],
        service.seen("POST", host="upload.oss.example")[0],
    )
    assert (
        policy.headers["authorization"] == f"Bearer {CANARY}" and policy.url.params["model"] == "wan2.7-i2v"
    )
    assert "authorization" not in upload.headers and CANARY.encode() not in upload.content
    form = upload.content.decode("latin-1")
    names = re.findall(r'; name="([^"]+)"', form)
    assert names == [
        "key",
        "OSSAccessKeyId",
        "Signature",
        "policy",
        "x-oss-object-acl",
        "x-oss-forbid-overwrite",
        "success_action_status",
        "file",
    ]
    assert "dashscope-instant/abc/2026-01-01/xyz/first_frame.png" in form
    (create,) = service.seen("POST", NATIVE_CREATE)
    assert create.headers["x-dashscope-ossresourceresolve"] == "enable"
    body = httpx.Response(200, content=create.content).json()
    assert body["input"]["media"] == [
        {"type": "first_frame", "url": "oss://dashscope-instant/abc/2026-01-01/xyz/first_frame.png"},
        {"type": "last_frame", "url": "oss://dashscope-instant/abc/2026-01-01/xyz/last.png"},
    ]


class Reads:
    """Counts what a create reads: each open of a file, each ``data:`` URI decoded, each content sniffed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *paths: Path) -> None:
        self.opened: dict[str, int] = dict.fromkeys(map(str, paths), 0)
        self.decoded = self.sniffed = 0
        real_open, real_decode, real_sniff = builtins.open, media._decode_data_uri, media.sniff

        def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            if str(file) in self.opened:
                self.opened[str(file)] += 1
            return real_open(file, *args, **kwargs)

        def counting_decode(uri: str, field: str) -> bytes:
            self.decoded += 1
            return real_decode(uri, field)

        def counting_sniff(data: bytes) -> media.Info | None:
            self.sniffed += 1
            return real_sniff(data)

        monkeypatch.setattr(builtins, "open", counting_open)
        monkeypatch.setattr(media, "_decode_data_uri", counting_decode)
        monkeypatch.setattr(media, "sniff", counting_sniff)


async def test_a_native_create_reads_and_sniffs_each_local_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Validation reads a file (after checking its size) and sniffs it; the upload sends those bytes, typed by
    # that sniff (issue 19: each file was opened three times and sniffed twice).
    service, frame, voice = upload_service(), png(tmp_path / "frame.png"), assets.voice
    reads = Reads(monkeypatch, frame, voice)
    async with make_client(service) as client:
        await client.submit(VideoRequest(prompt="x", first_frame=frame, driving_audio=voice))
    assert reads.opened == {str(frame): 1, str(voice): 1} and reads.sniffed == 2 and reads.decoded == 0
    uploaded = [r.content for r in service.seen("POST", host="upload.oss.example")]
    assert frame.read_bytes() in uploaded[0] and b"Content-Type: image/png" in uploaded[0]
    assert voice.read_bytes() in uploaded[1] and b"Content-Type: audio/wav" in uploaded[1]


async def test_a_gateway_create_decodes_a_data_uri_once(monkeypatch: pytest.MonkeyPatch) -> None:
    service, uri = FakeService(dialect="unified"), media.to_data_uri(assets.cat.read_bytes(), "image/png")
    reads = Reads(monkeypatch)
    async with make_client(service, provider="gateway") as client:
        await client.submit(VideoRequest(prompt="x", first_frame=uri))
    assert reads.decoded == 1 and reads.sniffed == 1
    (create,) = service.seen("POST")
    assert uri in create.content.decode()  # sent as written


async def test_a_create_waiting_out_429s_uploads_its_files_once(tmp_path: Path) -> None:
    # The 429 created nothing; the oss:// URLs of the first upload stay valid for 48 h (native.md §4).
    time, service = FakeTime(), upload_service()
    throttled = json_response(429, {"code": "Throttling", "message": "busy"}, [("Retry-After", "5")])
    service.overrides[("POST", NATIVE_CREATE)] = [throttled, throttled]
    async with make_client(service, time) as client:
        task = await client.submit(VideoRequest(prompt="x", first_frame=png(tmp_path / "f.png")), patience=60)
    assert task.id and len(service.seen("POST", NATIVE_CREATE)) == 3 and time.sleeps == [5.0, 5.0]
    assert len(service.seen("GET", "/api/v1/uploads")) == 1
    assert len(service.seen("POST", host="upload.oss.example")) == 1


async def test_an_expired_upload_policy_is_reported(tmp_path: Path) -> None:
    service = upload_service()
    refusal = "<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>"
    service.overrides[("POST", "/")] = [httpx.Response(403, text=refusal)]
    async with make_client(service) as client:
        with pytest.raises(AuthenticationError, match="Policy expired") as caught:
            await client.submit(VideoRequest(prompt="x", first_frame=png(tmp_path / "a.png")))
    assert caught.value.code == "AccessDenied" and not service.seen("POST", NATIVE_CREATE)


@pytest.mark.parametrize("provider", ["gateway", "relay"])
async def test_gateway_and_relay_inline_local_files_as_data_uris(tmp_path: Path, provider: str) -> None:
    service = FakeService(dialect="unified" if provider == "gateway" else "native")
    image = png(tmp_path / "a.png")
    async with make_client(service, provider=provider) as client:
        await client.submit(VideoRequest(prompt="x", first_frame=image.read_bytes()))
    (create,) = service.seen("POST")
    text = create.content.decode()
    assert '"data:image/png;base64,iVBOR' in text
    assert not service.seen("GET", "/api/v1/uploads")


# --- cancel, list ----------------------------------------------------------------------------------------


async def test_cancel_returns_the_state_after_it() -> None:
    service = FakeService()
    async with make_client(service) as client:
        task = await client.cancel(await client.submit(REQUEST))
    assert task.status is TaskStatus.CANCELED
    assert [r.method + " " + r.url.path for r in service.requests][1:] == [
        "POST /api/v1/tasks/task-1/cancel",
        "GET /api/v1/tasks/task-1",
    ]


async def test_cancel_on_a_dialect_without_a_cancel_route_sends_nothing() -> None:
    service = FakeService(dialect="unified")
    async with make_client(service, provider="gateway") as client:
        with pytest.raises(ValidationError, match="no cancel route"):
            await client.cancel("v1")
    assert service.requests == []


async def test_list_tasks_native_only() -> None:
    service = FakeService()
    async with make_client(service) as client:
        await client.submit(REQUEST)
        (task,) = await client.list_tasks(status="RUNNING", page_size=5)
    assert task.id == "task-1" and task.provider == "dashscope"
    assert service.requests[-1].url.params["page_size"] == "5"
    async with make_client(service, provider="gateway") as client:
        with pytest.raises(ValidationError, match="native"):
            await client.list_tasks()


# --- generate and map ------------------------------------------------------------------------------------


async def test_generate_returns_the_task_with_its_file(tmp_path: Path) -> None:
    async with make_client(FakeService()) as client:
        task = await client.generate(REQUEST, out=tmp_path)
    assert task.status is TaskStatus.SUCCEEDED and task.path == tmp_path / "task-1.mp4"
    assert task.path.read_bytes() == VIDEO


async def test_map_validates_everything_before_sending_anything() -> None:
    service = FakeService()
    requests = [REQUEST, REQUEST, VideoRequest(prompt="x", first_frame="https://e.com/a.png", seed=-1)]
    async with make_client(service) as client:
        with pytest.raises(ValidationError) as caught:
            client.map(requests)
    assert caught.value.field == "requests[2].seed" and service.requests == []


async def test_map_bounds_concurrency_and_yields_every_item(tmp_path: Path) -> None:
    running, peak = 0, 0
    service = FakeService(script=("PENDING", "RUNNING", "RUNNING", "SUCCEEDED"))

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal running, peak
        if request.method == "POST":
            running += 1
            peak = max(peak, running)
        if request.url.host == STORAGE:
            running -= 1
        return service(request)

    requests = [VideoRequest(prompt=f"shot {i}", first_frame="https://e.com/a.png") for i in range(7)]
    async with make_client(handler) as client:
        items = [item async for item in client.map(requests, concurrency=3, out=tmp_path)]
    assert sorted(item.index for item in items) == list(range(7)) and all(item.ok for item in items)
    assert peak == 3
    assert {item.request.prompt for item in items if item.request} == {f"shot {i}" for i in range(7)}
    assert len(list(tmp_path.glob("*.mp4"))) == 7  # noqa: ASYNC240


async def test_map_resubmits_only_after_an_explicit_429(tmp_path: Path) -> None:
    time = FakeTime()
    throttled = json_response(
        429, {"code": "Throttling", "message": "too many tasks"}, [("Retry-After", "30")]
    )
    service = FakeService(overrides={("POST", NATIVE_CREATE): [throttled, throttled, httpx.ReadError("cut")]})
    requests = [VideoRequest(prompt="a", first_frame="https://e.com/a.png")]
    async with make_client(service, time) as client:
        (item,) = [item async for item in client.map(requests, out=tmp_path)]
    # two 429s are re-submitted after Retry-After; the transport error is not
    assert isinstance(item.error, TransportError) and item.task is None and not item.ok
    assert len(service.seen("POST")) == 3 and time.sleeps[:2] == [30.0, 30.0]


async def test_map_reports_failures_per_item(tmp_path: Path) -> None:
    service = FakeService(script=("PENDING", "FAILED"), failure=("DataInspectionFailed", "inappropriate"))
    async with make_client(service) as client:
        (item,) = [item async for item in client.map([REQUEST], out=tmp_path)]
    assert (
        isinstance(item.error, TaskFailed) and item.task is not None and item.task.status is TaskStatus.FAILED
    )
    assert item == BatchItem(0, REQUEST, item.task, item.error)


async def test_leaving_a_map_early_cancels_the_rest(tmp_path: Path) -> None:
    async with make_client(FakeService()) as client:
        batch = client.map([REQUEST] * 5, concurrency=2, out=tmp_path)
        async for _ in batch:
            break
        await batch.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0)
    assert len([t for t in asyncio.all_tasks() if "worker" in repr(t)]) == 0


# --- secrets ---------------------------------------------------------------------------------------------


async def test_the_key_never_shows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    answers = [
        json_response(401, {"code": "InvalidApiKey", "message": "bad"}),
        json_response(500, {"code": "InternalError", "message": "x"}),
        httpx.ReadError("reset"),
    ]
    journal = Journal(tmp_path / "j.sqlite3")
    for answer in answers:
        service = FakeService(overrides={("POST", NATIVE_CREATE): [answer]})
        async with make_client(service, journal=journal, max_retries=0) as client:
            try:
                await client.submit(REQUEST)
            except WanError as exc:
                errors.append(exc)
    service = FakeService(script=("PENDING", "FAILED"), failure=("E", "m"))
    async with make_client(service, journal=journal) as client:
        try:
            await client.generate(REQUEST, out=tmp_path)
        except WanError as exc:
            errors.append(exc)
        texts = [repr(client), str(client), repr(client.journal), repr(vars(client).get("_api"))]
    assert len(errors) == 4
    texts += [str(e) for e in errors] + [repr(e) for e in errors] + [caplog.text]
    texts += [
        (tmp_path / name).read_bytes().decode("latin-1")
        for name in ("j.sqlite3", "j.sqlite3-wal")
        if (tmp_path / name).exists()
    ]
    assert all(CANARY not in text for text in texts)


@pytest.mark.parametrize(
    ("provider", "path", "body"),
    [
        (
            "dashscope",
            NATIVE_CREATE,
            {"code": "InvalidApiKey", "message": f"Invalid API-key provided: {CANARY}"},
        ),
        (
            "gateway",
            "/v1/videos",
            {"error": {"message": f"Incorrect API key provided: {CANARY}.", "type": "x"}},
        ),
    ],
)
async def test_a_key_the_server_quotes_back_is_not_repeated(provider: str, path: str, body: object) -> None:
    service = FakeService(overrides={("POST", path): [json_response(401, body)]})
    async with make_client(service, provider=provider) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.submit(VideoRequest(prompt="a cat", first_frame="https://example.com/cat.png"))
    error = caught.value
    assert CANARY not in str(error) and CANARY not in repr(error.body) and CANARY not in (error.message or "")
    assert "provided: ***" in str(error)


def test_constructor_repr_with_a_key() -> None:
    client = AsyncWanClient("relay", api_key=CANARY, journal=False)
    assert CANARY not in repr(client) and "relay" in repr(client) and "https://api.apiyi.com" in repr(client)
    keyed_url = AsyncWanClient(
        "relay", api_key="k", base_url=f"https://me:{CANARY}@relay.example", journal=False
    )
    assert CANARY not in repr(keyed_url) and "https://relay.example" in repr(keyed_url)


async def test_a_wait_outlives_polls_that_fail_past_their_retries() -> None:
    # The task runs on server-side whatever happens to one query: a 503 or a dropped connection that outlasts
    # the retry layer must not abandon a paid task (bench fault soak), but a host that stays down is reported.
    outage: list[httpx.Response | Exception] = [httpx.Response(503, json={"code": "ServiceUnavailable"})] * 2
    outage += [httpx.ConnectError("reset")] * 2
    service = FakeService(overrides={("GET", "/api/v1/tasks/task-1"): outage})
    async with make_client(service, max_retries=0) as client:
        task = await client.wait(await client.submit(REQUEST))
    assert task.status is TaskStatus.SUCCEEDED

    down = [httpx.Response(503, json={"code": "ServiceUnavailable"})] * 20
    service = FakeService(overrides={("GET", "/api/v1/tasks/task-1"): down})
    async with make_client(service, max_retries=0) as client:
        with pytest.raises(ServerError):
            await client.wait(await client.submit(REQUEST))

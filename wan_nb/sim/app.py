"""The ASGI application: one route table for the three dialects, and the cross-cutting behaviour
(key checking, QPS limit, injected faults, slow answers, counters) applied in one place."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wan_nb.sim import gateway, native, results
from wan_nb.sim.config import SimConfig
from wan_nb.sim.engine import Engine, SimStats
from wan_nb.sim.http import (
    HTTPError,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    json_response,
    read_request,
    send_response,
)
from wan_nb.sim.upload import receive_upload
from wan_nb.sim.wire import BAD_KEY, INTERNAL, NO_KEY, UNAVAILABLE, dialect_error, openai_error, request_id

LOG = logging.getLogger("wan_nb.sim")
Handler = Callable[[Engine, Request, dict[str, str]], Response]
API = "/api/v1"
CREATE = "/services/aigc/video-generation/video-synthesis"


def _upload(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    return receive_upload(request, engine.oss, engine.now(), engine.secret)


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    name: str
    handler: Handler
    shape: str  # "native" | "gateway" | "oss": how its errors are spelled
    auth: bool = True  # API routes need a key; storage URLs must not get one
    query: bool = False  # a task query: flaky 5xx and connection resets apply


def _route(methods: str, path: str, name: str, handler: Handler, shape: str, **flags: bool) -> Route:
    return Route(tuple(methods.split()), re.compile(path + "$"), name, handler, shape, **flags)


TASK = r"(?P<id>[^/]+)"
ROUTES = (
    _route("POST", "/v1/videos", "unified.create", gateway.create, "gateway"),
    _route("GET", f"/v1/videos/{TASK}", "unified.get", gateway.get, "gateway", query=True),
    _route("GET", f"/v1/videos/{TASK}/content", "unified.content", gateway.content, "gateway"),
    _route("POST", API + CREATE, "native.create", native.create, "native"),
    # SDK's Aio polling adds a trailing slash (native.md §5.4).
    _route("GET", f"{API}/tasks/{TASK}/?", "native.get", native.get, "native", query=True),
    _route("POST", f"{API}/tasks/{TASK}/cancel", "native.cancel", native.cancel, "native"),
    _route("GET", f"{API}/tasks/?", "native.list", native.task_list, "native"),
    _route("GET", f"{API}/uploads/?", "native.policy", native.upload_policy, "native"),
    _route("POST", "/wan" + API + CREATE, "relay.create", gateway.relay_create, "native"),
    _route("GET", f"/v1/tasks/{TASK}", "relay.get", gateway.relay_task, "gateway", query=True),
    _route("POST", "/oss-upload/?", "oss.upload", _upload, "oss", auth=False),
    _route("GET HEAD", rf"/results/{TASK}\.mp4", "results", results.result, "oss", auth=False),
)


class SimApp:
    """``create_app(**knobs)``: an ASGI callable; ``.stats`` counts, ``.config`` is the frozen knobs."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.engine = Engine(config)

    @property
    def stats(self) -> SimStats:
        return self.engine.stats

    def close(self) -> None:
        self.engine.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive)
        try:
            response = await self.handle(request)
        except ConnectionResetError:
            # uvicorn turns an exception before the response started into a 500, but aborts the connection
            # when one is under way: start a response that will never be completed, then fail.
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]}
            )
            raise
        self.stats.responses[response.status] += 1
        await send_response(send, response, head=request.method == "HEAD")

    async def handle(self, request: Request) -> Response:
        route, params = _match(request)
        self.stats.requests[route.name if route else "unmatched"] += 1
        try:
            if route is None:
                raise _no_route(request)
            await self._before(route, request, params)
            return route.handler(self.engine, request, params)
        except HTTPError as error:
            return error.response
        except ConnectionResetError:
            raise  # under uvicorn this aborts the connection, like a reset upstream
        except Exception:
            # A simulator bug must be loud in the logs but still answer like the service would.
            LOG.exception("simulator error on %s %s", request.method, request.path)
            shape = "gateway" if route and route.shape == "gateway" else "native"
            return dialect_error(shape, 500, "InternalError", INTERNAL).response

    async def _before(self, route: Route, request: Request, params: dict[str, str]) -> None:
        delay = self.engine.faults.slow(request)
        if delay:
            await asyncio.sleep(delay)
        if route.auth:
            self._check_key(route, request)
            throttle = self.engine.faults.rate_limit(self.engine.now())
            if throttle:
                headers = {"retry-after": str(throttle.retry_after)}
                raise dialect_error(route.shape, 429, throttle.code, throttle.message, headers)
        if route.query:
            self._query_fault(route, request, params["id"])

    def _check_key(self, route: Route, request: Request) -> None:
        """401 InvalidApiKey: "No API-key provided." / "Invalid API-key provided." (native.md §2)."""
        if not self.config.require_key:
            return
        key = request.header("authorization").removeprefix("Bearer").strip()
        expected = self.config.api_key
        message = NO_KEY if not key else BAD_KEY if expected is not None and key != expected else None
        if message is None:
            return
        if route.shape == "native":
            raise dialect_error("native", 401, "InvalidApiKey", message)
        raise openai_error(401, message, "new_api_error", "invalid_api_key")

    def _query_fault(self, route: Route, request: Request, task_id: str) -> None:
        fault = self.engine.faults.get_fault(request, task_id)
        if fault == "reset":
            raise ConnectionResetError("simulated connection reset")
        if fault == "flaky":
            # Alternate the two 5xx a client should retry a GET on (SDK 1.x retries polling on 503/504).
            if self.stats.faults["flaky"] % 2:
                raise dialect_error(route.shape, 500, "InternalError", INTERNAL)
            raise dialect_error(route.shape, 503, "ServiceUnavailable", UNAVAILABLE)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _match(request: Request) -> tuple[Route | None, dict[str, str]]:
    for route in ROUTES:
        match = route.pattern.match(request.path)
        if match and request.method in route.methods:
            return route, match.groupdict()
    return None, {}


def _no_route(request: Request) -> HTTPError:
    known = any(route.pattern.match(request.path) for route in ROUTES)
    status = 405 if known else 404
    message = "Method Not Allowed" if known else f"Not Found: {request.path}"
    code = "MethodNotAllowed" if known else "NotFound"
    return HTTPError(json_response(status, {"code": code, "message": message, "request_id": request_id()}))


def create_app(**knobs: Any) -> SimApp:
    """The simulator as an ASGI app; knobs are ``SimConfig`` fields (see ``wan_nb.sim.config``)."""
    return SimApp(SimConfig(**knobs))

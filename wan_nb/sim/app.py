"""The ASGI application: one route table for the three dialects, and the cross-cutting behaviour
(key checking, QPS limit, injected faults, slow answers, counters) applied in one place."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
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
    read_request,
    reset,
    send_response,
)
from wan_nb.sim.upload import receive_upload
from wan_nb.sim.wire import (
    BAD_KEY,
    INTERNAL,
    NO_KEY,
    URL_ERROR,
    dialect_error,
    native_error,
    openai_error,
    oss_error,
    server_error,
)

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
    shape: str  # "native" | "gateway" | "proxy" (new-api's /content) | "oss": how its errors are spelled
    auth: bool = True  # API routes need a key; storage URLs must not get one
    faults: str = ""  # "query" | "download": the GETs injected faults apply to (faults.py)


def _route(methods: str, path: str, name: str, handler: Handler, shape: str, **flags: Any) -> Route:
    return Route(tuple(methods.split()), re.compile(path + "$"), name, handler, shape, **flags)


TASK = r"(?P<id>[^/]+)"
ROUTES = (
    _route("POST", "/v1/videos", "unified.create", gateway.create, "gateway"),
    _route("GET", f"/v1/videos/{TASK}", "unified.get", gateway.get, "gateway", faults="query"),
    _route(
        "GET", f"/v1/videos/{TASK}/content", "unified.content", gateway.content, "proxy", faults="download"
    ),
    _route("POST", API + CREATE, "native.create", native.create, "native"),
    # SDK's Aio polling adds a trailing slash (native.md §5.4).
    _route("GET", f"{API}/tasks/{TASK}/?", "native.get", native.get, "native", faults="query"),
    _route("POST", f"{API}/tasks/{TASK}/cancel", "native.cancel", native.cancel, "native"),
    _route("GET", f"{API}/tasks/?", "native.list", native.task_list, "native"),
    _route("GET", f"{API}/uploads/?", "native.policy", native.upload_policy, "native"),
    _route("POST", "/wan" + API + CREATE, "relay.create", gateway.relay_create, "native"),
    _route("GET", f"/v1/tasks/{TASK}", "relay.get", gateway.relay_task, "gateway", faults="query"),
    _route("POST", "/oss-upload/?", "oss.upload", _upload, "oss", auth=False),
    _route(
        "GET HEAD", rf"/results/{TASK}\.mp4", "results", results.result, "oss", auth=False, faults="download"
    ),
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
        response = await self.handle(request)
        if response.drop is None or response.drop.keep is not None:  # its status line goes out
            self.stats.responses[response.status] += 1
        # A response with a ``drop`` raises ConnectionResetError: under uvicorn that aborts the connection.
        await send_response(send, response, head=request.method == "HEAD")

    async def handle(self, request: Request) -> Response:
        route, params = _match(request)
        self.stats.requests[route.name if route else "unmatched"] += 1
        try:
            if route is None:
                raise _no_route(request)
            await self._before(route, request, params)
            response = route.handler(self.engine, request, params)
        except HTTPError as error:
            return error.response
        except Exception:
            # A simulator bug must be loud in the logs but still answer like the service would.
            LOG.exception("simulator error on %s %s", request.method, request.path)
            shape = "native" if route and route.shape == "native" else "gateway"
            return dialect_error(shape, 500, "InternalError", INTERNAL).response
        return self._after(route, request, params, response)

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
        if route.faults and request.method == "GET":
            self._get_fault(route, request, params["id"])

    def _after(self, route: Route, request: Request, params: dict[str, str], response: Response) -> Response:
        """A video download may be cut mid-body (faults.py), and is counted (SimStats.downloads)."""
        if route.faults != "download" or request.method != "GET" or response.status not in (200, 206):
            return response
        cut = self.engine.faults.body_cut(request, params["id"], len(response.body))
        if cut is not None:
            response = replace(response, drop=cut)
        results.count_download(self.stats, params["id"], response)
        return response

    def _check_key(self, route: Route, request: Request) -> None:
        """401 InvalidApiKey: "No API-key provided." / "Invalid API-key provided." (native.md §2)."""
        message = self._key_problem(request.header("authorization"))
        if message is None:
            return
        if route.shape == "native":
            raise dialect_error("native", 401, "InvalidApiKey", message)
        raise openai_error(401, message, "new_api_error", "invalid_api_key")

    def _key_problem(self, authorization: str) -> str | None:
        """The key travels as ``Authorization: Bearer KEY`` (protocol.md §1-§2; the scheme is
        case-insensitive, RFC 7235 §2.1). Upstream's answer to another scheme is not documented: BAD_KEY."""
        if not self.config.require_key:
            return None
        scheme, _, key = authorization.strip().partition(" ")
        if scheme and scheme.lower() != "bearer":
            return BAD_KEY
        if not key.strip():
            return NO_KEY
        expected = self.config.api_key
        return BAD_KEY if expected is not None and key.strip() != expected else None

    def _get_fault(self, route: Route, request: Request, task_id: str) -> None:
        fault = self.engine.faults.get_fault(request, task_id, route.faults)
        if fault == "reset":
            raise reset()
        if fault == "flaky":
            # Alternate the two 5xx a client should retry a GET on (SDK 1.x retries polling on 503/504).
            raise server_error(route.shape, 500 if self.stats.faults["flaky"] % 2 else 503)

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
    """A path (or method) no route serves, spelled by the service that owns the prefix."""
    path = request.path
    if path.startswith((API + "/", "/wan" + API + "/")):
        # DashScope answers a wrong URL with 400 InvalidParameter "url error, please check url!" (native.md §2
        # error table, and §7: older SDKs that build wrong URLs for other hosts get exactly this).
        return native_error(400, "InvalidParameter", URL_ERROR)
    if path.startswith(("/results/", "/oss-upload")):
        # Object storage's own codes (S3/OSS wording; the research quotes none for these cases).
        if any(route.pattern.match(path) for route in ROUTES):
            return HTTPError(oss_error(405, "MethodNotAllowed", "The specified method is not allowed."))
        return HTTPError(oss_error(404, "NoSuchKey", "The specified key does not exist."))
    # The gateway: the research documents no unknown-route answer; this is OpenAI's (which new-api mimics).
    return openai_error(404, f"Invalid URL ({request.method} {path})", "invalid_request_error")


def create_app(**knobs: Any) -> SimApp:
    """The simulator as an ASGI app; knobs are ``SimConfig`` fields (see ``wan_nb.sim.config``)."""
    return SimApp(SimConfig(**knobs))

"""The API session: the httpx client plus the key, and the only code that writes an Authorization header.

Calls from a dialect go to the provider's base URL with ``Authorization: Bearer KEY``; everything else (result
URLs, the upload host) is sent by callers through the same httpx client, which has no auth and no default
headers, so the key cannot ride along by accident. Failures become WanErrors here: httpx errors →
TransportError, non-2xx → the dialect's ``parse_error`` with a hint for 401/403.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from wan_nb.client.download import ErrorFor, Source
from wan_nb.client.providers import PROVIDERS, Provider
from wan_nb.errors import APIError, ResultExpired, TransportError, WanError, api_error
from wan_nb.models import Task
from wan_nb.protocols.base import Call, Dialect

__all__ = ["Api", "storage_errors"]

_DASHSCOPE = [row.name for row in PROVIDERS.values() if row.region]


class Api:
    """Sends a dialect's calls to one provider; holds the key in a private attribute only."""

    def __init__(self, http: httpx.AsyncClient, wire: Dialect, row: Provider, key: str) -> None:
        self.http = http
        self.wire = wire
        self.row = row
        self._key = key

    def __repr__(self) -> str:
        return f"Api({self.row.name!r}, {str(self.http.base_url)!r})"

    def authorized(self, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` plus the key, for a request to the API host."""
        return {**headers, "Authorization": f"Bearer {self._key}"}

    async def call(self, call: Call) -> tuple[Mapping[str, Any], httpx.Headers]:
        """Send one call; the JSON object answered (``{}`` if none) and the headers, or a WanError."""
        request = self.http.build_request(
            call.method, call.path, headers=self.authorized(call.headers), json=call.json, params=call.params
        )
        try:
            response = await self.http.send(request)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"{type(exc).__name__}: {exc}", method=call.method, url=str(request.url)
            ) from exc
        body = parse_json(response.content)
        if not response.is_success:
            raise self.error(response.status_code, body, response.headers)
        return (body if isinstance(body, Mapping) else {}), response.headers

    def error(self, status: int, body: Any, headers: httpx.Headers) -> APIError:
        return self.wire.parse_error(status, body, headers, hint=self.hint(status))

    def content_errors(self, status: int, head: bytes, headers: httpx.Headers) -> WanError:
        """Errors of a download from the API host (the gateway's ``/content``)."""
        return self.error(status, parse_json(head), headers)

    def content_source(self, call: Call) -> Source:
        return Source(call.path, self.authorized(call.headers))

    def hint(self, status: int) -> str | None:
        """For 401/403: which key variable, which host and, for DashScope, the region rule."""
        if status not in (401, 403):
            return None
        row = self.row
        if row.key_env is None:
            return f"the simulator at {self.http.base_url} refused the key"
        hint = f"check {row.key_env}: provider {row.name!r} is {self.http.base_url}"
        if row.region:
            others = ", ".join(name for name in _DASHSCOPE if name != row.name)
            # native.md §7: model, endpoint and key must be in one region; cross-region keys get 401.
            hint += (
                f" ({row.region}); a DashScope key works only in its own region (try provider {others}); "
                "a 403 can also mean the model is not activated or the account is in arrears"
            )
        return hint


def parse_json(content: bytes) -> Any:
    """The parsed body, or its first 200 characters of text (an HTML proxy page, an empty body)."""
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")[:200]


def storage_errors(task: Task) -> ErrorFor:
    """Errors from a signed result URL: 403/404/410 (and any 4xx once past ``expires_at``) mean it expired."""

    def error_for(status: int, head: bytes, headers: httpx.Headers) -> WanError:
        expired = task.expires_at is not None and task.expires_at <= datetime.now(UTC)
        if status in (403, 404, 410) or (expired and 400 <= status < 500):
            return ResultExpired(task.id, status)
        return api_error(status, message=head.decode("utf-8", "replace")[:200] or None)

    return error_for

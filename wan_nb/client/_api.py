"""The API session: the httpx client plus the key, and the only code that writes an Authorization header.

Calls from a dialect go to the provider's base URL with ``Authorization: Bearer KEY``; everything else (result
URLs, the upload host) is sent by callers through the same httpx client, which has no auth and no default
headers, so the key cannot ride along by accident. Failures become WanErrors here: httpx errors →
TransportError, non-2xx → the dialect's ``parse_error`` with a hint for 401/403.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from wan_nb.client._retry import refused_certificate
from wan_nb.client.providers import PROVIDERS, Provider
from wan_nb.errors import APIError, InvalidResponse, TransportError, redact, server_text
from wan_nb.protocols.base import Call, Dialect

__all__ = ["Api", "parse_json", "send", "transport_error"]

_DASHSCOPE = [row.name for row in PROVIDERS.values() if row.region]


class Api:
    """Sends a dialect's calls to one provider; holds the key in a private attribute only."""

    def __init__(
        self, http: httpx.AsyncClient, wire: Dialect, row: Provider, key: str, base_url: str
    ) -> None:
        self.http = http
        self.wire = wire
        self.row = row
        self.base_url = base_url.rstrip("/")
        self._key = key
        # What a server may echo back and no message may repeat (server_text also masks any URL's password).
        self._secrets = (key,)

    def __repr__(self) -> str:
        return f"Api({self.row.name!r}, {self.base_url!r})"

    def url(self, path: str) -> str:
        """A dialect's path under the provider's base URL (absolute: an ``http_client`` may have no base URL)."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def authorized(self, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` plus the key, for a request to the API host."""
        return {**headers, "Authorization": f"Bearer {self._key}"}

    async def call(self, call: Call) -> tuple[Mapping[str, Any], httpx.Headers]:
        """Send one call; the JSON object answered (``{}`` if none) and the headers, or a WanError."""
        request = self.http.build_request(
            call.method,
            self.url(call.path),
            headers=self.authorized(call.headers),
            json=call.json,
            params=call.params,
        )
        response = await send(self.http, request)
        body = parse_json(response.content)
        if not response.is_success:
            raise self.error(response.status_code, body, response.headers)
        if not isinstance(body, Mapping):
            # A captive portal's page, a CDN's empty 200, a JSON array: the call did not reach the API.
            shown = server_text(redact(body, self._secrets), limit=120) or "an empty body"
            raise InvalidResponse(
                f"{call.method} {call.path} answered {response.status_code} with {shown!r}, not a JSON object"
            )
        return body, response.headers

    def error(self, status: int, body: Any, headers: httpx.Headers) -> APIError:
        # Some servers quote the key they refused ("Incorrect API key provided: sk-..."): never repeat it.
        return self.wire.parse_error(status, redact(body, self._secrets), headers, hint=self.hint(status))

    def shown(self, text: str) -> str:
        """A server's text as a message may quote it: shortened, and never with the key in it."""
        return server_text(text, secrets=self._secrets)

    def hint(self, status: int) -> str | None:
        """For 401/403: which key variable, which host and, for DashScope, the region rule."""
        if status not in (401, 403):
            return None
        row = self.row
        if row.key_env is None:
            return f"the simulator at {self.base_url} refused the key"
        hint = f"check {row.key_env}: provider {row.name!r} is {self.base_url}"
        if row.region:
            others = ", ".join(name for name in _DASHSCOPE if name != row.name)
            # native.md §7: model, endpoint and key must be in one region; cross-region keys get 401.
            hint += (
                f" ({row.region}); a DashScope key works only in its own region (try provider {others}); "
                "a 403 can also mean the model is not activated or the account is in arrears"
            )
        return hint


async def send(http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """``http.send``, with httpx's failures turned into :class:`TransportError`."""
    try:
        return await http.send(request)
    except httpx.HTTPError as exc:
        error = transport_error(exc, request.method, str(request.url))
    # Raised outside the except block, so the httpx error is neither the cause nor the context: its
    # ``.request`` holds the Authorization header, and tracebacks and debuggers walk both links.
    raise error


def transport_error(exc: Exception, method: str, url: str) -> TransportError:
    """The TransportError for an httpx failure; ``sent`` is False when the request cannot have left.

    httpcore raises ConnectError/ConnectTimeout while opening a connection (DNS, refused, TLS handshake),
    PoolTimeout while waiting for one, and ProxyError when the proxy refuses the tunnel or SOCKS handshake
    (``httpcore/_async/http_proxy.py``, ``socks_proxy.py``): in each, nothing reached the server. Every other
    error may come after the request went out.
    """
    never_sent = isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError
    )
    parts = urlsplit(url)
    shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # never a user:password
    refused = refused_certificate(exc)
    message = (
        f"{type(exc).__name__}: {exc}" if refused is None else _tls_message(parts.hostname or "", refused)
    )
    return TransportError(message, method=method, url=shown, sent=not never_sent)


def _tls_message(host: str, error: ssl.SSLCertVerificationError) -> str:
    reason = error.verify_message or error.reason or "certificate verify failed"
    return (
        f"TLS: certificate verify failed for {host} ({reason}); if your network uses its own CA "
        "(a company proxy or gateway), pass verify=<CA file> or an ssl.SSLContext, or set SSL_CERT_FILE"
    )


JSON_LIMIT = 1 << 20
"""Characters of a non-JSON body kept for its message (the message itself keeps 300): a 1 GB page is not text."""


def parse_json(content: bytes) -> Any:
    """The parsed body, or its text (an HTML proxy page, an empty body), for :func:`server_text` to shorten."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, or nesting deep enough to recurse out
        return content[:JSON_LIMIT].decode("utf-8", "replace")

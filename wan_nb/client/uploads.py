"""Turn a request's media, as validation returned them (local ones read once), into the URL strings a create
body carries, per dialect.

- http(s), ``oss://`` and ``data:`` values pass through (``data:`` URIs were checked by ``wan_nb.validation``).
- Local files, bytes and PIL images: a dialect with ``uploads`` (native; its ``local_media`` is ``oss_upload``)
  uses DashScope's temporary upload (native.md §4), through the calls of its ``uploads``:
  ``GET /api/v1/uploads?action=getPolicy`` with the key, then a multipart form POST to ``upload_host`` with **no**
  Authorization (the signed policy is the credential), fields in the policy's order and ``file`` last, giving
  ``oss://{upload_dir}/{name}`` (the create then needs ``X-DashScope-OssResourceResolve``, which the dialect
  adds). The unified gateway and the relay (``uploads`` is None) take a ``data:`` URI instead (seed 000; the
  relay's own script).

The form POST is not retried after it may have reached the host: the policy sets ``x-oss-forbid-overwrite``, so
a repeat of a POST that did land fails anyway. A connect error (nothing sent) is retried twice.
Must not import anything above ``wan_nb.protocols``, nor a dialect module (the dialect it is handed says).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from wan_nb import media
from wan_nb.client._api import transport_error
from wan_nb.client.policy import UPLOAD_CONNECT_RETRIES, upload_backoff
from wan_nb.errors import TransportError, ValidationError, WanError, api_error, server_text
from wan_nb.protocols.base import Call, Uploads

__all__ = ["Uploader", "media_urls"]

ApiCall = Callable[[Call], Awaitable[tuple[Mapping[str, Any], httpx.Headers]]]
Sleep = Callable[[float], Awaitable[None]]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_OSS_FIELD = re.compile(r"<(Code|Message|RequestId)>([^<]*)</\1>")


async def media_urls(
    checked: Mapping[str, media.Medium | media.Content], upload: Uploader | None
) -> dict[str, str]:
    """role → URL for every medium ``validate`` returned: links and ``data:`` URIs as written; local content,
    read once by validation, uploaded (with an ``upload``: the dialect has ``uploads``) or inlined as ``data:``.
    The same content in two fields (r2v's first frame that is also Image 1, one voice on two references) goes
    once and both carry its URL."""
    urls: dict[str, str] = {}
    sent: dict[bytes, str] = {}  # content digest → its URL
    for role, item in checked.items():
        if isinstance(item, media.Medium):  # a link
            urls[role] = str(item.value)
        elif item.medium.kind == "data":  # a data: URI, checked by validation
            urls[role] = str(item.medium.value)
        else:
            digest = hashlib.sha256(item.data).digest()
            if digest not in sent:
                sent[digest] = (
                    await upload(item) if upload is not None else media.to_data_uri(item.data, item.mime)
                )
            urls[role] = sent[digest]
    return urls


class Uploader:
    """DashScope temporary uploads for one request (one fresh policy per file, as the SDK does)."""

    def __init__(self, http: httpx.AsyncClient, api: ApiCall, oss: Uploads, model: str, sleep: Sleep) -> None:
        self._http = http
        self._api = api
        self._oss = oss
        self._model = model
        self._sleep = sleep
        self._names: set[str] = set()

    async def __call__(self, content: media.Content) -> str:
        data, field = content.data, content.medium.field
        body, _ = await self._api(self._oss.upload_policy_call(self._model))
        policy = self._oss.parse_upload_policy(body)
        if policy.max_file_size_mb is not None and len(data) > policy.max_file_size_mb * 1024 * 1024:
            raise ValidationError(
                field, f"{len(data)} bytes is over the {policy.max_file_size_mb:g} MB limit"
            )
        name = self._unique(content.filename, field)
        fields = self._oss.upload_form(policy, name)
        files = {"file": (name, data, content.mime)}
        await self._post(policy.upload_host, fields, files)
        return self._oss.oss_url(policy, name)

    def _unique(self, filename: str, field: str) -> str:
        # Keys must not repeat within one upload_dir (x-oss-forbid-overwrite) and stay URL-safe.
        name = _UNSAFE.sub("_", filename).strip("._") or field
        if name in self._names:
            name = f"{field}-{name}"
        self._names.add(name)
        return name

    async def _post(self, host: str, fields: Mapping[str, str], files: Mapping[str, Any]) -> None:
        for attempt in range(UPLOAD_CONNECT_RETRIES + 1):
            try:
                # A bare request: no Authorization (the key must never reach the storage host).
                response = await self._http.post(host, data=dict(fields), files=dict(files))
            except httpx.HTTPError as exc:
                error, refused = transport_error(exc, "POST", host), isinstance(exc, httpx.ConnectError)
            else:
                if not response.is_success:
                    raise _upload_error(response)
                return
            if not refused or attempt == UPLOAD_CONNECT_RETRIES:
                what = "cannot reach the upload host" if refused else "upload interrupted"
                raise TransportError(f"{what}: {error}", method="POST", url=host, sent=error.sent)
            await self._sleep(upload_backoff(attempt))


def _upload_error(response: httpx.Response) -> WanError:
    """OSS answers XML ``<Error><Code>…</Code><Message>…</Message>``; e.g. 403 "Policy expired"."""
    text = response.text[:65536]
    found = {name: server_text(value, limit=120) for name, value in _OSS_FIELD.findall(text[:4096])}
    return api_error(
        response.status_code,
        code=found.get("Code"),
        message=found.get("Message") or server_text(text) or None,
        request_id=found.get("RequestId"),
        hint="the temporary-upload step failed; submitting again asks for a fresh policy",
    )

"""DashScope's temporary upload (native.md §4): a local file → an ``oss://`` URL a create can use for 48 h.

``GET /api/v1/uploads?action=getPolicy&model=…`` (with the key) → a signed policy; a multipart form POST of its
fields and ``file`` (last) to ``upload_host`` (**no** Authorization: the signed policy is the credential) →
``oss://{upload_dir}/{name}``, which the create reads only with ``X-DashScope-OssResourceResolve``.
This module is the :class:`~wan_nb.protocols.base.Uploads` of the native dialect (``native.uploads``).
No I/O, no environment: the client sends these calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wan_nb.errors import InvalidResponse
from wan_nb.protocols import _common as c
from wan_nb.protocols.base import Call, UploadPolicy

API = "/api/v1"


def upload_policy_call(model: str) -> Call:
    """Step 1 of a temporary upload; the policy is bound to the model that will consume the file."""
    return Call("GET", f"{API}/uploads", params={"action": "getPolicy", "model": model})


def parse_upload_policy(body: Mapping[str, Any]) -> UploadPolicy:
    """``data`` of the getPolicy answer (native.md §4) to the fields the form POST needs."""
    data = c.object_of(body.get("data"), "data")
    upload_dir = c.optional_text(data.get("upload_dir"), "data.upload_dir") or ""
    if not upload_dir or ".." in upload_dir.split("/") or not upload_dir.isprintable():
        raise InvalidResponse(f"data.upload_dir {c.shown(upload_dir)} is not an upload folder")
    fields = {
        "OSSAccessKeyId": str(data.get("oss_access_key_id", "")),
        "Signature": str(data.get("signature", "")),
        "policy": str(data.get("policy", "")),
        "x-oss-object-acl": str(data.get("x_oss_object_acl", "private")),
        "x-oss-forbid-overwrite": str(data.get("x_oss_forbid_overwrite", "true")),
        "success_action_status": "200",
    }
    return UploadPolicy(
        upload_host=_upload_host(data.get("upload_host")),
        upload_dir=upload_dir,
        form_fields=fields,
        max_file_size_mb=c.number(data.get("max_file_size_mb")),
        expires_in=c.number(data.get("expire_in_seconds")),
    )


def _upload_host(value: object) -> str:
    """Where the user's file goes: an https URL (http on loopback), like a result URL."""
    host = c.result_url(value, "data.upload_host")
    if host is None:
        raise InvalidResponse("data.upload_host is missing")
    return host


def upload_form(policy: UploadPolicy, filename: str) -> dict[str, str]:
    """All form fields for the upload POST (the ``file`` part goes last, after these)."""
    return {"key": f"{policy.upload_dir}/{filename}", **policy.form_fields}


def oss_url(policy: UploadPolicy, filename: str) -> str:
    """The ``oss://`` URL a create can use for 48 h (with the resolve header)."""
    return f"oss://{policy.upload_dir}/{filename}"

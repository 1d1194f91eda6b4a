"""Temporary uploads (native.md §4): getPolicy, the form POST to the upload host, and ``oss://`` resolution.

The policy's ``upload_host`` is the simulator itself (``{origin}/oss-upload``), so the dashscope SDK's real
upload code runs unchanged. Files are bound to the model named at getPolicy and live 48 h.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from wan_nb.sim.http import Request, Response
from wan_nb.sim.wire import iso_utc, oss_error

POLICY_SECONDS = 300  # expire_in_seconds in the official example
FILE_SECONDS = 48 * 3600
MAX_FILE_MB = 100
ACCESS_KEY_ID = "LTAI5tSimulatorOnly"


@dataclass(frozen=True)
class Upload:
    data: bytes
    model: str
    expires_at: float


class OssStore:
    """``oss://dashscope-instant/...`` objects, in memory and under ``state_dir/uploads``."""

    def __init__(self, state_dir: Path | None) -> None:
        self._objects: dict[str, Upload] = {}
        self._dir = state_dir / "uploads" if state_dir else None

    def put(self, key: str, upload: Upload) -> None:
        self._objects[key] = upload
        if self._dir:
            path = self._dir / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(upload.data)
            path.with_name(path.name + ".meta.json").write_text(
                json.dumps({"model": upload.model, "expires_at": upload.expires_at})
            )

    def get(self, key: str) -> Upload | None:
        if key in self._objects or not self._dir:
            return self._objects.get(key)
        path = self._dir / key
        meta = path.with_name(path.name + ".meta.json")
        if not (path.is_file() and meta.is_file() and path.resolve().is_relative_to(self._dir.resolve())):
            return None
        info = json.loads(meta.read_text())
        upload = Upload(path.read_bytes(), str(info["model"]), float(info["expires_at"]))
        self._objects[key] = upload
        return upload

    def exists(self, key: str) -> bool:
        return self.get(key) is not None


def policy_data(origin: str, model: str, now: float, secret: bytes) -> dict[str, object]:
    """``data`` of the getPolicy answer, with the official field names (native.md §4 step 1)."""
    day = datetime.fromtimestamp(now).strftime("%Y-%m-%d")
    upload_dir = f"dashscope-instant/{hashlib.sha1(model.encode()).hexdigest()[:32]}/{day}/{uuid.uuid4()}"
    conditions = {"expiration": iso_utc(now + POLICY_SECONDS), "dir": upload_dir, "model": model}
    policy = base64.b64encode(json.dumps(conditions).encode()).decode()
    return {
        "policy": policy,
        "signature": sign(policy, secret),
        "upload_dir": upload_dir,
        "upload_host": f"{origin}/oss-upload",
        "expire_in_seconds": POLICY_SECONDS,
        "max_file_size_mb": MAX_FILE_MB,
        "capacity_limit_mb": 999999999,
        "oss_access_key_id": ACCESS_KEY_ID,
        "x_oss_object_acl": "private",
        "x_oss_forbid_overwrite": "true",
    }


def sign(text: str, secret: bytes) -> str:
    return base64.b64encode(hmac.new(secret, text.encode(), hashlib.sha1).digest()).decode()


def receive_upload(request: Request, store: OssStore, now: float, secret: bytes) -> Response:
    """The form POST (step 2): no Authorization; fields then ``file`` last; 200 and an empty body."""
    fields = parse_multipart(request.body, request.header("content-type"))
    if fields is None or not fields or fields[-1][0] != "file":
        return oss_error(400, "InvalidArgument", "The file field must be the last form field.")
    form = {name: value for name, value in fields}
    policy = form.get("policy", b"").decode("latin-1")
    if not hmac.compare_digest(form.get("Signature", b"").decode("latin-1"), sign(policy, secret)):
        return oss_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
    conditions = json.loads(base64.b64decode(policy))
    if datetime.fromisoformat(conditions["expiration"].replace("Z", "+00:00")).timestamp() < now:
        return oss_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    key = form.get("key", b"").decode("utf-8")
    if not key.startswith(conditions["dir"] + "/") or ".." in key:
        return oss_error(403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: key")
    if len(form["file"]) > MAX_FILE_MB * 1024 * 1024:
        return oss_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
    if store.exists(key):
        return oss_error(409, "FileAlreadyExists", "The object you specified already exists.")
    store.put(key, Upload(form["file"], conditions["model"], now + FILE_SECONDS))
    return Response(200)


def parse_multipart(body: bytes, content_type: str) -> list[tuple[str, bytes]] | None:
    """``multipart/form-data`` in order (the order matters: OSS wants ``file`` last)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or not match:
        return None
    fields: list[tuple[str, bytes]] = []
    for part in body.split(b"--" + match.group(1).encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, _, value = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            fields.append((name.group(1).decode("utf-8"), value.removesuffix(b"\r\n")))
    return fields

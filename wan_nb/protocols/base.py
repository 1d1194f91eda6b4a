"""What every dialect module produces and consumes; no I/O here or in any dialect (like h11).

A dialect turns the common model into :class:`Call` objects (method, path, headers, JSON) and turns wire JSON
back into :class:`~wan_nb.models.Task` and :class:`~wan_nb.errors.APIError`. The client sends the calls.
Calls never carry ``Authorization``: the client adds it for API-host requests only, so a result URL or an
upload host can never receive the key by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from wan_nb.errors import APIError
from wan_nb.models import MediaRole, Task, VideoRequest

__all__ = ["Call", "Dialect", "UploadPolicy"]


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request to make, relative to the provider's base URL."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Mapping[str, Any] | None = None
    params: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    """DashScope's temporary-upload policy (``GET /api/v1/uploads?action=getPolicy``), valid a few minutes."""

    upload_host: str
    upload_dir: str
    form_fields: Mapping[str, str]
    """Signed form fields, in order, without ``key`` (it depends on the file name): see ``upload_form``."""
    max_file_size_mb: float | None
    expires_in: float | None


class Dialect(Protocol):
    """The pure functions each of ``protocols.unified``, ``native`` and ``relay`` provides."""

    NAME: str

    def create_call(self, request: VideoRequest, media_urls: Mapping[MediaRole, str]) -> Call: ...
    def get_call(self, task_id: str) -> Call: ...
    def cancel_call(self, task_id: str) -> Call | None: ...
    def content_call(self, task_id: str) -> Call | None: ...
    def parse_task(self, body: Mapping[str, Any], headers: Mapping[str, str], provider: str) -> Task: ...
    def parse_error(
        self, status: int, body: Any, headers: Mapping[str, str], hint: str | None = None
    ) -> APIError: ...

"""What every dialect module produces and consumes; no I/O here or in any dialect (like h11).

A dialect turns the common model into :class:`Call` objects (method, path, headers, JSON) and turns wire JSON
back into :class:`~wan_nb.models.Task` and :class:`~wan_nb.errors.APIError`. The client sends the calls.
Calls never carry ``Authorization``: the client adds it for API-host requests only, so a result URL or an
upload host can never receive the key by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from wan_nb.errors import APIError
from wan_nb.family import TASKS
from wan_nb.family import Task as FamilyTask
from wan_nb.models import Task, VideoRequest

__all__ = ["Call", "Capabilities", "Dialect", "LocalMedia", "Shape", "UploadPolicy", "Uploads"]

LocalMedia = Literal["oss_upload", "data_uri"]
"""How local files, bytes and images travel: DashScope's temporary OSS upload, or inline ``data:`` URIs."""
Shape = Literal["resolution", "size"]
"""How the wire states the video's shape: a tier (``720P``) or ``WIDTHxHEIGHT``."""

REQUEST_FIELDS = frozenset(
    {
        "prompt", "first_frame", "negative_prompt", "last_frame", "driving_audio", "first_clip",
        "resolution", "size", "duration", "seed", "prompt_extend", "watermark", "audio",
        "references", "video", "ratio", "audio_setting",
    }
)  # fmt: skip


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


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a dialect can do, declared once: code outside ``protocols/`` asks these, never a dialect's name."""

    name: str
    """For messages and the journal only; compare capabilities, never this."""
    can_cancel: bool
    can_list: bool
    """A task list route (DashScope's ``GET /api/v1/tasks``): where a create that may have landed is found."""
    local_media: LocalMedia
    carries: frozenset[str]
    """The ``VideoRequest`` fields the wire carries; validation refuses the others when they are set."""
    shape: Shape
    poll_floor: float
    """Fewest seconds between two polls of one task (the relay asks for >= 3 s, protocol.md §3)."""
    tasks: frozenset[FamilyTask] = frozenset(TASKS)
    """The family's tasks this wire carries (:data:`wan_nb.family.TASKS`): the native body carries every model;
    the gateway documents image-to-video only (family.md §5)."""

    def __post_init__(self) -> None:
        unknown = self.carries - REQUEST_FIELDS
        if unknown:
            raise ValueError(f"{self.name}: unknown request fields {sorted(unknown)}")

    @property
    def accepts_oss(self) -> bool:
        """``oss://`` URLs belong to the DashScope account that uploaded them: only its own API reads them."""
        return self.local_media == "oss_upload"


class Uploads(Protocol):
    """DashScope's temporary upload (native.md §4), as a module: ``protocols.oss_upload``.

    A dialect whose ``capabilities.local_media`` is ``"oss_upload"`` exposes it as ``uploads``; the others expose
    None and take local media as ``data:`` URIs.
    """

    def upload_policy_call(self, model: str) -> Call: ...
    def parse_upload_policy(self, body: Mapping[str, Any]) -> UploadPolicy: ...
    def upload_form(self, policy: UploadPolicy, filename: str) -> dict[str, str]: ...
    def oss_url(self, policy: UploadPolicy, filename: str) -> str: ...


@runtime_checkable
class Dialect(Protocol):
    """One wire dialect: a module of this package (``unified``, ``native``, ``relay``) with these members.

    mypy checks each module against this protocol where ``protocols.DIALECTS`` is built; the client holds the
    module it is handed and calls its functions, with no class in between.
    """

    @property
    def capabilities(self) -> Capabilities: ...
    @property
    def uploads(self) -> Uploads | None:
        """The temporary upload, or None when local media travel as ``data:`` URIs."""

    def create_call(self, request: VideoRequest, media_urls: Mapping[str, str]) -> Call: ...
    def get_call(self, task_id: str) -> Call: ...
    def cancel_call(self, task_id: str) -> Call | None:
        """None when the dialect has no cancel route (``capabilities.can_cancel`` is False)."""

    def content_call(self, task_id: str) -> Call | None:
        """None when the result is a signed URL fetched without the key."""

    def list_call(self, **filters: str | int) -> Call | None:
        """The task list; None without one (``capabilities.can_list`` is False)."""

    def parse_task(self, body: Mapping[str, Any], headers: Mapping[str, str], provider: str) -> Task: ...
    def parse_task_list(self, body: Mapping[str, Any], provider: str) -> list[Task]:
        """Tasks of a list answer; only dialects with a ``list_call`` are ever asked."""

    def parse_error(
        self, status: int, body: Any, headers: Mapping[str, str], hint: str | None = None
    ) -> APIError: ...

"""The public surface of ``wan_nb``, pinned (like httpx's ``test_exported_members``): a name added to or
dropped from ``wan_nb`` by accident fails here, and so does a helper name leaking into its namespace."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from types import ModuleType

import httpx
import pytest

import wan_nb
from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.sync import ClientOptions

PUBLIC = {
    # the client and its batch results
    "AsyncWanClient", "BatchItem", "Budget",
    # the model
    "Task", "TaskError", "TaskStatus", "Usage", "VideoRequest", "Reference", "Estimate",
    # the error tree (errors.py's docstring draws it)
    "WanError", "ConfigError", "ValidationError", "InvalidResponse", "APIError", "AuthenticationError",
    "NotFoundError", "RateLimitError", "ServerError", "TransportError", "TaskFailed", "WaitTimeout",
    "DownloadError", "ResultExpired", "BudgetExceeded",
    # the synchronous facade and the event-loop shim
    "generate", "get", "wait", "download", "cancel", "run_sync", "spawn", "enable_nested",
    # the notebook side, loaded when first named
    "panel", "WanPanel", "doctor", "Diagnosis", "report", "poster", "contact_sheet",
    # modules the tutorials name
    "assets", "chain", "pricing", "promptdiff", "teach", "frontend",
    "__version__",
}  # fmt: skip


def test_all_is_the_pinned_surface() -> None:
    assert set(wan_nb.__all__) == PUBLIC
    assert len(wan_nb.__all__) == len(PUBLIC)


def test_every_exported_name_resolves() -> None:
    for name in wan_nb.__all__:
        assert getattr(wan_nb, name) is not None, name
    assert inspect.isfunction(wan_nb.report) and inspect.isfunction(wan_nb.doctor)
    assert wan_nb.panel is wan_nb.WanPanel
    assert isinstance(wan_nb.chain, ModuleType) and wan_nb.chain.__name__ == "wan_nb.lab.chain"
    assert isinstance(wan_nb.teach, ModuleType) and wan_nb.teach.__name__ == "wan_nb.notebook.teach"


def test_no_helper_names_in_the_namespace() -> None:
    """Every public name is exported or is one of wan_nb's own subpackages (``wan_nb.client``...): no
    ``Any``, ``TYPE_CHECKING``, ``annotations`` or ``importlib`` left over from the module's own code."""
    for name, value in vars(wan_nb).items():
        if name.startswith("_") or name in PUBLIC:
            continue
        assert isinstance(value, ModuleType) and value.__name__ == f"wan_nb.{name}", name


def test_no_module_is_shadowed_by_a_function_of_the_same_name() -> None:
    """Importing any submodule must not replace a public function of the same name (``import wan_nb.poster``
    once replaced ``wan_nb.poster()`` with the module)."""
    package = Path(wan_nb.__file__).parent
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if "sim" in parts or "__main__" in parts:
            continue  # the simulator needs its extras; __main__ runs the CLI
        importlib.import_module(".".join(parts).removesuffix(".__init__"))
    for name in ("poster", "contact_sheet", "report", "doctor", "generate", "get", "panel"):
        assert callable(getattr(wan_nb, name)) and not isinstance(getattr(wan_nb, name), ModuleType), name


def test_one_verb_for_a_tasks_state_now() -> None:
    assert hasattr(AsyncWanClient, "get") and callable(wan_nb.get)
    assert not hasattr(wan_nb, "status") and not hasattr(AsyncWanClient, "status")


def test_every_facade_verb_takes_the_clients_options() -> None:
    """The facade's ``ClientOptions`` are the client's keyword arguments but ``timeout`` (in the facade, how
    long a wait may take): a new client option must reach the facade too."""
    client = set(inspect.signature(AsyncWanClient.__init__).parameters) - {"self", "timeout"}
    assert set(ClientOptions.__annotations__) == client


def test_generate_takes_the_client_options(tmp_path: Path) -> None:
    """``generate`` alone, with ``transport=`` and ``poll=``: the create, the poll and the download all go
    through the transport it was given (no socket), and the fields make the request."""
    seen: list[str] = []
    video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.host}{request.url.path}")
        if request.method == "POST":
            return httpx.Response(
                200, json={"request_id": "r", "output": {"task_id": "t-1", "task_status": "PENDING"}}
            )
        if request.url.path.endswith("/tasks/t-1"):
            output = {"task_id": "t-1", "task_status": "SUCCEEDED", "video_url": "https://oss.test/v.mp4"}
            return httpx.Response(200, json={"request_id": "r", "output": output})
        return httpx.Response(200, content=video, headers={"content-type": "video/mp4"})

    async def no_sleep(seconds: float) -> None:
        return None

    task = wan_nb.generate(
        prompt="a cat turns its head",
        first_frame="https://example.test/cat.png",
        provider="dashscope",
        api_key="sk-test",
        transport=httpx.MockTransport(handler),
        poll=PollSchedule(sleep=no_sleep),
        journal=False,
        out=tmp_path,
    )
    assert task.path is not None and task.path.parent == tmp_path and task.path.read_bytes() == video
    assert seen[0].startswith("POST ") and seen[-1] == "GET oss.test/v.mp4"


@pytest.mark.parametrize("name", ["Any", "TYPE_CHECKING", "annotations", "importlib", "status", "Report"])
def test_names_that_are_gone(name: str) -> None:
    with pytest.raises(AttributeError):
        getattr(wan_nb, name)

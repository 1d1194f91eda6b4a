"""Secrets audit (issue 6): a canary key goes through the client, the CLI, the panel and the quickstart notebook.

The canary (``sk-canary-<random>``) is the only key in play. It must appear in no output (capfd), no log record
(caplog at DEBUG, httpx and httpcore included), no repr, no exception (message, repr, attributes, traceback),
no widget state, no saved notebook and no journal byte (the SQLite file and its WAL, read raw). On the wire it
may travel only in the Authorization header of API requests: every request to a non-API path of the simulator
(the upload host ``/oss-upload``, the signed result URLs ``/results/``) is inspected, headers, URL and body.
Positive control: the simulator is configured to *require* the canary, so each run's success proves the key
was really sent where it belongs.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.errors import WanError
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.sim import create_app

CANARY = "sk-canary-" + secrets.token_hex(12)
ROOT = Path(__file__).resolve().parents[1]
FAST = PollSchedule(quick=(0.2,), floor=0.2, cap=0.4)
API_PREFIXES = ("/api/v1/", "/v1/videos", "/v1/tasks", "/wan/api/v1/")


@dataclass(frozen=True)
class Seen:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def api(self) -> bool:
        return self.path.startswith(API_PREFIXES)


class Recorder:
    """ASGI middleware: records every request (path, query, headers, body) on its way to the simulator."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def tapped() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        try:
            await self.app(scope, tapped, send)
        finally:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            query = scope.get("query_string", b"").decode("latin-1")
            self.seen.append(Seen(scope["path"], query, headers, b"".join(chunks)))


def assert_wire_clean(recorder: Recorder) -> None:
    assert recorder.seen, "nothing was recorded"
    outside = [s for s in recorder.seen if not s.api]
    assert any(s.path.startswith("/results/") for s in outside), "no result URL was fetched"
    for seen in outside:
        blob = json.dumps(seen.headers) + seen.path + seen.query
        assert CANARY not in blob and CANARY.encode() not in seen.body, f"the key went to {seen.path}"
        assert "authorization" not in seen.headers, f"an Authorization header went to {seen.path}"
    for seen in recorder.seen:
        if seen.api:
            headers = {k: v for k, v in seen.headers.items() if k != "authorization"}
            assert CANARY not in json.dumps(headers) + seen.path + seen.query
            assert CANARY.encode() not in seen.body
    assert any(s.headers.get("authorization") == f"Bearer {CANARY}" for s in recorder.seen if s.api)


def error_texts(error: BaseException) -> str:
    """Everything an exception shows: message, repr, attributes and the formatted traceback with causes."""
    parts = [str(error), repr(error), repr(vars(error)) if hasattr(error, "__dict__") else ""]
    parts.append("".join(traceback.format_exception(error)))
    return "\n".join(parts)


def assert_no_canary(*texts: str | bytes) -> None:
    for text in texts:
        blob = text if isinstance(text, bytes) else text.encode()
        assert CANARY.encode() not in blob, (
            f"the key leaked: …{blob[max(0, blob.find(CANARY.encode()) - 80) :][:160]!r}"
        )


def journal_bytes(home: Path) -> bytes:
    """The journal's raw bytes: the database, its WAL and shared-memory files."""
    return b"".join(p.read_bytes() for p in home.glob("journal.sqlite3*"))


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "first frame.png"
    Image.new("RGB", (480, 360), "purple").save(path)
    return path


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # root: wan_nb, httpx, httpcore, asyncio
    for name in ("httpx", "httpcore", "wan_nb"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


# --- the client -----------------------------------------------------------------------------------------


async def _client_session(client: AsyncWanClient, image: Path, out: Path) -> list[str]:
    """Every public operation, successes and failures; returns the texts they produced."""
    seen: list[str] = [repr(client)]
    task = await client.submit(VideoRequest(prompt="a cat", first_frame=image, duration=2, seed=7))
    done = await client.wait(task, timeout=60)
    path = await client.download(done, out)
    seen += [
        repr(task),
        repr(done),
        str(path),
        repr(await client.get(done.id)),
        repr(await client.list_tasks()),
    ]
    seen.append(done._repr_html_() if hasattr(done, "_repr_html_") else "")
    for failing in (
        client.cancel(done.id),
        client.wait(await client.submit(_marker("inspection")), timeout=60),
    ):
        with pytest.raises(WanError) as caught:
            await failing
        seen.append(error_texts(caught.value))
    with pytest.raises(WanError) as timed_out:
        await client.wait(await client.submit(_marker("slowtask")), timeout=0.01)
    seen.append(error_texts(timed_out.value))
    items = [item async for item in client.map([_marker("map1"), _marker("map2")], out=out, timeout=60)]
    seen += [repr(item) for item in items]
    return seen


def _marker(name: str) -> VideoRequest:
    frame = "https://example.com/cat.png"  # a public URL: the simulator renders a placeholder card offline
    return VideoRequest(prompt=f"[sim:{name}] a cat", first_frame=frame, duration=2, seed=7)


async def test_client_keeps_the_key_to_itself(
    tmp_path: Path,
    image: Path,
    logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", CANARY)
    app = create_app(task_time=0.5, api_key=CANARY, seed=3)
    recorder = Recorder(app)
    transport = httpx.ASGITransport(app=recorder)
    try:
        async with AsyncWanClient(
            "dashscope", base_url="http://sim.localhost", transport=transport, poll=FAST
        ) as client:
            texts = await _client_session(client, image, tmp_path / "out")
        texts += await _refusals(image)
    finally:
        app.close()
    out, err = capfd.readouterr()
    assert_no_canary(*texts, out, err, logs.text, *(repr(r.__dict__) for r in logs.records))
    assert_no_canary(journal_bytes(Path(os.environ["WAN_NB_HOME"])))
    assert_wire_clean(recorder)


async def _refusals(image: Path) -> list[str]:
    """A wrong-key 401, and a host that refuses connections: the errors must not quote the key."""
    texts = []
    strict = create_app(api_key="sk-some-other-key")
    try:
        async with AsyncWanClient(
            "dashscope",
            base_url="http://sim.localhost",
            transport=httpx.ASGITransport(app=strict),
            journal=False,
        ) as client:
            with pytest.raises(WanError) as denied:
                await client.submit(VideoRequest(prompt="a cat", first_frame=image, duration=2))
            texts.append(error_texts(denied.value))
    finally:
        strict.close()
    async with AsyncWanClient(
        "dashscope", base_url="http://127.0.0.1:9", journal=False, max_retries=0
    ) as client:
        with pytest.raises(WanError) as unreachable:
            await client.get("some-task")
        texts.append(error_texts(unreachable.value))
    return texts


# --- a served simulator for the CLI, the panel and the notebook ---------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[str, Recorder]]:
    import uvicorn

    app = create_app(task_time=1.0, api_key=CANARY, seed=4)
    recorder = Recorder(app)
    server = uvicorn.Server(
        uvicorn.Config(recorder, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", recorder
    server.should_exit = True
    thread.join(timeout=10)
    app.close()


def test_cli_keeps_the_key_to_itself(
    served: tuple[str, Recorder],
    image: Path,
    tmp_path: Path,
    logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wan_nb.cli import main

    url, recorder = served
    monkeypatch.setenv("DASHSCOPE_API_KEY", CANARY)
    base = ["--provider", "dashscope", "--base-url", url]
    out = str(tmp_path / "cli-out")
    assert (
        main(["generate", "--image", str(image), "--prompt", "a cat", "--duration", "2", "--out", out, *base])
        == 0
    )
    printed = capfd.readouterr().out
    task_id = Path(printed.strip().splitlines()[-1]).stem
    codes = [
        main(["status", task_id, *base]),
        main(["wait", task_id, *base]),
        main(["download", task_id, "--out", str(tmp_path / "again"), *base]),
        main(["list"]),
        main(["resume", "--out", out]),
        main(["cancel", task_id, *base]),  # 400 UnsupportedOperation: an error line, exit 1
        main(["status", "x", "--provider", "dashscope", "--base-url", "http://127.0.0.1:9"]),  # unreachable
    ]
    assert codes[:5] == [0, 0, 0, 0, 0] and codes[5:] == [1, 1], codes
    captured = capfd.readouterr()
    assert_no_canary(printed, captured.out, captured.err, logs.text)
    assert_no_canary(journal_bytes(Path(os.environ["WAN_NB_HOME"])))
    assert_wire_clean(recorder)


async def test_panel_keeps_the_key_to_itself(
    served: tuple[str, Recorder],
    image: Path,
    tmp_path: Path,
    logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The key typed into the panel's password box (the env holds none) reaches only the API host."""
    from ipywidgets.widgets.widget import _instances

    from wan_nb.widgets import WanPanel

    url, recorder = served
    monkeypatch.setenv("WAN_NB_BASE_URL", url)  # the panel's own dashscope client goes to the served sim
    monkeypatch.chdir(tmp_path)
    panel = WanPanel(provider="sim", prompt="a cat", first_frame=image)
    panel.form.duration.value = 2
    panel.picker.dropdown.value = "dashscope"
    panel.picker.key.value = CANARY  # what the browser sends on Enter
    panel.generate.click()
    await panel.wait_idle()
    card = panel.cards[-1]
    assert card.state == "SUCCEEDED", (card.state, card.error_box.value)
    states = [json.dumps(w.get_state(), default=repr) for w in list(_instances.values())]
    texts = [
        repr(panel),
        repr(card.task),
        card.code.value,
        json.dumps(panel._repr_mimebundle_(), default=repr),
    ]
    await panel.aclose()
    out, err = capfd.readouterr()
    assert_no_canary(*states, *texts, out, err, logs.text)
    assert_no_canary(journal_bytes(Path(os.environ["WAN_NB_HOME"])))
    assert_wire_clean(recorder)


# --- the quickstart notebook, executed and saved --------------------------------------------------------------


@pytest.mark.notebooks
@pytest.mark.timeout(600)
def test_quickstart_notebook_keeps_the_key_to_itself(
    served: tuple[str, Recorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """01_quickstart run with the canary in the environment (provider from the environment → dashscope, at the
    served simulator through ``WAN_NB_BASE_URL``); the saved .ipynb and the journal hold no trace of it."""
    import nbformat
    from nbclient import NotebookClient

    url, recorder = served
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kernels / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "audit", "language": "python"})
    )
    shutil.copytree(
        ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("wan_outputs", ".*")
    )
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for name, value in {
        "JUPYTER_PATH": str(tmp_path / "jupyter"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "DASHSCOPE_API_KEY": CANARY,
        "WAN_NB_BASE_URL": url,
    }.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "notebooks" / "01_quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    saved = tmp_path / "executed.ipynb"
    nbformat.write(nb, saved)
    assert_no_canary(saved.read_bytes(), journal_bytes(Path(os.environ["WAN_NB_HOME"])))
    assert any(s.path.endswith("video-synthesis") for s in recorder.seen), "the notebook never submitted"
    assert_wire_clean(recorder)


def test_task_repr_never_shows_raw_fields() -> None:
    """``Task.raw`` (the wire body) stays out of the repr, so a body that echoed a header could not leak."""
    task = Task(id="t", status=TaskStatus.RUNNING, raw={"echo": CANARY})
    assert_no_canary(repr(task), str(task))

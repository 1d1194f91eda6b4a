"""Secrets audit (issue 6): a canary key goes through the client, the CLI and the panel (the five notebooks:
``tests/notebooks/test_notebook_secrets.py``; the tools: ``tests/fixtures/secrets.py``).

The canary (``sk-canary-<random>``) is the only key in play (the panel also types a wrong one, refused with a
401; it is a canary too). Neither may appear in any output (capfd, the kernels' stderr), log record (DEBUG,
httpx/httpcore included), repr, exception (the whole ``__cause__``/``__context__`` chain, each
exception's attributes one level deep, and the traceback rendered with its frames' locals), widget state,
saved notebook, or file: every file under ``$WAN_NB_HOME`` and ``tmp_path`` is read raw (the journal, its WAL
read while a connection still holds it, downloads, the kernels' runtime and IPython files).

On the wire the key may travel only in the Authorization header of requests to the API host. The simulator
points its upload host and signed result URLs back at whatever Host it was addressed by, so the recorder in
front of it gives API calls a second name (a second origin): storage traffic then really goes to another
host, as with DashScope's OSS, and "the key goes only to the API host" is checked by Host, not by path.
Outgoing connections are watched too: an audit hook on ``socket.connect`` in this process, and the same hook
installed by a ``sitecustomize`` on ``PYTHONPATH`` in the CLI subprocess and the notebook kernels; nothing may
connect anywhere but the loopback simulator. Positive controls: the simulator *requires* the canary (so each
success proves the key was sent where it belongs), each hook reports a connection it must see, and the
auditors themselves are shown to catch planted leaks.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.secrets import (
    CANARY,
    FAST,
    IN_PROCESS_API,
    IN_PROCESS_STORAGE,
    UNREACHABLE,
    WRONG_KEY,
    Recorder,
    Seen,
    Served,
    assert_connects_only,
    assert_journal_kept,
    assert_lookups_loopback,
    assert_no_canary,
    assert_wire_clean,
    exception_texts,
    render,
    scan_files,
    serve_canary,
    subprocess_watch,
)
from tests.fixtures.sockets import SocketWatch
from wan_nb.client import AsyncWanClient
from wan_nb.client.journal import Journal
from wan_nb.errors import TaskFailed, WaitTimeout, WanError
from wan_nb.models import VideoRequest
from wan_nb.sim import create_app

# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def home() -> Path:
    return Path(os.environ["WAN_NB_HOME"])  # tests/conftest.py: a fresh one under tmp_path per test


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "first frame.png"
    Image.new("RGB", (480, 360), "purple").save(path)
    return path


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # root: wan_nb, httpx, httpcore, aiohttp, asyncio
    for name in ("httpx", "httpcore", "aiohttp", "wan_nb"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def log_texts(logs: pytest.LogCaptureFixture) -> list[str]:
    return [logs.text, *(render(record.__dict__) for record in logs.records)]


@pytest.fixture
def served() -> Iterator[Served]:
    """The simulator (requiring the canary) on two loopback ports: the API origin and the storage origin."""
    with serve_canary() as origins:
        yield origins


# --- the auditors catch what they look for ------------------------------------------------------------------


def test_the_auditors_catch_planted_leaks(tmp_path: Path) -> None:
    """Each check fails on the leak it exists for, so a green audit is evidence, not an empty net."""
    request = httpx.Request("GET", "https://api.example/x", headers={"Authorization": f"Bearer {CANARY}"})
    assert CANARY not in repr(request.headers)  # httpx masks it: a repr-only check would miss it
    try:
        try:
            raise httpx.ConnectError("refused", request=request)
        except httpx.ConnectError as exc:
            raise WanError("could not connect") from exc
    except WanError as chained:
        with pytest.raises(AssertionError, match="a key leaked"):
            assert_no_canary(*exception_texts(chained))

    def fails_with_the_key_in_a_local() -> None:
        header = f"Bearer {CANARY}"
        raise WanError(f"failed ({len(header)} characters)")

    with pytest.raises(WanError) as caught:
        fails_with_the_key_in_a_local()
    with pytest.raises(AssertionError, match="a key leaked"):
        assert_no_canary(*exception_texts(caught.value))

    nested = tmp_path / "deep" / "er"
    nested.mkdir(parents=True)
    (nested / "journal.sqlite3-wal").write_bytes(b"\0" * 64 + CANARY.encode())
    with pytest.raises(AssertionError, match="a key leaked"):
        scan_files(tmp_path)

    recorder = Recorder(None, api_host="api:80", storage_host="oss:80")
    auth = {"host": "oss:80", "authorization": f"Bearer {CANARY}"}
    recorder.seen.append(Seen("oss:80", "oss:80", "/results/t.mp4", "", auth, b""))
    with pytest.raises(AssertionError, match="Authorization header went to oss:80"):
        assert_wire_clean(recorder)

    with SocketWatch() as net, socket.socket() as probe:
        probe.connect_ex(UNREACHABLE)
    assert UNREACHABLE in net.connects
    with pytest.raises(AssertionError, match="connections beyond"):
        assert_connects_only(net.connects, set())


# --- the client ---------------------------------------------------------------------------------------------


async def _client_session(client: AsyncWanClient, image: Path, out: Path) -> list[str]:
    """Every public operation, successes and failures; returns the texts they produced."""
    seen: list[str] = [repr(client)]
    task = await client.submit(VideoRequest(prompt="a cat", first_frame=image, duration=2, seed=7))
    done = await client.wait(task, timeout=60)
    path = await client.download(done, out)
    seen += [repr(task), repr(done), str(path), repr(await client.get(done.id))]
    seen += [repr(t) for t in await client.list_tasks()]
    seen.append(done._repr_html_())
    with pytest.raises(WanError) as refused:  # a finished task cannot be cancelled: 400 from the API
        await client.cancel(done.id)
    seen += exception_texts(refused.value)
    with pytest.raises(TaskFailed) as failed:
        await client.wait(await client.submit(_marker("inspection")), timeout=60)
    seen += exception_texts(failed.value)
    with pytest.raises(WaitTimeout) as timed_out:  # a 0.5 s task cannot finish within 10 ms
        await client.wait(await client.submit(_marker(None)), timeout=0.01)
    seen += exception_texts(timed_out.value)
    # flaky: the first two queries answer 5xx; reset: the connection drops. Both go through the retries.
    items = [item async for item in client.map([_marker("flaky"), _marker("reset")], out=out, timeout=60)]
    assert all(item.ok for item in items), items
    seen += [repr(item) for item in items]
    return seen


def _marker(scenario: str | None) -> VideoRequest:
    frame = "https://example.com/cat.png"  # a public URL: the simulator renders a placeholder card offline
    prompt = f"[sim:{scenario}] a cat" if scenario else "a cat"
    return VideoRequest(prompt=prompt, first_frame=frame, duration=2, seed=7)


async def test_client_keeps_the_key_to_itself(
    tmp_path: Path,
    home: Path,
    image: Path,
    logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", CANARY)
    monkeypatch.setenv("WAN_API_KEY", CANARY)
    app = create_app(task_time=0.5, api_key=CANARY, seed=3)
    recorder = Recorder(app, api_host=IN_PROCESS_API, storage_host=IN_PROCESS_STORAGE)
    transport = httpx.ASGITransport(app=recorder)
    base = f"http://{IN_PROCESS_API}"
    try:
        with SocketWatch() as net:
            async with AsyncWanClient("dashscope", base_url=base, transport=transport, poll=FAST) as client:
                texts = await _client_session(client, image, tmp_path / "out")
                # The gateway's /content is the one download that goes to the API host, with the key.
                async with AsyncWanClient("gateway", base_url=base, transport=transport, poll=FAST) as gate:
                    request = VideoRequest(prompt="a cat", first_frame=image, duration=2)
                    texts += [repr(gate), repr(await gate.generate(request, out=tmp_path / "gateway"))]
                    scanned = scan_files(tmp_path)  # both clients open: the journal's WAL is still there
            texts += await _refusals(image)
    finally:
        app.close()
    out, err = capfd.readouterr()
    assert_no_canary(*texts, out, err, *log_texts(logs))
    assert_journal_kept(home, scanned)
    scan_files(tmp_path)
    assert_wire_clean(recorder)
    assert any(s.path.endswith("/content") and s.host == IN_PROCESS_API for s in recorder.seen)
    # The in-process simulator needs no socket: the only connect is the deliberate unreachable host.
    assert net.connects, "the audit hook saw nothing"
    assert_connects_only(net.connects, {UNREACHABLE})
    assert_lookups_loopback(net.lookups)


async def _refusals(image: Path) -> list[str]:
    """A wrong-key 401, and a host that refuses connections: the errors must not quote the key."""
    texts = []
    strict = create_app(api_key="sk-some-other-key")
    try:
        async with AsyncWanClient(
            "dashscope",
            base_url=f"http://{IN_PROCESS_API}",
            transport=httpx.ASGITransport(app=strict),
            journal=False,
        ) as client:
            with pytest.raises(WanError) as denied:
                await client.submit(VideoRequest(prompt="a cat", first_frame=image, duration=2))
            texts += exception_texts(denied.value)
    finally:
        strict.close()
    host, port = UNREACHABLE
    async with AsyncWanClient(
        "dashscope", base_url=f"http://{host}:{port}", journal=False, max_retries=0
    ) as c:
        with pytest.raises(WanError) as unreachable:
            await c.get("some-task")
        texts += exception_texts(unreachable.value)
    return texts


# --- the CLI ------------------------------------------------------------------------------------------------


def test_cli_keeps_the_key_to_itself(
    served: Served,
    home: Path,
    image: Path,
    tmp_path: Path,
    logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wan_nb.cli import main

    monkeypatch.setenv("DASHSCOPE_API_KEY", CANARY)
    monkeypatch.chdir(tmp_path)
    base = ["--provider", "dashscope", "--base-url", served.url]
    out = str(tmp_path / "cli-out")
    # Held open like a second notebook would: the CLI's closing connections then leave the WAL in place.
    holder = Journal(home / "journal.sqlite3")
    try:
        with SocketWatch() as net:
            generate = [
                "generate",
                "--image",
                str(image),
                "--prompt",
                "a cat",
                "--duration",
                "2",
                "--out",
                out,
            ]
            assert main([*generate, *base]) == 0
            printed = capfd.readouterr().out
            task_id = Path(printed.strip().splitlines()[-1]).stem
            unreachable = f"http://{UNREACHABLE[0]}:{UNREACHABLE[1]}"
            codes = [
                main(["status", task_id, *base]),
                main(["wait", task_id, *base]),
                main(["download", task_id, "--out", str(tmp_path / "again"), *base]),
                main(["list"]),
                main(["resume", "--out", out]),
                main(["cancel", task_id, *base]),  # 400 UnsupportedOperation: an error line, exit 1
                main(["status", "x", "--provider", "dashscope", "--base-url", unreachable]),
            ]
        assert codes == [0, 0, 0, 0, 0, 1, 1], codes
        captured = capfd.readouterr()
        spawned = _cli_in_a_subprocess(served, image, tmp_path)
        scanned = scan_files(tmp_path)
    finally:
        holder.close()
    assert_no_canary(printed, captured.out, captured.err, *log_texts(logs), *spawned)
    assert_journal_kept(home, scanned)
    assert_wire_clean(served.recorder)
    assert net.connects, "the audit hook saw nothing"
    assert_connects_only(net.connects, served.addresses | {UNREACHABLE})
    assert_lookups_loopback(net.lookups)


def _cli_in_a_subprocess(served: Served, image: Path, tmp_path: Path) -> list[str]:
    """``python -m wan_nb generate`` as a user runs it (the key only in its environment), hook installed."""
    watch = subprocess_watch(tmp_path)
    env = {**os.environ, **watch.env, "DASHSCOPE_API_KEY": CANARY}
    words = ["generate", "--image", str(image), "--prompt", "a dog", "--duration", "2"]
    words += ["--provider", "dashscope", "--base-url", served.url, "--out", str(tmp_path / "spawned")]
    done = subprocess.run(
        [sys.executable, "-m", "wan_nb", *words], env=env, cwd=tmp_path, capture_output=True, timeout=180
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    armed, connects = watch.read()
    assert armed, "the sitecustomize audit hook never loaded in the CLI process"
    assert connects, "the CLI's audit hook saw no connection, not even to the simulator"
    assert_connects_only(connects, served.addresses)
    return [done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")]


# --- the panel ----------------------------------------------------------------------------------------------


def _widget_text(widget: Any) -> str:
    def raw(value: Any) -> str:
        return (
            bytes(value).decode("latin-1")
            if isinstance(value, bytes | bytearray | memoryview)
            else repr(value)
        )

    return json.dumps(widget.get_state(), default=raw)


async def _generate_with_key(panel: Any, key: str) -> Any:
    panel.picker.key.value = key  # what the browser sends on Enter; the picker clears it at once
    panel.generate.click()
    await panel.wait_idle()
    return panel.cards[-1]


async def test_panel_keeps_the_key_to_itself(
    served: Served,
    home: Path,
    image: Path,
    tmp_path: Path,
    logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keys typed into the panel's password box (the env holds none) reach only the API host: first a wrong
    one (the simulator answers 401), then the right one."""
    from ipywidgets import Output
    from ipywidgets.widgets.widget import _instances

    from wan_nb.widgets import WanPanel

    monkeypatch.setenv(
        "WAN_NB_BASE_URL", served.url
    )  # the panel's own dashscope clients go to the served sim
    monkeypatch.chdir(tmp_path)
    with SocketWatch() as net:
        panel = WanPanel(provider="sim", prompt="a cat", first_frame=image)
        panel.form.duration.value = 2
        panel.picker.dropdown.value = "dashscope"
        refused = await _generate_with_key(panel, WRONG_KEY)
        assert refused.state == "ERROR" and "InvalidApiKey" in (refused.error or ""), refused.error
        card = await _generate_with_key(panel, CANARY)
        assert card.state == "SUCCEEDED", (card.state, card.error_box.value)
        widgets = list(_instances.values())
        texts = [_widget_text(w) for w in widgets]
        texts += [json.dumps(w.outputs, default=repr) for w in widgets if isinstance(w, Output)]
        texts += [repr(panel), repr(card.task), card.code.value, refused.error or "", refused.error_box.value]
        texts.append(json.dumps(panel._repr_mimebundle_(), default=repr))
        scanned = scan_files(tmp_path)  # before aclose: the panel's clients still hold the journal
        await panel.aclose()
    out, err = capfd.readouterr()
    assert_no_canary(*texts, out, err, *log_texts(logs))
    assert_journal_kept(home, scanned)
    assert_wire_clean(served.recorder, sent=(WRONG_KEY, CANARY))
    assert net.connects, "the audit hook saw nothing"
    assert_connects_only(net.connects, served.addresses)
    assert_lookups_loopback(net.lookups)

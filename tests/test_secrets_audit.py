"""Secrets audit (issue 6): a canary key goes through the client, the CLI, the panel and all five notebooks.

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

import ast
import json
import logging
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from socket_watch import SocketWatch
from test_notebooks import TUTORIALS

from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.client.journal import Journal
from wan_nb.errors import TaskFailed, WaitTimeout, WanError
from wan_nb.models import Task, TaskStatus, VideoRequest
from wan_nb.sim import create_app

CANARY = "sk-canary-" + secrets.token_hex(12)
WRONG_KEY = "sk-wrongcanary-" + secrets.token_hex(12)  # typed into the panel first; the simulator refuses it
KEYS = (CANARY, WRONG_KEY)
ROOT = Path(__file__).resolve().parents[1]
FAST = PollSchedule(quick=(0.2,), floor=0.2, cap=0.4)
API_PREFIXES = ("/api/v1/", "/v1/videos", "/v1/tasks", "/wan/api/v1/")
STORAGE_PATHS = ("/results/", "/oss-upload")
IN_PROCESS_API = "sim.localhost"
IN_PROCESS_STORAGE = "storage.sim.localhost"  # *.localhost: loopback by name (RFC 6761), never resolved here
UNREACHABLE = ("127.0.0.1", 9)  # the discard port: nothing listens; the tests' deliberate "host is down"


# --- finding a key ------------------------------------------------------------------------------------------


def _needles() -> list[bytes]:
    """Each key, and its random part alone (a key re-prefixed, quoted or cut at the dash still leaks)."""
    return [n.encode() for key in KEYS for n in (key, key.rsplit("-", 1)[1])]


def assert_no_canary(*texts: str | bytes, where: str = "") -> None:
    for text in texts:
        blob = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        for needle in _needles():
            at = blob.find(needle)
            assert at < 0, (
                f"a key leaked{' in ' + where if where else ''}: …{blob[max(0, at - 80) :][:200]!r}"
            )


def _render(value: Any, depth: int = 6) -> str:
    """``value`` as text, secrets included: httpx's ``Headers`` repr masks Authorization, so mappings and
    header lists are spelled out item by item, and bytes are decoded (latin-1 keeps every byte)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, str):
        return value
    if depth > 0:
        if hasattr(value, "multi_items"):  # httpx.Headers / QueryParams, unmasked
            return _render(list(value.multi_items()), depth - 1)
        if isinstance(value, Mapping):
            return (
                "{"
                + ", ".join(f"{_render(k, depth - 1)}: {_render(v, depth - 1)}" for k, v in value.items())
                + "}"
            )
        if isinstance(value, list | tuple | set | frozenset):
            return "[" + ", ".join(_render(item, depth - 1) for item in value) + "]"
    try:
        return f"{value!r} {value!s}"
    except Exception as exc:  # a broken repr must not hide the rest of the evidence
        return f"<unrenderable {type(value).__name__}: {exc!r}>"


def _attributes(obj: Any) -> list[tuple[str, Any]]:
    """An object's own attributes: its ``__dict__`` and its ``__slots__`` (frozen dataclasses use slots)."""
    if isinstance(obj, str | bytes | int | float | type | ModuleType) or obj is None or callable(obj):
        return []
    names = set(getattr(obj, "__dict__", None) or ())
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.update((slots,) if isinstance(slots, str) else slots)
    found = []
    for name in sorted(names - {"__dict__", "__weakref__"}):
        try:
            found.append((name, object.__getattribute__(obj, name)))
        except AttributeError:
            continue
    return found


def exception_texts(error: BaseException) -> list[str]:
    """Everything an exception can show, for the whole chain.

    Each exception reached through ``__cause__``, ``__context__``, an exception group or an attribute is read:
    its str, repr, args and attributes, plus the attributes of those attributes (an httpx error's
    ``.request.headers``). Then the traceback as ``TracebackException(capture_locals=True)`` renders it,
    which is what a debugger, a log formatter with locals or a crash reporter shows.
    """
    texts: list[str] = []
    pending, visited = [error], set()
    while pending:
        current = pending.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        texts += [str(current), repr(current), _render(current.args)]
        for name, value in _attributes(current):
            texts.append(f"{name}={_render(value)}")
            texts += [f"{name}.{inner}={_render(deeper)}" for inner, deeper in _attributes(value)]
            if isinstance(value, BaseException):
                pending.append(value)
        pending += [linked for linked in (current.__cause__, current.__context__) if linked is not None]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
    rendered = traceback.TracebackException(type(error), error, error.__traceback__, capture_locals=True)
    texts.append("".join(rendered.format()))
    return texts


def scan_files(*roots: Path) -> dict[Path, int]:
    """Read every file under ``roots`` raw and check it for the keys; returns each file's size."""
    sizes: dict[Path, int] = {}
    for path in sorted({p for root in roots if root.exists() for p in root.rglob("*")}):
        try:
            if not path.is_file():
                continue
            data = path.read_bytes()
        except FileNotFoundError:  # a .part or -shm removed while we walked
            continue
        assert_no_canary(data, where=str(path))
        sizes[path] = len(data)
    return sizes


def assert_journal_kept(home: Path, scanned: dict[Path, int]) -> None:
    """The journal exists, holds a task, and its WAL was read while it still held the recent writes."""
    path = home / "journal.sqlite3"
    assert path.is_file(), "no journal was written: the journal audit would pass on nothing"
    assert scanned.get(path.with_name("journal.sqlite3-wal"), 0) > 0, "the WAL was gone before it was read"
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT count(*) FROM tasks").fetchone()[0]
    assert rows >= 1, "the journal holds no task: nothing was audited"


# --- the wire -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    host: str  # the Host header: the origin the client addressed
    arrived: str  # where the request came in: uvicorn's listening socket, or ASGITransport's URL host:port
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def api(self) -> bool:
        return self.path.startswith(API_PREFIXES)


class Recorder:
    """ASGI middleware in front of the simulator: records every request (Host included).

    API calls reach the simulator under ``storage_host``, so the upload host and the result URLs it builds
    from its Host header name that second origin (DashScope's live on OSS, another host).
    """

    def __init__(self, app: Any, *, api_host: str, storage_host: str) -> None:
        self.app = app
        self.api_host = api_host
        self.storage_host = storage_host
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

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        inner = scope
        if scope["path"].startswith(API_PREFIXES):
            named = [(k, self.storage_host.encode() if k == b"host" else v) for k, v in scope["headers"]]
            inner = {**scope, "headers": named}
        try:
            await self.app(inner, tapped, send)
        finally:
            server = scope.get("server") or ("?", 0)
            query = scope.get("query_string", b"").decode("latin-1")
            arrived, body = f"{server[0]}:{server[1] or 80}", b"".join(chunks)  # ASGITransport: port None
            self.seen.append(Seen(headers.get("host", ""), arrived, scope["path"], query, headers, body))


def _with_port(host: str) -> str:
    return host if ":" in host else f"{host}:80"


def assert_wire_clean(recorder: Recorder, *, sent: tuple[str, ...] = (CANARY,)) -> None:
    """Only two origins were reached; storage got no key and no Authorization; the API got keys only in it."""
    seen = recorder.seen
    assert seen, "nothing was recorded"
    hosts = {s.host for s in seen}
    assert hosts <= {recorder.api_host, recorder.storage_host}, f"requests to other hosts: {hosts}"
    for s in seen:
        assert _with_port(s.host) == s.arrived, f"Host {s.host} arrived at {s.arrived}"
        where = f"{s.host}{s.path}"
        if s.host == recorder.storage_host:
            assert s.path.startswith(STORAGE_PATHS), f"{where}: an unexpected storage request"
            assert "authorization" not in s.headers, f"an Authorization header went to {where}"
            assert_no_canary(json.dumps(s.headers), s.path, s.query, s.body, where=where)
        else:
            assert s.api, f"{where}: a non-API request to the API host"
            rest = {k: v for k, v in s.headers.items() if k != "authorization"}
            assert_no_canary(json.dumps(rest), s.path, s.query, s.body, where=where)
    storage = [s for s in seen if s.host == recorder.storage_host]
    assert any(s.path.startswith("/results/") for s in storage), "no result URL was fetched from storage"
    assert any(s.path.startswith("/oss-upload") for s in storage), "no upload reached the storage host"
    for key in sent:  # positive control: the key did go where it belongs
        assert any(s.headers.get("authorization") == f"Bearer {key}" for s in seen if s.api)


# --- outgoing connections -----------------------------------------------------------------------------------


def assert_connects_only(connects: list[Any], allowed: set[tuple[str, int]]) -> None:
    strays = [a for a in connects if not (isinstance(a, tuple) and (a[0], a[1]) in allowed)]
    assert not strays, f"connections beyond the loopback simulator {sorted(allowed)}: {strays}"


def assert_lookups_loopback(lookups: list[Any]) -> None:
    def loopback(host: Any) -> bool:
        name = host.decode() if isinstance(host, bytes) else str(host)
        return name in ("127.0.0.1", "::1", "localhost") or name.endswith(".localhost")

    assert all(loopback(h) for h in lookups), f"name lookups beyond loopback: {lookups}"


# A subprocess (the CLI, a notebook kernel) imports this at start-up when its directory is on PYTHONPATH.
SITECUSTOMIZE = '''\
"""Written by tests/test_secrets_audit.py: log every socket connect of this process."""
import os
import sys

_LOG = os.environ.get("WAN_AUDIT_NET_LOG")


def _write(line):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {line}\\n")


def _hook(event, args):
    if event == "socket.connect":
        _write(f"connect {args[1]!r}")


if _LOG:
    sys.addaudithook(_hook)
    _write(f"armed {sys.argv[:3]!r}")
    print("wan-audit: armed", file=sys.stderr, flush=True)
'''


@dataclass
class SubprocessWatch:
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def read(self) -> tuple[set[int], list[Any]]:
        """The pids that armed the hook, and every address they connected to."""
        armed: set[int] = set()
        connects: list[Any] = []
        text = self.log.read_text(encoding="utf-8") if self.log.exists() else ""
        for line in text.splitlines():
            pid, kind, rest = line.split(" ", 2)
            if kind == "armed":
                armed.add(int(pid))
            elif kind == "connect":
                connects.append(ast.literal_eval(rest))
        return armed, connects


def subprocess_watch(tmp_path: Path) -> SubprocessWatch:
    site = tmp_path / "audit-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    python_path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    log = tmp_path / "net-audit.log"
    return SubprocessWatch(log, {"PYTHONPATH": python_path, "WAN_AUDIT_NET_LOG": str(log)})


# --- fixtures -----------------------------------------------------------------------------------------------


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
    return [logs.text, *(_render(record.__dict__) for record in logs.records)]


@dataclass
class Served:
    url: str  # the API origin clients are given
    api: tuple[str, int]
    storage: tuple[str, int]
    recorder: Recorder

    @property
    def addresses(self) -> set[tuple[str, int]]:
        return {self.api, self.storage}


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def served() -> Iterator[Served]:
    """The simulator (requiring the canary) on two loopback ports: the API origin and the storage origin."""
    import uvicorn

    app = create_app(task_time=1.0, api_key=CANARY, seed=4)
    api_sock, storage_sock = _listening(), _listening()
    api, storage = api_sock.getsockname()[:2], storage_sock.getsockname()[:2]
    recorder = Recorder(app, api_host=f"{api[0]}:{api[1]}", storage_host=f"{storage[0]}:{storage[1]}")
    server = uvicorn.Server(uvicorn.Config(recorder, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [api_sock, storage_sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "the simulator did not start"
    yield Served(f"http://{api[0]}:{api[1]}", api, storage, recorder)
    server.should_exit = True
    thread.join(timeout=10)
    app.close()
    api_sock.close()
    storage_sock.close()


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


# --- the notebooks, executed and saved ----------------------------------------------------------------------

PROBE_CELL = f"""\
# Added by the secrets audit: one connect the kernel's audit hook must report (nothing listens there).
import socket
with socket.socket() as probe:
    probe.connect_ex({UNREACHABLE!r})
"""


@pytest.mark.notebooks
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", TUTORIALS)
def test_notebook_keeps_the_key_to_itself(
    name: str, served: Served, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each tutorial runs with the canary as both provider keys (as tests/test_notebooks.py runs them).

    01 takes its provider from the environment (dashscope, at the served simulator through
    ``WAN_NB_BASE_URL``); 02-05 use the in-process simulators (``provider = None``) and must connect nowhere.
    The saved .ipynb, the kernel's stdout/stderr and every file of the run hold no trace of the key.
    """
    import nbformat
    from nbclient import NotebookClient

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
    watch = subprocess_watch(tmp_path)
    environment = {
        "JUPYTER_PATH": str(tmp_path / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),  # connection files: scanned with the rest
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "MPLBACKEND": "agg",
        "DASHSCOPE_API_KEY": CANARY,
        "WAN_API_KEY": CANARY,
        **watch.env,
    }
    if name == "01_quickstart.ipynb":
        environment["WAN_NB_BASE_URL"] = (
            served.url
        )  # elsewhere it would turn the sim providers to the network
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    path = tmp_path / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL))
    kernel_output = tmp_path / "kernel-output.log"
    holder = Journal(home / "journal.sqlite3")  # keeps the kernel's WAL on disk after the kernel exits
    try:
        with kernel_output.open("wb") as sink:
            client = NotebookClient(
                nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            )
            client.execute(stdout=sink, stderr=sink)
        nbformat.write(nb, tmp_path / f"executed-{name}")
        scanned = scan_files(tmp_path, home)
    finally:
        holder.close()
    assert b"wan-audit: armed" in kernel_output.read_bytes(), "the kernel's stderr was not captured"
    assert_journal_kept(home, scanned)
    armed, connects = watch.read()
    assert armed, "the sitecustomize audit hook never loaded in the kernel"
    assert UNREACHABLE in connects, "the kernel's audit hook did not report the probe connect"
    allowed = served.addresses if name == "01_quickstart.ipynb" else set()
    assert_connects_only(connects, allowed | {UNREACHABLE})
    if name == "01_quickstart.ipynb":
        assert served.api in {a[:2] for a in connects}, "the hook missed the kernel's connects to the API"
        create = [s for s in served.recorder.seen if s.path.endswith("video-synthesis")]
        assert create, "the notebook never submitted"
        assert_wire_clean(served.recorder)


def test_task_repr_never_shows_raw_fields() -> None:
    """``Task.raw`` (the wire body) stays out of the repr, so a body that echoed a header could not leak."""
    task = Task(id="t", status=TaskStatus.RUNNING, raw={"echo": CANARY})
    assert_no_canary(repr(task), str(task))

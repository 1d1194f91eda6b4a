"""The bad-input catalogue (issue 6): one table of malformed inputs through the API, the CLI and the panel.

Each input must give a one-line error that names the offending field exactly, and must cost nothing: zero
HTTP requests. "Zero" is proven twice: a counting transport or server that would receive any request (the
API and the panel get ``AsyncWanClient(transport=...)``; the CLI, which builds its own client, gets a
counting loopback server as ``--base-url``), and an audit hook on ``socket.connect``/``getaddrinfo`` that
sees any connection or name lookup the process makes, to any host.

Every row of :data:`CATALOGUE` goes through every surface that can express it. A surface skips a row only
with the reason written in the row, and :func:`test_skip_reasons_match_what_each_surface_can_express`
checks that a reason is given exactly when the surface cannot express the row (so no row is dropped
silently, and no stale reason hides one that became expressible).

The one accepted exception to "one line": argparse's own refusals (a flag's value is not an int, a required
flag is missing) print argparse's usage block before the single error line, and name the *flag*
(``--duration``) rather than the field. That is argparse's fixed format, and it happens before wan_nb runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.bad_inputs import (
    BASE_PROMPT,
    CAPS,
    CATALOGUE,
    CLI_CASES,
    CLI_ONLY_USAGE,
    IDS,
    Bad,
    CountingTransport,
    _request,
    _resolve,
    assert_names_exactly,
    cli_form,
    make_media,
)
from tests.fixtures.sockets import SocketWatch
from wan_nb.client import AsyncWanClient
from wan_nb.errors import ConfigError, ValidationError, WanError


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_media(tmp_path_factory.mktemp("bad-media"))


# --- the API ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", CATALOGUE, ids=IDS)
async def test_api_refuses_before_any_request(media: dict[str, str], bad: Bad) -> None:
    wire = CountingTransport()
    with SocketWatch() as net:
        async with AsyncWanClient(
            bad.provider, api_key="sk-never-sent", transport=wire, journal=False
        ) as client:
            with pytest.raises((ValidationError, TypeError)) as caught:
                await client.submit(_request(media, bad.fields))
    assert_names_exactly(caught.value, bad.field)
    assert wire.requests == []
    assert net.events == []


async def test_map_refuses_the_whole_batch_naming_the_item(media: dict[str, str]) -> None:
    """A typo in item 3 costs nothing for items 0-2: map validates all before it submits any."""
    wire = CountingTransport()
    good = _request(media, {})
    requests = [good, good, good, _request(media, {"duration": 40})]
    async with AsyncWanClient("dashscope", api_key="sk-never-sent", transport=wire, journal=False) as client:
        with pytest.raises(ValidationError) as caught:
            client.map(requests)
    assert_names_exactly(caught.value, "requests[3].duration")  # the item's index, then its field
    assert wire.requests == []


# (id, constructor arguments, field) — refused by the constructor, before any client exists
CONFIG_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-provider", {"provider": "dashscope-mars", "api_key": "sk-x"}, "provider"),
    ("provider-without-key", {"provider": "dashscope"}, "api_key"),
    ("gateway-without-key", {"provider": "gateway"}, "api_key"),
    (
        "key-over-plain-http",
        {"provider": "dashscope", "api_key": "sk-x", "base_url": "http://example.com"},
        "base_url",
    ),
    (
        "base-url-not-http",
        {"provider": "dashscope", "api_key": "sk-x", "base_url": "ftp://127.0.0.1"},
        "base_url",
    ),
    ("key-without-provider", {"api_key": "sk-x"}, "provider"),
    # issue 10: a pasted key or URL (never httpx's "header injection" ValueError)
    ("key-inner-newline", {"provider": "dashscope", "api_key": "sk-abc\nX-Injected: 1"}, "api_key"),
    ("key-inner-space", {"provider": "gateway", "api_key": "sk-abc def"}, "api_key"),
    ("key-control-char", {"provider": "relay", "api_key": "sk-abc\x00"}, "api_key"),
    ("base-url-no-scheme", {"provider": "dashscope", "api_key": "sk-x", "base_url": "dashscope.aliyuncs.com"},
     "base_url"),
    ("base-url-inner-space", {"provider": "gateway", "api_key": "sk-x", "base_url": "https://api.example .com"},
     "base_url"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "field"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_client_configuration_is_refused_up_front(arguments: dict[str, Any], field: str) -> None:
    wire = CountingTransport()
    provider = arguments.pop("provider", None)
    with SocketWatch() as net, pytest.raises(ConfigError) as caught:
        AsyncWanClient(provider, transport=wire, journal=False, **arguments)
    assert_names_exactly(caught.value, field)
    assert wire.requests == []
    assert net.events == []


@pytest.mark.parametrize(
    ("variable", "value"), [("DASHSCOPE_API_KEY", "sk-a\nb"), ("WAN_NB_BASE_URL", "api.example.com")]
)
def test_a_bad_variable_is_named(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-fine")
    monkeypatch.setenv(variable, value)
    with SocketWatch() as net, pytest.raises(ConfigError) as caught:
        AsyncWanClient("dashscope", transport=CountingTransport(), journal=False)
    assert_names_exactly(caught.value, "base_url" if variable == "WAN_NB_BASE_URL" else variable)
    assert net.events == []


# --- positive controls: valid but unusual inputs that must pass -----------------------------------------------

# (id, provider, fields over a valid request)
POSITIVE: list[tuple[str, str, dict[str, Any]]] = [
    ("jpeg-saved-as-png", "sim", {"first_frame": "@jpeg_as_png"}),
    ("first-clip-3s", "sim", {"first_frame": None, "first_clip": "@clip_3s"}),
    ("relay-with-a-local-file", "sim-relay", {"first_frame": "@ok"}),
    ("gateway-with-a-local-file", "sim-gateway", {"first_frame": "@jpeg_as_png"}),
    ("dated-snapshot", "sim", {"model": "wan2.7-i2v-2026-04-25"}),
]


@pytest.mark.parametrize(("provider", "fields"), [p[1:] for p in POSITIVE], ids=[p[0] for p in POSITIVE])
async def test_unusual_but_valid_inputs_reach_the_service(
    media: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    provider: str,
    fields: dict[str, Any],
) -> None:
    monkeypatch.setenv("WAN_NB_HOME", str(tmp_path))
    async with AsyncWanClient(provider, journal=False) as client:
        task = await client.submit(_request(media, fields))  # the simulator checks the wire body too
    assert task.id and not task.done


def test_a_loopback_api_may_fetch_local_links_and_a_new_model_can_be_sent_on_purpose(
    media: dict[str, str],
) -> None:
    from wan_nb.validation import validate

    local = _request(media, {"first_frame": "http://localhost:8888/files/cat.png"})
    validate(local, CAPS["native"], cloud=False)  # the simulator, a relay on this machine
    with pytest.raises(ValidationError, match="pass the local file"):
        validate(local, CAPS["native"], cloud=True)
    new = _request(media, {"model": "wan3.0-i2v", "allow_unknown_model": True})
    validate(new, CAPS["native"])


async def test_a_key_and_url_pasted_with_whitespace_are_cleaned() -> None:
    wire = CountingTransport()
    async with AsyncWanClient(
        "dashscope", api_key="  sk-pasted\n", base_url=" https://dashscope.aliyuncs.com/\n", transport=wire,
        journal=False, max_retries=0,
    ) as client:  # fmt: skip
        assert client.base_url == "https://dashscope.aliyuncs.com"
        with pytest.raises(WanError):
            await client.get("task-1")
    assert wire.requests[0].headers["authorization"] == "Bearer sk-pasted"


# --- the panel ----------------------------------------------------------------------------------------------

PANEL_MEDIA_ROLES = ("first_frame", "last_frame", "driving_audio")
PANEL_TEXTS = ("prompt", "negative_prompt")
NATIVE_ONLY = ("last_frame", "driving_audio", "negative_prompt", "watermark", "prompt_extend")


PANEL_OWN_MODEL = "wan2.7-i2v"


def panel_form(bad: Bad) -> list[tuple[str, Any]] | None:
    """The form inputs that express ``bad``, or None when the panel cannot express it."""
    if bad.provider == "gateway" and any(name in NATIVE_ONLY for name in bad.fields):
        return None
    for name, value in bad.fields.items():
        if name == "model" and value == PANEL_OWN_MODEL:
            continue  # what the panel sends anyway (it makes image-to-video)
        if name in PANEL_TEXTS and isinstance(value, str):
            continue
        if name in PANEL_MEDIA_ROLES and (value is None or isinstance(value, str | bytes)):
            continue
        return None
    return [(name, value) for name, value in bad.fields.items() if name != "model"]


def _enter(panel: Any, name: str, value: Any) -> None:
    """What a user does: type into a text box or the URL box, upload a file, or clear a medium."""
    if name in PANEL_TEXTS:
        getattr(panel.form, name).value = value
        return
    medium = getattr(panel.form, name)
    if value is None:
        medium.set(None)
    elif isinstance(value, bytes):  # the browser's upload, as the widget's comm delivers it
        upload = {"name": f"{name}.bin", "type": "", "size": len(value), "content": memoryview(value)}
        medium.upload.set_state({"value": [{**upload, "last_modified": 0}]})
    else:
        medium.url.value = value


PANEL_CASES = [bad for bad in CATALOGUE if bad.panel is None]


@pytest.mark.parametrize("bad", PANEL_CASES, ids=[bad.id for bad in PANEL_CASES])
async def test_panel_explains_beside_the_field_and_sends_nothing(media: dict[str, str], bad: Bad) -> None:
    from wan_nb.widgets import WanPanel

    steps = panel_form(bad)
    assert steps is not None
    wire = CountingTransport()
    with SocketWatch() as net:
        async with AsyncWanClient(
            bad.provider, api_key="sk-never-sent", transport=wire, journal=False
        ) as client:
            panel = WanPanel(client, prompt=BASE_PROMPT, first_frame=media["ok"], history=False)
            for name, value in steps:
                _enter(panel, name, _resolve(value, media))
            panel.generate.click()
            # Before anything is closed or cancelled: no job was ever started, nothing reached the wire.
            assert panel.last_job is None and panel.jobs == set() and panel.cards == []
            assert wire.requests == []
            await asyncio.sleep(0.05)  # a job spawned despite that would have sent by now
            assert wire.requests == []
            await panel.aclose()
    assert net.events == []
    assert list(panel.form.errors) == [bad.field], (panel.form.errors, panel.message.value)
    shown = panel.form.errors[bad.field]
    assert shown and "\n" not in shown, shown
    assert panel.message.value == ""


# --- the counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", CATALOGUE, ids=IDS)
def test_skip_reasons_match_what_each_surface_can_express(media: dict[str, str], bad: Bad) -> None:
    """A surface skips a row only with a reason, and only when it really cannot express it."""
    assert (bad.cli is None) == (cli_form(bad, media) is not None), (bad.id, bad.cli)
    assert (bad.panel is None) == (panel_form(bad) is not None), (bad.id, bad.panel)


def test_each_surface_gets_at_least_forty_inputs() -> None:
    ids = [bad.id for bad in CATALOGUE]
    assert len(ids) == len(set(ids)), "duplicate ids"
    api = len(CATALOGUE) + len(CONFIG_CASES) + 1  # + the map batch
    issue_10 = IDS[IDS.index("model-t2v") :]
    assert len(issue_10) >= 25 and len(POSITIVE) >= 3, len(issue_10)
    cli = len(CLI_CASES) + len(CLI_ONLY_USAGE)
    panel = len(PANEL_CASES)
    assert min(api, cli, panel) >= 40, {"api": api, "cli": cli, "panel": panel}

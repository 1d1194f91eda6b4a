"""The providers table, provider resolution from arguments and environment, and the plain-http key rule."""

from __future__ import annotations

import warnings
from pathlib import Path

import httpx
import pytest

from wan_nb.client import PROVIDERS, AsyncWanClient, available_providers
from wan_nb.client.providers import SIM_NOTICE, data_home, is_loopback, resolve
from wan_nb.display import frontend
from wan_nb.errors import ConfigError, ValidationError

KEY = "sk-test-provider-key"


def test_table_rows() -> None:
    rows = {name: (row.dialect, row.base_url, row.key_env, row.region) for name, row in PROVIDERS.items()}
    assert rows == {
        "gateway": ("unified", "https://api-platform.ope.ai", "WAN_API_KEY", None),
        "dashscope": ("native", "https://dashscope.aliyuncs.com", "DASHSCOPE_API_KEY", "cn-beijing"),
        "dashscope-intl": (
            "native",
            "https://dashscope-intl.aliyuncs.com",
            "DASHSCOPE_API_KEY",
            "ap-southeast-1",
        ),
        "dashscope-us": ("native", "https://dashscope-us.aliyuncs.com", "DASHSCOPE_API_KEY", "us-east-1"),
        "relay": ("relay", "https://api.apiyi.com", "WAN_API_KEY", None),
        "sim": ("native", "http://sim.localhost", None, None),
        "sim-gateway": ("unified", "http://sim.localhost", None, None),
        "sim-relay": ("relay", "http://sim.localhost", None, None),
    }


def test_explicit_provider_without_key_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve("dashscope", env={})
    assert caught.value.field == "api_key"
    assert "DASHSCOPE_API_KEY" in str(caught.value) and "api_key=" in str(caught.value)
    assert isinstance(caught.value, ValidationError) and isinstance(caught.value, ValueError)


def test_explicit_provider_takes_its_key_from_its_variable() -> None:
    resolved = resolve("relay", env={"WAN_API_KEY": KEY, "DASHSCOPE_API_KEY": "other"})
    assert (resolved.provider.name, resolved.api_key, resolved.base_url) == (
        "relay",
        KEY,
        "https://api.apiyi.com",
    )
    assert KEY not in repr(resolved)


def test_argument_key_beats_environment() -> None:
    assert resolve("gateway", api_key="sk-arg", env={"WAN_API_KEY": KEY}).api_key == "sk-arg"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DASHSCOPE_API_KEY": KEY}, "dashscope"),
        ({"WAN_API_KEY": KEY}, "gateway"),
        ({"WAN_API_KEY": KEY, "DASHSCOPE_API_KEY": KEY}, "dashscope"),
        ({"WAN_NB_PROVIDER": "relay", "WAN_API_KEY": KEY, "DASHSCOPE_API_KEY": KEY}, "relay"),
        ({"WAN_NB_PROVIDER": "sim-gateway"}, "sim-gateway"),
    ],
)
def test_provider_from_environment(env: dict[str, str], expected: str) -> None:
    assert resolve(env=env).provider.name == expected


def test_no_provider_no_key_falls_back_to_the_simulator_and_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(frontend, "_SAID", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a notice line, never a warning with a file path and source line
        resolved = resolve(env={})
    assert resolved.provider.name == "sim" and resolved.in_process
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert said == SIM_NOTICE + "\n"
    assert "built-in simulator" in said and "DASHSCOPE_API_KEY" in said and "providers.py" not in said


def test_simulator_fallback_is_said_once_per_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(frontend, "_SAID", set())
    for _ in range(3):
        resolve(env={})
    captured = capsys.readouterr()
    assert (captured.out + captured.err).count("built-in simulator") == 1


def test_explicit_sim_needs_no_key_and_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve("sim", env={}).provider.name == "sim"


def test_key_without_provider_is_refused() -> None:
    with pytest.raises(ConfigError, match="provider="):
        resolve(api_key=KEY, env={})


def test_unknown_provider_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown provider 'dashcope'.*dashscope-intl"):
        resolve("dashcope", api_key=KEY, env={})


def test_base_url_overrides_the_host() -> None:
    resolved = resolve("dashscope", api_key=KEY, base_url="http://127.0.0.1:8000/", env={})
    assert (resolved.base_url, resolved.host, resolved.in_process) == (
        "http://127.0.0.1:8000",
        "127.0.0.1:8000",
        False,
    )
    assert resolve("sim", base_url="http://localhost:9", env={}).in_process is False
    assert (
        resolve("dashscope", env={"DASHSCOPE_API_KEY": KEY, "WAN_NB_BASE_URL": "https://x.test"}).base_url
        == "https://x.test"
    )


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.5:8000", "http://127.example.com"])
def test_no_key_over_plain_http_to_a_remote_host(url: str) -> None:
    with pytest.raises(ConfigError, match="plain http") as caught:
        resolve("dashscope", api_key=KEY, base_url=url, env={})
    assert caught.value.field == "base_url" and KEY not in str(caught.value)
    assert resolve("dashscope", api_key=KEY, base_url=url, allow_insecure=True, env={}).base_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://127.9.9.9",
        "http://[::1]:8000",
        "http://localhost",
        "http://sim.localhost",
        "https://example.com",
    ],
)
def test_loopback_and_https_are_fine(url: str) -> None:
    assert resolve("gateway", api_key=KEY, base_url=url, env={}).base_url == url


def test_not_a_url() -> None:
    with pytest.raises(ConfigError, match="not an http"):
        resolve("gateway", api_key=KEY, base_url="ftp://example.com", env={})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("a.b.localhost", True),
        ("128.0.0.1", False),
        ("localhost.example.com", False),
        ("example.com", False),
        ("::2", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_available_providers() -> None:
    assert available_providers({}) == ["sim", "sim-gateway", "sim-relay"]
    assert available_providers({"DASHSCOPE_API_KEY": KEY}) == [
        "dashscope",
        "dashscope-intl",
        "dashscope-us",
        "sim",
        "sim-gateway",
        "sim-relay",
    ]
    assert "gateway" in available_providers({"WAN_API_KEY": KEY}) and "relay" in available_providers(
        {"WAN_API_KEY": KEY}
    )


def test_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert data_home({"WAN_NB_HOME": str(tmp_path)}) == tmp_path  # overrides the platform's folder
    # Linux: platformdirs follows the XDG base directory spec (macOS/Windows: its own tables).
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert data_home({}) == tmp_path / "wan_nb"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_home({}) == Path.home() / ".local" / "share" / "wan_nb"


def _recording() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    return seen, httpx.MockTransport(handler)


def test_client_refuses_bad_configuration_before_any_request() -> None:
    seen, transport = _recording()
    with pytest.raises(ConfigError, match="DASHSCOPE_API_KEY"):
        AsyncWanClient("dashscope", transport=transport)
    with pytest.raises(ConfigError, match="plain http"):
        AsyncWanClient("gateway", api_key=KEY, base_url="http://api.example.com", transport=transport)
    assert seen == []


async def test_client_exposes_the_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAN_API_KEY", KEY)
    _, transport = _recording()
    async with AsyncWanClient(transport=transport, journal=False) as client:
        assert (client.provider, client.dialect, client.base_url) == (
            "gateway",
            "unified",
            "https://api-platform.ope.ai",
        )
        assert (
            repr(client)
            == "AsyncWanClient(provider='gateway', base_url='https://api-platform.ope.ai', dialect='unified')"
        )


def test_a_missing_renderer_dependency_is_a_config_error_naming_the_pip_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wan_nb.client import providers

    monkeypatch.setattr(providers, "SIM_MODULES", ("av", "wan_nb_no_such_module"))
    with pytest.raises(ConfigError, match=r'wan_nb_no_such_module.*pip install "wan_nb" "av>=14.0"'):
        AsyncWanClient(provider="sim", journal=False)  # before anything is submitted


async def test_an_estimate_needs_the_provider_not_a_client() -> None:
    from wan_nb.client import estimate_on
    from wan_nb.lab import pricing
    from wan_nb.models import VideoRequest

    request = VideoRequest(prompt="a cat", duration=5)
    for name in PROVIDERS:  # the same as an opened client's, for every provider (no key needed here)
        found = estimate_on(name, request, concurrency=2)
        if PROVIDERS[name].key_env is None:
            async with AsyncWanClient(name, journal=False) as client:
                assert client.estimate(request, concurrency=2) == found
    assert estimate_on("sim-gateway", request).currency == "CNY"  # no region: priced as Beijing
    assert estimate_on("sim-relay", request).wall_seconds == pricing.SIM_RUN.typical
    intl = estimate_on("dashscope-intl", request)
    assert intl.currency == "USD" and intl.wall_seconds == pricing.SERVICE_RUN.typical

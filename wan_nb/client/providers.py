"""The providers table and the one place that reads the environment.

A provider is a row (dialect, base URL, key variable, region), never an if-chain. :func:`resolve` turns the
constructor's arguments plus the environment into a :class:`Resolved` configuration and enforces the key rules:
an explicit provider needs a key, and a key never travels over plain http to a host other than loopback.
The simulator providers run in-process through ``httpx.ASGITransport``; the sim is imported only there.
Must not import ipywidgets, panel or cli.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import httpx

from wan_nb.display import frontend
from wan_nb.errors import ConfigError
from wan_nb.media.hosts import is_loopback
from wan_nb.protocols import dialect as dialect_named
from wan_nb.protocols.base import Capabilities

__all__ = [
    "PROVIDERS",
    "SIM_BASE_URL",
    "SIM_NOTICE",
    "Provider",
    "Resolved",
    "available_providers",
    "data_home",
    "is_loopback",
    "provider_capabilities",
    "resolve",
    "sim_transport",
    "with_colab_secrets",
]

# `*.localhost` always resolves to loopback (RFC 6761 §6.3), so the in-process sim passes the http rule honestly.
SIM_BASE_URL = "http://sim.localhost"
SIM_KEY = "sk-sim-local"


@dataclass(frozen=True, slots=True)
class Provider:
    """One row of the table: where a provider lives and how it is spoken to."""

    name: str
    dialect: str
    """``unified`` | ``native`` | ``relay`` (a module of ``wan_nb.protocols``)."""
    base_url: str
    key_env: str | None
    """The environment variable holding the key; None for the simulators (no key needed)."""
    region: str | None = None
    note: str = ""

    @property
    def is_sim(self) -> bool:
        return self.base_url == SIM_BASE_URL


_ROWS = (
    Provider(
        "gateway",
        "unified",
        "https://api-platform.ope.ai",
        "WAN_API_KEY",
        None,
        "the unified gateway's guide: /v1/videos",
    ),
    Provider(
        "dashscope", "native", "https://dashscope.aliyuncs.com", "DASHSCOPE_API_KEY", "cn-beijing", "Beijing"
    ),
    Provider(
        "dashscope-intl",
        "native",
        "https://dashscope-intl.aliyuncs.com",
        "DASHSCOPE_API_KEY",
        "ap-southeast-1",
        "Singapore",
    ),
    Provider(
        "dashscope-us",
        "native",
        "https://dashscope-us.aliyuncs.com",
        "DASHSCOPE_API_KEY",
        "us-east-1",
        "Virginia",
    ),
    Provider(
        "relay",
        "relay",
        "https://api.apiyi.com",
        "WAN_API_KEY",
        None,
        "the relay's page: /wan create, /v1/tasks poll",
    ),
    Provider("sim", "native", SIM_BASE_URL, None, None, "built-in simulator, native dialect"),
    Provider("sim-gateway", "unified", SIM_BASE_URL, None, None, "built-in simulator, unified dialect"),
    Provider("sim-relay", "relay", SIM_BASE_URL, None, None, "built-in simulator, relay dialect"),
)
PROVIDERS: Mapping[str, Provider] = MappingProxyType({row.name: row for row in _ROWS})


def provider_capabilities() -> dict[str, Capabilities]:
    """Each provider's dialect capabilities: validation names the providers that carry a task (text, references,
    edits) that the chosen one does not (the gateway carries image-to-video only)."""
    return {name: dialect_named(row.dialect).capabilities for name, row in PROVIDERS.items()}


# Without an explicit provider, the first key found picks one (DashScope first: it is the upstream itself).
_BY_KEY = (("DASHSCOPE_API_KEY", "dashscope"), ("WAN_API_KEY", "gateway"))


SIM_NOTICE = (
    "wan_nb: no API key found, so the built-in simulator is used (free, offline, synthetic videos); "
    "for the real service set DASHSCOPE_API_KEY or WAN_API_KEY, or pass provider=..."
)
"""Said once per process when no provider and no key pick one: a plain line under the cell (a Python warning
would print providers.py's path and source line, a pink block at the top of every teaching notebook)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """The configuration a client runs with."""

    provider: Provider
    base_url: str
    api_key: str = field(repr=False)
    home: Path
    """``$WAN_NB_HOME``: the journal and the simulator's state live here."""

    @property
    def in_process(self) -> bool:
        """True when requests go to the in-process simulator rather than the network."""
        return self.base_url == SIM_BASE_URL

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc


def data_home(env: Mapping[str, str] | None = None) -> Path:
    """``$WAN_NB_HOME``, else the platform's user data folder (platformdirs): ``$XDG_DATA_HOME/wan_nb`` or
    ``~/.local/share/wan_nb`` on Linux, ``~/Library/Application Support/wan_nb`` on macOS,
    ``%LOCALAPPDATA%\\wan_nb`` on Windows."""
    env = os.environ if env is None else env
    if env.get("WAN_NB_HOME"):
        return Path(env["WAN_NB_HOME"]).expanduser()
    import platformdirs  # here: only a client without WAN_NB_HOME needs it

    return Path(platformdirs.user_data_dir("wan_nb", appauthor=False))


def resolve(
    provider: str | None = None,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    allow_insecure: bool = False,
    env: Mapping[str, str] | None = None,
) -> Resolved:
    """Pick the provider, key and base URL; the only reader of provider variables. Raises ConfigError."""
    env = with_colab_secrets(os.environ) if env is None else env
    name = provider or env.get("WAN_NB_PROVIDER") or _name_from_keys(env, api_key)
    row = _row(name.strip())
    key = _clean(api_key, "api_key") or _clean(env.get(row.key_env) if row.key_env else None, row.key_env)
    key = key or _sim_key(row)
    if not key:
        raise ConfigError("api_key", f"provider {row.name!r} needs a key: set {row.key_env} or pass api_key=")
    url = (
        _clean(base_url, "base_url") or _clean(env.get("WAN_NB_BASE_URL"), "WAN_NB_BASE_URL") or row.base_url
    ).rstrip("/")
    check_url(url, allow_insecure=allow_insecure)
    return Resolved(row, url, key, data_home(env))


KEY_VARIABLES = tuple(dict.fromkeys(row.key_env for row in _ROWS if row.key_env))


def with_colab_secrets(env: Mapping[str, str]) -> Mapping[str, str]:
    """On Colab, ``env`` plus the key variables it lacks that the user keeps in Colab Secrets (the key
    icon in the sidebar, read with ``google.colab.userdata.get``); elsewhere ``env`` itself. The values only
    travel into :class:`Resolved` (whose repr hides the key), never into a message."""
    if "google.colab" not in sys.modules:
        return env
    found = {name: value for name in KEY_VARIABLES if not env.get(name) and (value := _colab_secret(name))}
    return {**env, **found} if found else env


def _colab_secret(name: str) -> str | None:
    try:
        userdata = importlib.import_module("google.colab.userdata")
        value = userdata.get(name)
    except Exception:  # SecretNotFoundError, NotebookAccessError (access not granted), TimeoutException
        return None
    return value if isinstance(value, str) and value else None


def _clean(value: str | None, name: str | None) -> str | None:
    """A key or URL as pasted: surrounding whitespace (a trailing newline) dropped; whitespace or a control
    character inside is a ConfigError naming where it came from (it would be refused as header injection)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(name or "api_key", f"must be a string, got {type(value).__name__}")
    text = value.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ConfigError(
            name or "api_key", "contains a line break, a space or a control character inside; paste it again"
        )
    return text or None


def _name_from_keys(env: Mapping[str, str], api_key: str | None) -> str:
    for variable, name in _BY_KEY:
        if env.get(variable):
            return name
    if api_key:
        # Guessing which host should receive a key would risk sending it to the wrong one.
        raise ConfigError(
            "provider", f"an api_key was given without a provider; pass provider= ({_choices()})"
        )
    frontend.say(SIM_NOTICE)
    return "sim"


def _row(name: str) -> Provider:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ConfigError("provider", f"unknown provider {name!r}; choose one of {_choices()}") from None


def _choices() -> str:
    return ", ".join(PROVIDERS)


def _sim_key(row: Provider) -> str | None:
    return SIM_KEY if row.key_env is None else None


def check_url(url: str, *, allow_insecure: bool) -> None:
    """ConfigError unless ``url`` is https, or http to a loopback host, or ``allow_insecure`` is set."""
    if "://" not in url:
        raise ConfigError("base_url", f"{url[:80]!r} has no scheme; write https://{url[:60]}")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal
        raise ConfigError("base_url", f"{url[:80]!r} is not an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError("base_url", f"{url[:80]!r} is not an http(s) URL")
    if parts.scheme == "http" and not allow_insecure and not is_loopback(host):
        raise ConfigError(
            "base_url",
            f"refusing to send the API key over plain http to {host}; use https, a loopback host, "
            "or pass allow_insecure=True",
        )


def available_providers(env: Mapping[str, str] | None = None) -> list[str]:
    """Providers usable right now: those whose key is in the environment, plus the simulators."""
    env = with_colab_secrets(os.environ) if env is None else env
    return [row.name for row in _ROWS if row.key_env is None or env.get(row.key_env)]


SIM_MODULES = ("av", "numpy", "PIL")
"""What the in-process simulator imports to render (the renderer loads them when a task runs)."""

# One simulator app per state folder per process, so sim, sim-gateway and sim-relay see the same tasks.
_SIM_APPS: dict[Path, Any] = {}


def sim_transport(home: Path) -> httpx.AsyncBaseTransport:
    """An ASGI transport to the in-process simulator whose state lives under ``home/sim``."""
    missing = [name for name in SIM_MODULES if importlib.util.find_spec(name) is None]
    if missing:  # a base install has them; an install with --no-deps or a broken env may not
        raise ConfigError(
            "provider",
            f"the built-in simulator needs {', '.join(missing)}, which are not installed; run: "
            f'pip install "wan_nb" "av>=14.0" "numpy>=1.26" "pillow>=10.2"',
        )
    from wan_nb.sim import create_app  # heavy (numpy, PyAV); the sim never imports the client

    state_dir = (home / "sim").resolve()
    if state_dir not in _SIM_APPS:
        # VS Code's Electron has no AAC decoder (frontend.FrontEnd.plays_aac): no soundtrack there.
        audio = frontend.detect().plays_aac
        try:
            _SIM_APPS[state_dir] = create_app(state_dir=state_dir, audio=audio)
        except OSError as exc:
            raise ConfigError(
                "WAN_NB_HOME", f"the simulator cannot keep its state in {state_dir}: {exc}"
            ) from exc
    return httpx.ASGITransport(app=_SIM_APPS[state_dir])

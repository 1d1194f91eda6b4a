"""``wan_nb.doctor()`` and ``wan-nb doctor``: one table of what works here, and how to fix what does not.

Each check is a small function returning a :class:`Check` (name, ok / note / fail, what was found, the fix).
Key variables are reported by name only, proxies with their password replaced, and nothing is sent anywhere:
the doctor reads the environment, imports, and the disk.
"""

from __future__ import annotations

import html
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from wan_nb.client.providers import PROVIDERS, SIM_MODULES, data_home, with_colab_secrets
from wan_nb.display import frontend

__all__ = ["Check", "Diagnosis", "doctor"]

State = Literal["ok", "note", "fail"]
MIN_FREE = 200 * 1024 * 1024
"""Free bytes below which the journal's home is reported: videos are downloaded next to the notebook, but
the simulator renders into ``$WAN_NB_HOME/sim``."""
PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
"""What the client's transport (httpx) accepts; socks through the ``socks`` extra."""
COLAB_WIDGETS = "from google.colab import output; output.enable_custom_widget_manager()"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    state: State
    found: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The doctor's table; shown as HTML in a notebook and as text in a terminal."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """No check failed (notes are fine)."""
        return all(check.state != "fail" for check in self.checks)

    def __str__(self) -> str:
        width = max(len(check.name) for check in self.checks)
        lines = []
        for check in self.checks:
            lines.append(f"{_MARK[check.state]} {check.name:<{width}}  {check.found}")
            if check.fix:
                lines.append(f"  {'':<{width}}  fix: {check.fix}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{_MARK[c.state]}</td><td><b>{html.escape(c.name)}</b></td>"
            f"<td>{html.escape(c.found)}</td><td>{html.escape(c.fix)}</td></tr>"
            for c in self.checks
        )
        head = "<tr><th></th><th>check</th><th>found</th><th>how to fix</th></tr>"
        return f'<table class="wan-nb-doctor">{head}{rows}</table>'


_MARK: dict[State, str] = {"ok": "✓", "note": "·", "fail": "✗"}


def doctor(env: Mapping[str, str] | None = None, front: frontend.FrontEnd | None = None) -> Diagnosis:
    """Run every check (``env`` and ``front`` default to this process's, for tests)."""
    env = with_colab_secrets(os.environ) if env is None else env  # values stay here: names are reported
    front = frontend.detect() if front is None else front
    checks: list[Callable[[], Check]] = [
        lambda: front_end(front),
        lambda: widgets(front),
        encoder,
        lambda: file_serving(front),
        lambda: providers(env),
        lambda: proxies(env),
        lambda: journal_home(env),
    ]
    return Diagnosis(tuple(check() for check in checks))


def front_end(front: frontend.FrontEnd) -> Check:
    markers = f" (markers: {', '.join(front.markers)})" if front.markers else ""
    if front.serves_files:
        play = "videos play by relative path (the server's /files/), results from their https URL"
    elif front.in_kernel:
        play = (
            f"videos play embedded up to {frontend.EMBED_CAP // 1_048_576} MB, results from their https URL"
        )
    else:
        play = "videos are saved to disk (no player)"
    audio = "; simulator videos without audio (no AAC in VS Code)" if not front.plays_aac else ""
    return Check("front end", "ok", f"{front.label}{markers}; {play}{audio}")


def widgets(front: frontend.FrontEnd) -> Check:
    version = _version("ipywidgets")
    if version is None:
        return Check("ipywidgets", "fail", "not installed", 'pip install "ipywidgets>=8.1"')
    fix = COLAB_WIDGETS if front.kind is frontend.Kind.COLAB else ""
    state: State = "note" if fix else "ok"
    return Check("ipywidgets", state, f"{version}, {front.widget_note}", fix)


def encoder() -> Check:
    missing = [name for name in SIM_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        return Check(
            "simulator encoder",
            "fail",
            f"missing {', '.join(missing)}",
            'pip install "av>=14.0" "numpy>=1.26" "pillow>=10.2"',
        )
    import av  # here: heavy, and only the doctor and the renderer need it

    if "libx264" not in av.codecs_available:
        return Check(
            "simulator encoder",
            "fail",
            f"PyAV {av.__version__} has no libx264 (H.264) encoder",
            'install PyAV\'s own wheel: pip install --force-reinstall --only-binary=:all: "av>=14.0"',
        )
    return Check("simulator encoder", "ok", f"PyAV {av.__version__}: libx264 (H.264)")


def file_serving(front: frontend.FrontEnd) -> Check:
    cwd = Path.cwd()
    if front.kind is frontend.Kind.VOILA:
        return Check(
            "file serving",
            "note",
            f"Voilà serves {cwd} under /voila/files/, images only by default",
            "allow mp4: --VoilaConfiguration.file_allowlist=\"['.*\\.(png|jpg|gif|svg|mp4)']\"",
        )
    if front.serves_files:
        hidden = any(part.startswith(".") for part in cwd.parts)
        if hidden:
            return Check(
                "file serving",
                "note",
                f"{cwd} is inside a hidden folder, which Jupyter does not serve",
                "open the notebook from a non-hidden folder",
            )
        return Check("file serving", "ok", f"Jupyter serves {cwd} (wan_outputs/ plays by relative path)")
    return Check("file serving", "ok", "no file server here: videos are embedded or linked instead")


def providers(env: Mapping[str, str]) -> Check:
    variables = sorted({row.key_env for row in PROVIDERS.values() if row.key_env})
    present = [name for name in variables if env.get(name)]
    usable = [row.name for row in PROVIDERS.values() if row.key_env is None or env.get(row.key_env)]
    chosen = env.get("WAN_NB_PROVIDER")
    found = f"keys set: {', '.join(present) or 'none'}; usable: {', '.join(usable)}"
    if chosen:
        found += f"; WAN_NB_PROVIDER={chosen}"
    if chosen and chosen not in PROVIDERS:
        return Check("providers", "fail", found, f"WAN_NB_PROVIDER must be one of {', '.join(PROVIDERS)}")
    fix = "" if present else f"for the real service set {' or '.join(variables)} (the simulator needs none)"
    return Check("providers", "ok" if present else "note", found, fix)


def proxies(env: Mapping[str, str]) -> Check:
    seen, schemes = [], set()
    for name in PROXY_VARIABLES:
        for variable in (name, name.upper()):
            if env.get(variable):
                value = env[variable] if name == "no_proxy" else redact(env[variable])
                seen.append(f"{variable}={value}")
                if name != "no_proxy":
                    schemes.add(urlsplit(env[variable]).scheme if "://" in env[variable] else "http")
    found = "; ".join(seen) or "none set (direct connections)"
    unsupported = sorted(schemes - set(PROXY_SCHEMES))
    if unsupported:
        return Check("proxies", "fail", found, f"use one of {', '.join(s + '://' for s in PROXY_SCHEMES)}")
    if any(scheme.startswith("socks") for scheme in schemes) and importlib.util.find_spec("socksio") is None:
        return Check("proxies", "fail", found, 'a socks5:// proxy needs socksio: pip install "wan_nb[socks]"')
    return Check("proxies", "ok", found)


def redact(url: str) -> str:
    """``url`` with its password (and a user-only token) replaced by ``***``."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username}:***@{host}{port}" if parts.password is not None else f"***@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def journal_home(env: Mapping[str, str]) -> Check:
    home = data_home(env)
    source = "WAN_NB_HOME" if env.get("WAN_NB_HOME") else "platform default"
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            "journal home", "fail", f"{home} ({source}) is not writable: {exc.strerror}", "set WAN_NB_HOME"
        )
    free = shutil.disk_usage(home).free
    found = f"{home} ({source}), writable, {free / 1e9:.1f} GB free"
    if free < MIN_FREE:
        return Check("journal home", "note", found, "free some space or set WAN_NB_HOME elsewhere")
    return Check("journal home", "ok", found)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None

"""The network under the client: stock httpx (httpcore) with its TLS, proxy and HTTP/2 options, under retries.

Every transport is an ``httpx.AsyncHTTPTransport`` wrapped in ``_retry.RetryTransport``. Proxies are chosen
per request host the way httpx chooses them (``httpx.AsyncClient._get_proxy_map``): an explicit ``proxy=`` is
used for every host; otherwise, with ``trust_env``, ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` and
``NO_PROXY`` are read by httpx's own ``get_environment_proxies`` into URL-pattern mounts, so the API host, the
DashScope upload host and the result (OSS) host each get the route the environment gives them. httpx reads the
environment only when it builds the transport itself, which it cannot do here (the retries wrap it), hence
the mounts are built here, each a RetryTransport around its own proxy transport.

One ``ssl.SSLContext`` serves every mount (and an https:// proxy): loading a CA bundle costs ~60 ms, so the
default one is also shared between clients while ``SSL_CERT_FILE``/``SSL_CERT_DIR`` and their files stay the
same. A CA path and a client certificate are loaded here, into that context: httpx 0.28 deprecates its own
``verify=<str>`` and ``cert=`` (a DeprecationWarning in the user's cell).
Every option is checked when the client is built, before any request: a ConfigError names the option.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from httpx._utils import get_environment_proxies  # httpx's NO_PROXY rules, not a copy of them

from wan_nb.client._retry import RetryTransport
from wan_nb.errors import ConfigError

__all__ = ["Network", "build_client", "check_injection", "check_timeout"]

Verify = bool | str | PathLike[str] | ssl.SSLContext
Cert = str | PathLike[str] | tuple[str, str] | tuple[str, str, str]
ProxyOption = str | httpx.URL | httpx.Proxy
Hook = Callable[[httpx.Request], Awaitable[None]]

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_VARIABLES = {"http://": "HTTP_PROXY", "https://": "HTTPS_PROXY", "all://": "ALL_PROXY"}
_EXTRAS = {"h2": ("http2=True", "http2"), "socksio": ("a socks5:// proxy", "socks")}


@dataclass(frozen=True)
class Network:
    """The constructor's network options, checked: ``verify``, ``cert``, ``proxy``, ``trust_env``, ``http2``.

    ``verify``: True (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when ``trust_env``), False, a CA bundle
    file or folder, or an ``ssl.SSLContext``. ``cert``: a client certificate file, or (cert, key[, password]).
    """

    verify: Verify = True
    cert: Cert | None = field(default=None, repr=False)  # may carry the key's password
    proxy: ProxyOption | None = field(default=None, repr=False)  # may carry user:password
    trust_env: bool = True
    http2: bool = False

    def __post_init__(self) -> None:
        _check_verify(self.verify)
        _check_cert(self.cert, self.verify)
        for name in ("trust_env", "http2"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, f"must be True or False, not {getattr(self, name)!r}")
        if self.http2:
            _need("h2")
        if self.proxy is not None:
            _check_proxy(self.proxy, "proxy")

    @property
    def is_default(self) -> bool:
        return self == Network()

    def ssl_context(self) -> ssl.SSLContext:
        """The one context for every connection this client makes (ConfigError if a file will not load)."""
        if isinstance(self.verify, ssl.SSLContext):
            return self.verify  # the caller's, as is (a client certificate belongs inside it: _check_cert)
        if self.verify is True and self.cert is None:
            env = os.environ if self.trust_env else {}
            where = (env.get("SSL_CERT_FILE"), env.get("SSL_CERT_DIR"))
            return _default_context(self.trust_env, where, tuple(_modified(path) for path in where))
        context = _verifying_context(self.verify, self.trust_env)
        if self.cert is not None:
            _load_cert(context, self.cert)
        return context

    def proxies(self, context: ssl.SSLContext) -> dict[str, httpx.Proxy | None]:
        """URL pattern → proxy (None: go direct), as httpx maps them; ConfigError for an unusable proxy.

        ``context`` verifies an https:// proxy: the same CA that signs the hosts behind it, on a company network.
        """
        if self.proxy is not None:
            return {"all://": _as_proxy(self.proxy, context)}
        if not self.trust_env:
            return {}
        found = get_environment_proxies()
        for pattern, url in found.items():
            if url is not None:
                _check_proxy(url, _VARIABLES.get(pattern, pattern))
        return {pattern: None if url is None else _as_proxy(url, context) for pattern, url in found.items()}

    def transports(
        self, wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
    ) -> tuple[httpx.AsyncBaseTransport, dict[str, httpx.AsyncBaseTransport | None]]:
        """The direct transport and the proxy mounts (None: the direct one), each passed through ``wrap``."""
        context = self.ssl_context()
        proxies = self.proxies(context)

        def transport(proxy: httpx.Proxy | None) -> httpx.AsyncBaseTransport:
            return wrap(httpx.AsyncHTTPTransport(verify=context, http2=self.http2, proxy=proxy))

        mounts = {pattern: None if proxy is None else transport(proxy) for pattern, proxy in proxies.items()}
        return transport(None), mounts


def build_client(
    network: Network,
    *,
    timeout: httpx.Timeout,
    max_retries: int,
    transport: httpx.AsyncBaseTransport | None = None,
    on_request: Hook | None = None,
) -> httpx.AsyncClient:
    """The client's own httpx client: no base URL, no auth, no default headers (``_api`` adds the key)."""

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return inner if isinstance(inner, RetryTransport) else RetryTransport(inner, max_retries=max_retries)

    # An injected transport (tests, the in-process simulator) is the whole network, as httpx treats it.
    direct, mounts = (wrap(transport), {}) if transport is not None else network.transports(wrap)
    return httpx.AsyncClient(
        transport=direct,
        mounts=mounts,
        timeout=timeout,
        trust_env=False,  # the environment was read above, into the mounts
        event_hooks={"request": [on_request]} if on_request else None,
    )


def _as_proxy(proxy: ProxyOption, context: ssl.SSLContext) -> httpx.Proxy:
    if isinstance(proxy, httpx.Proxy):
        return proxy  # the caller's, with its own TLS settings
    url = httpx.URL(
        proxy if "://" in str(proxy) else f"http://{proxy}"
    )  # as httpx reads HTTP_PROXY=host:port
    return httpx.Proxy(url, ssl_context=context if url.scheme == "https" else None)  # httpcore: https only


def check_injection(
    network: Network, transport: httpx.AsyncBaseTransport | None, http_client: httpx.AsyncClient | None
) -> None:
    """A ready client or transport carries its own network: options that would be ignored are refused."""
    given = "http_client" if http_client is not None else "transport" if transport is not None else None
    if given is None:
        return
    if http_client is not None and transport is not None:
        raise ConfigError("transport", "pass transport= or http_client=, not both")
    if not network.is_default:
        raise ConfigError(given, f"configure TLS, proxies and HTTP/2 on the {given} you pass, not here")


def check_timeout(timeout: object) -> httpx.Timeout:
    """``timeout=``: seconds (> 0) for every phase, or an ``httpx.Timeout`` (connect/read/write/pool)."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
        return httpx.Timeout(float(timeout))
    raise ConfigError("timeout", f"must be seconds > 0 or an httpx.Timeout, not {timeout!r}")


def _check_verify(verify: object) -> None:
    if isinstance(verify, bool | ssl.SSLContext):
        return
    if isinstance(verify, str | PathLike):
        if not Path(verify).exists():
            raise ConfigError("verify", f"no CA file or folder at {os.fspath(verify)}")
        return
    raise ConfigError(
        "verify", f"must be True, False, a CA file path or an ssl.SSLContext, not {type(verify).__name__}"
    )


def _check_cert(cert: object, verify: object) -> None:
    if cert is None:
        return
    if isinstance(verify, ssl.SSLContext):
        raise ConfigError("cert", "with verify=<SSLContext>, load the certificate into it (load_cert_chain)")
    if isinstance(cert, str | PathLike):
        files: list[object] = [cert]
    elif isinstance(cert, tuple) and len(cert) in (2, 3):
        files = list(cert[:2])
    else:
        raise ConfigError(
            "cert", "must be a certificate file, (certificate, key) or (certificate, key, password)"
        )
    for name in files:
        if not isinstance(name, str | PathLike) or not Path(name).is_file():
            raise ConfigError("cert", f"no certificate or key file at {name!r}")


def _check_proxy(proxy: ProxyOption, option: str) -> None:
    if not isinstance(proxy, str | httpx.URL | httpx.Proxy):
        raise ConfigError(option, f"must be a proxy URL or an httpx.Proxy, not {type(proxy).__name__}")
    url = str(proxy.url) if isinstance(proxy, httpx.Proxy) else str(proxy)
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        # Never the URL itself in the message: it may carry user:password.
        raise ConfigError(option, f"a proxy must be {', '.join(s + '://' for s in PROXY_SCHEMES)}HOST:PORT")
    if parts.scheme.startswith("socks"):
        _need("socksio", option)


def _need(module: str, option: str | None = None) -> None:
    """ConfigError naming the pip line when an optional httpx extra is missing."""
    if importlib.util.find_spec(module) is None:
        what, extra = _EXTRAS[module]
        raise ConfigError(
            option or extra, f'{what} needs the {module} package: pip install "wan_nb[{extra}]"'
        )


@functools.lru_cache(maxsize=4)
def _default_context(
    trust_env: bool, where: tuple[str | None, ...], modified: tuple[int, ...]
) -> ssl.SSLContext:
    """httpx's default context. Its arguments are the cache key: a changed ``SSL_CERT_FILE``/``SSL_CERT_DIR``,
    or a bundle edited in place (a company CA appended), builds a new one."""
    return httpx.create_ssl_context(verify=True, trust_env=trust_env)


def _modified(path: str | None) -> int:
    try:
        return os.stat(path).st_mtime_ns if path else 0
    except OSError:
        return 0


def _verifying_context(verify: bool | str | PathLike[str], trust_env: bool) -> ssl.SSLContext:
    if verify is True or verify is False:
        return httpx.create_ssl_context(verify=verify, trust_env=trust_env)
    location = os.fspath(verify)
    try:
        if Path(location).is_dir():
            return ssl.create_default_context(capath=location)
        return ssl.create_default_context(cafile=location)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError("verify", f"cannot load CA certificates from {location}: {exc}") from None


def _load_cert(context: ssl.SSLContext, cert: Cert) -> None:
    if isinstance(cert, tuple):
        certfile, keyfile, password = cert[0], cert[1], cert[2] if len(cert) == 3 else None
    else:
        certfile, keyfile, password = os.fspath(cert), None, None
    try:
        context.load_cert_chain(certfile, keyfile, password)
    except (ssl.SSLError, OSError) as exc:
        # Never the password in the message; the file name is the caller's own.
        raise ConfigError("cert", f"cannot load the client certificate {certfile}: {exc}") from None

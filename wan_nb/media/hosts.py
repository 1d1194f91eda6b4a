"""Which hosts a URL points at: loopback, or a place the cloud service can never reach. Stdlib only, no I/O.

Used three ways: the key may travel over plain http only to loopback (``client.providers``); a server's result
URL may be plain http only on loopback (the simulator; ``protocols``); a media URL the cloud must fetch may not
point at this machine or a private network (``validation``). Names are judged as written, never resolved: a
lookup would be a network call, and validation makes none.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = ["is_fetchable", "is_loopback", "unreachable_reason"]


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, ``localhost`` and ``*.localhost`` (RFC 6761)."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _address(name)
    return address is not None and address.is_loopback


def is_fetchable(url: str) -> bool:
    """True for a URL wan_nb may download from: https, or plain http to loopback (the simulator); one printable
    line with a host. Never file:, ftp:, data: or anything else a server might suggest."""
    if not url.isprintable() or " " in url or len(url) > 8192:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # a malformed IPv6 literal
        return False
    return bool(host) and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host)))


def unreachable_reason(url: str) -> str | None:
    """Why a cloud service cannot fetch ``url`` (an http(s) URL), or None when it may be able to."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if is_loopback(host) or host in ("0.0.0.0", "::"):
        return f"{host} is this machine"
    address = _address(host)
    if address is not None and (address.is_private or address.is_link_local or address.is_reserved):
        return f"{host} is a private or link-local address"
    if host.endswith((".local", ".internal", ".lan", ".home.arpa")) or (address is None and "." not in host):
        return f"{host} is a local-network name"
    if _JUPYTER_FILES.match(parts.path) or (parts.path.startswith("/files/") and "_xsrf=" in parts.query):
        return "it is a Jupyter link to a file in this notebook's folder, behind its login"
    return None


# Jupyter serves the notebook's folder at /files/...; JupyterHub and Binder under /user/<name>/files/...
# (loopback servers are caught above). A public CDN path that merely contains /files/ is left alone.
_JUPYTER_FILES = re.compile(r"^/(user/[^/]+/|user-redirect/)(files|view|tree|lab/tree)/")

"""Registry host names and repository paths: pure checks, no network."""

from __future__ import annotations

import ipaddress
import re

from dockwright.errors import ConfigError

_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9a-fA-F:.]+\]"
)
_PATH = re.compile(
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)


def split_host(url: str, where: str = "registry url") -> tuple[str, int | None]:
    """`localhost:5000` -> ("localhost", 5000); ConfigError for a scheme, a path or a bad port."""
    if "://" in url:
        scheme, _, rest = url.partition("://")
        host_part, _, path = rest.partition("/")
        raise ConfigError(
            f"{where} {url!r} must not name a scheme; write {host_part!r}"
            + (f" and namespace = {path.strip('/')!r}" if path.strip("/") else "")
            + (" and set insecure = true for plain http" if scheme == "http" else "")
        )
    if "/" in url:
        host_part, _, path = url.partition("/")
        raise ConfigError(
            f"{where} {url!r} holds a path; write url = {host_part!r} and namespace = {path!r}"
        )
    host, sep, port = url.rpartition(":") if not url.endswith("]") else (url, "", "")
    if not sep:
        host, port = url, ""
    if not host or not _HOST.fullmatch(host):
        raise ConfigError(f"{where} {url!r} is not a host name; e.g. ghcr.io or localhost:5000")
    if sep and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"{where} {url!r} has port {port!r}; a port is a number from 1 to 65535")
    return host, int(port) if sep else None


def is_loopback(host: str) -> bool:
    """`localhost`, `127.x.y.z`, `::1`: exact names only (`localhost.example.com` is not)."""
    bare = host.strip("[]").lower()
    if bare == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def check_namespace(namespace: str, where: str = "registry namespace") -> None:
    """A repository path prefix as the distribution spec allows it (lowercase, `/`-separated)."""
    if namespace and not _PATH.fullmatch(namespace):
        raise ConfigError(
            f"{where} {namespace!r} is not a repository path: lowercase letters, digits, "
            "'.', '_', '-' and '/' between parts, e.g. acme or acme/web"
        )

"""Which credentials dockwright uses for a registry, and where they come from.

Two modes, as registry tools (crane, skopeo, regctl) have them:

- **token**: the registry's `username_env`/`token_env` variables are set (a CI
  secret, an exported token). Pushes go through a throwaway docker config that
  holds only this login, so the docker CLI never calls a credential helper and
  the user's own login is never touched.
- **docker login**: no token is set. The user's own docker config and
  credential helper are read (helper `get` only, never `store` or `erase`)
  for registry API calls, and pushes use the user's docker client as it is.

Tokens never come from the app's `.env`: compose hands that file to the
containers, so a push token there would end up inside the running app.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dockwright.config import RegistrySettings
from dockwright.errors import ConfigError
from dockwright.registry.credentials import Credentials
from dockwright.registry.names import split_host

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True, kw_only=True)
class Access:
    """How dockwright authenticates to one registry."""

    mode: Literal["token", "docker-login"]
    credentials: Credentials | None
    source: str  # for people: where the credentials come from (never the secret)
    server: str  # the key docker uses for this registry in config.json / helpers

    def hint(self, registry: RegistrySettings) -> str:
        """What to do when the registry refuses these credentials."""
        if self.mode == "token":
            return f"check {registry.username_env} and {registry.token_env} ({self.source})"
        names = (
            f"export {registry.username_env} and {registry.token_env}, or "
            if registry.token_env
            else ""
        )
        return f"{names}run `docker login {registry.url.split('/')[0]}` ({self.source})"


def server_key(url: str) -> str:
    """The name docker files a registry's login under (`https://index.docker.io/v1/` for Hub)."""
    host, port = split_host(url)
    if host in _HUB_NAMES:
        return DOCKER_HUB_KEY
    return host + (f":{port}" if port else "")


def _hostname(key: str) -> str:
    """docker's `ConvertToHostname`: drop the scheme and any path from a config key."""
    bare = key.split("://", 1)[-1]
    return bare.split("/", 1)[0]


def config_dir(environ: Mapping[str, str], home: Path) -> Path:
    """`$DOCKER_CONFIG`, else `~/.docker` (the docker CLI's own rule)."""
    return Path(environ["DOCKER_CONFIG"]) if environ.get("DOCKER_CONFIG") else home / ".docker"


def read_docker_config(folder: Path) -> dict[str, Any]:
    """The user's docker config.json ({} when there is none)."""
    path = folder / "config.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc}); fix it or run `docker login`") from None
    if not raw.strip():
        return {}  # the docker CLI reads an empty file as an empty config
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise ConfigError(
            f"{path} is not valid JSON ({exc}); fix it or run `docker login`"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object; fix it or run `docker login`")
    return data


def login_from_config(
    config: Mapping[str, Any],
    server: str,
    helper_get: Callable[[str, str], tuple[str, str] | None],
) -> tuple[Credentials | None, str]:
    """The credentials the user's docker config holds for `server`, and where they are."""
    host = _hostname(server)
    helpers = {_hostname(k): v for k, v in (config.get("credHelpers") or {}).items()}
    # An empty credHelpers entry opts this host out of credsStore (docker's rule).
    helper = helpers[host] if host in helpers else config.get("credsStore")
    if helper:
        got = helper_get(str(helper), server)
        where = f"docker login via docker-credential-{helper}"
        if got is None:
            return None, f"{where}: no login for {server}"
        user, secret = got
        # Helpers return an identity (refresh) token under the user name "<token>".
        return Credentials(username=user, token=secret, identity=user == "<token>"), where
    auths = config.get("auths") or {}
    # An exact key first, then any key naming the same host (`https://host/v1/`).
    keys = sorted(auths, key=lambda k: k != server)
    for key in keys:
        entry = auths[key]
        if _hostname(key) != host or not isinstance(entry, dict):
            continue
        if entry.get("identitytoken"):
            token = str(entry["identitytoken"])
            return Credentials(username="<token>", token=token, identity=True), "docker login"
        if entry.get("auth"):
            return _decode_auth(str(entry["auth"]), key, host), "docker login"
    return None, f"no docker login for {server}"


def _decode_auth(value: str, key: str, host: str) -> Credentials:
    """`auth` is base64 of `user:secret`; anything else is refused as docker refuses it."""
    try:
        user, colon, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        user, colon, secret = "", "", ""
    if not colon or not user:
        raise ConfigError(
            f"docker config: the login for {key} is not base64 of user:password; "
            f"run `docker login {host}` again"
        )
    return Credentials(username=user, token=secret)


def resolve_access(
    registry: RegistrySettings,
    environ: Mapping[str, str],
    docker_config: Callable[[], Mapping[str, Any]],
    helper_get: Callable[[str, str], tuple[str, str] | None],
) -> Access:
    """Token from the environment when set, else the user's docker login (read-only)."""
    server = server_key(registry.url)
    token = environ.get(registry.token_env, "") if registry.token_env else ""
    if token:
        user = environ.get(registry.username_env, "") if registry.username_env else ""
        if not user:
            raise ConfigError(
                f"{registry.token_env} is set but "
                + (
                    f"{registry.username_env} is not"
                    if registry.username_env
                    else "no username_env"
                )
                + f" for registry {registry.url}; set it too (a token needs a user name)"
            )
        return Access(
            mode="token",
            credentials=Credentials(username=user, token=token),
            source=f"{registry.username_env}/{registry.token_env} from the environment",
            server=server,
        )
    creds, source = login_from_config(docker_config(), server, helper_get)
    return Access(mode="docker-login", credentials=creds, source=source, server=server)

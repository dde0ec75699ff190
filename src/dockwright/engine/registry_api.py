"""The registry HTTP API (distribution v2): tags, manifests, auth checks.

Speaks to registry:2 and Docker Hub alike: basic auth, or the bearer-token
flow a `WWW-Authenticate: Bearer realm=...` challenge asks for. Credentials
are passed in memory only.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from dockwright.errors import RegistryError

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)
CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True, kw_only=True)
class Credentials:
    username: str
    token: str

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Credentials(username={self.username!r}, token='********')"


def api_base(url: str, insecure: bool) -> str:
    """`localhost:5000` -> `http://localhost:5000`; `docker.io` -> Docker Hub's API host."""
    host = url.split("/", 1)[0]
    if host in ("docker.io", "index.docker.io"):
        return "https://registry-1.docker.io"
    scheme = "http" if insecure or host.startswith(("localhost", "127.")) else "https"
    return f"{scheme}://{host}"


class RegistryClient:
    def __init__(self, url: str, *, insecure: bool, credentials: Credentials | None) -> None:
        self.url = url
        self.base = api_base(url, insecure)
        self.credentials = credentials
        self._tokens: dict[str, str] = {}

    def _basic(self) -> str | None:
        if self.credentials is None:
            return None
        raw = f"{self.credentials.username}:{self.credentials.token}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _bearer(self, challenge: str, scope: str) -> str:
        params = dict(CHALLENGE.findall(challenge))
        if "realm" not in params:
            raise RegistryError(f"{self.url}: unexpected auth challenge {challenge!r}")
        query = {"service": params.get("service", "")}
        if scope:
            query["scope"] = scope
        req = urllib.request.Request(params["realm"] + "?" + urllib.parse.urlencode(query))
        if basic := self._basic():
            req.add_header("Authorization", basic)
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                data = json.load(resp)
        except urllib.error.HTTPError as exc:
            raise RegistryError(
                f"{self.url}: credentials refused by the token service (HTTP {exc.code})"
            ) from None
        return "Bearer " + str(data.get("token") or data.get("access_token"))

    def request(
        self, method: str, path: str, *, scope: str = "", accept: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        """One API call with auth as the registry asks; returns status, headers, body."""
        url = self.base + path
        auth = self._tokens.get(scope) or self._basic()
        for _attempt in range(2):
            req = urllib.request.Request(url, method=method)
            if accept:
                req.add_header("Accept", accept)
            if auth:
                req.add_header("Authorization", auth)
            try:
                with urllib.request.urlopen(req, timeout=20) as resp:
                    return resp.status, dict(resp.headers.items()), resp.read()
            except urllib.error.HTTPError as exc:
                challenge = exc.headers.get("WWW-Authenticate", "")
                if exc.code == 401 and challenge.lower().startswith("bearer") and _attempt == 0:
                    auth = self._tokens[scope] = self._bearer(challenge, scope)
                    continue
                return exc.code, dict(exc.headers.items()), exc.read()
            except (urllib.error.URLError, OSError) as exc:
                raise RegistryError(
                    f"registry {self.url} is unreachable ({getattr(exc, 'reason', exc)}); "
                    "start it (`invoke registry.up` for the local one) or check --registry"
                ) from None
        raise RegistryError(f"{self.url}: authentication failed for {path}")

    def check_access(self) -> None:
        """Raise RegistryError unless the registry answers and accepts our credentials."""
        status, _, _ = self.request("GET", "/v2/")
        if status == 401:
            how = "wrong credentials" if self.credentials else "no credentials"
            raise RegistryError(
                f"registry {self.url} refused access ({how}); set its username/token variables "
                "in the environment or .env"
            )
        if status >= 400:
            raise RegistryError(f"registry {self.url} answered HTTP {status} to /v2/")

    def tags(self, repository: str) -> list[str]:
        """Tags of `repository` (path inside the registry); [] when it does not exist."""
        status, _, body = self.request(
            "GET", f"/v2/{repository}/tags/list", scope=f"repository:{repository}:pull"
        )
        if status == 404:
            return []
        if status >= 400:
            raise RegistryError(f"listing tags of {repository} on {self.url}: HTTP {status}")
        return list(json.loads(body).get("tags") or [])

    def manifest(self, repository: str, tag: str) -> tuple[str, dict[str, Any]] | None:
        """(digest, manifest) of `repository:tag`, or None when the tag does not exist."""
        status, headers, body = self.request(
            "GET",
            f"/v2/{repository}/manifests/{tag}",
            scope=f"repository:{repository}:pull",
            accept=MANIFEST_TYPES,
        )
        if status == 404:
            return None
        if status >= 400:
            raise RegistryError(f"reading {repository}:{tag} from {self.url}: HTTP {status}")
        digest = {k.lower(): v for k, v in headers.items()}.get("docker-content-digest", "")
        return digest, json.loads(body)

    def catalog(self) -> list[str]:
        status, _, body = self.request("GET", "/v2/_catalog", scope="registry:catalog:*")
        if status >= 400:
            return []
        return list(json.loads(body).get("repositories") or [])

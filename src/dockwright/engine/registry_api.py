"""The registry HTTP API (distribution v2 / OCI): tags, manifests, blobs, auth.

Speaks to registry:2, Docker Hub and GHCR alike: basic auth, or the bearer
token a `WWW-Authenticate: Bearer realm=...` challenge asks for. Built on httpx,
which already drops `Authorization` on a redirect to another origin; on top of
that, credentials go to a token service only over https, or over plain http
when the registry itself is plain http and the realm is the registry's own host
(or both are loopback). Credentials live in memory only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx

from dockwright.errors import RegistryError
from dockwright.registry.credentials import Credentials
from dockwright.registry.names import is_loopback, split_host

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
IMAGE_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
MANIFEST_TYPES = ", ".join((*IMAGE_TYPES, *INDEX_TYPES))
DOCKER_HUB_API = "registry-1.docker.io"
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_MAX_PAGES = 10_000


def api_base(url: str, insecure: bool) -> str:
    """`localhost:5000` -> `http://localhost:5000`; `docker.io` -> Docker Hub's API host.

    Plain http only for an explicit `insecure` registry or a loopback address.
    """
    host, port = split_host(url)
    if host in ("docker.io", "index.docker.io"):
        return f"https://{DOCKER_HUB_API}"
    scheme = "http" if insecure or is_loopback(host) else "https"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_PARAM.findall(rest))


def realm_refusal(realm: httpx.URL, registry: httpx.URL) -> str | None:
    """Why credentials must not go to this token service, or None when they may."""
    if realm.scheme == "https":
        return None
    if realm.scheme != "http":
        return f"its scheme is {realm.scheme!r}"
    if registry.scheme != "http":
        return "it is plain http while the registry is https"
    if realm.host == registry.host or (is_loopback(realm.host) and is_loopback(registry.host)):
        return None
    return "it is plain http on another host than the registry"


class RegistryAuth(httpx.Auth):
    """The distribution auth flow: answer a Basic or Bearer challenge, cache tokens per scope."""

    requires_response_body = True

    def __init__(self, registry: httpx.URL, credentials: Credentials | None) -> None:
        self.registry = registry
        self.credentials = credentials
        self._tokens: dict[str, str] = {}
        self._basic = False

    def _basic_header(self) -> str:
        assert self.credentials is not None
        raw = f"{self.credentials.username}:{self.credentials.token}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        scope = _scope(request)
        if scope in self._tokens:
            request.headers["Authorization"] = self._tokens[scope]
        elif self._basic and self.credentials:
            request.headers["Authorization"] = self._basic_header()
        response = yield request
        # A 401 from a host we were redirected to is not ours to answer.
        if response.status_code != 401 or response.request.url.host != self.registry.host:
            return
        scheme, params = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic":
            if self.credentials is None or self._basic:
                return
            self._basic = True
            request.headers["Authorization"] = self._basic_header()
            yield request
            return
        if scheme != "bearer" or "realm" not in params:
            return
        try:
            realm = httpx.URL(params["realm"])
        except httpx.InvalidURL:
            realm = httpx.URL()
        if realm.scheme not in ("http", "https") or not realm.host:
            raise RegistryError(
                f"registry {self.registry.host} names a token service that is not an http(s) "
                f"URL ({params['realm'][:80]!r}); is {self.registry.host} a container registry?"
            )
        if self.credentials and (why := realm_refusal(realm, self.registry)):
            raise RegistryError(
                f"registry {self.registry.host} sends credentials to the token service "
                f"{realm.scheme}://{realm.netloc.decode()}, but {why}; dockwright will not "
                "send them there (serve the token service over https)"
            )
        token_response = yield self._token_request(realm, params.get("service", ""), params, scope)
        if token_response.status_code in (401, 403):
            raise RegistryError(
                f"registry {self.registry.host}: credentials refused by the token service "
                f"(HTTP {token_response.status_code}); check them or run `docker login`"
            )
        data = _json(token_response, f"token service {realm.host}")
        token = data.get("token") or data.get("access_token")
        if not isinstance(token, str) or not token:
            raise RegistryError(f"token service {realm.host} answered without a token")
        self._tokens[scope] = request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def _token_request(
        self, realm: httpx.URL, service: str, params: dict[str, str], scope: str
    ) -> httpx.Request:
        wanted = params.get("scope") or scope
        if self.credentials and self.credentials.identity:
            # docker login's identity token is an OAuth2 refresh token (distribution's
            # token spec, "OAuth2 Token"): exchanged with a form POST, never sent as Basic.
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.credentials.token,
                "service": service,
                "client_id": "dockwright",
                **({"scope": wanted} if wanted else {}),
            }
            return httpx.Request("POST", realm, data=form)
        query = {"service": service, **({"scope": wanted} if wanted else {})}
        headers = {"Authorization": self._basic_header()} if self.credentials else {}
        return httpx.Request("GET", realm.copy_merge_params(query), headers=headers)


def _scope(request: httpx.Request) -> str:
    """The token scope a registry call needs (`repository:app/x:pull[,push]`)."""
    path = request.url.path
    if path == "/v2/_catalog":
        return "registry:catalog:*"
    m = re.fullmatch(r"/v2/(.+)/(?:tags|manifests|blobs|referrers)/.*", path)
    if not m:
        return ""
    write = request.method in ("PUT", "POST", "PATCH", "DELETE")
    return f"repository:{m.group(1)}:{'pull,push' if write else 'pull'}"


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON object of a reply; RegistryError naming what answered when it is not one."""
    try:
        data = json.loads(response.content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        kind = response.headers.get("content-type", "no content type")
        raise RegistryError(
            f"{what} answered HTTP {response.status_code} with {kind}, not a JSON object, "
            f"to {response.request.url.path}; is {response.request.url.host} a container registry?"
        )
    return data


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """A manifest as stored: its digest, media type and exact bytes."""

    digest: str
    media_type: str
    body: bytes

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        return data if isinstance(data, dict) else {}

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES or "manifests" in self.json()


class RegistryClient:
    def __init__(
        self,
        url: str,
        *,
        insecure: bool,
        credentials: Credentials | None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.base = api_base(url, insecure)
        self.credentials = credentials
        self._http = httpx.Client(
            base_url=self.base,
            auth=RegistryAuth(httpx.URL(self.base), credentials),
            follow_redirects=True,
            timeout=20,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        accept: str = "",
        content: bytes | None = None,
        content_type: str = "",
    ) -> httpx.Response:
        """One API call with auth as the registry asks."""
        headers = {}
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        try:
            return self._http.request(method, path, headers=headers, content=content)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise RegistryError(
                f"registry {self.url} is unreachable ({type(exc).__name__}: {exc}); "
                "start it (`invoke registry.up` for the local one) or check --registry"
            ) from None

    def check_access(self, *, hint: str = "") -> None:
        """Raise RegistryError unless the registry answers and accepts our credentials."""
        response = self.request("GET", "/v2/")
        if response.status_code == 401:
            how = "wrong credentials" if self.credentials else "no credentials"
            raise RegistryError(f"registry {self.url} refused access ({how}); {hint}".rstrip("; "))
        if response.status_code >= 400:
            raise RegistryError(f"registry {self.url} answered HTTP {response.status_code} to /v2/")

    def tags(self, repository: str, *, page_size: int = 0) -> list[str]:
        """Every tag of `repository`, following `Link: rel="next"` pages; [] when it does not
        exist. `page_size` asks for pages of that many (`?n=`)."""
        path: str | None = f"/v2/{repository}/tags/list" + (f"?n={page_size}" if page_size else "")
        found: list[str] = []
        seen: set[str] = set()
        while path is not None and len(seen) < _MAX_PAGES:
            seen.add(path)
            response = self.request("GET", path)
            if response.status_code == 404 and not found:
                return []
            if response.status_code >= 400:
                raise RegistryError(
                    f"listing tags of {repository} on {self.url}: HTTP {response.status_code}"
                )
            found += list(_json(response, f"registry {self.url}").get("tags") or [])
            path = self._next_page(response, seen)
        return list(dict.fromkeys(found))

    def _same_origin(self, response: httpx.Response, link: str, what: str) -> httpx.URL:
        """`link` (a `Link` or `Location` header) resolved against the request; a
        RegistryError when it leads to another origin, which gets no credentials."""
        target = response.request.url.join(link)
        here = response.request.url
        if (target.scheme, target.host, target.port) != (here.scheme, here.host, here.port):
            raise RegistryError(
                f"registry {self.url} {what} to another host ({target.host}); refusing to follow it"
            )
        return target

    def _next_page(self, response: httpx.Response, seen: set[str]) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        target = self._same_origin(response, link, "pages its tag list")
        path = target.raw_path.decode()
        return None if path in seen else path

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest `repository:reference` (tag or digest), or None when it does not exist.

        The digest is computed from the bytes and must match what the registry claims.
        """
        response = self.request(
            "GET", f"/v2/{repository}/manifests/{reference}", accept=MANIFEST_TYPES
        )
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise RegistryError(
                f"reading {repository}:{reference} from {self.url}: HTTP {response.status_code}"
            )
        body = response.content
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        claimed = response.headers.get("docker-content-digest", digest)
        if claimed != digest or (reference.startswith("sha256:") and reference != digest):
            raise RegistryError(
                f"{self.url}/{repository}:{reference}: the manifest's bytes hash to "
                f"{digest[:19]}, not the {claimed[:19]} the registry names; refusing it"
            )
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        manifest = Manifest(digest=digest, media_type=media_type, body=body)
        _json(response, f"registry {self.url}")  # a manifest is a JSON object
        return manifest

    def image_config(
        self, repository: str, reference: str, platform: str = "linux/amd64"
    ) -> tuple[str, str] | None:
        """(manifest digest, config digest) of the image `reference` names, for `platform`.

        For an index (multi-platform, or one carrying attestations), the config is the
        one of the child manifest for `platform`; attestation manifests are skipped.
        """
        top = self.manifest(repository, reference)
        if top is None:
            return None
        manifest = top
        if top.is_index:
            child = pick_platform(top.json(), platform)
            if child is None:
                raise RegistryError(
                    f"{self.url}/{repository}:{reference} is an index without a {platform} image"
                )
            got = self.manifest(repository, child)
            if got is None:
                raise RegistryError(
                    f"{self.url}/{repository}:{reference} names {child[:19]}, which is missing"
                )
            manifest = got
        config = manifest.json().get("config") or {}
        return top.digest, str(config.get("digest", ""))

    def put_manifest(self, repository: str, tag: str, manifest: Manifest) -> str:
        """Store `manifest` under `tag` (a remote re-tag: no layer moves); returns its digest."""
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{tag}",
            content=manifest.body,
            content_type=manifest.media_type,
        )
        if response.status_code >= 400:
            raise RegistryError(
                f"tagging {repository}:{tag} on {self.url} failed: HTTP {response.status_code}"
            )
        digest = response.headers.get("docker-content-digest", manifest.digest)
        if digest != manifest.digest:
            raise RegistryError(
                f"{self.url}/{repository}:{tag} was stored as {digest[:19]}, "
                f"not {manifest.digest[:19]}"
            )
        return str(digest)

    def config_blob(self, repository: str, digest: str) -> dict[str, Any]:
        """An image's config (labels, history), fetched by digest and checked against it."""
        response = self._blob(repository, digest, "config")
        if response is None:
            raise RegistryError(
                f"reading config {digest[:19]} of {repository} on {self.url}: HTTP 404"
            )
        return _json(response, f"registry {self.url}")

    def blob(self, repository: str, digest: str) -> bytes | None:
        """A blob's bytes, checked against its digest; None when the registry has none."""
        response = self._blob(repository, digest, "blob")
        return response.content if response is not None else None

    def _blob(self, repository: str, digest: str, what: str) -> httpx.Response | None:
        response = self.request("GET", f"/v2/{repository}/blobs/{digest}")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise RegistryError(
                f"reading {what} {digest[:19]} of {repository} on {self.url}: "
                f"HTTP {response.status_code}"
            )
        if "sha256:" + hashlib.sha256(response.content).hexdigest() != digest:
            raise RegistryError(f"{what} {digest[:19]} of {repository} does not match its digest")
        return response

    def put_blob(self, repository: str, data: bytes) -> str:
        """Upload `data` (one monolithic PUT) unless the registry already has it; its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        head = self.request("HEAD", f"/v2/{repository}/blobs/{digest}")
        if head.status_code == 200:
            return digest
        start = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        location = start.headers.get("location", "")
        if start.status_code != 202 or not location:
            raise RegistryError(
                f"starting a blob upload to {repository} on {self.url}: HTTP {start.status_code}"
            )
        target = self._same_origin(start, location, "sends the upload")
        query = target.params.set("digest", digest)
        path = target.copy_with(params=query).raw_path.decode()
        done = self.request("PUT", path, content=data, content_type="application/octet-stream")
        if done.status_code != 201:
            raise RegistryError(
                f"uploading blob {digest[:19]} to {repository} on {self.url}: "
                f"HTTP {done.status_code}"
            )
        return digest

    def put_manifest_bytes(
        self, repository: str, reference: str, body: bytes, media_type: str
    ) -> tuple[str, bool]:
        """Store a manifest under `reference` (a tag or its digest): (its digest, whether
        the registry said it indexed the manifest's subject, `OCI-Subject`)."""
        response = self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", content=body, content_type=media_type
        )
        if response.status_code >= 400:
            raise RegistryError(
                f"storing manifest {reference[:19]} in {repository} on {self.url}: "
                f"HTTP {response.status_code}"
            )
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        return digest, bool(response.headers.get("oci-subject"))

    def referrers(self, repository: str, digest: str) -> dict[str, Any] | None:
        """The referrers API's index of the manifests referring to `digest`; None when the
        registry has no referrers API (registry:2 answers 404)."""
        response = self.request(
            "GET", f"/v2/{repository}/referrers/{digest}", accept=INDEX_TYPES[0]
        )
        if response.status_code in (404, 405, 400):
            return None
        if response.status_code >= 400:
            raise RegistryError(
                f"listing referrers of {digest[:19]} in {repository} on {self.url}: "
                f"HTTP {response.status_code}"
            )
        return _json(response, f"registry {self.url}")

    def catalog(self) -> list[str]:
        response = self.request("GET", "/v2/_catalog")
        if response.status_code >= 400:
            return []
        return list(_json(response, f"registry {self.url}").get("repositories") or [])


def pick_platform(index: dict[str, Any], platform: str) -> str | None:
    """The digest of the child manifest for `platform` (`os/arch[/variant]`) in an index.

    As containerd does, `arm64` and `arm64/v8` are the same platform.
    """
    want = _platform_key(*platform.split("/"))
    for entry in index.get("manifests") or ():
        annotations = entry.get("annotations") or {}
        if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
            continue
        p = entry.get("platform") or {}
        have = _platform_key(p.get("os", ""), p.get("architecture", ""), p.get("variant", ""))
        if have == want or (not want[2] and have[:2] == want[:2]):
            return str(entry.get("digest", "")) or None
    return None


def _platform_key(os_: str, arch: str = "", variant: str = "", *_: str) -> tuple[str, str, str]:
    return os_, arch, "" if (arch, variant) == ("arm64", "v8") else variant

"""Unit tests for dockwright.engine.registry_api: URLs, challenges, platforms, and the client.

These are unit tests of the protocol logic only: every reply comes from an httpx.MockTransport
(no network, no engine). tests/engine/ exercises the same code against real registry:2
containers (htpasswd and token auth) and a recording token service.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from dockwright.engine.registry_api import (
    Credentials,
    Manifest,
    RegistryClient,
    _scope,
    api_base,
    parse_challenge,
    pick_platform,
    realm_refusal,
)
from dockwright.errors import RegistryError

Handler = Callable[[httpx.Request], httpx.Response]

ALICE = Credentials(username="alice", token="s3cret")
ALICE_BASIC = "Basic " + base64.b64encode(b"alice:s3cret").decode()
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BEARER_CHALLENGE = (
    'Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull"'
)


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def d(char: str) -> str:
    """A made-up digest: sha256: and 64 times `char`."""
    return "sha256:" + char * 64


class Recorder:
    """An httpx.MockTransport around `handler` that keeps every request it was sent."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        # A copy: the auth flow sets Authorization on the same Request object and sends it again.
        self.requests.append(
            httpx.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.read()
            )
        )
        return self.handler(request)

    @property
    def hosts(self) -> list[str]:
        return [r.url.host for r in self.requests]

    def auth_headers(self, host: str) -> list[str | None]:
        return [r.headers.get("Authorization") for r in self.requests if r.url.host == host]


@pytest.fixture
def connect() -> Iterator[Callable[..., tuple[RegistryClient, Recorder]]]:
    """connect(url, handler, credentials=None, insecure=False) -> (client, recorder)."""
    clients: list[RegistryClient] = []

    def make(
        url: str,
        handler: Handler,
        credentials: Credentials | None = None,
        insecure: bool = False,
    ) -> tuple[RegistryClient, Recorder]:
        recorder = Recorder(handler)
        client = RegistryClient(
            url, insecure=insecure, credentials=credentials, transport=recorder.transport
        )
        clients.append(client)
        return client, recorder

    yield make
    for client in clients:
        client.close()


def tags_reply(*tags: str, link: str = "") -> httpx.Response:
    headers = {"Link": f'<{link}>; rel="next"'} if link else {}
    return httpx.Response(200, json={"name": "x", "tags": list(tags)}, headers=headers)


class TestApiBase:
    """https unless the registry is loopback or explicitly insecure; Hub's API host for Hub."""

    @pytest.mark.parametrize(
        ("url", "insecure", "expected"),
        [
            pytest.param("localhost:5000", False, "http://localhost:5000", id="localhost"),
            pytest.param("localhost", False, "http://localhost", id="localhost-no-port"),
            pytest.param("127.0.0.1:5000", False, "http://127.0.0.1:5000", id="ipv4-loopback"),
            pytest.param("[::1]:5000", False, "http://[::1]:5000", id="ipv6-loopback"),
            pytest.param(
                "localhost.example.com:5000",
                False,
                "https://localhost.example.com:5000",
                id="localhost-subdomain-is-remote",
            ),
            pytest.param("ghcr.io", False, "https://ghcr.io", id="remote"),
            pytest.param(
                "my-reg.internal:5000", True, "http://my-reg.internal:5000", id="insecure"
            ),
            pytest.param(
                "my-reg.internal:5000", False, "https://my-reg.internal:5000", id="secure"
            ),
            pytest.param("docker.io", False, "https://registry-1.docker.io", id="docker-io"),
            pytest.param("index.docker.io", False, "https://registry-1.docker.io", id="index"),
            pytest.param(
                "registry-1.docker.io", False, "https://registry-1.docker.io", id="hub-api-host"
            ),
        ],
    )
    def test_api_base(self, url: str, insecure: bool, expected: str) -> None:
        assert api_base(url, insecure) == expected


class TestParseChallenge:
    """WWW-Authenticate: the scheme, lowercased, and its quoted parameters."""

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            pytest.param(
                BEARER_CHALLENGE,
                (
                    "bearer",
                    {
                        "realm": "https://auth.example/token",
                        "service": "reg",
                        "scope": "repository:x:pull",
                    },
                ),
                id="bearer-distribution",
            ),
            pytest.param(
                'Bearer realm="https://ghcr.io/token",service="ghcr.io",'
                'scope="repository:acme/app:pull,push"',
                (
                    "bearer",
                    {
                        "realm": "https://ghcr.io/token",
                        "service": "ghcr.io",
                        "scope": "repository:acme/app:pull,push",
                    },
                ),
                id="comma-inside-quoted-scope",
            ),
            pytest.param(
                'Bearer realm="r", service="s", error="insufficient_scope"',
                ("bearer", {"realm": "r", "service": "s", "error": "insufficient_scope"}),
                id="spaces-after-commas-and-error",
            ),
            pytest.param(
                'Basic realm="Registry Realm"',
                ("basic", {"realm": "Registry Realm"}),
                id="basic-realm-with-space",
            ),
            pytest.param('BASIC realm="x"', ("basic", {"realm": "x"}), id="scheme-any-case"),
            pytest.param("", ("", {}), id="no-header"),
        ],
    )
    def test_parse(self, header: str, expected: tuple[str, dict[str, str]]) -> None:
        assert parse_challenge(header) == expected


class TestRealmRefusal:
    """Credentials go to a token service over https, or over http only to the plain-http
    registry's own host (or loopback to loopback)."""

    @pytest.mark.parametrize(
        ("realm", "registry"),
        [
            pytest.param("https://auth.example/token", "https://reg.example", id="https-both"),
            pytest.param(
                "https://auth.example/token", "http://localhost:5000", id="https-realm-http-reg"
            ),
            pytest.param(
                "http://reg.internal:5001/token",
                "http://reg.internal:5000",
                id="http-realm-own-host-other-port",
            ),
            pytest.param(
                "http://reg.internal:5000/token", "http://reg.internal:5000", id="http-same-origin"
            ),
            pytest.param(
                "http://127.0.0.1:5001/token", "http://localhost:5000", id="both-loopback"
            ),
            pytest.param(
                "http://localhost:5001/token", "http://[::1]:5000", id="both-loopback-ipv6"
            ),
        ],
    )
    def test_allowed(self, realm: str, registry: str) -> None:
        assert realm_refusal(httpx.URL(realm), httpx.URL(registry)) is None

    @pytest.mark.parametrize(
        ("realm", "registry", "reason"),
        [
            pytest.param(
                "http://auth.example/token",
                "http://reg.internal:5000",
                "another host",
                id="http-realm-other-host",
            ),
            pytest.param(
                "http://reg.example/token",
                "https://reg.example",
                "registry is https",
                id="http-realm-https-registry-same-host",
            ),
            pytest.param(
                "http://auth.example/token",
                "https://reg.example",
                "registry is https",
                id="http-realm-https-registry",
            ),
            pytest.param(
                "http://127.0.0.1:5001/token",
                "http://reg.internal:5000",
                "another host",
                id="loopback-realm-remote-registry",
            ),
            pytest.param(
                "http://auth.example/token",
                "http://localhost:5000",
                "another host",
                id="remote-realm-loopback-registry",
            ),
            pytest.param(
                "ftp://auth.example/token", "https://reg.example", "'ftp'", id="other-scheme"
            ),
        ],
    )
    def test_refused(self, realm: str, registry: str, reason: str) -> None:
        why = realm_refusal(httpx.URL(realm), httpx.URL(registry))
        assert why is not None
        assert reason in why


AMD = {"os": "linux", "architecture": "amd64"}
ARM64 = {"os": "linux", "architecture": "arm64"}
ARM64_V8 = {"os": "linux", "architecture": "arm64", "variant": "v8"}
ARM_V6 = {"os": "linux", "architecture": "arm", "variant": "v6"}
ARM_V7 = {"os": "linux", "architecture": "arm", "variant": "v7"}


def entry(digest: str, platform: dict[str, str], **annotations: str) -> dict[str, Any]:
    item: dict[str, Any] = {"mediaType": OCI_MANIFEST, "digest": digest, "platform": platform}
    if annotations:
        item["annotations"] = annotations
    return item


ATTESTATION = entry(
    d("0"),
    {"os": "unknown", "architecture": "unknown"},
    **{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": d("a")},
)


class TestPickPlatform:
    """The child manifest for os/arch[/variant]; attestation manifests are never images."""

    @pytest.mark.parametrize(
        ("manifests", "platform", "expected"),
        [
            pytest.param(
                [entry(d("a"), AMD), entry(d("b"), ARM64)], "linux/amd64", d("a"), id="plain-amd64"
            ),
            pytest.param(
                [entry(d("a"), AMD), entry(d("b"), ARM64)], "linux/arm64", d("b"), id="plain-arm64"
            ),
            pytest.param(
                [ATTESTATION, entry(d("a"), AMD)],
                "linux/amd64",
                d("a"),
                id="attestation-first-skipped",
            ),
            pytest.param(
                [ATTESTATION, entry(d("a"), AMD)],
                "unknown/unknown",
                None,
                id="attestation-never-picked",
            ),
            pytest.param(
                [entry(d("a"), AMD), entry(d("b"), ARM64)], "linux/s390x", None, id="no-match"
            ),
            pytest.param([entry(d("a"), AMD)], "windows/amd64", None, id="other-os"),
            pytest.param(
                [entry(d("a"), AMD), entry(d("b"), ARM64_V8)],
                "linux/arm64",
                d("b"),
                id="arm64-without-variant-matches-v8",
            ),
            pytest.param(
                [entry(d("a"), AMD), entry(d("b"), ARM64_V8)],
                "linux/arm64/v8",
                d("b"),
                id="arm64-v8-exact",
            ),
            pytest.param(
                [entry(d("c"), ARM_V6), entry(d("d"), ARM_V7)],
                "linux/arm/v7",
                d("d"),
                id="arm-variant-chooses",
            ),
            # containerd's platforms.Normalize makes arm64/v8 and arm64 the same platform;
            # buildx writes arm64 index entries without a variant.
            pytest.param(
                [entry(d("a"), AMD), entry(d("b"), ARM64)],
                "linux/arm64/v8",
                d("b"),
                id="arm64-v8-matches-entry-without-variant",
            ),
        ],
    )
    def test_pick(self, manifests: list[dict[str, Any]], platform: str, expected: str) -> None:
        assert pick_platform({"manifests": manifests}, platform) == expected

    @pytest.mark.parametrize(
        "index",
        [
            pytest.param({}, id="no-manifests-key"),
            pytest.param({"manifests": []}, id="empty-list"),
            pytest.param({"manifests": None}, id="null"),
        ],
    )
    def test_empty_index(self, index: dict[str, Any]) -> None:
        assert pick_platform(index, "linux/amd64") is None


class TestScope:
    """Reads need `pull`, writes `pull,push`, the catalog its own scope, /v2/ none."""

    @pytest.mark.parametrize(
        ("method", "path", "expected"),
        [
            pytest.param("GET", "/v2/app/manifests/1.0.0", "repository:app:pull", id="get-tag"),
            pytest.param(
                "HEAD", f"/v2/app/manifests/{d('a')}", "repository:app:pull", id="head-digest"
            ),
            pytest.param(
                "GET", "/v2/acme/web/tags/list?n=2", "repository:acme/web:pull", id="tags-nested"
            ),
            pytest.param(
                "GET", f"/v2/a/b/c/blobs/{d('a')}", "repository:a/b/c:pull", id="blob-deep-path"
            ),
            pytest.param(
                "GET", f"/v2/app/referrers/{d('a')}", "repository:app:pull", id="referrers"
            ),
            pytest.param(
                "PUT", "/v2/app/manifests/1.0.0", "repository:app:pull,push", id="put-manifest"
            ),
            pytest.param(
                "POST", "/v2/app/blobs/uploads/", "repository:app:pull,push", id="start-upload"
            ),
            pytest.param(
                "PATCH", "/v2/app/blobs/uploads/u-1", "repository:app:pull,push", id="upload-chunk"
            ),
            pytest.param(
                "GET",
                "/v2/acme/blobs/manifests/latest",
                "repository:acme/blobs:pull",
                id="repository-named-like-an-endpoint",
            ),
            pytest.param("GET", "/v2/", "", id="base"),
            pytest.param("GET", "/v2/_catalog", "registry:catalog:*", id="catalog"),
        ],
    )
    def test_scope(self, method: str, path: str, expected: str) -> None:
        assert _scope(httpx.Request(method, "http://localhost:5000" + path)) == expected


class TestTagsPaging:
    """tags() follows `Link: rel="next"` on the registry's own origin, and never loops."""

    def test_follows_three_pages(self, connect: Callable[..., Any]) -> None:
        pages = {
            None: tags_reply("a", "b", link="/v2/x/tags/list?n=2&last=b"),
            "b": tags_reply("c", "d", link="/v2/x/tags/list?n=2&last=d"),
            "d": tags_reply("e"),
        }
        client, rec = connect("localhost:5000", lambda r: pages[r.url.params.get("last")])
        assert client.tags("x", page_size=2) == ["a", "b", "c", "d", "e"]
        assert [str(r.url) for r in rec.requests] == [
            "http://localhost:5000/v2/x/tags/list?n=2",
            "http://localhost:5000/v2/x/tags/list?n=2&last=b",
            "http://localhost:5000/v2/x/tags/list?n=2&last=d",
        ]

    def test_tag_on_two_pages_listed_once(self, connect: Callable[..., Any]) -> None:
        pages = {
            None: tags_reply("a", "b", link="/v2/x/tags/list?last=b"),
            "b": tags_reply("b", "c"),
        }
        client, _ = connect("localhost:5000", lambda r: pages[r.url.params.get("last")])
        assert client.tags("x") == ["a", "b", "c"]

    def test_absolute_link_on_same_origin_followed(self, connect: Callable[..., Any]) -> None:
        pages = {
            None: tags_reply("a", link="https://ghcr.io/v2/x/tags/list?last=a"),
            "a": tags_reply("b"),
        }
        client, rec = connect("ghcr.io", lambda r: pages[r.url.params.get("last")])
        assert client.tags("x") == ["a", "b"]
        assert len(rec.requests) == 2

    @pytest.mark.parametrize(
        ("url", "link", "named"),
        [
            pytest.param(
                "localhost:5000",
                "https://evil.example/v2/x/tags/list?last=a",
                "evil.example",
                id="other-host",
            ),
            pytest.param(
                "localhost:5000",
                "http://localhost:6000/v2/x/tags/list?last=a",
                "localhost",
                id="other-port",
            ),
            pytest.param(
                "ghcr.io",
                "http://ghcr.io/v2/x/tags/list?last=a",
                "ghcr.io",
                id="downgrade-to-http",
            ),
        ],
    )
    def test_link_to_other_origin_refused(
        self, connect: Callable[..., Any], url: str, link: str, named: str
    ) -> None:
        client, rec = connect(url, lambda r: tags_reply("a", link=link))
        with pytest.raises(RegistryError) as info:
            client.tags("x")
        assert "another host" in str(info.value)
        assert named in str(info.value)
        assert len(rec.requests) == 1

    @pytest.mark.parametrize(
        ("second_link", "expected_requests"),
        [
            pytest.param("/v2/x/tags/list?last=a", 2, id="links-to-itself"),
            pytest.param("/v2/x/tags/list", 2, id="links-back-to-first"),
        ],
    )
    def test_repeated_link_terminates(
        self, connect: Callable[..., Any], second_link: str, expected_requests: int
    ) -> None:
        pages = {
            None: tags_reply("a", link="/v2/x/tags/list?last=a"),
            "a": tags_reply("b", link=second_link),
        }
        client, rec = connect("localhost:5000", lambda r: pages[r.url.params.get("last")])
        assert client.tags("x") == ["a", "b"]
        assert len(rec.requests) == expected_requests

    def test_first_page_links_to_itself(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("localhost:5000", lambda r: tags_reply("a", link="/v2/x/tags/list"))
        assert client.tags("x") == ["a"]
        assert len(rec.requests) == 1

    @pytest.mark.parametrize(
        ("reply", "expected"),
        [
            pytest.param(httpx.Response(404), [], id="unknown-repository"),
            pytest.param(httpx.Response(200, json={"name": "x", "tags": None}), [], id="null-tags"),
            pytest.param(httpx.Response(200, json={"name": "x"}), [], id="no-tags-key"),
        ],
    )
    def test_no_tags(
        self, connect: Callable[..., Any], reply: httpx.Response, expected: list[str]
    ) -> None:
        client, _ = connect("localhost:5000", lambda r: reply)
        assert client.tags("x") == expected

    @pytest.mark.parametrize(
        "reply",
        [
            pytest.param(
                httpx.Response(
                    200, content=b"<html>sign in</html>", headers={"content-type": "text/html"}
                ),
                id="html",
            ),
            pytest.param(httpx.Response(200, json=["a", "b"]), id="json-array"),
            pytest.param(httpx.Response(200, content=b""), id="empty-body"),
        ],
    )
    def test_non_json_reply(self, connect: Callable[..., Any], reply: httpx.Response) -> None:
        client, _ = connect("localhost:5000", lambda r: reply)
        with pytest.raises(RegistryError) as info:
            client.tags("x")
        message = str(info.value)
        assert "not a JSON object" in message
        assert "/v2/x/tags/list" in message
        assert "\n" not in message

    def test_error_status(self, connect: Callable[..., Any]) -> None:
        client, _ = connect("localhost:5000", lambda r: httpx.Response(500))
        with pytest.raises(RegistryError, match="HTTP 500"):
            client.tags("x")


IMAGE = dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d("c")},
        "layers": [],
    }
)
ARM_IMAGE = dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d("9")},
        "layers": [],
    }
)
ATTESTATION_BODY = dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []})
INDEX = dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            entry(
                digest_of(ATTESTATION_BODY),
                {"os": "unknown", "architecture": "unknown"},
                **{"vnd.docker.reference.type": "attestation-manifest"},
            ),
            entry(digest_of(IMAGE), AMD),
            entry(digest_of(ARM_IMAGE), ARM64),
        ],
    }
)


def manifests_by_reference(
    store: dict[str, tuple[bytes, str]],
) -> Handler:
    """Serve /v2/app/manifests/<ref> from {ref: (body, media type)}, with the right digest."""

    def handle(request: httpx.Request) -> httpx.Response:
        reference = request.url.path.rsplit("/", 1)[-1]
        if reference not in store:
            return httpx.Response(404)
        body, media_type = store[reference]
        headers = {"content-type": media_type, "docker-content-digest": digest_of(body)}
        return httpx.Response(200, content=body, headers=headers)

    return handle


class TestManifest:
    """manifest() returns the exact bytes, their sha256, and refuses a digest that differs."""

    def test_digest_header_matches(self, connect: Callable[..., Any]) -> None:
        client, rec = connect(
            "localhost:5000", manifests_by_reference({"1.0": (IMAGE, OCI_MANIFEST)})
        )
        got = client.manifest("app", "1.0")
        assert got is not None
        assert (got.digest, got.media_type, got.body) == (digest_of(IMAGE), OCI_MANIFEST, IMAGE)
        accept = rec.requests[0].headers["Accept"]
        assert OCI_INDEX in accept
        assert OCI_MANIFEST in accept

    def test_no_digest_header_uses_the_bytes(self, connect: Callable[..., Any]) -> None:
        reply = httpx.Response(200, content=IMAGE, headers={"content-type": OCI_MANIFEST})
        client, _ = connect("localhost:5000", lambda r: reply)
        got = client.manifest("app", "1.0")
        assert got is not None
        assert got.digest == digest_of(IMAGE)

    def test_digest_header_differs(self, connect: Callable[..., Any]) -> None:
        reply = httpx.Response(
            200,
            content=IMAGE,
            headers={"content-type": OCI_MANIFEST, "docker-content-digest": d("f")},
        )
        client, _ = connect("localhost:5000", lambda r: reply)
        with pytest.raises(RegistryError) as info:
            client.manifest("app", "1.0")
        assert digest_of(IMAGE)[:19] in str(info.value)
        assert d("f")[:19] in str(info.value)

    def test_requested_digest_differs(self, connect: Callable[..., Any]) -> None:
        reply = httpx.Response(200, content=IMAGE, headers={"content-type": OCI_MANIFEST})
        client, _ = connect("localhost:5000", lambda r: reply)
        with pytest.raises(RegistryError, match="refusing it"):
            client.manifest("app", d("e"))

    def test_missing(self, connect: Callable[..., Any]) -> None:
        client, _ = connect("localhost:5000", lambda r: httpx.Response(404))
        assert client.manifest("app", "1.0") is None


class TestImageConfig:
    """(manifest digest, config digest): for an index, the config of the platform's child."""

    def test_oci_index(self, connect: Callable[..., Any]) -> None:
        store = {
            "1.0": (INDEX, OCI_INDEX),
            digest_of(IMAGE): (IMAGE, OCI_MANIFEST),
            digest_of(ARM_IMAGE): (ARM_IMAGE, OCI_MANIFEST),
            digest_of(ATTESTATION_BODY): (ATTESTATION_BODY, OCI_MANIFEST),
        }
        client, rec = connect("localhost:5000", manifests_by_reference(store))
        assert client.image_config("app", "1.0") == (digest_of(INDEX), d("c"))
        assert [r.url.path for r in rec.requests] == [
            "/v2/app/manifests/1.0",
            f"/v2/app/manifests/{digest_of(IMAGE)}",
        ]

    def test_index_other_platform(self, connect: Callable[..., Any]) -> None:
        store = {"1.0": (INDEX, OCI_INDEX), digest_of(ARM_IMAGE): (ARM_IMAGE, OCI_MANIFEST)}
        client, _ = connect("localhost:5000", manifests_by_reference(store))
        assert client.image_config("app", "1.0", "linux/arm64") == (digest_of(INDEX), d("9"))

    def test_single_image(self, connect: Callable[..., Any]) -> None:
        client, rec = connect(
            "localhost:5000", manifests_by_reference({"1.0": (IMAGE, OCI_MANIFEST)})
        )
        assert client.image_config("app", "1.0") == (digest_of(IMAGE), d("c"))
        assert len(rec.requests) == 1

    def test_index_without_platform(self, connect: Callable[..., Any]) -> None:
        client, _ = connect("localhost:5000", manifests_by_reference({"1.0": (INDEX, OCI_INDEX)}))
        with pytest.raises(RegistryError, match="index without a linux/s390x image"):
            client.image_config("app", "1.0", "linux/s390x")

    def test_index_child_missing(self, connect: Callable[..., Any]) -> None:
        client, _ = connect("localhost:5000", manifests_by_reference({"1.0": (INDEX, OCI_INDEX)}))
        with pytest.raises(RegistryError, match="which is missing"):
            client.image_config("app", "1.0")

    def test_missing_tag(self, connect: Callable[..., Any]) -> None:
        client, _ = connect("localhost:5000", manifests_by_reference({}))
        assert client.image_config("app", "1.0") is None


def basic_registry(request: httpx.Request) -> httpx.Response:
    if request.headers.get("Authorization") != ALICE_BASIC:
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'})
    return tags_reply("1.0")


class TestBasicAuth:
    """A Basic challenge is answered once with the credentials, then they go up front."""

    def test_challenge_then_retry(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("localhost:5000", basic_registry, ALICE)
        assert client.tags("x") == ["1.0"]
        assert rec.auth_headers("localhost") == [None, ALICE_BASIC]

    def test_later_calls_send_basic_up_front(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("localhost:5000", basic_registry, ALICE)
        client.tags("x")
        client.tags("y")
        assert rec.auth_headers("localhost") == [None, ALICE_BASIC, ALICE_BASIC]

    def test_no_credentials_no_retry(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("localhost:5000", basic_registry)
        with pytest.raises(RegistryError, match="HTTP 401"):
            client.tags("x")
        assert rec.auth_headers("localhost") == [None]

    def test_wrong_credentials_retried_once(self, connect: Callable[..., Any]) -> None:
        wrong = Credentials(username="alice", token="wrong")
        client, rec = connect("localhost:5000", basic_registry, wrong)
        with pytest.raises(RegistryError, match="HTTP 401"):
            client.tags("x")
        assert len(rec.requests) == 2

    @pytest.mark.parametrize(
        ("credentials", "how"),
        [
            pytest.param(None, "no credentials", id="anonymous"),
            pytest.param(Credentials(username="alice", token="x"), "wrong credentials", id="wrong"),
        ],
    )
    def test_check_access_names_the_cause(
        self, connect: Callable[..., Any], credentials: Credentials | None, how: str
    ) -> None:
        client, _ = connect("localhost:5000", basic_registry, credentials)
        with pytest.raises(RegistryError) as info:
            client.check_access(hint="run `docker login localhost:5000`")
        assert str(info.value) == (
            f"registry localhost:5000 refused access ({how}); run `docker login localhost:5000`"
        )


class TokenService:
    """A registry at registry.example behind the token service at `realm`; records everything.

    The service answers any request with a token named after the requested scope; the
    registry accepts exactly `Bearer tok:<scope>` for the scope the path needs.
    """

    def __init__(
        self, realm: str = "https://auth.example/token", challenge_scope: bool = True
    ) -> None:
        self.realm = httpx.URL(realm)
        self.challenge_scope = challenge_scope
        self.reply: Callable[[httpx.Request], httpx.Response] = self.token_reply

    def token_reply(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            scope = parse_qs(request.content.decode()).get("scope", [""])[0]
        else:
            scope = request.url.params.get("scope", "")
        return httpx.Response(200, json={"token": f"tok:{scope}"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self.realm.host and request.url.path == self.realm.path:
            return self.reply(request)
        scope = _scope(request)
        if request.headers.get("Authorization") == f"Bearer tok:{scope}":
            return tags_reply("1.0")
        params = f'realm="{self.realm}",service="reg"'
        if self.challenge_scope:
            params += f',scope="{scope}"'
        return httpx.Response(401, headers={"WWW-Authenticate": f"Bearer {params}"})


class TestBearerAuth:
    """A Bearer challenge: a token from the realm (Basic credentials), then the retry carries it."""

    def test_token_flow(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("registry.example", TokenService(), ALICE)
        assert client.tags("x") == ["1.0"]
        assert [(r.method, r.url.host, r.url.path) for r in rec.requests] == [
            ("GET", "registry.example", "/v2/x/tags/list"),
            ("GET", "auth.example", "/token"),
            ("GET", "registry.example", "/v2/x/tags/list"),
        ]
        first, token, retry = rec.requests
        assert "Authorization" not in first.headers
        assert token.headers["Authorization"] == ALICE_BASIC
        assert dict(token.url.params) == {"service": "reg", "scope": "repository:x:pull"}
        assert retry.headers["Authorization"] == "Bearer tok:repository:x:pull"

    def test_token_cached_per_scope(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("registry.example", TokenService(), ALICE)
        client.tags("x")
        client.tags("x")
        token_requests = [r for r in rec.requests if r.url.host == "auth.example"]
        assert len(token_requests) == 1
        assert rec.requests[-1].headers["Authorization"] == "Bearer tok:repository:x:pull"
        assert len(rec.requests) == 4

    def test_other_scope_gets_its_own_token(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("registry.example", TokenService(), ALICE)
        client.tags("x")
        client.tags("y")
        scopes = [r.url.params["scope"] for r in rec.requests if r.url.host == "auth.example"]
        assert scopes == ["repository:x:pull", "repository:y:pull"]

    def test_scope_from_the_path_when_challenge_has_none(self, connect: Callable[..., Any]) -> None:
        service = TokenService(challenge_scope=False)
        client, rec = connect("registry.example", service, ALICE)
        put = Manifest(digest=digest_of(IMAGE), media_type=OCI_MANIFEST, body=IMAGE)
        assert client.put_manifest("x", "1.0", put) == digest_of(IMAGE)
        token = next(r for r in rec.requests if r.url.host == "auth.example")
        assert token.url.params["scope"] == "repository:x:pull,push"
        assert (rec.requests[-1].method, rec.requests[-1].content) == ("PUT", IMAGE)

    def test_access_token_field_accepted(self, connect: Callable[..., Any]) -> None:
        service = TokenService()
        service.reply = lambda r: httpx.Response(
            200, json={"access_token": "tok:repository:x:pull", "expires_in": 300}
        )
        client, _ = connect("registry.example", service, ALICE)
        assert client.tags("x") == ["1.0"]

    @pytest.mark.parametrize("status", [401, 403])
    def test_token_service_refuses(self, connect: Callable[..., Any], status: int) -> None:
        service = TokenService()
        service.reply = lambda r: httpx.Response(status)
        client, _ = connect("registry.example", service, ALICE)
        with pytest.raises(
            RegistryError, match=f"refused by the token service \\(HTTP {status}\\)"
        ):
            client.tags("x")

    @pytest.mark.parametrize(
        ("reply", "message"),
        [
            pytest.param(httpx.Response(200, json={}), "without a token", id="no-token"),
            pytest.param(httpx.Response(200, json={"token": ""}), "without a token", id="empty"),
            pytest.param(
                httpx.Response(200, content=b"<html/>"), "not a JSON object", id="not-json"
            ),
        ],
    )
    def test_token_service_bad_reply(
        self, connect: Callable[..., Any], reply: httpx.Response, message: str
    ) -> None:
        service = TokenService()
        service.reply = lambda r: reply
        client, _ = connect("registry.example", service, ALICE)
        with pytest.raises(RegistryError, match=message):
            client.tags("x")

    @pytest.mark.parametrize(
        ("url", "insecure", "realm"),
        [
            pytest.param(
                "registry.example", False, "http://auth.example/token", id="https-registry"
            ),
            pytest.param(
                "localhost:5000", False, "http://auth.example/token", id="http-registry-other-host"
            ),
            pytest.param(
                "reg.internal:5000",
                True,
                "http://auth.example/token",
                id="insecure-registry-other-host",
            ),
            pytest.param(
                "registry.example", False, "http://registry.example/token", id="https-reg-own-host"
            ),
        ],
    )
    def test_credentials_never_sent_to_http_realm(
        self, connect: Callable[..., Any], url: str, insecure: bool, realm: str
    ) -> None:
        client, rec = connect(url, TokenService(realm), ALICE, insecure)
        with pytest.raises(RegistryError) as info:
            client.tags("x")
        assert "will not send them there" in str(info.value)
        assert len(rec.requests) == 1
        assert all(r.url.path != "/token" for r in rec.requests)
        assert all("Authorization" not in r.headers for r in rec.requests)

    @pytest.mark.parametrize(
        ("url", "insecure", "realm"),
        [
            pytest.param(
                "localhost:5000", False, "http://127.0.0.1:5001/token", id="both-loopback"
            ),
            pytest.param(
                "reg.internal:5000", True, "http://reg.internal:5001/token", id="own-host"
            ),
        ],
    )
    def test_http_realm_allowed(
        self, connect: Callable[..., Any], url: str, insecure: bool, realm: str
    ) -> None:
        client, rec = connect(url, TokenService(realm), ALICE, insecure)
        assert client.tags("x") == ["1.0"]
        token = next(r for r in rec.requests if r.url.path == "/token")
        assert token.headers["Authorization"] == ALICE_BASIC

    def test_anonymous_token_needs_no_https(self, connect: Callable[..., Any]) -> None:
        client, rec = connect("registry.example", TokenService("http://auth.example/token"))
        assert client.tags("x") == ["1.0"]
        token = next(r for r in rec.requests if r.url.host == "auth.example")
        assert "Authorization" not in token.headers


class TestIdentityToken:
    """An identity (refresh) token is exchanged with an OAuth2 form POST, never sent as Basic."""

    def test_refresh_token_grant(self, connect: Callable[..., Any]) -> None:
        creds = Credentials(username="<token>", token="refresh-xyz", identity=True)
        client, rec = connect("registry.example", TokenService(), creds)
        assert client.tags("x") == ["1.0"]
        token = next(r for r in rec.requests if r.url.host == "auth.example")
        assert token.method == "POST"
        assert "Authorization" not in token.headers
        assert token.headers["content-type"] == "application/x-www-form-urlencoded"
        form = {k: v[0] for k, v in parse_qs(token.content.decode()).items()}
        assert form["grant_type"] == "refresh_token"
        assert form["refresh_token"] == "refresh-xyz"
        assert form["service"] == "reg"
        assert form["scope"] == "repository:x:pull"
        assert form["client_id"]
        registry_calls = [r for r in rec.requests if r.url.host == "registry.example"]
        assert all("refresh-xyz" not in r.headers.get("Authorization", "") for r in registry_calls)
        assert registry_calls[-1].headers["Authorization"] == "Bearer tok:repository:x:pull"

    def test_refresh_token_never_to_http_realm(self, connect: Callable[..., Any]) -> None:
        creds = Credentials(username="<token>", token="refresh-xyz", identity=True)
        client, rec = connect("registry.example", TokenService("http://auth.example/token"), creds)
        with pytest.raises(RegistryError):
            client.tags("x")
        assert "auth.example" not in rec.hosts


CONFIG = dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"a": "b"}}})


class TestRedirects:
    """Credentials stay on the registry's origin: a redirect elsewhere goes without them."""

    @staticmethod
    def redirecting(target: Handler) -> Handler:
        def handle(request: httpx.Request) -> httpx.Response:
            if request.url.host == "cdn.example":
                return target(request)
            if request.headers.get("Authorization") != ALICE_BASIC:
                return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'})
            return httpx.Response(307, headers={"Location": "https://cdn.example/blob?sig=1"})

        return handle

    def test_redirect_to_other_origin_drops_authorization(
        self, connect: Callable[..., Any]
    ) -> None:
        handler = self.redirecting(lambda r: httpx.Response(200, content=CONFIG))
        client, rec = connect("registry.example", handler, ALICE)
        assert client.config_blob("x", digest_of(CONFIG))["os"] == "linux"
        assert rec.auth_headers("registry.example") == [None, ALICE_BASIC]
        assert rec.auth_headers("cdn.example") == [None]

    def test_challenge_from_redirect_target_not_answered(self, connect: Callable[..., Any]) -> None:
        # The registry redirects without a challenge, so the first 401 the auth flow sees
        # is the storage host's: answering it would send alice's password to evil.example.
        challenge = 'Bearer realm="https://evil.example/token",service="cdn"'

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.host == "cdn.example":
                return httpx.Response(401, headers={"WWW-Authenticate": challenge})
            return httpx.Response(307, headers={"Location": "https://cdn.example/blob?sig=1"})

        client, rec = connect("registry.example", handler, ALICE)
        with pytest.raises(RegistryError, match="HTTP 401"):
            client.config_blob("x", digest_of(CONFIG))
        assert "evil.example" not in rec.hosts
        assert rec.auth_headers("cdn.example") == [None]

    def test_cached_bearer_token_not_forwarded(self, connect: Callable[..., Any]) -> None:
        service = TokenService()
        cdn = httpx.Response(200, content=CONFIG)

        def handle(request: httpx.Request) -> httpx.Response:
            if request.url.host == "cdn.example":
                return cdn
            response = service(request)
            if response.status_code == 200 and request.url.host == "registry.example":
                return httpx.Response(307, headers={"Location": "https://cdn.example/b"})
            return response

        client, rec = connect("registry.example", handle, ALICE)
        client.config_blob("x", digest_of(CONFIG))
        client.config_blob("x", digest_of(CONFIG))
        assert rec.auth_headers("cdn.example") == [None, None]


class TestMalformedRealm:
    """A challenge whose realm is not an http(s) URL is one RegistryError, not a traceback."""

    @pytest.mark.parametrize(
        "realm",
        ["not a url", "ftp://auth.example/token", "", "https://"],
        ids=["words", "ftp", "empty", "no-host"],
    )
    def test_refused(self, connect: Callable[..., Any], realm: str) -> None:
        def registry(request: httpx.Request) -> httpx.Response:
            challenge = f'Bearer realm="{realm}",service="reg"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})

        client, recorder = connect("registry.example", registry, ALICE)
        with pytest.raises(RegistryError, match="not an http\\(s\\) URL"):
            client.tags("x")
        assert recorder.hosts == ["registry.example"]


class TestBlobsAndReferrers:
    """Uploading a blob, storing an artifact manifest, asking for referrers."""

    def test_a_blob_is_uploaded_once_with_its_digest_and_an_existing_one_not_again(
        self, connect: Callable[..., tuple[RegistryClient, Recorder]]
    ) -> None:
        data = b'{"bomFormat":"CycloneDX"}'
        stored: dict[str, bytes] = {}

        def handler(request: httpx.Request) -> httpx.Response:
            path = request.url.path
            if request.method == "HEAD":
                return httpx.Response(200 if path.rsplit("/", 1)[1] in stored else 404)
            if request.method == "POST":
                return httpx.Response(
                    202, headers={"Location": "/v2/app/blobs/uploads/u1?_state=x"}
                )
            if request.method == "PUT":
                stored[request.url.params["digest"]] = request.read()
                return httpx.Response(201)
            return httpx.Response(500)

        client, rec = connect("reg.example", handler)
        assert client.put_blob("app", data) == digest_of(data)
        assert stored == {digest_of(data): data}
        put = rec.requests[-1]
        assert put.url.path == "/v2/app/blobs/uploads/u1"
        assert put.url.params["_state"] == "x"  # the upload's own state is kept
        assert client.put_blob("app", data) == digest_of(data)
        assert [r.method for r in rec.requests] == ["HEAD", "POST", "PUT", "HEAD"]

    def test_an_upload_sent_to_another_host_is_refused(
        self, connect: Callable[..., tuple[RegistryClient, Recorder]]
    ) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.method == "HEAD":
                return httpx.Response(404)
            return httpx.Response(202, headers={"Location": "https://elsewhere.example/up"})

        client, rec = connect("reg.example", handler)
        with pytest.raises(RegistryError, match="sends the upload to another host"):
            client.put_blob("app", b"x")
        assert "elsewhere.example" not in rec.hosts

    def test_referrers_api_absent_is_none_and_present_is_its_index(
        self, connect: Callable[..., tuple[RegistryClient, Recorder]]
    ) -> None:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        client, _ = connect("reg.example", lambda r: httpx.Response(404))
        assert client.referrers("app", d("a")) is None
        client, rec = connect("reg.example", lambda r: httpx.Response(200, content=dumps(index)))
        assert client.referrers("app", d("a")) == index
        assert rec.requests[0].url.path == f"/v2/app/referrers/{d('a')}"

    def test_a_stored_manifest_reports_whether_the_registry_indexed_its_subject(
        self, connect: Callable[..., tuple[RegistryClient, Recorder]]
    ) -> None:
        body = dumps({"schemaVersion": 2})
        client, _ = connect("reg.example", lambda r: httpx.Response(201))
        assert client.put_manifest_bytes("app", "t", body, OCI_MANIFEST) == (digest_of(body), False)
        client, _ = connect(
            "reg.example", lambda r: httpx.Response(201, headers={"OCI-Subject": d("b")})
        )
        assert client.put_manifest_bytes("app", "t", body, OCI_MANIFEST) == (digest_of(body), True)

    def test_a_blob_that_does_not_match_its_digest_is_refused(
        self, connect: Callable[..., tuple[RegistryClient, Recorder]]
    ) -> None:
        client, _ = connect("reg.example", lambda r: httpx.Response(200, content=b"tampered"))
        with pytest.raises(RegistryError, match="does not match its digest"):
            client.blob("app", d("c"))

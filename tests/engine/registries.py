"""Real registries and fake registry-side services for engine tests of authentication.

* `htpasswd_registry` / `token_registry`: a real registry:2 container with htpasswd or
  token (JWT) auth; the token service runs in the test process and records its requests.
* `RecordingServer`: a programmable HTTP server that records every request (fake
  registries that redirect, or whose 401 challenge names a foreign realm).
* `push_oci_index`: turns a pushed single-image tag into an OCI image index, the way
  BuildKit publishes images with attestations.
* `fake_credential_helper`: a `docker-credential-<name>` that logs each call (never a secret).

Every context manager removes what it started (container, volume, server thread) on exit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import bcrypt
from python_on_whales import docker

from tests.engine.test_release import Registry, start_registry

TOKEN_SERVICE = "dockwright-test-registry"
TOKEN_ISSUER = "dockwright-test-issuer"
TEST_USER_AGENT = "dockwright-tests/registries"  # requests the helpers themselves make

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
IN_TOTO = "application/vnd.in-toto+json"


# --------------------------------------------------------------------------- registries


def _remove_container_and_volume(name: str) -> None:
    """Remove the registry container `name` and its data volume; tolerant of either missing."""
    if docker.container.exists(name):
        docker.container.remove(name, force=True, volumes=True)
    if docker.volume.exists(f"{name}-data"):
        docker.volume.remove(f"{name}-data")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class BasicRegistry(Registry):
    """A registry:2 with htpasswd auth; `get` (and so `tags`, `digest`) authenticates."""

    user: str = ""
    password: str = ""

    @property
    def auth_header(self) -> str:
        return _basic(self.user, self.password)

    def get(self, path: str, accept: str = "") -> tuple[dict[str, str], bytes]:
        return _http_get(f"http://127.0.0.1:{self.port}{path}", accept, self.auth_header)


def _http_get(url: str, accept: str, authorization: str) -> tuple[dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"User-Agent": TEST_USER_AGENT})
    if accept:
        req.add_header("Accept", accept)
    req.add_header("Authorization", authorization)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return dict(resp.headers.items()), resp.read()


@contextmanager
def htpasswd_registry(tmp: Path, user: str, password: str) -> Iterator[BasicRegistry]:
    """registry:2 with REGISTRY_AUTH=htpasswd (bcrypt) and one user."""
    name = f"dw-htpasswd-{uuid.uuid4().hex[:8]}"
    auth = tmp / f"{name}-auth"
    auth.mkdir(parents=True)
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
    (auth / "htpasswd").write_text(f"{user}:{hashed}\n")
    try:
        reg = start_registry(
            name,
            env={
                "REGISTRY_AUTH": "htpasswd",
                "REGISTRY_AUTH_HTPASSWD_REALM": "dockwright-test",
                "REGISTRY_AUTH_HTPASSWD_PATH": "/auth/htpasswd",
            },
            volumes=[(str(auth), "/auth")],
        )
        yield BasicRegistry(
            port=reg.port, container=reg.container, volume=reg.volume, user=user, password=password
        )
    finally:
        _remove_container_and_volume(name)


# ------------------------------------------------------------------------ token service


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _libtrust_key_id(spki_der: bytes) -> str:
    """The key ID distribution derives from a public key (libtrust format)."""
    encoded = base64.b32encode(hashlib.sha256(spki_der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


@dataclass(frozen=True)
class TokenSigner:
    """RS256 signing with a self-signed certificate made by the openssl CLI (the venv has
    no `cryptography`, so PyJWT cannot sign RS256 itself)."""

    key: Path
    cert: Path
    cert_der: bytes
    spki_der: bytes

    @classmethod
    def create(cls, directory: Path) -> TokenSigner:
        key, cert = directory / "token-key.pem", directory / "token-cert.pem"
        _openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
            "-out", str(cert), "-days", "2", "-subj", "/CN=dockwright test token issuer",
        )  # fmt: skip
        cert_der = _openssl("x509", "-in", str(cert), "-outform", "DER")
        pubkey = _openssl("x509", "-in", str(cert), "-noout", "-pubkey")
        spki_der = _openssl("pkey", "-pubin", "-outform", "DER", stdin=pubkey)
        key.chmod(0o600)
        cert.chmod(0o644)
        return cls(key=key, cert=cert, cert_der=cert_der, spki_der=spki_der)

    @property
    def key_id(self) -> str:
        return _libtrust_key_id(self.spki_der)

    def sign(self, claims: Mapping[str, Any], key_header: Literal["x5c", "kid"] = "x5c") -> str:
        header: dict[str, Any] = {"typ": "JWT", "alg": "RS256"}
        if key_header == "x5c":
            header["x5c"] = [base64.b64encode(self.cert_der).decode()]
        else:
            header["kid"] = self.key_id
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        key = str(self.key)
        signature = _openssl("dgst", "-sha256", "-sign", key, stdin=signing_input.encode())
        return f"{signing_input}.{_b64url(signature)}"


def _openssl(*args: str, stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def parse_scope(scope: str) -> dict[str, Any] | None:
    """`repository:NAME:pull,push` -> a JWT access entry; None when malformed."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name:
        return None
    return {"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]}


@dataclass(frozen=True)
class TokenRequest:
    """One request the token service received. No password or token is kept."""

    method: str
    path: str
    query: dict[str, list[str]]
    has_authorization: bool  # an Authorization header was sent
    grant_type: str | None  # POST (OAuth2) form's grant_type; None for GET
    user: str | None  # the authenticated user (None: anonymous, or refused)
    scopes: list[str]  # from the query (GET) or the form (POST)
    status: int
    user_agent: str


class _TokenService:
    """The logic of the token server: authenticate, grant what was asked, sign."""

    def __init__(
        self,
        signer: TokenSigner,
        user: str,
        password: str,
        *,
        key_header: Literal["x5c", "kid"],
        refresh_tokens: bool,
    ) -> None:
        self.signer = signer
        self.user = user
        self.password = password
        self.key_header: Literal["x5c", "kid"] = key_header
        self.refresh_tokens = refresh_tokens
        self.requests: list[TokenRequest] = []
        self.issued_refresh: dict[str, str] = {}  # refresh token -> user
        self.lock = threading.Lock()

    def mint(self, user: str | None, scopes: list[str]) -> str:
        now = int(time.time())
        access = [a for a in map(parse_scope, scopes) if a] if user else []
        claims = {
            "iss": TOKEN_ISSUER,
            "sub": user or "",
            "aud": TOKEN_SERVICE,
            "exp": now + 300,
            "nbf": now - 30,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return self.signer.sign(claims, self.key_header)

    def refresh_token_for(self, user: str) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.issued_refresh[token] = user
        return token

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parsed = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(parsed.query)
        authorization = headers.get("authorization")
        grant_type: str | None = None
        user: str | None = None
        scopes: list[str] = []
        status, payload = 404, {"error": "not found"}
        if parsed.path == "/token" and method == "GET":
            scopes = query.get("scope", [])
            status, user, payload = self._get(authorization, query, scopes)
        elif parsed.path == "/token" and method == "POST":
            form = urllib.parse.parse_qs(body.decode())
            grant_type = (form.get("grant_type") or [""])[0]
            scopes = [s for value in form.get("scope", []) for s in value.split()]
            status, user, payload = self._post(grant_type, form, scopes)
        with self.lock:
            self.requests.append(
                TokenRequest(
                    method=method,
                    path=parsed.path,
                    query=query,
                    has_authorization=authorization is not None,
                    grant_type=grant_type,
                    user=user,
                    scopes=scopes,
                    status=status,
                    user_agent=headers.get("user-agent", ""),
                )
            )
        out_headers = {"Content-Type": "application/json"}
        if status == 401:
            out_headers["WWW-Authenticate"] = 'Basic realm="dockwright-test-token"'
        return status, out_headers, json.dumps(payload).encode()

    def _get(
        self, authorization: str | None, query: Mapping[str, list[str]], scopes: list[str]
    ) -> tuple[int, str | None, dict[str, Any]]:
        if authorization is None:
            token = self.mint(None, scopes)  # anonymous: a valid token granting nothing
            return 200, None, {"token": token, "access_token": token, "expires_in": 300}
        user = self._basic_user(authorization)
        if user is None:
            return 401, None, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
        token = self.mint(user, scopes)
        payload: dict[str, Any] = {"token": token, "access_token": token, "expires_in": 300}
        if self.refresh_tokens and query.get("offline_token") == ["true"]:
            payload["refresh_token"] = self.refresh_token_for(user)
        return 200, user, payload

    def _post(
        self, grant_type: str, form: Mapping[str, list[str]], scopes: list[str]
    ) -> tuple[int, str | None, dict[str, Any]]:
        def field_(name: str) -> str:
            return (form.get(name) or [""])[0]

        user: str | None
        if grant_type == "password":
            ok = secrets.compare_digest(field_("username"), self.user) and secrets.compare_digest(
                field_("password"), self.password
            )
            user = self.user if ok else None
        elif grant_type == "refresh_token":
            with self.lock:
                user = self.issued_refresh.get(field_("refresh_token"))
        else:
            return 400, None, {"error": "unsupported_grant_type"}
        if user is None:
            return 401, None, {"error": "invalid_grant"}
        token = self.mint(user, scopes)
        payload: dict[str, Any] = {
            "access_token": token,
            "token": token,
            "expires_in": 300,
            "scope": " ".join(scopes),
            "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if grant_type == "refresh_token":
            payload["refresh_token"] = field_("refresh_token")
        elif self.refresh_tokens or field_("access_type") == "offline":
            payload["refresh_token"] = self.refresh_token_for(user)
        return 200, user, payload

    def _basic_user(self, authorization: str) -> str | None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        ok = secrets.compare_digest(user, self.user) and secrets.compare_digest(
            password, self.password
        )
        return user if ok else None


@dataclass
class TokenRegistry(Registry):
    """A registry:2 with token auth and its token service (run by the test process).

    `get` (and so `tags`, `digest`) authenticate with a token minted in-process, which the
    service does not record; `token()` asks the service over HTTP, which it records.
    """

    realm: str = ""
    service: str = TOKEN_SERVICE
    issuer: str = TOKEN_ISSUER
    user: str = ""
    password: str = ""
    signer: TokenSigner | None = None
    _service: _TokenService | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[TokenRequest]:
        """Every request the token service received, oldest first (a snapshot)."""
        assert self._service is not None
        with self._service.lock:
            return list(self._service.requests)

    def clear_requests(self) -> None:
        assert self._service is not None
        with self._service.lock:
            self._service.requests.clear()

    def mint(self, *scopes: str, user: str | None = None) -> str:
        """A token for `scopes`, signed like the service's, without an HTTP request."""
        assert self._service is not None
        return self._service.mint(user or self.user, list(scopes))

    def bearer(self, *scopes: str) -> str:
        """An `Authorization` header value granting `scopes` to the registry's user."""
        return f"Bearer {self.mint(*scopes)}"

    def token(self, *scopes: str, user: str | None = None, password: str | None = None) -> str:
        """Ask the token service (GET with Basic auth) for a token, as docker does."""
        query = urllib.parse.urlencode([("service", self.service), *(("scope", s) for s in scopes)])
        req = urllib.request.Request(
            f"{self.realm}?{query}", headers={"User-Agent": TEST_USER_AGENT}
        )
        secret = self.password if password is None else password
        req.add_header("Authorization", _basic(user or self.user, secret))
        with urllib.request.urlopen(req, timeout=10) as resp:
            return str(json.load(resp)["token"])

    def get(self, path: str, accept: str = "") -> tuple[dict[str, str], bytes]:
        return _http_get(f"{self.base_url}{path}", accept, self.bearer(*_scopes_for(path)))


def _scopes_for(path: str) -> list[str]:
    if path.startswith("/v2/_catalog"):
        return ["registry:catalog:*"]
    match = re.match(r"/v2/(.+)/(?:tags|manifests|blobs)/", path)
    return [f"repository:{match.group(1)}:pull"] if match else []


@contextmanager
def token_registry(
    tmp: Path,
    user: str,
    password: str,
    *,
    key_header: Literal["x5c", "kid"] = "x5c",
    refresh_tokens: bool = False,
) -> Iterator[TokenRegistry]:
    """registry:2 with REGISTRY_AUTH=token and a token service on 127.0.0.1.

    The service grants `user` (HTTP Basic, or the OAuth2 POST form) every action it asks
    for, and an anonymous request a token granting nothing. With `refresh_tokens`, a GET
    with `offline_token=true` also returns a refresh token (docker login then stores an
    identity token, and later pulls and pushes use the POST `refresh_token` grant).
    """
    name = f"dw-token-{uuid.uuid4().hex[:8]}"
    auth = tmp / f"{name}-auth"
    auth.mkdir(parents=True)
    signer = TokenSigner.create(auth)
    service = _TokenService(
        signer, user, password, key_header=key_header, refresh_tokens=refresh_tokens
    )
    with _TokenServer(service) as server:
        realm = f"http://127.0.0.1:{server.port}/token"
        try:
            reg = start_registry(
                name,
                env={
                    "REGISTRY_AUTH": "token",
                    "REGISTRY_AUTH_TOKEN_REALM": realm,
                    "REGISTRY_AUTH_TOKEN_SERVICE": TOKEN_SERVICE,
                    "REGISTRY_AUTH_TOKEN_ISSUER": TOKEN_ISSUER,
                    "REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE": f"/auth/{signer.cert.name}",
                },
                volumes=[(str(auth), "/auth")],
            )
            yield TokenRegistry(
                port=reg.port,
                container=reg.container,
                volume=reg.volume,
                realm=realm,
                user=user,
                password=password,
                signer=signer,
                _service=service,
            )
        finally:
            _remove_container_and_volume(name)


# --------------------------------------------------------------------- recording server


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # the request target: path and query
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes


Response = tuple[int, Mapping[str, str], bytes]
Responder = Callable[[str, str, Mapping[str, str]], Response]


def not_found(method: str, path: str, headers: Mapping[str, str]) -> Response:
    return 404, {"Content-Type": "text/plain"}, b"not found\n"


class RecordingServer:
    """A threaded HTTP server that records every request and answers with `respond`.

    `respond(method, path, headers) -> (status, headers, body)`; `path` includes the query,
    header names are lower-cased; the request body is in `requests[-1].body`. `respond`
    may be replaced while the server runs. Use as a context manager. `host="0.0.0.0"`
    listens on every address (see `non_loopback_ip`).
    """

    def __init__(self, respond: Responder = not_found, host: str = "127.0.0.1") -> None:
        self.respond: Responder = respond
        self.host = host
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def url(self, host: str | None = None) -> str:
        """`http://HOST:PORT`; HOST defaults to 127.0.0.1 for a server on 0.0.0.0."""
        default = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host or default}:{self.port}"

    def start(self) -> RecordingServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"recording-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        """Record the request and compute the response (subclasses may use the body)."""
        with self._lock:
            self._requests.append(RecordedRequest(method, path, headers, body))
        return self.respond(method, path, headers)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                headers: dict[str, str] = {}
                for key, value in self.headers.items():
                    key = key.lower()
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
                status, out_headers, body = owner.answer(
                    self.command, self.path, headers, self._body()
                )
                self.send_response(status)
                for key, value in out_headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class _TokenServer(RecordingServer):
    def __init__(self, service: _TokenService) -> None:
        super().__init__()
        self.service = service

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        return self.service.handle(method, path, headers, body)


def non_loopback_ip() -> str:
    """An IPv4 address of this host that is not loopback, the docker0 bridge's if any."""
    proc = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True)
    found: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        match = re.search(r"^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)/", line)
        if match and not match.group(2).startswith("127."):
            found.setdefault(match.group(1), match.group(2))
    if "docker0" in found:
        return found["docker0"]
    if found:
        return next(iter(found.values()))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("192.0.2.1", 9))  # UDP connect sends nothing: it only picks a route
        address = str(sock.getsockname()[0])
    if address.startswith("127."):
        raise RuntimeError("this host has no IPv4 address besides loopback")
    return address


# ---------------------------------------------------------------------------- OCI index


def _request(
    method: str,
    url: str,
    auth_header: str | None,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("User-Agent", TEST_USER_AGENT)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    if auth_header:
        req.add_header("Authorization", auth_header)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            detail = err.read().decode(errors="replace")
        raise RuntimeError(f"{method} {url}: {err.code} {detail}") from err


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _upload_blob(base: str, repo: str, data: bytes, auth_header: str | None) -> str:
    digest = _digest(data)
    _, headers, _ = _request("POST", f"{base}/v2/{repo}/blobs/uploads/", auth_header, b"")
    location = urllib.parse.urljoin(f"{base}/", headers["location"])
    sep = "&" if "?" in location else "?"
    _request(
        "PUT",
        f"{location}{sep}digest={urllib.parse.quote(digest)}",
        auth_header,
        data,
        {"Content-Type": "application/octet-stream"},
    )
    return digest


def _put_manifest(
    base: str, repo: str, reference: str, body: bytes, media_type: str, auth_header: str | None
) -> str:
    _, headers, _ = _request(
        "PUT",
        f"{base}/v2/{repo}/manifests/{reference}",
        auth_header,
        body,
        {"Content-Type": media_type},
    )
    digest = _digest(body)
    served = headers.get("docker-content-digest")
    if served != digest:
        raise RuntimeError(f"registry answered digest {served} for {media_type} {digest}")
    return digest


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def push_oci_index(
    reg_base_url: str,
    repo: str,
    child_tag: str,
    index_tag: str,
    auth_header: str | None = None,
    *,
    attestation: bool = True,
) -> str:
    """PUT an OCI image index under `index_tag` whose linux/amd64 entry is the manifest of
    `child_tag` (an existing single-image tag); return the index digest.

    With `attestation`, the index also has a BuildKit-style attestation manifest
    (`unknown/unknown`, in-toto layer) for that image, uploaded and PUT by digest first.
    `reg_base_url` is like `http://127.0.0.1:5000`; `auth_header` is a full Authorization
    value (`Basic ...`, or `Bearer ...` granting pull,push on `repo`).
    """
    base = reg_base_url.rstrip("/")
    _, headers, child = _request(
        "GET",
        f"{base}/v2/{repo}/manifests/{child_tag}",
        auth_header,
        headers={"Accept": f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"},
    )
    child_type = json.loads(child).get("mediaType") or headers["content-type"].split(";")[0]
    child_digest = _digest(child)
    entries: list[dict[str, Any]] = [
        {
            "mediaType": child_type,
            "digest": child_digest,
            "size": len(child),
            "platform": {"architecture": "amd64", "os": "linux"},
        }
    ]
    if attestation:
        statement = _canonical(
            {
                "_type": "https://in-toto.io/Statement/v0.1",
                "predicateType": "https://slsa.dev/provenance/v0.2",
                "subject": [
                    {
                        "name": f"pkg:docker/{repo}@{child_tag}?platform=linux%2Famd64",
                        "digest": {"sha256": child_digest.removeprefix("sha256:")},
                    }
                ],
                "predicate": {"builder": {"id": "dockwright-tests"}, "buildType": "test"},
            }
        )
        layer_digest = _upload_blob(base, repo, statement, auth_header)
        config = _canonical(
            {
                "architecture": "unknown",
                "os": "unknown",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            }
        )
        config_digest = _upload_blob(base, repo, config, auth_header)
        manifest = _canonical(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
                "layers": [
                    {
                        "mediaType": IN_TOTO,
                        "digest": layer_digest,
                        "size": len(statement),
                        "annotations": {
                            "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"
                        },
                    }
                ],
            }
        )
        manifest_digest = _digest(manifest)
        _put_manifest(base, repo, manifest_digest, manifest, OCI_MANIFEST, auth_header)
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": manifest_digest,
                "size": len(manifest),
                "annotations": {
                    "vnd.docker.reference.digest": child_digest,
                    "vnd.docker.reference.type": "attestation-manifest",
                },
                "platform": {"architecture": "unknown", "os": "unknown"},
            }
        )
    index = _canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    return _put_manifest(base, repo, index_tag, index, OCI_INDEX, auth_header)


# ------------------------------------------------------------------ credential helper

_HELPER = r'''#!{python}
"""Fake docker credential helper `{name}` written by tests.engine.registries."""
import fcntl
import json
import sys

STORE = {store!r}
LOG = {log!r}
NOT_FOUND = "credentials not found in native keychain"


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "version":
        print("fake-credential-helper 0.0.0")
        return 0
    data = sys.stdin.read() if cmd in ("get", "store", "erase") else ""
    with open(STORE, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        creds = json.load(f)
        if cmd == "get":
            url = data.strip()
            log("get " + url)
            if url not in creds:
                print(NOT_FOUND)
                return 1
            user, secret = creds[url]
            print(json.dumps({{"ServerURL": url, "Username": user, "Secret": secret}}))
            return 0
        if cmd == "store":
            payload = json.loads(data)
            log("store " + payload["ServerURL"])
            creds[payload["ServerURL"]] = [payload["Username"], payload["Secret"]]
        elif cmd == "erase":
            url = data.strip()
            log("erase " + url)
            if url not in creds:
                print(NOT_FOUND)
                return 1
            del creds[url]
        elif cmd == "list":
            log("list")
            print(json.dumps({{url: pair[0] for url, pair in creds.items()}}))
            return 0
        else:
            log("unknown " + cmd)
            print("unknown credential action " + repr(cmd))
            return 1
        f.seek(0)
        f.truncate()
        json.dump(creds, f)
    return 0


sys.exit(main())
'''


def fake_credential_helper(
    bin_dir: Path, name: str, log: Path, secrets: dict[str, tuple[str, str]]
) -> Path:
    """Write an executable `docker-credential-<name>` into `bin_dir` and return its path.

    It serves `secrets` (server URL, exactly as docker passes it -> (username, secret)),
    persists `store`/`erase` in `docker-credential-<name>.store.json` beside itself, and
    appends `get <url>`, `store <url>`, `erase <url>` or `list` to `log` on each call.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    helper = bin_dir / f"docker-credential-{name}"
    store = credential_helper_store_path(helper)
    store.write_text(json.dumps({url: list(pair) for url, pair in secrets.items()}))
    store.chmod(0o600)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    helper.write_text(
        _HELPER.format(python=sys.executable, name=name, store=str(store), log=str(log))
    )
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return helper


def credential_helper_store_path(helper: Path) -> Path:
    return helper.with_name(helper.name + ".store.json")


def credential_helper_secrets(helper: Path) -> dict[str, tuple[str, str]]:
    """What the fake helper holds now (after the CLI's `store`/`erase` calls)."""
    data = json.loads(credential_helper_store_path(helper).read_text())
    return {url: (pair[0], pair[1]) for url, pair in data.items()}


def log_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


__all__ = [
    "BasicRegistry",
    "RecordedRequest",
    "RecordingServer",
    "Registry",
    "TokenRegistry",
    "TokenRequest",
    "TokenSigner",
    "credential_helper_secrets",
    "credential_helper_store_path",
    "fake_credential_helper",
    "htpasswd_registry",
    "log_lines",
    "non_loopback_ip",
    "not_found",
    "parse_scope",
    "push_oci_index",
    "token_registry",
]


# ------------------------------------------------------------------ a registry off the host


@dataclass(frozen=True)
class TlsRegistry:
    """registry:2 over TLS with htpasswd auth, on the engine's bridge address (not loopback:
    a registry a release may trust to outlive the runner). `bundle` is the host's trust
    store plus this registry's CA, for SSL_CERT_FILE; the engine trusts the CA through
    /etc/docker/certs.d/<host:port>/, removed on exit."""

    host: str
    port: int
    user: str
    password: str
    bundle: Path
    ca: Path

    @property
    def url(self) -> str:
        return f"{self.host}:{self.port}"

    def tags(self, repository: str) -> list[str]:
        import ssl

        context = ssl.create_default_context(cafile=str(self.ca))
        req = urllib.request.Request(
            f"https://{self.url}/v2/{repository}/tags/list",
            headers={"Authorization": _basic(self.user, self.password)},
        )
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return sorted(json.loads(resp.read())["tags"] or [])


def bridge_address() -> str:
    """The engine's default bridge gateway (docker0): an address of this host, not loopback."""
    inspected = docker.network.inspect("bridge")
    (config, *_) = inspected.ipam.config or [{}]
    return str(config["Gateway"])


@contextmanager
def tls_registry(tmp: Path, user: str, password: str, host_bundle: Path) -> Iterator[TlsRegistry]:
    from tests.engine.conftest import free_port

    host, port = bridge_address(), free_port()
    name = f"dw-tls-{uuid.uuid4().hex[:8]}"
    certs = tmp / f"{name}-certs"
    certs.mkdir(parents=True)
    ca_key, ca, key, csr, crt = (
        certs / n for n in ("ca.key", "ca.crt", "tls.key", "tls.csr", "tls.crt")
    )
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
        "-days",
        "1",
        "-subj",
        "/CN=dockwright-test-ca",
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(csr),
        "-subj",
        f"/CN={host}",
    )
    san = certs / "san.ext"
    san.write_text(f"subjectAltName=IP:{host}\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-out",
        str(crt),
        "-days",
        "1",
        "-extfile",
        str(san),
    )
    key.chmod(0o644)  # read by the registry's user in the container
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
    (certs / "htpasswd").write_text(f"{user}:{hashed}\n")
    bundle = certs / "bundle.pem"
    bundle.write_text(host_bundle.read_text() + "\n" + ca.read_text())
    trust = Path("/etc/docker/certs.d") / f"{host}:{port}"
    try:
        trust.mkdir(parents=True, exist_ok=True)
        (trust / "ca.crt").write_text(ca.read_text())
        docker.run(
            "registry:2",
            detach=True,
            name=name,
            publish=[(f"{host}:{port}", 5000)],
            envs={
                "REGISTRY_HTTP_TLS_CERTIFICATE": "/certs/tls.crt",
                "REGISTRY_HTTP_TLS_KEY": "/certs/tls.key",
                "REGISTRY_AUTH": "htpasswd",
                "REGISTRY_AUTH_HTPASSWD_REALM": "dockwright-test",
                "REGISTRY_AUTH_HTPASSWD_PATH": "/certs/htpasswd",
            },
            volumes=[(f"{name}-data", "/var/lib/registry"), (str(certs), "/certs")],
        )
        reg = TlsRegistry(host, port, user, password, bundle, ca)
        deadline = time.monotonic() + 20
        while True:
            try:
                reg.tags("none")
            except urllib.error.HTTPError:
                break  # answers: 404 for a repository it does not have
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield reg
    finally:
        _remove_container_and_volume(name)
        shutil.rmtree(trust, ignore_errors=True)

"""Registry credentials as users have them, against real registry:2 containers.

Auth modes x operations: a release (preflight login check, tag listing, docker push,
digest verification, floating tags by remote re-tag) against an open registry, htpasswd
and token auth, with a token from the environment (isolated login) or the user's own
docker login (config `auths` entry, or a credential helper). A fake credential helper
on PATH records every call; recording HTTP servers show where credentials went.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from python_on_whales import docker

from dockwright.config import RegistrySettings
from dockwright.engine.registry_api import RegistryClient
from dockwright.registry.access import Access
from dockwright.registry.credentials import Credentials
from dockwright.registry.publish import PushItem, publishing
from tests.engine.registries import (
    RecordingServer,
    fake_credential_helper,
    htpasswd_registry,
    log_lines,
    non_loopback_ip,
    push_oci_index,
    token_registry,
)
from tests.engine.test_build_and_check import invoke, remove_images
from tests.engine.test_release import Registry, git, registry, release_repo

pytestmark = pytest.mark.engine

USER = "ci"
TOKEN = "s3cr3t-registry-token-77"
AUTH_SETTINGS = 'username_env = "REG_USER"\ntoken_env = "REG_TOKEN"\n'
__all__ = ["registry"]  # a fixture from test_release, imported for use here


@dataclass
class UserDocker:
    """A user's own docker set-up: config folder, credential helper on PATH and its log."""

    config: Path
    bin: Path
    log: Path

    def env(self, tmp: Path) -> dict[str, str]:
        return {
            "DOCKER_CONFIG": str(self.config),
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "TMPDIR": str(tmp),
        }

    def config_bytes(self) -> bytes:
        return (self.config / "config.json").read_bytes()


def user_docker(
    tmp: Path, config: dict[str, object], secrets: dict[str, tuple[str, str]]
) -> UserDocker:
    """A docker config plus fake `docker-credential-dwtest` and `-secretservice` helpers
    (the second is what an empty config would make the docker CLI pick on Linux)."""
    folder = tmp / "user-docker"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    log = tmp / "helper.log"
    for name in ("dwtest", "secretservice"):
        fake_credential_helper(tmp / "bin", name, log, secrets)
    return UserDocker(config=folder, bin=tmp / "bin", log=log)


def someone_elses_login(tmp: Path, reg: Registry) -> UserDocker:
    """A user whose own login for `reg`, in their keychain, is someone else's."""
    return user_docker(
        tmp, {"credsStore": "dwtest"}, {reg.url: ("someone-else", "their-own-secret")}
    )


def docker_login(config: Path, registry: str) -> None:
    """A real `docker --config CONFIG login` as USER, the token on stdin."""
    login = subprocess.run(
        ["docker", "--config", str(config), "login", "-u", USER, "--password-stdin", registry],
        input=TOKEN,
        text=True,
        capture_output=True,
        check=False,
    )
    assert login.returncode == 0, login.stderr


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def leftovers(tmp: Path, secret: str) -> list[Path]:
    """Files under `tmp` holding `secret`, and any throwaway login folder left behind."""
    found = list(tmp.rglob("dockwright-login-*"))
    for path in tmp.rglob("*"):
        if path.is_file() and ".git/objects" not in str(path):
            try:
                if secret.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def released(reg: Registry) -> set[str]:
    return reg.tags("mini/one")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


class TestAuthModes:
    """Each auth mode publishes a whole release; tokens never reach a helper or a file."""

    def test_open_registry_without_any_login(
        self, tmp_path: Path, scratch: Path, registry: Registry
    ) -> None:
        repo = release_repo(tmp_path, registry)
        me = user_docker(tmp_path, {}, {})
        try:
            proc = invoke(repo, "release", "--bump", "minor", env=me.env(scratch))
            assert proc.returncode == 0, proc.stderr
            assert "credentials from no docker login" in proc.stderr
            assert released(registry) >= {"0.2.0", "0.2", "0", "latest"}
            assert registry.digest("mini/one", "latest") == registry.digest("mini/one", "0.2.0")
            assert me.config_bytes() == b"{}"
        finally:
            remove_images("mini/")
            remove_images(f"{registry.url}/")

    @pytest.mark.parametrize("kind", ["htpasswd", "token"])
    def test_token_from_environment_uses_an_isolated_login(
        self, tmp_path: Path, scratch: Path, kind: str
    ) -> None:
        starter = htpasswd_registry if kind == "htpasswd" else token_registry
        with starter(tmp_path, USER, TOKEN) as reg:
            repo = release_repo(tmp_path, reg, extra=AUTH_SETTINGS)
            me = someone_elses_login(tmp_path, reg)
            try:
                proc = invoke(
                    repo,
                    "release",
                    "--bump",
                    "minor",
                    env={**me.env(scratch), "REG_USER": USER, "REG_TOKEN": TOKEN},
                )
                assert proc.returncode == 0, proc.stderr
                assert "credentials from REG_USER/REG_TOKEN from the environment" in proc.stderr
                assert released(reg) >= {"0.2.0", "0.2", "0", "latest"}
                assert TOKEN not in proc.stdout + proc.stderr
                # The isolated login never called any helper for this registry, and the
                # user's keychain still holds their own login, unchanged.
                calls = log_lines(me.log)
                assert not [c for c in calls if reg.url in c], calls
                assert not [c for c in calls if not c.startswith("get ")], calls
                assert me.config_bytes() == b'{"credsStore": "dwtest"}'
                assert leftovers(scratch, TOKEN) == []
                assert leftovers(tmp_path / "mini", TOKEN) == []
            finally:
                remove_images("mini/")
                remove_images(f"{reg.url}/")

    def test_diff_pulls_with_the_token_from_environment(
        self, tmp_path: Path, scratch: Path
    ) -> None:
        """`diff` of two released versions this engine does not hold pulls them with
        the same isolated login the release pushed with, not the user's own one."""
        with token_registry(tmp_path, USER, TOKEN) as reg:
            repo = release_repo(tmp_path, reg, extra=AUTH_SETTINGS)
            me = someone_elses_login(tmp_path, reg)
            env = {**me.env(scratch), "REG_USER": USER, "REG_TOKEN": TOKEN}
            try:
                proc = invoke(repo, "release", "--bump", "minor", env=env)
                assert proc.returncode == 0, proc.stderr
                remove_images("mini/")
                remove_images(f"{reg.url}/")
                proc = invoke(repo, "diff", "0.2.0", "latest", "--json", env=env)
                assert proc.returncode == 0, proc.stderr
                diffs = {d["service"]: d for d in json.loads(proc.stdout)}
                assert sorted(diffs) == ["one", "two"]
                for name, got in diffs.items():
                    image = f"{reg.url}/mini/{name}"
                    for tag in ("0.2.0", "latest"):
                        assert f"pulling {image}:{tag}" in proc.stderr
                        assert f"sbom {name} {image}:{tag}: from the registry" in proc.stderr
                    assert got["old"]["image_id"] == got["new"]["image_id"]
                    assert got["old"]["size"] == docker.image.inspect(f"{image}:0.2.0").size
                assert TOKEN not in proc.stdout + proc.stderr
                calls = log_lines(me.log)
                assert not [c for c in calls if reg.url in c], calls
                assert leftovers(scratch, TOKEN) == []
            finally:
                remove_images("mini/")
                remove_images(f"{reg.url}/")

    @pytest.mark.parametrize("kind", ["htpasswd", "token"])
    @pytest.mark.parametrize("where", ["credential-helper", "config-auths"])
    def test_users_own_docker_login_is_read_and_never_written(
        self, tmp_path: Path, scratch: Path, kind: str, where: str
    ) -> None:
        starter = htpasswd_registry if kind == "htpasswd" else token_registry
        with starter(tmp_path, USER, TOKEN) as reg:
            repo = release_repo(tmp_path, reg, extra=AUTH_SETTINGS)
            if where == "credential-helper":
                me = user_docker(tmp_path, {"credsStore": "dwtest"}, {reg.url: (USER, TOKEN)})
            else:
                me = user_docker(tmp_path, {"auths": {reg.url: {"auth": basic(USER, TOKEN)}}}, {})
            before = me.config_bytes()
            try:
                # No REG_TOKEN in the environment: the user's docker login is used.
                proc = invoke(repo, "release", "--bump", "minor", env=me.env(scratch))
                assert proc.returncode == 0, proc.stderr
                assert released(reg) >= {"0.2.0", "0.2", "0", "latest"}
                assert reg.digest("mini/two", "latest") == reg.digest("mini/two", "0.2.0")
                calls = log_lines(me.log)
                if where == "credential-helper":
                    assert f"get {reg.url}" in calls  # read for API calls and by docker push
                    assert "docker login via docker-credential-dwtest" in proc.stderr
                else:
                    assert not [c for c in calls if reg.url in c]
                assert not [c for c in calls if not c.startswith("get ")], calls
                assert me.config_bytes() == before
                assert TOKEN not in proc.stdout + proc.stderr
            finally:
                remove_images("mini/")
                remove_images(f"{reg.url}/")

    def test_identity_token_from_docker_login_is_exchanged_at_the_token_service(
        self, tmp_path: Path, scratch: Path
    ) -> None:
        """`docker login` to a registry whose token service hands out refresh tokens stores
        an `identitytoken`, not the password: dockwright trades it (OAuth2 refresh grant)."""
        with token_registry(tmp_path, USER, TOKEN, refresh_tokens=True) as reg:
            repo = release_repo(tmp_path, reg, extra=AUTH_SETTINGS)
            me = user_docker(tmp_path, {}, {})
            docker_login(me.config, reg.url)
            stored = json.loads(me.config_bytes())["auths"][reg.url]
            assert "identitytoken" in stored and TOKEN not in json.dumps(stored)
            before = me.config_bytes()
            reg.clear_requests()
            try:
                proc = invoke(repo, "release", "--bump", "minor", env=me.env(scratch))
                assert proc.returncode == 0, proc.stderr
                assert released(reg) >= {"0.2.0", "0.2", "0", "latest"}
                grants = {r.grant_type for r in reg.requests if r.method == "POST"}
                assert "refresh_token" in grants
                assert me.config_bytes() == before
            finally:
                remove_images("mini/")
                remove_images(f"{reg.url}/")

    def test_no_login_at_all_fails_before_building_and_says_how_to_log_in(
        self, tmp_path: Path, scratch: Path
    ) -> None:
        with htpasswd_registry(tmp_path, USER, TOKEN) as reg:
            repo = release_repo(tmp_path, reg, extra=AUTH_SETTINGS)
            me = user_docker(tmp_path, {}, {})
            proc = invoke(repo, "release", "--bump", "minor", env=me.env(scratch))
            assert proc.returncode == 8, proc.stderr
            assert "refused access (no credentials)" in proc.stderr
            assert f"docker login {reg.url}" in proc.stderr
            assert "REG_TOKEN" in proc.stderr and ".env" not in proc.stderr
            assert "3/6 build" not in proc.stderr

    def test_token_in_the_apps_env_file_is_not_used(self, tmp_path: Path, scratch: Path) -> None:
        """`.env` is what compose hands to the containers: never a source of push tokens."""
        with htpasswd_registry(tmp_path, USER, TOKEN) as reg:
            repo = release_repo(tmp_path, reg, extra=AUTH_SETTINGS)
            (repo / ".env").write_text(f"REG_USER={USER}\nREG_TOKEN={TOKEN}\n")
            me = user_docker(tmp_path, {}, {})
            proc = invoke(repo, "release", "--bump", "minor", env=me.env(scratch))
            assert proc.returncode == 8, proc.stderr
            assert "refused access (no credentials)" in proc.stderr


class TestTermination:
    """SIGTERM during a push unwinds: no credential file remains anywhere."""

    def test_sigterm_while_pushing_leaves_no_credential_file(
        self, tmp_path: Path, scratch: Path
    ) -> None:
        with htpasswd_registry(tmp_path, USER, TOKEN) as reg:
            repo = release_repo(tmp_path, reg, extra=AUTH_SETTINGS)
            me = user_docker(tmp_path, {}, {})
            env = {
                **os.environ,
                **me.env(scratch),
                "REG_USER": USER,
                "REG_TOKEN": TOKEN,
                "DOCKWRIGHT_PUSH_ATTEMPTS": "2",
            }
            proc = subprocess.Popen(
                [sys.executable, "-m", "invoke", "release", "--bump", "minor"],
                cwd=repo,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            try:
                assert proc.stderr is not None
                seen = []
                for line in proc.stderr:
                    seen.append(line)
                    if "pushing" in line:
                        # The throwaway login exists now: the push is using it.
                        assert list(scratch.glob("dockwright-login-*")), seen
                        proc.send_signal(signal.SIGTERM)
                        break
                _, rest = proc.communicate(timeout=120)
                stderr = "".join(seen) + rest
                assert proc.returncode == 143, stderr
                assert "stopped by SIGTERM" in stderr
                time.sleep(1)  # an orphaned docker push child has read its config already
                assert leftovers(scratch, TOKEN) == []
                assert TOKEN not in stderr
                # The release did not finish: VERSION unchanged, no git tag.
                assert (repo / "VERSION").read_text().strip() == "0.1.0"
                assert git(repo, "tag", "--list") == ""
            finally:
                if proc.poll() is None:
                    proc.kill()
                remove_images("mini/")
                remove_images(f"{reg.url}/")


def fake_registry_env(tmp: Path, port: int) -> tuple[Path, dict[str, str]]:
    """A repository whose registry is a fake on 127.0.0.1:`port`, with a token set."""
    repo = release_repo(tmp, Registry(port=port, container="", volume=""), extra=AUTH_SETTINGS)
    toml = repo / "dockwright.toml"
    toml.write_text(toml.read_text().replace(f"localhost:{port}", f"127.0.0.1:{port}"))
    git(repo, "commit", "-qam", "fake registry")
    return repo, {"REG_USER": USER, "REG_TOKEN": TOKEN, "TMPDIR": str(tmp)}


class TestCredentialsStayWithTheRegistry:
    """Credentials go to the registry and its token service only."""

    def test_redirect_to_another_host_carries_no_credentials(self, tmp_path: Path) -> None:
        with RecordingServer() as elsewhere, RecordingServer() as registry_server:
            elsewhere.respond = lambda m, p, h: (
                200,
                {"Content-Type": "application/json"},
                b'{"name": "mini/one", "tags": ["0.9.0"]}',
            )

            def respond(
                method: str, path: str, headers: dict[str, str]
            ) -> tuple[int, dict[str, str], bytes]:
                if headers.get("authorization") != "Basic " + basic(USER, TOKEN):
                    return 401, {"WWW-Authenticate": 'Basic realm="fake"'}, b"{}"
                if path.startswith("/v2/mini/") and "/tags/list" in path:
                    return 307, {"Location": f"http://localhost:{elsewhere.port}{path}"}, b""
                if path.startswith("/v2/mini/"):
                    return 404, {"Content-Type": "application/json"}, b"{}"
                return 200, {"Content-Type": "application/json"}, b"{}"

            registry_server.respond = respond
            repo, env = fake_registry_env(tmp_path, registry_server.port)
            proc = invoke(repo, "tags", "0.9.1", "--json", env=env)
            assert proc.returncode == 0, proc.stderr
            # The redirected listing was read (0.9.0 published: 0.9.1 moves 0.9, 0, latest).
            assert json.loads(proc.stdout)["floating"] == ["0.9", "0", "latest"]
            assert any("authorization" in r.headers for r in registry_server.requests)
            assert elsewhere.requests, "the redirect was not followed"
            assert all("authorization" not in r.headers for r in elsewhere.requests)

    def test_foreign_plain_http_realm_gets_no_credentials(self, tmp_path: Path) -> None:
        with RecordingServer(host="0.0.0.0") as realm, RecordingServer() as registry_server:
            foreign = f"http://{non_loopback_ip()}:{realm.port}/token"
            registry_server.respond = lambda m, p, h: (
                401,
                {"WWW-Authenticate": f'Bearer realm="{foreign}",service="fake"'},
                b"{}",
            )
            repo, env = fake_registry_env(tmp_path, registry_server.port)
            proc = invoke(repo, "tags", "0.9.1", "--json", env=env)
            assert proc.returncode == 8, proc.stderr
            assert "will not send them there" in proc.stderr
            assert len(proc.stderr.strip().splitlines()) <= 2  # the credentials line + error
            assert all("authorization" not in r.headers for r in realm.requests)
            assert TOKEN not in proc.stderr


class TestRegistriesAsTheyAre:
    """Tag-list pages, and OCI indexes, read as real registries serve them."""

    def test_every_page_of_the_tag_list_is_read(self, tmp_path: Path) -> None:
        """registry:2 (distribution 2.8) ignores `?n=`; Docker Hub and GHCR page. This fake
        serves the distribution spec's pages (`Link: <...>; rel="next"`) two tags a time."""
        published = ["0.1.0", "0.2.0", "0.3.0", "latest", "0.10.0"]
        with RecordingServer() as server:

            def respond(
                method: str, path: str, headers: dict[str, str]
            ) -> tuple[int, dict[str, str], bytes]:
                if "/tags/list" not in path:
                    return 200, {"Content-Type": "application/json"}, b"{}"
                start = int(path.split("last=")[1]) if "last=" in path else 0
                page = published[start : start + 2]
                extra = {}
                if start + 2 < len(published):
                    base = path.split("?")[0]
                    extra["Link"] = f'<{base}?n=2&last={start + 2}>; rel="next"'
                body = json.dumps({"name": "mini/one", "tags": page}).encode()
                return 200, {"Content-Type": "application/json", **extra}, body

            server.respond = respond
            repo, env = fake_registry_env(tmp_path, server.port)
            proc = invoke(repo, "tags", "0.4.0", "--json", env=env)
            assert proc.returncode == 0, proc.stderr
            # 0.10.0, on the last page, keeps `0` and `latest`: only `0.4` moves.
            assert json.loads(proc.stdout)["floating"] == ["0.4"]
            listed = [r.path for r in server.requests if "/tags/list" in r.path]
            assert len([p for p in listed if "mini/one" in p]) == 3

    def test_real_registry_without_paging_lists_every_tag(self, registry: Registry) -> None:
        for tag in ("a", "b", "c", "d", "e"):
            ref = f"{registry.url}/paging/x:{tag}"
            docker.image.tag("python:3.13-slim", ref)
            docker.image.push(ref, quiet=True)
            docker.image.remove(ref)
        client = RegistryClient(registry.url, insecure=True, credentials=None)
        try:
            assert sorted(client.tags("paging/x", page_size=2)) == ["a", "b", "c", "d", "e"]
        finally:
            client.close()

    def test_oci_index_digest_is_verified_through_its_platform_child(self, tmp_path: Path) -> None:
        with token_registry(tmp_path, USER, TOKEN) as reg:
            ref = f"{reg.url}/idx/python:single"
            docker.image.tag("python:3.13-slim", ref)
            client = RegistryClient(
                reg.url, insecure=True, credentials=Credentials(username=USER, token=TOKEN)
            )
            try:
                docker_login(tmp_path / "cfg", reg.url)
                subprocess.run(
                    ["docker", "--config", str(tmp_path / "cfg"), "push", "-q", ref],
                    check=True,
                    capture_output=True,
                )
                bearer = reg.bearer("repository:idx/python:pull,push")
                index = push_oci_index(reg.base_url, "idx/python", "single", "1.0.0", bearer)
                image_id = docker.image.inspect("python:3.13-slim").id
                assert client.image_config("idx/python", "1.0.0") == (index, image_id)
                # A release finding its own image under an index skips the push.
                access = Access(
                    mode="token",
                    credentials=Credentials(username=USER, token=TOKEN),
                    source="test",
                    server=reg.url,
                )
                settings = RegistrySettings(url=reg.url, insecure=True)
                events: list[str] = []
                with publishing(settings, access, on_event=events.append) as pub:
                    item = PushItem(
                        service="python",
                        source="python:3.13-slim",
                        repository=f"{reg.url}/idx/python",
                        immutable=("1.0.0",),
                        floating=("1",),
                    )
                    done = pub.push_immutable(item, image_id=image_id)
                    assert done.digest == index and done.pushed == ()
                    assert pub.move_floating(item, done.digest) == ["1"]
                assert client.image_config("idx/python", "1") == (index, image_id)
                assert not any(e.startswith("pushing") for e in events), events
            finally:
                client.close()
                docker.image.remove(ref, force=True)

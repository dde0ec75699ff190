"""Unit tests for dockwright.registry.access: which credentials a registry gets, and from where.

The credential helper is a recording fake (no docker-credential-* program runs) and docker
config files live in tmp_path; tests/engine/test_registry_auth.py runs the real thing.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dockwright.config import RegistrySettings
from dockwright.errors import ConfigError
from dockwright.registry.access import (
    Access,
    config_dir,
    login_from_config,
    read_docker_config,
    resolve_access,
    server_key,
)
from dockwright.registry.credentials import Credentials

HUB = "https://index.docker.io/v1/"
SECRET = "ghp_s3cr3t-value"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class RecordingHelper:
    """A fake `helper_get`: answers from a table, None (not found) otherwise; records calls."""

    def __init__(self, answers: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.calls: list[tuple[str, str]] = []

    def __call__(self, helper: str, server: str) -> tuple[str, str] | None:
        self.calls.append((helper, server))
        return self.answers.get((helper, server))


class RecordingConfig:
    """A fake `docker_config` loader that counts how often it is read."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.reads = 0

    def __call__(self) -> Mapping[str, Any]:
        self.reads += 1
        return self.config


class TestServerKey:
    """Docker files Hub logins under `https://index.docker.io/v1/`, others under host[:port]."""

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            pytest.param("docker.io", HUB, id="docker-io"),
            pytest.param("index.docker.io", HUB, id="index-docker-io"),
            pytest.param("registry-1.docker.io", HUB, id="registry-1-docker-io"),
            pytest.param("ghcr.io", "ghcr.io", id="ghcr"),
            pytest.param("localhost:5000", "localhost:5000", id="host-and-port"),
            pytest.param("127.0.0.1:5000", "127.0.0.1:5000", id="ip-and-port"),
            pytest.param("my-reg.internal:443", "my-reg.internal:443", id="explicit-443-kept"),
            pytest.param("[::1]:5000", "[::1]:5000", id="ipv6-and-port"),
        ],
    )
    def test_server_key(self, url: str, expected: str) -> None:
        assert server_key(url) == expected

    def test_url_with_scheme_is_a_config_error(self) -> None:
        with pytest.raises(ConfigError, match="must not name a scheme"):
            server_key("https://ghcr.io")


class TestConfigDir:
    """$DOCKER_CONFIG when set and non-empty, else ~/.docker (the docker CLI's rule)."""

    @pytest.mark.parametrize(
        ("environ", "expected"),
        [
            pytest.param({"DOCKER_CONFIG": "/etc/dc"}, Path("/etc/dc"), id="docker-config-set"),
            pytest.param({}, Path("/home/u/.docker"), id="unset"),
            pytest.param({"DOCKER_CONFIG": ""}, Path("/home/u/.docker"), id="set-but-empty"),
        ],
    )
    def test_config_dir(self, environ: dict[str, str], expected: Path) -> None:
        assert config_dir(environ, Path("/home/u")) == expected


class TestReadDockerConfig:
    """config.json as a dict; {} when absent; a one-line ConfigError when it is not an object."""

    def test_missing_file_is_empty(self, tmp_path: Path) -> None:
        assert read_docker_config(tmp_path) == {}

    def test_missing_folder_is_empty(self, tmp_path: Path) -> None:
        assert read_docker_config(tmp_path / "nowhere") == {}

    def test_reads_object(self, tmp_path: Path) -> None:
        (tmp_path / "config.json").write_text('{"credsStore": "desktop", "auths": {}}')
        assert read_docker_config(tmp_path) == {"credsStore": "desktop", "auths": {}}

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("{", id="truncated"),
            pytest.param('{"auths": {},}', id="trailing-comma"),
            pytest.param("credsStore = desktop", id="not-json"),
        ],
    )
    def test_invalid_json(self, tmp_path: Path, text: str) -> None:
        path = tmp_path / "config.json"
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            read_docker_config(tmp_path)
        message = str(info.value)
        assert message.startswith(f"{path} is not valid JSON")
        assert "docker login" in message
        assert "\n" not in message

    def test_non_utf8_is_a_config_error(self, tmp_path: Path) -> None:
        (tmp_path / "config.json").write_bytes(b'{"auths": "\xff\xfe"}')
        with pytest.raises(ConfigError, match="is not valid JSON"):
            read_docker_config(tmp_path)

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("[]", id="array"),
            pytest.param('"auths"', id="string"),
            pytest.param("null", id="null"),
            pytest.param("42", id="number"),
        ],
    )
    def test_non_object(self, tmp_path: Path, text: str) -> None:
        path = tmp_path / "config.json"
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            read_docker_config(tmp_path)
        assert str(info.value) == f"{path} is not a JSON object; fix it or run `docker login`"

    @pytest.mark.parametrize(
        "text", [pytest.param("", id="empty"), pytest.param("\n", id="newline-only")]
    )
    def test_empty_file_is_empty_config(self, tmp_path: Path, text: str) -> None:
        # The docker CLI decodes config.json with json.Decoder and accepts io.EOF: an empty
        # file is an empty config (LoadFromReader in cli/config/configfile/file.go).
        (tmp_path / "config.json").write_text(text)
        assert read_docker_config(tmp_path) == {}


class TestLoginFromConfigHelpers:
    """A helper (credHelpers for the host, else credsStore) is the only source it consults."""

    @pytest.mark.parametrize(
        ("config", "server", "expected_call"),
        [
            pytest.param(
                {"credsStore": "desktop", "credHelpers": {"ghcr.io": "gh"}},
                "ghcr.io",
                ("gh", "ghcr.io"),
                id="cred-helper-for-host-wins-over-store",
            ),
            pytest.param(
                {"credsStore": "desktop", "credHelpers": {"ghcr.io": "gh"}},
                "localhost:5000",
                ("desktop", "localhost:5000"),
                id="cred-helper-for-other-host-leaves-store",
            ),
            pytest.param(
                {"credsStore": "osxkeychain"},
                "localhost:5000",
                ("osxkeychain", "localhost:5000"),
                id="store-only",
            ),
            pytest.param(
                {"credHelpers": {"ghcr.io": "gh"}},
                "ghcr.io",
                ("gh", "ghcr.io"),
                id="cred-helper-only",
            ),
            pytest.param(
                {"credsStore": "desktop", "credHelpers": {HUB: "hub"}},
                HUB,
                ("hub", HUB),
                id="hub-cred-helper-keyed-by-hub-url",
            ),
            pytest.param(
                {"credsStore": "pass"},
                HUB,
                ("pass", HUB),
                id="hub-store-asked-for-hub-url",
            ),
        ],
    )
    def test_which_helper_is_asked(
        self, config: dict[str, Any], server: str, expected_call: tuple[str, str]
    ) -> None:
        helper = RecordingHelper({expected_call: ("alice", SECRET)})
        creds, source = login_from_config(config, server, helper)
        assert creds == Credentials(username="alice", token=SECRET)
        assert helper.calls == [expected_call]
        assert f"docker-credential-{expected_call[0]}" in source
        assert SECRET not in source

    @pytest.mark.parametrize(
        "config",
        [
            pytest.param(
                {"credsStore": "desktop", "auths": {"localhost:5000": {"auth": b64("u:p")}}},
                id="store",
            ),
            pytest.param(
                {
                    "credHelpers": {"localhost:5000": "secretservice"},
                    "auths": {"localhost:5000": {"auth": b64("u:p")}},
                },
                id="cred-helper",
            ),
        ],
    )
    def test_helper_not_found_means_no_login_and_auths_unused(self, config: dict[str, Any]) -> None:
        helper = RecordingHelper()
        creds, source = login_from_config(config, "localhost:5000", helper)
        assert creds is None
        assert len(helper.calls) == 1
        assert "no login for localhost:5000" in source

    @pytest.mark.parametrize(
        ("answer", "identity"),
        [
            pytest.param(("alice", SECRET), False, id="user-and-password"),
            pytest.param(("<token>", "refresh-123"), True, id="identity-token-user-name"),
        ],
    )
    def test_identity_token_from_helper(self, answer: tuple[str, str], identity: bool) -> None:
        helper = RecordingHelper({("desktop", "ghcr.io"): answer})
        creds, _ = login_from_config({"credsStore": "desktop"}, "ghcr.io", helper)
        assert creds is not None
        assert creds.identity is identity
        assert creds.token == answer[1]

    def test_empty_cred_helper_opts_host_out_of_store(self) -> None:
        # docker's getConfiguredCredentialStore returns credHelpers[host] when the key exists,
        # even "", and "" selects the file store: the host's `auths` entry, not credsStore.
        config = {
            "credsStore": "desktop",
            "credHelpers": {"localhost:5000": ""},
            "auths": {"localhost:5000": {"auth": b64("alice:pw")}},
        }
        helper = RecordingHelper()
        creds, _ = login_from_config(config, "localhost:5000", helper)
        assert creds == Credentials(username="alice", token="pw")
        assert helper.calls == []


class TestLoginFromConfigAuths:
    """Without a helper, the `auths` entry whose key names the host (docker's
    ConvertToHostname: scheme and path dropped) holds the login."""

    @pytest.mark.parametrize(
        ("key", "server"),
        [
            pytest.param("localhost:5000", "localhost:5000", id="bare-key"),
            pytest.param("https://localhost:5000/v1/", "localhost:5000", id="legacy-url-key"),
            pytest.param("http://localhost:5000", "localhost:5000", id="http-url-key"),
            pytest.param("ghcr.io", "ghcr.io", id="domain"),
            pytest.param(HUB, HUB, id="hub"),
        ],
    )
    def test_matching_key(self, key: str, server: str) -> None:
        config = {"auths": {key: {"auth": b64("alice:pw")}}}
        helper = RecordingHelper()
        creds, source = login_from_config(config, server, helper)
        assert creds == Credentials(username="alice", token="pw")
        assert source == "docker login"
        assert helper.calls == []

    @pytest.mark.parametrize(
        "key",
        [
            pytest.param("localhost:5001", id="other-port"),
            pytest.param("localhost", id="no-port"),
            pytest.param("localhost:5000.evil.example", id="host-as-prefix"),
            pytest.param("https://evil.example/localhost:5000", id="host-in-path"),
        ],
    )
    def test_other_hosts_do_not_match(self, key: str) -> None:
        config = {"auths": {key: {"auth": b64("alice:pw")}}}
        creds, source = login_from_config(config, "localhost:5000", RecordingHelper())
        assert creds is None
        assert source == "no docker login for localhost:5000"

    @pytest.mark.parametrize(
        ("decoded", "user", "password"),
        [
            pytest.param("alice:pw", "alice", "pw", id="user-and-password"),
            pytest.param("alice:pa:ss:", "alice", "pa:ss:", id="colons-kept-in-password"),
            pytest.param("bot@acme.example:x y", "bot@acme.example", "x y", id="email-user"),
        ],
    )
    def test_auth_is_base64_user_colon_password(
        self, decoded: str, user: str, password: str
    ) -> None:
        config = {"auths": {"ghcr.io": {"auth": b64(decoded)}}}
        creds, _ = login_from_config(config, "ghcr.io", RecordingHelper())
        assert creds == Credentials(username=user, token=password)

    def test_identity_token(self) -> None:
        # docker login with an OAuth flow stores "user:" plus the refresh token.
        config = {"auths": {HUB: {"auth": b64("alice:"), "identitytoken": "refresh-123"}}}
        creds, _ = login_from_config(config, HUB, RecordingHelper())
        assert creds is not None
        assert creds.identity is True
        assert creds.token == "refresh-123"

    @pytest.mark.parametrize(
        "entry",
        [
            pytest.param({}, id="empty-entry"),
            pytest.param({"email": "a@b.c"}, id="email-only"),
            pytest.param("not-an-object", id="not-an-object"),
        ],
    )
    def test_entry_without_login(self, entry: Any) -> None:
        creds, _ = login_from_config({"auths": {"ghcr.io": entry}}, "ghcr.io", RecordingHelper())
        assert creds is None

    @pytest.mark.parametrize(
        "config",
        [
            pytest.param({}, id="empty-config"),
            pytest.param({"auths": {}}, id="no-auths"),
            pytest.param({"auths": None, "credHelpers": None}, id="nulls"),
            pytest.param({"credsStore": ""}, id="empty-store"),
        ],
    )
    def test_nothing_configured(self, config: dict[str, Any]) -> None:
        helper = RecordingHelper()
        assert login_from_config(config, "ghcr.io", helper) == (
            None,
            "no docker login for ghcr.io",
        )
        assert helper.calls == []

    @pytest.mark.parametrize(
        "auth",
        [
            pytest.param("YWxpY2U6cHc", id="missing-padding"),
            pytest.param("alice:pw", id="plain-text-not-encoded"),
            pytest.param("%%%%", id="no-base64-characters"),
            # docker's decodeAuth refuses these too ("Invalid auth configuration file").
            pytest.param(b64("alice"), id="no-colon"),
            pytest.param(b64(":pw"), id="empty-user"),
        ],
    )
    def test_bad_auth_is_a_config_error(self, auth: str) -> None:
        config = {"auths": {"https://localhost:5000/v1/": {"auth": auth}}}
        with pytest.raises(ConfigError) as info:
            login_from_config(config, "localhost:5000", RecordingHelper())
        message = str(info.value)
        assert "https://localhost:5000/v1/" in message
        assert "`docker login localhost:5000`" in message
        assert "\n" not in message


REGISTRY = RegistrySettings(url="ghcr.io", username_env="GH_USER", token_env="GH_TOKEN")
NO_TOKEN_ENV = RegistrySettings(url="localhost:5000")
STORE_CONFIG = {"credsStore": "desktop"}


class TestResolveAccessToken:
    """A token in the environment wins: no docker config read, no helper asked."""

    def test_token_mode(self) -> None:
        helper = RecordingHelper({("desktop", "ghcr.io"): ("helper-user", "helper-secret")})
        config = RecordingConfig(STORE_CONFIG)
        environ = {"GH_USER": "alice", "GH_TOKEN": SECRET}
        access = resolve_access(REGISTRY, environ, config, helper)
        assert access.mode == "token"
        assert access.credentials == Credentials(username="alice", token=SECRET)
        assert access.server == "ghcr.io"
        assert "GH_USER" in access.source
        assert "GH_TOKEN" in access.source
        assert SECRET not in access.source
        assert helper.calls == []
        assert config.reads == 0

    def test_hub_server_key(self) -> None:
        hub = RegistrySettings(url="docker.io", username_env="HUB_USER", token_env="HUB_TOKEN")
        access = resolve_access(
            hub, {"HUB_USER": "a", "HUB_TOKEN": "t"}, RecordingConfig({}), RecordingHelper()
        )
        assert access.server == HUB

    @pytest.mark.parametrize(
        ("registry", "environ", "names"),
        [
            pytest.param(
                REGISTRY, {"GH_TOKEN": SECRET}, ("GH_TOKEN", "GH_USER"), id="username-unset"
            ),
            pytest.param(
                REGISTRY,
                {"GH_TOKEN": SECRET, "GH_USER": ""},
                ("GH_TOKEN", "GH_USER"),
                id="username-empty",
            ),
            pytest.param(
                RegistrySettings(url="ghcr.io", token_env="GH_TOKEN"),
                {"GH_TOKEN": SECRET},
                ("GH_TOKEN", "username_env"),
                id="no-username-env-configured",
            ),
        ],
    )
    def test_token_without_username(
        self, registry: RegistrySettings, environ: dict[str, str], names: tuple[str, ...]
    ) -> None:
        helper = RecordingHelper()
        with pytest.raises(ConfigError) as info:
            resolve_access(registry, environ, RecordingConfig(STORE_CONFIG), helper)
        message = str(info.value)
        assert all(name in message for name in names)
        assert "ghcr.io" in message
        assert SECRET not in message
        assert helper.calls == []


class TestResolveAccessDockerLogin:
    """Without a token the user's docker config is read, and its helper asked `get` only."""

    @pytest.mark.parametrize(
        ("registry", "environ"),
        [
            pytest.param(REGISTRY, {}, id="token-env-unset"),
            pytest.param(REGISTRY, {"GH_TOKEN": "", "GH_USER": "alice"}, id="token-env-empty"),
            pytest.param(
                RegistrySettings(url="ghcr.io"), {"GH_TOKEN": SECRET}, id="no-token-env-configured"
            ),
        ],
    )
    def test_reads_docker_login(self, registry: RegistrySettings, environ: dict[str, str]) -> None:
        helper = RecordingHelper({("desktop", "ghcr.io"): ("bob", "pw")})
        config = RecordingConfig(STORE_CONFIG)
        access = resolve_access(registry, environ, config, helper)
        assert access == Access(
            mode="docker-login",
            credentials=Credentials(username="bob", token="pw"),
            source="docker login via docker-credential-desktop",
            server="ghcr.io",
        )
        assert helper.calls == [("desktop", "ghcr.io")]
        assert config.reads == 1

    def test_auths_entry(self) -> None:
        config = RecordingConfig({"auths": {"localhost:5000": {"auth": b64("carol:pw")}}})
        access = resolve_access(NO_TOKEN_ENV, {}, config, RecordingHelper())
        assert access.mode == "docker-login"
        assert access.credentials == Credentials(username="carol", token="pw")
        assert access.server == "localhost:5000"

    def test_no_config_means_no_credentials(self) -> None:
        access = resolve_access(NO_TOKEN_ENV, {}, RecordingConfig({}), RecordingHelper())
        assert access.mode == "docker-login"
        assert access.credentials is None
        assert "localhost:5000" in access.source


class TestSecretsStayHidden:
    """repr() of credentials, and of the Access holding them, never shows the token."""

    @pytest.mark.parametrize(
        "creds",
        [
            pytest.param(Credentials(username="alice", token=SECRET), id="password"),
            pytest.param(
                Credentials(username="<token>", token=SECRET, identity=True), id="identity"
            ),
        ],
    )
    def test_repr(self, creds: Credentials) -> None:
        assert SECRET not in repr(creds)
        assert SECRET not in str(creds)
        assert SECRET not in f"{creds!r}"

    def test_access_repr(self) -> None:
        access = resolve_access(
            REGISTRY,
            {"GH_USER": "alice", "GH_TOKEN": SECRET},
            RecordingConfig({}),
            RecordingHelper(),
        )
        assert SECRET not in repr(access)
        assert "alice" in repr(access)


class TestAccessHint:
    """The hint says what to do: `docker login <host>`, or which variables to check."""

    def test_docker_login_without_token_env(self) -> None:
        access = resolve_access(NO_TOKEN_ENV, {}, RecordingConfig({}), RecordingHelper())
        hint = access.hint(NO_TOKEN_ENV)
        assert "`docker login localhost:5000`" in hint
        assert "export" not in hint

    def test_docker_login_with_token_env(self) -> None:
        access = resolve_access(REGISTRY, {}, RecordingConfig({}), RecordingHelper())
        hint = access.hint(REGISTRY)
        assert "`docker login ghcr.io`" in hint
        assert "GH_USER" in hint
        assert "GH_TOKEN" in hint

    def test_token_mode(self) -> None:
        access = resolve_access(
            REGISTRY,
            {"GH_USER": "alice", "GH_TOKEN": SECRET},
            RecordingConfig({}),
            RecordingHelper(),
        )
        hint = access.hint(REGISTRY)
        assert "GH_USER" in hint
        assert "GH_TOKEN" in hint
        assert "docker login" not in hint
        assert SECRET not in hint

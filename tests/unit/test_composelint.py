"""Unit tests for dockwright.composelint: compose-level findings with file:line, and waivers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dockwright.errors import ConfigError
from dockwright.policy import expectations_from
from dockwright.policy.compose import (
    NARROW,
    PASS_ONE,
    Finding,
    apply_waivers,
    asks_socket,
    exposed_by,
    healthcheck_commands,
    interpolate_home,
    lint_compose,
    lint_files,
    literal_secret,
    on_all_interfaces,
    option_value,
    shell_words,
    split_port,
    under_home,
)
from tests.conftest import ROOT

WAIVER = "public behind the load balancer on purpose"


def found(text: str) -> list[tuple[str, str, int]]:
    return [(f.rule, f.service, f.line) for f in lint_compose(text, "compose.yaml")]


class TestPorts:
    """A published port is on all interfaces unless a loopback or single host IP is given."""

    @pytest.mark.parametrize(
        ("spec", "host", "rest"),
        [
            ("8000", None, "8000"),
            ("8000:80", None, "8000:80"),
            ("127.0.0.1:8000:80", "127.0.0.1", "8000:80"),
            ("127.0.0.1:5000-5010:5000-5010", "127.0.0.1", "5000-5010:5000-5010"),
            ("::1:6000:6000", "::1", "6000:6000"),
            ("[::1]:6001:6001", "::1", "6001:6001"),
            ("6060:6060/udp", None, "6060:6060"),
        ],
    )
    def test_split_port(self, spec: str, host: str | None, rest: str) -> None:
        assert split_port(spec) == (host, rest)

    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            (None, True),
            ("", True),
            ("0.0.0.0", True),
            ("::", True),
            ("127.0.0.1", False),
            ("::1", False),
            ("192.168.1.5", False),
            ("\0", None),
            ("myhost", None),
        ],
    )
    def test_on_all_interfaces(self, host: str | None, expected: bool | None) -> None:
        assert on_all_interfaces(host) is expected

    def test_short_long_and_interpolated_entries(self) -> None:
        text = (
            "services:\n"
            "  a:\n"
            "    ports:\n"
            '      - "8000:8000"\n'  # 4
            '      - "127.0.0.1:${A_PORT:-8001}:8001"\n'
            '      - "${BIND:-0.0.0.0}:8002:8002"\n'  # 6
            '      - "${BIND_IP}:8003:8003"\n'  # unknown: not reported
            "      - 9000\n"  # 8
            "      - target: 5432\n"  # 9
            "        published: 5432\n"
            "      - {target: 80, host_ip: 127.0.0.1}\n"
            "  b:\n"
            "    network_mode: host\n"  # 13
        )
        assert found(text) == [
            ("ports-all-interfaces", "a", 4),
            ("ports-all-interfaces", "a", 6),
            ("ports-all-interfaces", "a", 8),
            ("ports-all-interfaces", "a", 9),
            ("ports-all-interfaces", "b", 13),
        ]

    @pytest.mark.parametrize(
        ("entry", "fix"),
        [
            ('"9000"', 'write "127.0.0.1::9000"'),
            ('"${P:-80}:80"', 'write "127.0.0.1:${P:-80}:80"'),
            ('"0.0.0.0:70:70/udp"', "make the host IP 127.0.0.1"),
            ("{target: 5432}", "add host_ip: 127.0.0.1"),
        ],
    )
    def test_fix_is_concrete(self, entry: str, fix: str) -> None:
        (finding,) = lint_compose(f"services:\n  a:\n    ports: [{entry}]\n", "c.yml")
        assert finding.fix == f"{fix} (or waive it if public on purpose)"

    def test_message_and_fix(self) -> None:
        (finding,) = lint_compose('services:\n  a:\n    ports: ["8000:80"]\n', "c.yml")
        assert finding.where == "c.yml:3"
        assert finding.message == "publishes '8000:80' on all interfaces"
        assert finding.fix == 'write "127.0.0.1:8000:80" (or waive it if public on purpose)'


class TestLiteralSecret:
    """Secret-looking keys must be references; URLs must not carry a literal password."""

    @pytest.mark.parametrize(
        ("name", "raw", "why"),
        [
            ("POSTGRES_PASSWORD", "example", "is a literal value"),
            ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD}", None),
            ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD:-}", None),
            ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD:?set it}", None),
            (
                "POSTGRES_PASSWORD",
                "${POSTGRES_PASSWORD:-changeme}",
                "falls back to a literal default",
            ),
            ("POSTGRES_PASSWORD", "${A:-${B:-x}}", "falls back to a literal default"),
            ("POSTGRES_PASSWORD", "${A:-${B}}", None),
            ("POSTGRES_PASSWORD", "", None),
            ("POSTGRES_PASSWORD_FILE", "/run/secrets/db", None),
            ("POSTGRES_USER", "app", None),
            ("DATABASE_URL", "postgresql://app:hunter2@db/app", "is a URL with a literal password"),
            ("DATABASE_URL", "postgresql://app:${DB_PASSWORD}@db/app", None),
            ("DATABASE_URL", "postgresql://${DB_USER:-a}:${DB_PASSWORD:-}@db/app", None),
            ("DATABASE_URL", "postgresql://app@db/app", None),
            ("BACKEND_URL", "http://backend:8000", None),
        ],
    )
    def test_value(self, name: str, raw: str, why: str | None) -> None:
        assert literal_secret(name, raw) == why

    def test_mapping_and_list_forms_and_merged_anchor(self) -> None:
        text = (
            "x-db-env: &db-env\n"
            "  POSTGRES_PASSWORD: example\n"  # 2: reported where the anchor defines it
            "services:\n"
            "  db:\n"
            "    environment:\n"
            "      <<: *db-env\n"
            "      POSTGRES_USER: app\n"
            "  api:\n"
            "    environment:\n"
            "      - SECRET_KEY=abc\n"  # 10
            "      - API_TOKEN\n"  # pass-through: fine
            "      - TOKEN=${TOKEN}\n"
        )
        assert found(text) == [("literal-secret", "db", 2), ("literal-secret", "api", 10)]

    def test_value_is_never_in_the_message(self) -> None:
        (finding,) = lint_compose(
            "services:\n  db:\n    environment: {DB_PASSWORD: hunter2}\n", "c.yml"
        )
        assert "hunter2" not in finding.message + finding.fix
        assert finding.fix == "write DB_PASSWORD: ${DB_PASSWORD} and set the value in .env"


class TestContainerName:
    def test_container_name_is_reported_at_its_line(self) -> None:
        text = "services:\n  api:\n    image: x\n    container_name: api\n"
        (finding,) = lint_compose(text, "c.yml")
        assert (finding.rule, finding.service, finding.where) == (
            "container-name",
            "api",
            "c.yml:4",
        )
        assert finding.fix == "remove it; use the service name (docker compose exec api)"


class TestHomeMount:
    """A bind mount of a home directory, or of a credentials path in one, is reported;
    `~`, `$HOME` and `${HOME}` count as compose expands them."""

    @pytest.mark.parametrize(
        ("source", "path"),
        [
            pytest.param("~", "", id="tilde"),
            pytest.param("~/.ssh", ".ssh", id="tilde-ssh"),
            pytest.param("$HOME/.aws", ".aws", id="dollar-home"),
            pytest.param("${HOME}/.aws/credentials", ".aws/credentials", id="braced-home"),
            pytest.param("${HOME:-/root}/.netrc", ".netrc", id="home-with-default"),
            pytest.param("${HOME:?set HOME}/.kube", ".kube", id="home-required"),
            pytest.param("${KEYS:-~/.ssh}", ".ssh", id="other-var-defaults-to-home"),
            pytest.param("/home/alice/.ssh/", ".ssh", id="linux-home-trailing-slash"),
            pytest.param("/home/alice/../bob/.ssh", ".ssh", id="normalised"),
            pytest.param("/home/${USER}/.gnupg", ".gnupg", id="user-variable"),
            pytest.param("/Users/bob", "", id="macos-home"),
            pytest.param("/root", "", id="root-home"),
            pytest.param("/root/.docker/config.json", ".docker/config.json", id="root-file"),
            pytest.param("/home", "..", id="all-homes"),
            pytest.param("/home/${USER}", None, id="unknown-depth"),
            pytest.param("${KEYS}", None, id="unknown-variable"),
            pytest.param("$HOMEDIR/.ssh", None, id="other-variable-named-home-prefix"),
            pytest.param("$$HOME/.ssh", None, id="escaped-dollar"),
            pytest.param("~.ssh", ".ssh", id="tilde-without-slash-as-compose-joins-it"),
            pytest.param("~alice/.ssh", "alice/.ssh", id="tilde-user-is-a-folder-in-home"),
            pytest.param("./.ssh", None, id="relative"),
            pytest.param("data", None, id="named-volume"),
            pytest.param("/srv/home/alice/.ssh", None, id="not-a-home"),
            pytest.param("/var/run/docker.sock", None, id="socket"),
        ],
    )
    def test_path_inside_home(self, source: str, path: str | None) -> None:
        assert under_home(interpolate_home(source)) == path

    @pytest.mark.parametrize(
        ("path", "what", "fix"),
        [
            pytest.param("", "a whole home directory", NARROW, id="home"),
            pytest.param("..", "every home directory", NARROW, id="all-homes"),
            pytest.param(".ssh", "SSH keys (~/.ssh)", PASS_ONE, id="ssh"),
            pytest.param(".ssh/id_ed25519", "SSH keys (~/.ssh)", PASS_ONE, id="one-key"),
            pytest.param(".aws", "AWS credentials (~/.aws)", PASS_ONE, id="aws"),
            pytest.param(".docker", "registry logins (~/.docker)", PASS_ONE, id="docker"),
            pytest.param(".kube/config", "Kubernetes credentials (~/.kube)", PASS_ONE, id="kube"),
            pytest.param(".gnupg", "GPG keys (~/.gnupg)", PASS_ONE, id="gnupg"),
            pytest.param(
                ".config/gcloud",
                "Google Cloud credentials (~/.config/gcloud)",
                PASS_ONE,
                id="gcloud",
            ),
            pytest.param(
                ".config",
                "a folder holding Google Cloud credentials (~/.config/gcloud)",
                NARROW,
                id="folder-above-gcloud",
            ),
            pytest.param(".netrc", "login passwords (~/.netrc)", PASS_ONE, id="netrc"),
            pytest.param(".npmrc", "npm tokens (~/.npmrc)", PASS_ONE, id="npmrc"),
            pytest.param(".pypirc", "PyPI tokens (~/.pypirc)", PASS_ONE, id="pypirc"),
            pytest.param(".sshx", None, None, id="name-prefix-only"),
            pytest.param(".cache/pip", None, None, id="cache"),
            pytest.param("code/app", None, None, id="source-checkout"),
        ],
    )
    def test_what_a_path_exposes(self, path: str, what: str | None, fix: str | None) -> None:
        exposed = exposed_by(path)
        if what is None:
            assert exposed is None
        else:
            assert exposed is not None
            assert exposed[0].startswith(what)
            assert exposed[1] == fix

    def test_short_and_long_syntax_at_their_lines(self) -> None:
        text = (
            "services:\n"
            "  api:\n"
            "    volumes:\n"
            "      - ~/.ssh:/root/.ssh:ro\n"  # 4
            "      - ${HOME}/.aws:/root/.aws\n"  # 5
            "      - ./src:/app/src\n"
            "      - data:/data\n"
            "      - /cache\n"  # anonymous volume: no source
            "      - type: bind\n"
            "        source: $HOME/.config/gcloud\n"  # 10: the source line
            "        target: /root/.config/gcloud\n"
            "      - {type: volume, source: home, target: /root}\n"
            "      - {type: tmpfs, target: /root/.ssh}\n"
            "  worker:\n"
            "    volumes: ['/home/alice:/home/alice', '/root/.docker:/root/.docker']\n"  # 15
        )
        assert found(text) == [
            ("home-mount", "api", 4),
            ("home-mount", "api", 5),
            ("home-mount", "api", 10),
            ("home-mount", "worker", 15),
            ("home-mount", "worker", 15),
        ]

    def test_message_and_fix(self) -> None:
        (finding,) = lint_compose(
            "services:\n  a:\n    volumes: ['${HOME}/.aws:/root/.aws:ro']\n", "c.yml"
        )
        assert finding.where == "c.yml:3"
        assert finding.message == (
            "mounts '${HOME}/.aws:/root/.aws:ro', AWS credentials (~/.aws): anything running "
            "in the container can read them, read-only or not"
        )
        assert finding.fix == (
            "pass only the credential it needs: a compose secret (file: PATH) or a variable in .env"
        )

    def test_whole_home_message(self) -> None:
        (finding,) = lint_compose("services:\n  a:\n    volumes: ['~:/host']\n", "c.yml")
        assert finding.message == (
            "mounts '~:/host', a whole home directory (SSH keys, cloud and registry logins, "
            "tokens): anything running in the container can read them, read-only or not"
        )
        assert finding.fix == "mount only the folder the service needs, not one holding credentials"

    def test_waivable_like_the_other_rules(self) -> None:
        findings = lint_compose("services:\n  a:\n    volumes: ['~/.ssh:/root/.ssh']\n", "c.yml")
        reason = "deploy container pushes over SSH on purpose"
        (waived,) = apply_waivers(findings, {"a": {"waivers": {"home-mount": reason}}})
        assert (waived.status, waived.blocking, waived.waived) == ("WAIVED", False, reason)


def db(test: str, extra: str = "") -> str:
    return (
        f"services:\n  db:\n    image: postgres:17\n{extra}    healthcheck:\n      test: {test}\n"
    )


class TestHealthcheckSocket:
    """A database healthcheck over the unix socket says "ready" during the init phase."""

    @pytest.mark.parametrize(
        "test",
        [
            '["CMD", "pg_isready", "-U", "app"]',
            '["CMD-SHELL", "pg_isready -U app -d app"]',
            '"pg_isready -U app"',
            '["CMD-SHELL", "pg_isready -h /var/run/postgresql -U app"]',
            '["CMD-SHELL", "pg_isready --host=/tmp || exit 1"]',
            '["CMD-SHELL", "psql -U app -c \'select 1\'"]',
            '["CMD", "sh", "-c", "exec pg_isready -U \\"$${POSTGRES_USER}\\""]',
            '["CMD-SHELL", "true&&/usr/bin/pg_isready"]',
            '["CMD", "mysqladmin", "ping", "-h", "localhost"]',
            '["CMD-SHELL", "mariadb-admin ping -u root -p$${MARIADB_ROOT_PASSWORD}"]',
            '["CMD", "mysqladmin", "ping", "--protocol=socket", "-h", "127.0.0.1"]',
        ],
    )
    def test_socket_is_reported(self, test: str) -> None:
        assert found(db(test)) == [("healthcheck-socket", "db", 5)]

    @pytest.mark.parametrize(
        "test",
        [
            '["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "app"]',
            '["CMD-SHELL", "pg_isready -hlocalhost -U app"]',
            '["CMD-SHELL", "pg_isready --host=db"]',
            '["CMD-SHELL", "pg_isready -h ${DB_HOST}"]',
            '["CMD-SHELL", "pg_isready -h $${HOSTNAME}"]',
            '["CMD-SHELL", "pg_isready -d postgresql://app@localhost/app"]',
            '["CMD-SHELL", "pg_isready -d \'host=127.0.0.1 dbname=app\'"]',
            '["CMD", "mysqladmin", "ping", "-h", "127.0.0.1"]',
            '["CMD", "mysqladmin", "ping", "--protocol", "TCP"]',
            '["CMD", "mysqladmin", "status"]',
            '["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]',
            '["CMD", "curl", "-f", "http://localhost:8000/"]',
            '["NONE"]',
            '["CMD-SHELL", "pg_isready \'unclosed"]',
        ],
    )
    def test_tcp_unknown_or_other_is_not(self, test: str) -> None:
        assert found(db(test)) == []

    def test_host_from_the_service_environment(self) -> None:
        test = '["CMD", "pg_isready", "-U", "app"]'
        assert found(db(test, "    environment: {PGHOST: 127.0.0.1}\n")) == []
        assert found(db(test, "    environment: [PGHOST=/var/run/postgresql]\n")) == [
            ("healthcheck-socket", "db", 6)
        ]
        assert found(db(test, '    environment: {PGHOST: "${DB_HOST}"}\n')) == []

    def test_disabled_healthcheck_is_not_looked_at(self) -> None:
        text = db('["CMD", "pg_isready"]').replace(
            "    healthcheck:\n", "    healthcheck:\n      disable: true\n"
        )
        assert found(text) == []

    def test_message_and_fix(self) -> None:
        (pg,) = lint_compose(db('["CMD", "pg_isready"]'), "c.yml")
        assert pg.where == "c.yml:5"
        assert "pg_isready asks over the unix socket" in pg.message
        assert pg.fix == "ask over TCP: pg_isready -h 127.0.0.1"
        (my,) = lint_compose(db('["CMD", "mysqladmin", "ping"]'), "c.yml")
        assert my.fix == (
            "ask over TCP: mysqladmin -h 127.0.0.1 (for mysql clients `localhost` is the socket)"
        )

    def test_pieces(self) -> None:
        assert shell_words("a -b 'c d' && e;f|g") == [["a", "-b", "c d"], ["e"], ["f"], ["g"]]
        assert shell_words("a 'b") is None
        assert option_value(["-U", "x", "-h", "db"], "-h", "--host") == "db"
        assert option_value(["-hdb"], "-h", "--host") == "db"
        assert option_value(["--host=db"], "-h", "--host") == "db"
        assert option_value(["--help"], "-h", "--host") is None
        assert option_value(["-h"], "-h", "--host") == ""
        assert asks_socket(["/usr/bin/pg_isready"], {}) == "pg_isready"
        assert asks_socket(["pg_isready"], {"PGHOST": None}) is None
        assert healthcheck_commands(lint_root(db('["CMD", "pg_isready", "-q"]'))) == (
            [["pg_isready", "-q"]],
            5,
        )

    def test_waivable_like_the_other_rules(self) -> None:
        findings = lint_compose(db('["CMD", "pg_isready"]'), "c.yml")
        reason = "the init scripts are empty and nothing depends on it"
        (waived,) = apply_waivers(findings, {"db": {"waivers": {"healthcheck-socket": reason}}})
        assert waived.status == "WAIVED"

    def test_reference_and_notes_stacks_ask_over_tcp(self) -> None:
        notes = ROOT / "tests" / "fixtures" / "adopt" / "notes" / "docker-compose.yml"
        assert found(notes.read_text()) == []


def lint_root(text: str) -> yaml.Node:
    """The `db` service node of a one-service compose text."""
    return yaml.compose(text).value[0][1].value[0][1]


class TestLintFiles:
    """Files are named relative to the root; bad YAML is an error naming the file."""

    def test_reference_stack_is_clean(self) -> None:
        files = sorted((ROOT / "compose").glob("compose*.yaml"))
        assert files
        assert lint_files(files, ROOT) == []

    def test_files_named_relative_to_root(self, tmp_path: Path) -> None:
        (tmp_path / "compose").mkdir()
        path = tmp_path / "compose" / "compose.yaml"
        path.write_text("services:\n  a:\n    container_name: a\n")
        assert [f.where for f in lint_files([path, path], tmp_path)] == ["compose/compose.yaml:3"]

    def test_invalid_yaml(self) -> None:
        with pytest.raises(ConfigError, match=r"^c\.yml: invalid YAML: "):
            lint_compose("services: [\n", "c.yml")

    def test_fixture_repository_shop(self) -> None:
        path = ROOT / "tests" / "fixtures" / "adopt" / "shop" / "docker-compose.yml"
        assert found(path.read_text()) == [
            ("container-name", "backend", 6),
            ("literal-secret", "backend", 8),
            ("literal-secret", "backend", 9),
            ("ports-all-interfaces", "backend", 12),
            ("container-name", "frontend", 17),
            ("ports-all-interfaces", "frontend", 21),
            ("literal-secret", "db", 27),
            ("ports-all-interfaces", "db", 30),
            ("healthcheck-socket", "db", 35),
        ]


class TestWaivers:
    """A waiver with a reason turns a finding into WAIVED; unknown rules and bare waivers fail."""

    FINDING = Finding(
        rule="container-name", service="api", file="c.yml", line=3, message="m", fix="f"
    )

    def test_waived(self) -> None:
        (waived,) = apply_waivers([self.FINDING], {"api": {"waivers": {"container-name": WAIVER}}})
        assert (waived.status, waived.blocking, waived.waived) == ("WAIVED", False, WAIVER)

    def test_other_rule_or_service_does_not_waive(self) -> None:
        ext = {"api": {"waivers": {"user": WAIVER}}, "web": {"waivers": {"container-name": WAIVER}}}
        (kept,) = apply_waivers([self.FINDING], ext)
        assert (kept.status, kept.blocking) == ("FAIL", True)

    def test_unknown_rule(self) -> None:
        with pytest.raises(ConfigError) as info:
            apply_waivers([], {"db": {"waivers": {"container_nme": WAIVER}}})
        assert str(info.value).startswith(
            "service db: waiver for unknown rule 'container_nme'; image rules: size, "
        )
        assert str(info.value).endswith(
            "compose rules: ports-all-interfaces, literal-secret, container-name, home-mount, "
            "healthcheck-socket"
        )

    def test_reason_required(self) -> None:
        with pytest.raises(ConfigError, match="needs a written reason"):
            apply_waivers([], {"db": {"waivers": {"literal-secret": "ok"}}})

    def test_image_gate_accepts_compose_rule_waivers(self) -> None:
        exp = expectations_from({"waivers": {"ports-all-interfaces": WAIVER}}, {})
        assert exp.waivers == {"ports-all-interfaces": WAIVER}

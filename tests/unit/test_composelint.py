"""Unit tests for dockwright.composelint: compose-level findings with file:line, and waivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockwright.composelint import (
    Finding,
    apply_waivers,
    lint_compose,
    lint_files,
    literal_secret,
    on_all_interfaces,
    split_port,
)
from dockwright.errors import ConfigError
from dockwright.policy import expectations_from
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
            "compose rules: ports-all-interfaces, literal-secret, container-name"
        )

    def test_reason_required(self) -> None:
        with pytest.raises(ConfigError, match="needs a written reason"):
            apply_waivers([], {"db": {"waivers": {"literal-secret": "ok"}}})

    def test_image_gate_accepts_compose_rule_waivers(self) -> None:
        exp = expectations_from({"waivers": {"ports-all-interfaces": WAIVER}}, {})
        assert exp.waivers == {"ports-all-interfaces": WAIVER}

"""Unit tests for dockwright.repo.compose: services from a merged compose config, image names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockwright.errors import ConfigError
from dockwright.repo.compose import (
    BuildSpec,
    Service,
    compose_files,
    select,
    services_from_config,
    split_image,
)

# Shaped like `docker compose config --format json` (Compose 2.26.1): absolute
# contexts, dockerfile left relative to its context, args as strings, secrets in
# long form, services in name order. The x-dockwright block is added by hand:
# that Compose's JSON output leaves service-level x- keys out.
CONFIG: dict[str, Any] = {
    "name": "todo",
    "secrets": {"ca": {"name": "todo_ca", "file": "/src/todo/ca.pem"}},
    "services": {
        "backend": {
            "build": {
                "context": "/src/todo/backend",
                "dockerfile": "../docker/backend.Dockerfile",
                "args": {"N": "3", "PYTHON": "3.13"},
                "target": "runtime",
                "secrets": [{"source": "ca"}],
            },
            "healthcheck": {"test": ["CMD", "true"], "interval": "30s"},
            "image": "localhost:5000/todo/backend:1.4.2",
            "ports": [{"mode": "ingress", "target": 8000, "published": "8000", "protocol": "tcp"}],
            "x-dockwright": {"uid": 1001, "port": 8000},
        },
        "db": {"image": "postgres:17"},
        "frontend": {"build": {"context": "/src/todo/frontend", "dockerfile": "Dockerfile"}},
    },
}


def by_name(config: dict[str, Any]) -> dict[str, Service]:
    return {s.name: s for s in services_from_config(config)}


class TestServicesFromConfig:
    """Every service is kept in config order with its build, ports, healthcheck and extension."""

    def test_names_in_config_order(self) -> None:
        assert [s.name for s in services_from_config(CONFIG)] == ["backend", "db", "frontend"]

    def test_build_section_with_relative_dockerfile_and_secret(self) -> None:
        assert by_name(CONFIG)["backend"].build == BuildSpec(
            context=Path("/src/todo/backend"),
            dockerfile=Path("/src/todo/backend/../docker/backend.Dockerfile"),
            target="runtime",
            args={"N": "3", "PYTHON": "3.13"},
            secrets={"ca": "/src/todo/ca.pem"},
        )

    def test_minimal_build_section(self) -> None:
        assert by_name(CONFIG)["frontend"].build == BuildSpec(
            context=Path("/src/todo/frontend"), dockerfile=Path("/src/todo/frontend/Dockerfile")
        )

    def test_service_without_build(self) -> None:
        db = by_name(CONFIG)["db"]
        assert (db.build, db.image, db.repository) == (None, "postgres:17", "postgres")
        assert (db.ports, db.healthcheck, db.extension) == ((), None, {})

    def test_ports_healthcheck_extension_and_raw(self) -> None:
        backend = by_name(CONFIG)["backend"]
        assert backend.ports == (
            {"mode": "ingress", "target": 8000, "published": "8000", "protocol": "tcp"},
        )
        assert backend.healthcheck == {"test": ["CMD", "true"], "interval": "30s"}
        assert backend.extension == {"uid": 1001, "port": 8000}
        assert backend.raw is CONFIG["services"]["backend"]
        assert backend.repository == "localhost:5000/todo/backend"

    @pytest.mark.parametrize(
        ("build", "expected"),
        [
            pytest.param(
                "/src/app",
                BuildSpec(context=Path("/src/app"), dockerfile=Path("/src/app/Dockerfile")),
                id="short-syntax",
            ),
            pytest.param(
                {"context": "/src/app", "dockerfile": "/elsewhere/app.Dockerfile"},
                BuildSpec(context=Path("/src/app"), dockerfile=Path("/elsewhere/app.Dockerfile")),
                id="absolute-dockerfile-kept",
            ),
            pytest.param(
                {}, BuildSpec(context=Path("."), dockerfile=Path("Dockerfile")), id="empty-build"
            ),
            pytest.param(
                {"context": "/c", "args": {"EMPTY": None, "N": 3, "S": "x"}},
                BuildSpec(
                    context=Path("/c"),
                    dockerfile=Path("/c/Dockerfile"),
                    args={"EMPTY": "", "N": "3", "S": "x"},
                ),
                id="args-as-strings",
            ),
            pytest.param(
                {"context": "/c", "secrets": ["ca"]},
                BuildSpec(
                    context=Path("/c"),
                    dockerfile=Path("/c/Dockerfile"),
                    secrets={"ca": "/src/todo/ca.pem"},
                ),
                id="secret-short-syntax",
            ),
        ],
    )
    def test_build_forms(self, build: Any, expected: BuildSpec) -> None:
        config = {"secrets": CONFIG["secrets"], "services": {"app": {"build": build}}}
        assert by_name(config)["app"].build == expected

    @pytest.mark.parametrize(
        ("secrets", "secret"),
        [
            pytest.param({"token": {"environment": "TOKEN"}}, "token", id="env-secret"),
            pytest.param({}, "token", id="undeclared"),
            pytest.param(None, "token", id="no-top-level-secrets"),
        ],
    )
    def test_build_secret_without_file_is_an_error(
        self, secrets: dict[str, Any] | None, secret: str
    ) -> None:
        config = {
            "secrets": secrets,
            "services": {"api": {"build": {"context": "/c", "secrets": [{"source": secret}]}}},
        }
        with pytest.raises(ConfigError) as info:
            services_from_config(config)
        assert str(info.value) == (
            "service api: build secret 'token' has no `file:` in the top-level secrets:"
        )

    @pytest.mark.parametrize(
        "config",
        [pytest.param({}, id="empty"), pytest.param({"services": None}, id="services-null")],
    )
    def test_no_services(self, config: dict[str, Any]) -> None:
        assert services_from_config(config) == []


class TestSplitImage:
    """An image splits at the tag colon after the last slash; digests stay on the name."""

    @pytest.mark.parametrize(
        ("image", "expected"),
        [
            pytest.param("postgres:17", ("postgres", "17"), id="name-tag"),
            pytest.param("postgres", ("postgres", None), id="no-tag"),
            pytest.param(
                "localhost:5000/todo/backend:1.4.2",
                ("localhost:5000/todo/backend", "1.4.2"),
                id="registry-port-and-tag",
            ),
            pytest.param(
                "localhost:5000/todo/backend",
                ("localhost:5000/todo/backend", None),
                id="registry-port-no-tag",
            ),
            pytest.param(
                "ghcr.io/acme/app:sha-0123456", ("ghcr.io/acme/app", "sha-0123456"), id="ghcr"
            ),
            pytest.param(
                "postgres@sha256:" + "a" * 64, ("postgres@sha256:" + "a" * 64, None), id="digest"
            ),
            pytest.param(
                "postgres:17@sha256:" + "a" * 64,
                ("postgres:17@sha256:" + "a" * 64, None),
                id="tag-and-digest",
            ),
        ],
    )
    def test_split(self, image: str, expected: tuple[str, str | None]) -> None:
        assert split_image(image) == expected


class TestSelect:
    """No names: every (buildable) service; names: those, in the order given."""

    SERVICES = services_from_config(CONFIG)

    @pytest.mark.parametrize(
        ("names", "buildable", "expected"),
        [
            pytest.param([], True, ["backend", "frontend"], id="all-buildable"),
            pytest.param([], False, ["backend", "db", "frontend"], id="all"),
            pytest.param(["frontend", "backend"], True, ["frontend", "backend"], id="given-order"),
            pytest.param(["db"], False, ["db"], id="non-buildable-by-name"),
        ],
    )
    def test_selected(self, names: list[str], buildable: bool, expected: list[str]) -> None:
        assert [s.name for s in select(self.SERVICES, names, buildable=buildable)] == expected

    @pytest.mark.parametrize(
        ("services", "names", "buildable", "message"),
        [
            pytest.param(
                SERVICES,
                ["db"],
                True,
                "unknown buildable service 'db'; choose from: backend, frontend",
                id="not-buildable",
            ),
            pytest.param(
                SERVICES,
                ["web", "api"],
                False,
                "unknown service 'web'; choose from: backend, db, frontend",
                id="first-unknown-named",
            ),
            pytest.param(
                [Service(name="db", image="postgres:17", build=None)],
                [],
                True,
                "no service has a build: section in the compose files",
                id="nothing-buildable",
            ),
            pytest.param(
                [Service(name="db", image="postgres:17", build=None)],
                ["db"],
                True,
                "unknown buildable service 'db'; choose from: (none)",
                id="nothing-to-choose",
            ),
        ],
    )
    def test_errors(
        self, services: list[Service], names: list[str], buildable: bool, message: str
    ) -> None:
        with pytest.raises(ConfigError) as info:
            select(services, names, buildable=buildable)
        assert str(info.value) == message


class TestComposeFiles:
    """Base then override files, absolute; a missing one is an error naming its path."""

    def test_paths_in_order(self, tmp_path: Path) -> None:
        for name in ("compose.yaml", "compose.dev.yaml"):
            (tmp_path / name).write_text("services: {}\n")
        assert compose_files(tmp_path, ("compose.yaml",), ("compose.dev.yaml",)) == [
            tmp_path / "compose.yaml",
            tmp_path / "compose.dev.yaml",
        ]

    def test_missing_file_is_named(self, tmp_path: Path) -> None:
        (tmp_path / "compose.yaml").write_text("services: {}\n")
        with pytest.raises(ConfigError) as info:
            compose_files(tmp_path, ("compose.yaml",), ("compose.prod.yaml",))
        assert str(info.value) == (
            f"compose file {tmp_path}/compose.prod.yaml does not exist; "
            "fix compose_files in settings"
        )

"""Unit tests for dockwright.repo.discover: what a repository has, and what init writes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import ClassVar

import pytest

from dockwright.adopt import (
    plan_init,
    plan_settings,
    render_env_example,
    render_settings,
    strip_section,
    version_from_tag,
)
from dockwright.config import load_project, parse_settings
from dockwright.envfile import parse_rules
from dockwright.errors import ConfigError
from dockwright.masking import looks_secret
from dockwright.repo.discover import (
    ComposeLayout,
    ServiceInfo,
    Variable,
    choose_targets,
    compose_variables,
    discover_services,
    find_compose_files,
    mask_references,
    references,
    substitute,
    with_defaults,
)
from dockwright.repo.dockerfile import Stage, parse_stages


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


SERVICES = "services:\n  app:\n    image: app\n"


class TestLooksSecret:
    """Secret-looking names are judged by their underscore-separated words."""

    @pytest.mark.parametrize(
        ("name", "secret"),
        [
            ("POSTGRES_PASSWORD", True),
            ("SECRET_KEY", True),
            ("API_KEY", True),
            ("GITHUB_TOKEN", True),
            ("DB_PASS", True),
            ("AWS_SECRET_ACCESS_KEY", True),
            ("password", True),
            ("POSTGRES_PASSWORD_FILE", False),
            ("KEYBOARD_LAYOUT", False),
            ("POSTGRES_USER", False),
            ("TOKENIZER_PATH", False),
            ("PASSPORT", False),
        ],
    )
    def test_name(self, name: str, secret: bool) -> None:
        assert looks_secret(name) is secret


class TestFindComposeFiles:
    """Compose's own names, at the root, else in compose/, with dev/prod overrides beside."""

    def test_docker_compose_with_override_and_prod(self, tmp_path: Path) -> None:
        for name in (
            "docker-compose.yml",
            "docker-compose.override.yml",
            "docker-compose.prod.yml",
            "docker-compose.dev.yml",
        ):
            write(tmp_path / name, SERVICES)
        assert find_compose_files(tmp_path) == ComposeLayout(
            base=("docker-compose.yml",),
            dev=("docker-compose.override.yml", "docker-compose.dev.yml"),
            prod=("docker-compose.prod.yml",),
        )

    def test_compose_folder_and_dash_variants(self, tmp_path: Path) -> None:
        write(tmp_path / "compose" / "compose.yaml", SERVICES)
        write(tmp_path / "compose" / "compose-production.yaml", SERVICES)
        write(tmp_path / "compose" / "compose.local.yml", SERVICES)
        assert find_compose_files(tmp_path) == ComposeLayout(
            base=("compose/compose.yaml",),
            dev=("compose/compose.local.yml",),
            prod=("compose/compose-production.yaml",),
        )

    def test_compose_yaml_is_preferred_like_compose_does(self, tmp_path: Path) -> None:
        write(tmp_path / "docker-compose.yml", SERVICES)
        write(tmp_path / "compose.yaml", SERVICES)
        assert find_compose_files(tmp_path).base == ("compose.yaml",)

    def test_a_file_without_services_is_not_a_base(self, tmp_path: Path) -> None:
        write(tmp_path / "compose.yaml", "services: {}\n")
        write(tmp_path / "compose" / "docker-compose.yaml", SERVICES)
        assert find_compose_files(tmp_path).base == ("compose/docker-compose.yaml",)

    def test_nothing_found(self, tmp_path: Path) -> None:
        write(tmp_path / "other.yaml", SERVICES)
        assert find_compose_files(tmp_path) == ComposeLayout()


class TestInterpolation:
    """References are found and resolved as compose does, nested defaults included."""

    def test_references_nested_in_defaults(self) -> None:
        text = "${DATABASE_URL:-postgresql://${DB_USER:-todo}:${DB_PASSWORD}@db/x} $$LITERAL $PLAIN"
        found = [(r.name, r.op, r.default, r.required) for r in references(text)]
        assert found == [
            ("DATABASE_URL", ":-", "postgresql://${DB_USER:-todo}:${DB_PASSWORD}@db/x", False),
            ("DB_USER", ":-", "todo", False),
            ("DB_PASSWORD", "", None, True),
            ("PLAIN", "", None, True),
        ]

    @pytest.mark.parametrize(
        ("text", "values", "expected"),
        [
            ("${A:-x}", {}, "x"),
            ("${A:-x}", {"A": ""}, "x"),
            ("${A-x}", {"A": ""}, ""),
            ("${A:?say}", {}, None),
            ("${A:+yes}", {"A": "1"}, "yes"),
            ("${A:+yes}", {}, ""),
            ("$A/$$B", {"A": "a"}, "a/$B"),
            ("${A}", {}, None),
            ("${A:-${B:-deep}}", {}, "deep"),
        ],
    )
    def test_substitute(self, text: str, values: dict[str, str], expected: str | None) -> None:
        assert substitute(text, values) == expected

    def test_with_defaults_marks_variables_without_one(self) -> None:
        assert with_defaults("${IP:-127.0.0.1}:${PORT}:80", "?") == "127.0.0.1:?:80"

    def test_mask_references(self) -> None:
        assert mask_references("a${B:-c}d$E", "_") == "a_d_"


class TestParseStages:
    """FROM lines in order, with AS names, flags and continuation lines."""

    def test_stages(self) -> None:
        text = (
            "# FROM in a comment\n"
            "ARG BASE=python:3.13-slim\n"
            "FROM --platform=$BUILDPLATFORM ${BASE} AS base\n"
            "RUN true\n"
            "from base as Development\n"
            "FROM \\\n  base \\\n  AS runner\n"
            "FROM scratch\n"
        )
        assert parse_stages(text) == (
            Stage(name="base", base="${BASE}", line=3),
            Stage(name="Development", base="base", line=5),
            Stage(name="runner", base="base", line=6),
            Stage(name="", base="scratch", line=9),
        )


def info(
    name: str, stages: str, *, target: str | None = None, dev: str | None = None
) -> ServiceInfo:
    return ServiceInfo(
        name=name,
        context=name,
        dockerfile=f"{name}/Dockerfile",
        stages=tuple(Stage(name=s, base="x", line=i) for i, s in enumerate(stages.split(","))),
        compose_target=target,
        dev_target=dev,
    )


class TestChooseTargets:
    """dev/prod map onto the repo's stage names; what does not fit is noted."""

    def test_development_and_runner(self) -> None:
        choice = choose_targets(
            [info("api", "base,development,runner"), info("web", "base,development,runner")]
        )
        assert (choice.targets, choice.notes) == ({"dev": "development", "prod": "runner"}, ())

    def test_dev_override_target_wins_over_name_guess(self) -> None:
        choice = choose_targets([info("api", "dev,local,final", dev="local")])
        assert choice.targets == {"dev": "local", "prod": "final"}

    def test_compose_target_is_prod_unless_it_is_the_dev_stage(self) -> None:
        choice = choose_targets([info("api", "runtime,dev,test", target="runtime")])
        assert choice.targets == {"dev": "dev", "prod": "runtime"}
        choice = choose_targets([info("api", "development,runner", target="development")])
        assert choice.targets == {"dev": "development", "prod": "runner"}

    def test_single_unnamed_stage_maps_nothing_and_says_so(self) -> None:
        choice = choose_targets([info("web", "")])
        assert choice.targets == {}
        assert choice.notes == ("web: no stage 'dev'; `build --target dev` fails for it",)

    def test_disagreeing_services_take_the_majority_and_note_the_rest(self) -> None:
        choice = choose_targets(
            [
                info("a", "development,final"),
                info("b", "development,runner"),
                info("c", "dev,runner"),
            ]
        )
        assert choice.targets == {"dev": "development"}
        assert choice.notes == (
            "c: no stage 'development' (its dev stage is 'dev'); `build --target dev` fails for it",
        )

    def test_image_only_services_are_ignored(self) -> None:
        assert choose_targets([ServiceInfo(name="db", image="postgres:17")]).targets == {}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with its compose files in compose/ and Dockerfiles elsewhere."""
    write(
        tmp_path / "compose" / "compose.yaml",
        "services:\n"
        "  api:\n"
        "    build:\n"
        "      context: ../api\n"
        "      dockerfile: ../docker/api.Dockerfile\n"
        "    environment:\n"
        "      DB_PASSWORD: hunter2\n"
        "      DB_URL: ${DB_URL:-postgresql://app:${DB_PASSWORD:-}@db/app}\n"
        "      API_PORT: ${API_PORT:-8000}\n"
        "  web:\n"
        "    build: ../web\n"
        "  db:\n"
        "    image: postgres:17\n"
        "    environment:\n"
        "      - POSTGRES_PASSWORD\n"
        "      - POSTGRES_DB=app\n",
    )
    write(
        tmp_path / "compose" / "compose.dev.yaml", "services:\n  api:\n    build: {target: dev}\n"
    )
    write(
        tmp_path / "docker" / "api.Dockerfile",
        "FROM python:3.13-slim AS base\nFROM base AS dev\nFROM base AS runner\n",
    )
    write(tmp_path / "web" / "Dockerfile", "FROM node:20-slim AS base\nFROM base AS runner\n")
    (tmp_path / "api").mkdir()
    return tmp_path


class TestDiscoverServices:
    """Build paths are relative to the base file's folder; the dev file gives the dev target."""

    def test_services(self, repo: Path) -> None:
        found = discover_services(repo, find_compose_files(repo))
        assert [(s.name, s.context, s.dockerfile, s.stage_names, s.dev_target) for s in found] == [
            ("api", "api", "docker/api.Dockerfile", ("base", "dev", "runner"), "dev"),
            ("web", "web", "web/Dockerfile", ("base", "runner"), None),
            ("db", None, None, (), None),
        ]

    def test_missing_dockerfile_is_a_problem_not_an_error(self, repo: Path) -> None:
        (repo / "web" / "Dockerfile").unlink()
        web = discover_services(repo, find_compose_files(repo))[1]
        assert web.problem == "web/Dockerfile not found"


class TestComposeVariables:
    """Every variable the compose files read, and the literal secrets they set."""

    def test_variables(self, repo: Path) -> None:
        texts = {"compose.yaml": (repo / "compose" / "compose.yaml").read_text()}
        found = {v.name: v for v in compose_variables(texts)}
        assert list(found) == [
            "DB_URL",
            "DB_PASSWORD",
            "API_PORT",
            "POSTGRES_PASSWORD",
            "POSTGRES_DB",
        ]
        assert found["DB_PASSWORD"].secret and found["DB_PASSWORD"].literal
        assert found["DB_PASSWORD"].referenced  # also read as ${DB_PASSWORD:-}
        assert found["DB_URL"].default == "postgresql://app:${DB_PASSWORD:-}@db/app"
        assert found["API_PORT"].where == ("compose.yaml:9",)
        assert found["POSTGRES_PASSWORD"].referenced and not found["POSTGRES_PASSWORD"].literal
        assert found["POSTGRES_DB"].only_literal

    def test_env_example_is_valid_for_envfile_and_types_what_it_can(self, repo: Path) -> None:
        texts = {"compose.yaml": (repo / "compose" / "compose.yaml").read_text()}
        text = render_env_example(compose_variables(texts))
        rules = parse_rules(text, ".env.example")
        assert list(rules) == ["DB_URL", "DB_PASSWORD", "API_PORT", "POSTGRES_PASSWORD"]
        assert (rules["DB_URL"].kind, rules["DB_URL"].example) == (
            "postgres-url",
            "postgresql://app:@db/app",
        )
        assert (rules["API_PORT"].kind, rules["API_PORT"].default) == ("port", "8000")
        assert rules["POSTGRES_PASSWORD"].required and rules["POSTGRES_PASSWORD"].secret
        assert rules["DB_PASSWORD"].secret and rules["DB_PASSWORD"].example == ""
        assert "hunter2" not in text
        assert "#   POSTGRES_DB (compose.yaml:16)" in text

    def test_literal_url_with_password_becomes_a_typed_secret(self) -> None:
        text = "services:\n  a:\n    environment:\n      DATABASE_URL: postgres://u:pw@db/x\n"
        variables = compose_variables({"c.yaml": text})
        assert variables == [
            Variable(
                name="DATABASE_URL",
                secret=True,
                literal=True,
                kind="postgres-url",
                where=("c.yaml:4",),
            )
        ]
        rules = parse_rules(render_env_example(variables), ".env.example")
        assert (rules["DATABASE_URL"].secret, rules["DATABASE_URL"].kind) == (True, "postgres-url")


class TestRenderSettings:
    """What init writes parses as settings, in both places it can go."""

    @pytest.mark.parametrize("table", [True, False], ids=["pyproject-table", "dockwright-toml"])
    def test_round_trip(self, table: bool) -> None:
        text = render_settings(
            project="shop",
            layout=ComposeLayout(
                base=("docker-compose.yml",), dev=("docker-compose.override.yml",)
            ),
            services=[info("api", "development,runner")],
            choice=choose_targets([info("api", "development,runner")]),
            table=table,
        )
        data = tomllib.loads(text)
        section = data["tool"]["dockwright"] if table else data
        settings = parse_settings(section)
        assert (settings.project, settings.compose_files, settings.dev_files) == (
            "shop",
            ("docker-compose.yml",),
            ("docker-compose.override.yml",),
        )
        assert settings.targets == {"dev": "development", "prod": "runner"}
        assert "#   api (api/Dockerfile, stages development, runner)" in text


class TestPlanSettings:
    """Settings go into pyproject.toml when there is one, else dockwright.toml; never over."""

    BODY: ClassVar[dict[str, str]] = {
        "table": '[tool.dockwright]\nproject = "x"\n',
        "top": 'project = "x"\n',
    }

    def test_appends_to_pyproject(self, tmp_path: Path) -> None:
        write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
        change = plan_settings(tmp_path, self.BODY, force=False)
        assert (change.path, change.action) == ("pyproject.toml", "append")
        assert change.text == '[project]\nname = "x"\n\n[tool.dockwright]\nproject = "x"\n'
        assert change.preview == self.BODY["table"]

    def test_existing_section_is_kept_unless_forced(self, tmp_path: Path) -> None:
        write(
            tmp_path / "pyproject.toml",
            '[tool.dockwright]\nproject = "old"\n[tool.dockwright.build]\nbuilder = "b"\n'
            "[tool.ruff]\nline-length = 100\n",
        )
        kept = plan_settings(tmp_path, self.BODY, force=False)
        assert (kept.action, kept.reason) == ("keep", "has [tool.dockwright]; --force replaces it")
        forced = plan_settings(tmp_path, self.BODY, force=True)
        assert forced.action == "replace"
        assert tomllib.loads(forced.text) == {
            "tool": {"ruff": {"line-length": 100}, "dockwright": {"project": "x"}}
        }

    def test_dockwright_toml_without_pyproject(self, tmp_path: Path) -> None:
        change = plan_settings(tmp_path, self.BODY, force=False)
        assert (change.path, change.action, change.text) == (
            "dockwright.toml",
            "create",
            'project = "x"\n',
        )
        write(tmp_path / "dockwright.toml", "")
        assert plan_settings(tmp_path, self.BODY, force=False).action == "keep"

    def test_strip_section(self) -> None:
        text = "[a]\nx = 1\n[tool.dockwright]\ny = 2\n[[tool.dockwright.z]]\n[b]\n"
        assert strip_section(text) == "[a]\nx = 1\n[b]\n"


class TestPlanInit:
    """init decides every file up front; existing ones are kept without --force."""

    @pytest.mark.parametrize(
        ("tag", "version"), [(None, "0.1.0"), ("v1.4.2", "1.4.2"), ("v-nightly", "0.1.0")]
    )
    def test_version_from_tag(self, tag: str | None, version: str) -> None:
        assert version_from_tag(tag) == version

    def test_python_repo_gets_tasks_and_noxfile(self, repo: Path) -> None:
        write(repo / "pyproject.toml", '[project]\nname = "x"\n')
        write(repo / "CHANGELOG.md", "# mine\n\n## [Unreleased]\n")
        plan = plan_init(repo, project="shop", latest_tag="v2.0.0")
        actions = {c.path: c.action for c in plan.changes}
        assert actions == {
            "pyproject.toml": "append",
            "tasks.py": "create",
            "noxfile.py": "create",
            ".github/workflows/dockwright.yml": "create",
            "VERSION": "create",
            "CHANGELOG.md": "keep",
            ".env.example": "create",
        }
        assert next(c.text for c in plan.changes if c.path == "VERSION") == "2.0.0\n"
        assert plan.choice.targets == {"dev": "dev", "prod": "runner"}

    def test_other_repo_gets_dockwright_toml_and_noxfile_but_no_tasks_py(self, repo: Path) -> None:
        paths = [c.path for c in plan_init(repo, project="shop", latest_tag=None).changes]
        assert paths == [
            "dockwright.toml",
            "noxfile.py",
            ".github/workflows/dockwright.yml",
            "VERSION",
            "CHANGELOG.md",
            ".env.example",
        ]

    def test_no_compose_file_is_an_error_saying_where_it_looked(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="no compose file with services in "):
            plan_init(tmp_path, project="x", latest_tag=None)


class TestLoadProjectDiscovery:
    """Without compose_files, load_project discovers them; explicit ones are kept as they are."""

    def test_discovered_when_not_configured(self, repo: Path) -> None:
        write(repo / "dockwright.toml", 'project = "shop"\n')
        s = load_project(repo).settings
        assert (s.compose_files, s.dev_files, s.prod_files, s.targets) == (
            ("compose/compose.yaml",),
            ("compose/compose.dev.yaml",),
            (),
            {"dev": "dev", "prod": "runner"},
        )

    def test_discovered_without_any_settings(self, repo: Path) -> None:
        project = load_project(repo / "compose")
        assert (project.root, project.source) == (repo, None)
        assert project.settings.compose_files == ("compose/compose.yaml",)

    def test_explicit_compose_files_turn_discovery_off(self, repo: Path) -> None:
        write(repo / "dockwright.toml", 'compose_files = ["compose/compose.yaml"]\n')
        s = load_project(repo).settings
        assert (s.compose_files, s.dev_files, s.targets) == (("compose/compose.yaml",), (), {})

    def test_configured_targets_are_kept(self, repo: Path) -> None:
        write(repo / "dockwright.toml", "targets = { dev = 'local' }\n")
        assert load_project(repo).settings.targets == {"dev": "local"}

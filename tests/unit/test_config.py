"""Unit tests for dockwright.config: the settings schema and finding a project's settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from dockwright.config import (
    BuildSettings,
    PolicySettings,
    Project,
    RegistrySettings,
    ScanSettings,
    Settings,
    TagSettings,
    load_project,
    parse_settings,
)
from dockwright.errors import ConfigError


class TestParseSettingsDefaults:
    """An empty section is valid: every key has a default."""

    def test_empty_section_is_all_defaults(self) -> None:
        assert parse_settings({}) == Settings()

    @pytest.mark.parametrize(
        ("read", "expected"),
        [
            pytest.param(lambda s: s.project, "", id="project"),
            pytest.param(lambda s: s.compose_files, (), id="compose_files"),
            pytest.param(lambda s: s.env_file, ".env", id="env_file"),
            pytest.param(lambda s: s.env_example, ".env.example", id="env_example"),
            pytest.param(lambda s: s.version_file, "VERSION", id="version_file"),
            pytest.param(lambda s: s.changelog, "CHANGELOG.md", id="changelog"),
            pytest.param(lambda s: s.registry, "local", id="registry"),
            pytest.param(lambda s: s.release_branch, "main", id="release_branch"),
            pytest.param(lambda s: s.build.platform, "linux/amd64", id="build.platform"),
            pytest.param(lambda s: s.build.builder, "", id="build.builder"),
            pytest.param(lambda s: s.tags.latest, True, id="tags.latest"),
            pytest.param(lambda s: s.registries, {}, id="registries"),
        ],
    )
    def test_default(self, read: Any, expected: object) -> None:
        assert read(parse_settings({})) == expected


class TestParseSettingsValues:
    """Given values are kept; lists become tuples and nested tables become dataclasses."""

    def test_full_section(self) -> None:
        data = {
            "project": "todo",
            "compose_files": ["compose/compose.yaml"],
            "dev_files": ["compose/compose.dev.yaml"],
            "targets": {"dev": "development"},
            "registry": "hub",
            "build": {
                "platform": "linux/arm64",
                "cache_from": ["type=gha"],
                "labels": {"com.acme.team": "web"},
            },
            "tags": {"prefix": "v", "latest": False},
            "registries": {"hub": {"url": "docker.io", "namespace": "acme", "token_env": "T"}},
            "policy": {"size_budget_mb": 300, "waivers": {"size": "model weights ship inside"}},
            "scan": {"fail_on": "high"},
        }
        assert parse_settings(data) == Settings(
            project="todo",
            compose_files=("compose/compose.yaml",),
            dev_files=("compose/compose.dev.yaml",),
            targets={"dev": "development"},
            registry="hub",
            build=BuildSettings(
                platform="linux/arm64", cache_from=("type=gha",), labels={"com.acme.team": "web"}
            ),
            tags=TagSettings(prefix="v", latest=False),
            registries={"hub": RegistrySettings(url="docker.io", namespace="acme", token_env="T")},
            policy=PolicySettings(
                size_budget_mb=300.0, waivers={"size": "model weights ship inside"}
            ),
            scan=ScanSettings(fail_on="high"),
        )


class TestParseSettingsErrors:
    """A typo or a wrong type is an error naming where it is, never silently ignored."""

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            pytest.param(
                {"projct": "todo"},
                "[tool.dockwright]: unknown key 'projct'; known keys: build, changelog, "
                "compose_files, dev_files, env_example, env_file, policy, prod_files, project, "
                "registries, registry, release_branch, scan, smoke, tags, targets, version_file",
                id="top-level",
            ),
            pytest.param(
                {"zeta": 1, "alpha": 2},
                "[tool.dockwright]: unknown key 'alpha'; known keys: build, changelog, "
                "compose_files, dev_files, env_example, env_file, policy, prod_files, project, "
                "registries, registry, release_branch, scan, smoke, tags, targets, version_file",
                id="first-sorted-named",
            ),
            pytest.param(
                {"build": {"platfrom": "linux/arm64"}},
                "[tool.dockwright].build: unknown key 'platfrom'; known keys: builder, "
                "ca_bundle, cache_from, cache_to, labels, platform",
                id="in-build",
            ),
            pytest.param(
                {"registries": {"hub": {"uri": "docker.io"}}},
                "[tool.dockwright].registries.hub: unknown key 'uri'; known keys: insecure, "
                "namespace, token_env, url, username_env",
                id="in-a-registry",
            ),
        ],
    )
    def test_unknown_key(self, data: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigError) as info:
            parse_settings(data)
        assert str(info.value) == message

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            pytest.param({"project": 3}, ".project: expected str, got 3", id="int-for-str"),
            pytest.param(
                {"registry": True}, ".registry: expected str, got True", id="bool-for-str"
            ),
            pytest.param(
                {"compose_files": "compose.yaml"},
                ".compose_files: expected a list of strings",
                id="string-for-list",
            ),
            pytest.param(
                {"compose_files": ["compose.yaml", 2]},
                ".compose_files: expected a list of strings",
                id="non-string-in-list",
            ),
            pytest.param(
                {"build": "fast"}, ".build: expected a table, got str", id="str-for-table"
            ),
            pytest.param({"targets": ["dev"]}, ".targets: expected a table", id="list-for-mapping"),
            pytest.param(
                {"targets": {"dev": 1}}, ".targets.dev: expected str, got 1", id="mapping-value"
            ),
            pytest.param(
                {"tags": {"latest": "yes"}}, ".tags.latest: expected bool, got 'yes'", id="bool"
            ),
            pytest.param(
                {"registries": {"hub": {"insecure": 1}}},
                ".registries.hub.insecure: expected bool, got 1",
                id="int-for-bool",
            ),
            pytest.param(
                {"registries": {"hub": "docker.io"}},
                ".registries.hub: expected a table, got str",
                id="str-for-registry",
            ),
            pytest.param(
                {"build": {"labels": {"team": 7}}},
                ".build.labels.team: expected str, got 7",
                id="label-value",
            ),
        ],
    )
    def test_wrong_type_names_the_key(self, data: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigError) as info:
            parse_settings(data)
        assert str(info.value) == "[tool.dockwright]" + message

    def test_error_names_the_given_source(self) -> None:
        with pytest.raises(ConfigError, match=r"^dockwright\.toml\.project: expected str, got 3$"):
            parse_settings({"project": 3}, "dockwright.toml")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestLoadProject:
    """The nearest dockwright.toml or pyproject.toml with [tool.dockwright] marks the root."""

    def test_pyproject_section(self, tmp_path: Path) -> None:
        source = write(
            tmp_path / "pyproject.toml",
            '[project]\nname = "x"\n\n[tool.dockwright]\nproject = "todo"\n',
        )
        project = load_project(tmp_path)
        assert (project.root, project.source, project.settings.project) == (
            tmp_path,
            source,
            "todo",
        )

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param('project = "todo"\n', id="top-level-keys"),
            pytest.param('[tool.dockwright]\nproject = "todo"\n', id="tool-table"),
        ],
    )
    def test_dockwright_toml(self, tmp_path: Path, text: str) -> None:
        source = write(tmp_path / "dockwright.toml", text)
        project = load_project(tmp_path)
        assert (project.root, project.source, project.settings.project) == (
            tmp_path,
            source,
            "todo",
        )

    def test_dockwright_toml_wins_in_the_same_folder(self, tmp_path: Path) -> None:
        write(tmp_path / "pyproject.toml", '[tool.dockwright]\nproject = "from-pyproject"\n')
        write(tmp_path / "dockwright.toml", 'project = "from-dockwright-toml"\n')
        assert load_project(tmp_path).settings.project == "from-dockwright-toml"

    def test_walks_up_past_pyproject_without_section(self, tmp_path: Path) -> None:
        write(tmp_path / "dockwright.toml", 'project = "outer"\n')
        write(tmp_path / "svc" / "pyproject.toml", '[project]\nname = "svc"\n')
        (tmp_path / "svc" / "src").mkdir()
        project = load_project(tmp_path / "svc" / "src")
        assert (project.root, project.settings.project) == (tmp_path, "outer")

    def test_nearest_folder_wins(self, tmp_path: Path) -> None:
        write(tmp_path / "dockwright.toml", 'project = "outer"\n')
        write(tmp_path / "inner" / "pyproject.toml", '[tool.dockwright]\nproject = "inner"\n')
        project = load_project(tmp_path / "inner")
        assert (project.root, project.settings.project) == (tmp_path / "inner", "inner")

    def test_start_defaults_to_cwd(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        write(tmp_path / "dockwright.toml", 'project = "todo"\n')
        (tmp_path / "deep" / "er").mkdir(parents=True)
        monkeypatch.chdir(tmp_path / "deep" / "er")
        assert load_project().root == tmp_path

    @pytest.mark.parametrize(
        "marker",
        [
            pytest.param(".git", id="git-dir"),
            pytest.param("compose.yaml", id="compose-yaml"),
            pytest.param("docker-compose.yml", id="docker-compose-yml"),
        ],
    )
    def test_without_settings_root_is_nearest_repo_marker(
        self, tmp_path: Path, marker: str
    ) -> None:
        if marker == ".git":
            (tmp_path / ".git").mkdir()
        else:
            write(tmp_path / marker, "services: {}\n")
        write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
        (tmp_path / "sub").mkdir()
        project = load_project(tmp_path / "sub")
        assert (project.root, project.source, project.settings) == (tmp_path, None, Settings())

    def test_without_anything_root_is_start(self, tmp_path: Path) -> None:
        project = load_project(tmp_path)
        assert (project.root, project.source, project.settings) == (tmp_path, None, Settings())

    def test_invalid_toml_names_the_file(self, tmp_path: Path) -> None:
        write(tmp_path / "dockwright.toml", 'project = "todo\n')
        with pytest.raises(ConfigError) as info:
            load_project(tmp_path)
        assert str(info.value).startswith(f"{tmp_path}/dockwright.toml: invalid TOML: ")

    def test_settings_error_names_file_and_section(self, tmp_path: Path) -> None:
        write(tmp_path / "pyproject.toml", "[tool.dockwright]\nprojekt = 1\n")
        with pytest.raises(ConfigError) as info:
            load_project(tmp_path)
        assert str(info.value).startswith(
            f"{tmp_path}/pyproject.toml [tool.dockwright]: unknown key 'projekt'; "
        )


class TestProject:
    """A project's name, paths and registries."""

    @pytest.mark.parametrize(
        ("folder", "configured", "name"),
        [
            pytest.param("todo", "", "todo", id="folder-name"),
            pytest.param("My_App", "", "my-app", id="folder-name-normalised"),
            pytest.param("My_App", "todo", "todo", id="configured-wins"),
        ],
    )
    def test_name(self, folder: str, configured: str, name: str) -> None:
        project = Project(
            root=Path("/src") / folder, source=None, settings=Settings(project=configured)
        )
        assert project.name == name

    def test_path_is_absolute_under_root(self) -> None:
        project = Project(root=Path("/src/todo"), source=None, settings=Settings())
        assert project.path("compose/../VERSION") == Path("/src/todo/VERSION")

    @pytest.mark.parametrize(
        ("registries", "chosen", "expected"),
        [
            pytest.param(
                {},
                None,
                ("local", RegistrySettings(url="localhost:5000", insecure=True)),
                id="default-local",
            ),
            pytest.param(
                {},
                "dockerhub",
                (
                    "dockerhub",
                    RegistrySettings(
                        url="docker.io",
                        username_env="DOCKERHUB_USERNAME",
                        token_env="DOCKERHUB_TOKEN",
                    ),
                ),
                id="builtin-dockerhub",
            ),
            pytest.param(
                {"local": RegistrySettings(url="localhost:5001")},
                None,
                ("local", RegistrySettings(url="localhost:5001")),
                id="settings-override-builtin",
            ),
        ],
    )
    def test_registry(
        self,
        registries: dict[str, RegistrySettings],
        chosen: str | None,
        expected: tuple[str, RegistrySettings],
    ) -> None:
        project = Project(root=Path("/r"), source=None, settings=Settings(registries=registries))
        assert project.registry(chosen) == expected

    def test_unknown_registry_says_how_to_add_it(self) -> None:
        project = Project(root=Path("/r"), source=None, settings=Settings())
        with pytest.raises(ConfigError) as info:
            project.registry("ghcr")
        assert str(info.value) == (
            "registry 'ghcr' is not configured; known: dockerhub, local "
            "(add [tool.dockwright.registries.ghcr])"
        )


class TestPolicySettings:
    """`[tool.dockwright.policy]` is typed and checked when the settings load."""

    @pytest.mark.parametrize(
        ("policy", "message"),
        [
            ({"size_budget_mb": 0}, ".policy.size_budget_mb: 0; a size above 0"),
            ({"uid": -1}, ".policy.uid: -1; a user id is 0 or more"),
            (
                {"healthcheck": {"every": 5}},
                ".policy.healthcheck: unknown key 'every'; use interval",
            ),
            ({"ports": ["80"]}, ".policy.ports: expected a list of whole numbers"),
            (
                {"hadolint_threshold": "loud"},
                ".policy.hadolint_threshold: 'loud'; use one of error",
            ),
            ({"waivers": {"sizes": "because we can"}}, ".policy.waivers: unknown rule 'sizes'"),
            (
                {"waivers": {"size": "short"}},
                ".policy.waivers.size: a waiver needs a written reason",
            ),
            (
                {"health_path": "/health"},
                ".policy: unknown key 'health_path'; known keys: base_freshness, hadolint",
            ),
        ],
    )
    def test_bad_values_are_one_line_naming_the_key(
        self, policy: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ConfigError) as err:
            parse_settings({"policy": policy})
        assert message in str(err.value)

    def test_the_gate_sees_the_seeds_numbers_unless_told(self) -> None:
        from dockwright.policy import expectations_from

        defaults = dataclasses.asdict(parse_settings({"policy": {"ports": [8000]}}).policy)
        exp = expectations_from({"size_budget_mb": 150}, defaults)
        assert (exp.size_budget_mb, exp.uid, exp.ports, exp.hadolint_threshold) == (
            150.0,
            1001,
            (8000,),
            "warning",
        )
        assert exp.healthcheck == {"interval": 30, "timeout": 10, "start_period": 40, "retries": 3}

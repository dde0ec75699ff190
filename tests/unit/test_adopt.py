"""Unit tests for dockwright.adopt: what init infers for a repository that builds one image
and runs it by name (registry, Dockerfile mapping, version, changelog), and the noxfile and
workflow it writes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from dockwright.adopt import (
    RegistryGuess,
    changelog_version,
    infer_registry,
    plan_changelog,
    plan_init,
    registry_of_image,
    render_noxfile,
    render_workflow,
    split_reference,
    version_from_tag,
    with_unreleased,
)
from dockwright.config import load_project, parse_settings
from dockwright.repo.discover import ServiceInfo, find_compose_files, root_build
from tests.conftest import ROOT


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GHCR = RegistryGuess(
    name="ghcr",
    url="ghcr.io",
    namespace="acme",
    username_env="REGISTRY_USERNAME",
    token_env="REGISTRY_TOKEN",
)
HUB = RegistryGuess(
    name="dockerhub",
    url="docker.io",
    namespace="acme",
    username_env="DOCKERHUB_USERNAME",
    token_env="DOCKERHUB_TOKEN",
)


class TestSplitReference:
    """docker's rule: the first part is a registry host when it has `.` or `:` or is localhost."""

    @pytest.mark.parametrize(
        ("image", "expected"),
        [
            ("ghcr.io/acme/site:latest", ("ghcr.io", "acme/site")),
            ("acme/site", ("docker.io", "acme/site")),
            ("site:1.0", ("docker.io", "site")),
            ("localhost:5000/x/app", ("localhost:5000", "x/app")),
            ("localhost/app", ("localhost", "app")),
            ("registry.example.com:5000/a/b/c@sha256:abc", ("registry.example.com:5000", "a/b/c")),
        ],
        ids=["ghcr", "hub-namespace", "hub-bare", "local-port", "localhost", "port-digest"],
    )
    def test_split(self, image: str, expected: tuple[str, str]) -> None:
        assert split_reference(image) == expected


class TestRegistryOfImage:
    """An image name gives the registry table and namespace its pushes go to."""

    @pytest.mark.parametrize(
        ("image", "expected"),
        [
            ("ghcr.io/acme/site:latest", GHCR),
            ("docker.io/acme/site", HUB),
            ("index.docker.io/acme/site:2", HUB),
            ("acme/site:latest", HUB),
            (
                "localhost:5000/x/app",
                RegistryGuess(name="local", url="localhost:5000", namespace="x", insecure=True),
            ),
            (
                "ghcr.io/acme/shop/web",
                RegistryGuess(
                    name="ghcr",
                    url="ghcr.io",
                    namespace="acme/shop",
                    username_env="REGISTRY_USERNAME",
                    token_env="REGISTRY_TOKEN",
                ),
            ),
            (
                "registry.example.com:5000/team/app",
                RegistryGuess(
                    name="registry",
                    url="registry.example.com:5000",
                    namespace="team",
                    username_env="REGISTRY_USERNAME",
                    token_env="REGISTRY_TOKEN",
                ),
            ),
            ("${REGISTRY:-ghcr.io/acme}/site:${TAG:-latest}", GHCR),
        ],
        ids=["ghcr", "hub-host", "hub-index", "hub-short", "local", "deep", "other-host", "vars"],
    )
    def test_inferred(self, image: str, expected: RegistryGuess) -> None:
        assert registry_of_image(image) == (expected, "")

    @pytest.mark.parametrize(
        ("image", "note"),
        [
            ("site:latest", ""),
            ("postgres:17", ""),
            ("library/redis", ""),
            ("ghcr.io/site", "image ghcr.io/site has no namespace after ghcr.io"),
            ("ghcr.io/Acme/site", "namespace of image ghcr.io/Acme/site 'Acme' is not"),
            ("${REGISTRY}/site", "image ${REGISTRY}/site needs a variable"),
        ],
        ids=["local-name", "official", "library", "no-namespace", "uppercase", "variable"],
    )
    def test_not_inferred(self, image: str, note: str) -> None:
        guess, said = registry_of_image(image)
        assert guess is None
        assert said.startswith(note) if note else said == ""

    def test_images_that_agree_give_one_registry(self) -> None:
        assert infer_registry(["ghcr.io/acme/web", "ghcr.io/acme/api:1"]) == (GHCR, ())

    def test_images_on_two_registries_give_none_and_a_note(self) -> None:
        guess, notes = infer_registry(["ghcr.io/acme/web", "acme/api"])
        assert guess is None
        assert notes == (
            "the images name several registries (ghcr.io/acme, docker.io/acme); choose one",
        )


class TestVersionFromChangelog:
    """Without a git tag, VERSION is the highest version an existing changelog has a heading for."""

    @pytest.mark.parametrize(
        ("text", "version"),
        [
            ("# Changelog\n\n## [1.4.2] - 2026-03-01\n\n## [1.4.1] - 2026-01-01\n", "1.4.2"),
            ("## 1.4.2\n- x\n## 1.3.0\n", "1.4.2"),
            ("## v1.4.2 - 2026-03-01\n", "1.4.2"),
            ("### [1.4.2](https://x/compare/v1.4.1...v1.4.2) (2026-03-01)\n", "1.4.2"),
            ("# Version 2.0.0\n", "2.0.0"),
            ("## [Unreleased]\n\n## [2.0.0-rc.1]\n\n## [1.9.0]\n", "2.0.0-rc.1"),
            ("## 1.3.0\n\n## 1.10.0\n", "1.10.0"),
            ("## [Unreleased]\n- wip\n", None),
            ("## 1.4 - 2026\n", None),
            ("```\n## 9.9.9\n```\n## 1.0.0\n", "1.0.0"),
            ("Released 1.4.2 on Monday.\n", None),
        ],
        ids=[
            "keep-a-changelog",
            "bare",
            "v-and-date",
            "standard-version",
            "version-word",
            "prerelease",
            "highest-not-first",
            "unreleased-only",
            "two-parts",
            "fenced",
            "prose",
        ],
    )
    def test_changelog_version(self, text: str, version: str | None) -> None:
        assert changelog_version(text) == version

    @pytest.mark.parametrize(
        ("tag", "changelog", "version"),
        [
            ("v2.0.0", "## 1.4.2\n", "2.0.0"),
            (None, "## 1.4.2\n", "1.4.2"),
            ("nightly", "## v1.4.2\n", "1.4.2"),
            (None, "# notes\n", "0.1.0"),
            (None, None, "0.1.0"),
        ],
        ids=["tag-wins", "changelog", "bad-tag", "no-heading", "no-changelog"],
    )
    def test_version_from_tag(self, tag: str | None, changelog: str | None, version: str) -> None:
        assert version_from_tag(tag, changelog) == version


class TestUnreleasedHeading:
    """A changelog in another format gets `## [Unreleased]`; no line of it is lost."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (
                "# Notes\n\n## v1.4.2 - 2026\n- a\n",
                "# Notes\n\n## [Unreleased]\n\n## v1.4.2 - 2026\n- a\n",
            ),
            ("# Notes\n\n## Unreleased\n- wip\n", "# Notes\n\n## [Unreleased]\n- wip\n"),
            ("# Notes\nnothing yet", "# Notes\nnothing yet\n\n## [Unreleased]\n"),
            ("", "## [Unreleased]\n"),
            ("# N\r\n\r\n## 1.0.0\r\n", "# N\r\n\r\n## [Unreleased]\r\n\r\n## 1.0.0\r\n"),
        ],
        ids=["above-first-release", "bare-unreleased", "no-release-yet", "empty", "crlf"],
    )
    def test_with_unreleased(self, text: str, expected: str) -> None:
        assert with_unreleased(text)[0] == expected

    def test_preview_shows_the_inserted_lines_in_context(self) -> None:
        _, preview = with_unreleased("# Notes\n\n## v1.4.2 - 2026\n")
        assert preview == "@@ line 3 @@\n+## [Unreleased]\n+\n ## v1.4.2 - 2026"

    def test_plan_keeps_a_changelog_with_unreleased_and_updates_another(
        self, tmp_path: Path
    ) -> None:
        assert plan_changelog(tmp_path).action == "create"
        write(tmp_path / "CHANGELOG.md", "# Notes\n\n## 1.0.0\n")
        assert plan_changelog(tmp_path).action == "update"
        write(tmp_path / "CHANGELOG.md", "# Notes\n\n## [Unreleased]\n\n## 1.0.0\n")
        assert plan_changelog(tmp_path).action == "keep"


SINGLE = "services:\n  site:\n    image: ghcr.io/acme/site:latest\n"


class TestRootBuild:
    """The root Dockerfile is mapped to the service that runs its image, when that is clear."""

    @pytest.mark.parametrize(
        ("services", "chosen"),
        [
            ([ServiceInfo(name="site", image="ghcr.io/acme/site:latest")], "site"),
            ([ServiceInfo(name="app", image="myapp")], "app"),
            (
                [
                    ServiceInfo(name="web", image="acme/web:1"),
                    ServiceInfo(name="db", image="postgres:17"),
                ],
                "web",
            ),
            (
                [
                    ServiceInfo(name="a", image="acme/site"),
                    ServiceInfo(name="b", image="acme/worker"),
                ],
                "a",
            ),
            (
                [
                    ServiceInfo(name="a", image="acme/one"),
                    ServiceInfo(name="b", image="acme/two"),
                ],
                None,
            ),
            (
                [ServiceInfo(name="db", image="postgres:17"), ServiceInfo(name="c", image="redis")],
                None,
            ),
            (
                [
                    ServiceInfo(name="web", image="acme/web", context="."),
                    ServiceInfo(name="x", image="acme/x"),
                ],
                None,
            ),
        ],
        ids=[
            "one-service",
            "local-name",
            "own-image-beside-postgres",
            "named-like-project",
            "two-own-images",
            "only-official",
            "a-build-exists",
        ],
    )
    def test_chosen(self, tmp_path: Path, services: list[ServiceInfo], chosen: str | None) -> None:
        write(tmp_path / "docker-compose.yml", "services:\n  x:\n    image: x\n")
        write(tmp_path / "Dockerfile", "FROM node:20-slim\n")
        layout = find_compose_files(tmp_path)
        got = root_build(tmp_path, layout, services, project="site")
        assert (got.service if got else None) == chosen

    def test_no_root_dockerfile_no_mapping(self, tmp_path: Path) -> None:
        write(tmp_path / "docker-compose.yml", SINGLE)
        services = [ServiceInfo(name="site", image="ghcr.io/acme/site")]
        assert root_build(tmp_path, find_compose_files(tmp_path), services, project="p") is None

    def test_context_is_relative_to_the_compose_folder(self, tmp_path: Path) -> None:
        write(tmp_path / "compose" / "compose.yaml", SINGLE)
        write(tmp_path / "Containerfile", "FROM node:20-slim\n")
        services = [ServiceInfo(name="site", image="ghcr.io/acme/site")]
        got = root_build(tmp_path, find_compose_files(tmp_path), services, project="p")
        assert got is not None
        assert (got.context, got.dockerfile) == ("..", "Containerfile")


class TestPlanInitSingleImage:
    """`image: ghcr.io/acme/site` and a root Dockerfile: init maps, infers and documents it."""

    @pytest.fixture
    def repo(self, tmp_path: Path) -> Path:
        write(tmp_path / "docker-compose.yml", SINGLE)
        write(tmp_path / "Dockerfile", "FROM node:20-slim AS base\nFROM base AS runner\n")
        write(tmp_path / "CHANGELOG.md", "# Release notes\n\n## v1.4.2 - 2026-03-01\n- x\n")
        return tmp_path

    def test_files_and_actions(self, repo: Path) -> None:
        plan = plan_init(repo, project="site", latest_tag=None)
        assert [(c.path, c.action) for c in plan.changes] == [
            ("dockwright.toml", "create"),
            ("compose.dockwright.yaml", "create"),
            ("noxfile.py", "create"),
            (".github/workflows/dockwright.yml", "create"),
            ("VERSION", "create"),
            ("CHANGELOG.md", "update"),
            (".env.example", "create"),
        ]
        texts = {c.path: c.text for c in plan.changes}
        assert texts["VERSION"] == "1.4.2\n"
        assert texts["CHANGELOG.md"].startswith("# Release notes\n\n## [Unreleased]\n\n## v1.4.2")

    def test_settings_list_the_override_and_the_registry(self, repo: Path) -> None:
        plan = plan_init(repo, project="site", latest_tag=None)
        text = next(c.text for c in plan.changes if c.path == "dockwright.toml")
        settings = parse_settings(tomllib.loads(text))
        assert settings.compose_files == ("docker-compose.yml", "compose.dockwright.yaml")
        assert (settings.registry, settings.targets) == ("ghcr", {"prod": "runner"})
        registry = settings.registries["ghcr"]
        assert (registry.url, registry.namespace, registry.token_env) == (
            "ghcr.io",
            "acme",
            "REGISTRY_TOKEN",
        )

    def test_override_adds_only_the_build(self, repo: Path) -> None:
        plan = plan_init(repo, project="site", latest_tag=None)
        text = next(c.text for c in plan.changes if c.path == "compose.dockwright.yaml")
        assert yaml.safe_load(text) == {
            "services": {"site": {"build": {"context": ".", "dockerfile": "Dockerfile"}}}
        }

    def test_written_override_is_discovered_and_init_again_maps_nothing(self, repo: Path) -> None:
        plan = plan_init(repo, project="site", latest_tag=None)
        for change in plan.changes:
            write(repo / change.path, change.text)
        assert load_project(repo).settings.compose_files == (
            "docker-compose.yml",
            "compose.dockwright.yaml",
        )
        (repo / "dockwright.toml").unlink()  # discovery: the override follows the base file
        assert find_compose_files(repo).base == ("docker-compose.yml", "compose.dockwright.yaml")
        again = plan_init(repo, project="site", latest_tag=None)
        assert {c.path: c.action for c in again.changes}["CHANGELOG.md"] == "keep"
        assert "compose.dockwright.yaml" not in [c.path for c in again.changes]

    def test_no_mapping_is_a_note_in_the_settings(self, tmp_path: Path) -> None:
        write(tmp_path / "docker-compose.yml", SINGLE)
        plan = plan_init(tmp_path, project="site", latest_tag=None)
        assert plan.choice.notes == (
            "no service has a build: and no root Dockerfile could be mapped to one; "
            "add build: to the service the Dockerfile builds",
        )


class TestGeneratedEntryPoints:
    """The noxfile imports dockwright's sessions (and says how nox installs it); the workflow
    pins this dockwright, our nox and playwright, and the same action SHAs as our workflows."""

    def test_noxfile_script_block_names_dockwright(self, tmp_path: Path) -> None:
        from nox.project import load_toml

        from dockwright import __version__

        path = write(tmp_path / "noxfile.py", render_noxfile())
        assert load_toml(str(path)) == {"dependencies": [f"dockwright>={__version__}", "nox"]}
        assert "from dockwright.sessions import *" in path.read_text()
        assert "pipx run nox" in path.read_text()

    def test_workflow_has_no_placeholder_and_pins_versions(self) -> None:
        from importlib import metadata

        from dockwright import __version__

        text = render_workflow()
        assert "@" + "DOCKWRIGHT" not in text and "_REQUIREMENT@" not in text
        env = yaml.safe_load(text)["env"]
        assert env["NOX_REQUIREMENT"] == f"nox=={metadata.version('nox')}"
        assert f"'dockwright=={__version__}'" in env["DOCKWRIGHT_REQUIREMENT"]
        assert env["PLAYWRIGHT_REQUIREMENT"].startswith("playwright==")

    def test_workflow_uses_the_action_shas_of_our_workflows(self) -> None:
        def uses(text: str) -> set[str]:
            return {
                line.split("uses:", 1)[1].split("#")[0].strip()
                for line in text.splitlines()
                if "uses:" in line
            }

        ours = set().union(
            *(uses(p.read_text()) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
        )
        theirs = uses(render_workflow())
        assert theirs and theirs <= ours

    def test_workflow_jobs_and_permissions(self) -> None:
        data = yaml.safe_load(render_workflow())
        assert data["permissions"] == {"contents": "read"}
        assert list(data["jobs"]) == ["build", "smoke", "scan", "release"]
        release = data["jobs"]["release"]
        assert release["permissions"] == {"contents": "write"}
        assert release["if"] == "${{ github.event_name == 'workflow_dispatch' }}"
        with_secrets = [
            s["name"]
            for job in data["jobs"].values()
            for s in job["steps"]
            if "secrets." in str(s.get("env", {}))
        ]
        assert with_secrets == ["Release"]

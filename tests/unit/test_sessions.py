"""Unit tests for dockwright.sessions: what `lint` runs in a repository, and what
every session installs, for repository layouts made in tmp_path (no engine, no nox run)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import nox
import pytest

import dockwright
from dockwright import sessions
from dockwright.repo.compose import services_from_config
from dockwright.sessions import (
    Layout,
    Running,
    Step,
    dockerfiles_of,
    dockwright_requirement,
    dockwright_source,
    has_python,
    lint_requirements,
    lint_steps,
    mypy_config,
    project_requirement,
    read_layout,
    requirements_for_tests,
    running_dockwright,
    url_of,
)

VERSION = "0.1.0"
WORKFLOW = "on: push\njobs: {}\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def builds(root: Path, spec: dict[str, dict[str, Any] | None]) -> list[str]:
    """The Dockerfiles of services as `docker compose config --format json` gives them
    (contexts absolute), through the same Service model `build` uses."""
    config = {
        "services": {
            name: ({"image": f"{name}:1"} if build is None else {"build": build})
            for name, build in spec.items()
        }
    }
    for svc in config["services"].values():
        if "build" in svc and not Path(svc["build"]["context"]).is_absolute():
            svc["build"]["context"] = str(root / svc["build"]["context"])
    return dockerfiles_of(services_from_config(config), root)


def commands(steps: list[Step]) -> list[str]:
    """Each tool's command line, or `TOOL: skipped, WHY` as the session logs it."""
    return [f"{s.tool}: skipped, {s.skipped}" if s.skipped else " ".join(s.argv) for s in steps]


NO_PYTHON = "no Python files in this repository"
NO_MYPY = "no mypy configuration ([tool.mypy], mypy.ini or setup.cfg [mypy])"
NO_WORKFLOWS = "no .github/workflows/*.yml"
NO_BUILDS = "no compose service with a build: section"
NO_CONTRACTS = "no import-linter contracts ([tool.importlinter] or .importlinter)"


class TestLintSteps:
    """lint runs each tool on what the repository has, and says why it skips one."""

    @pytest.mark.parametrize(
        ("files", "spec", "expected"),
        [
            pytest.param(
                {
                    "pyproject.toml": '[project]\nname = "app"\n[tool.ruff]\nline-length = 88\n'
                    '[tool.mypy]\nfiles = ["src"]\n'
                    '[tool.importlinter]\nroot_package = "app"\n',
                    "src/app/__init__.py": "",
                    ".github/workflows/ci.yml": WORKFLOW,
                    ".github/workflows/release.yaml": WORKFLOW,
                    "docker/app.Dockerfile": "FROM python:3.13-slim\n",
                },
                {"app": {"context": ".", "dockerfile": "docker/app.Dockerfile"}},
                [
                    "ruff check",
                    "ruff format --check",
                    "mypy",
                    "lint-imports",
                    "zizmor --offline .github/workflows/ci.yml .github/workflows/release.yaml",
                    "actionlint .github/workflows/ci.yml .github/workflows/release.yaml",
                    "hadolint docker/app.Dockerfile",
                ],
                id="python-with-ruff-and-mypy-config",
            ),
            pytest.param(
                {"app.py": "print('hi')\n", "Dockerfile": "FROM python:3.13-slim\n"},
                {"app": {"context": "."}},
                [
                    "ruff check",
                    "ruff format --check",
                    f"mypy: skipped, {NO_MYPY}",
                    f"import-linter: skipped, {NO_CONTRACTS}",
                    f"zizmor: skipped, {NO_WORKFLOWS}",
                    f"actionlint: skipped, {NO_WORKFLOWS}",
                    "hadolint Dockerfile",
                ],
                id="python-without-mypy-config",
            ),
            pytest.param(
                {
                    "package.json": "{}\n",
                    "noxfile.py": "from dockwright.sessions import *  # noqa: F403\n",
                    "web/Containerfile": "FROM node:20-slim\n",
                    "api/build/Dockerfile.prod": "FROM node:20-slim\n",
                    # A mypy config without Python to check does not run mypy.
                    "mypy.ini": "[mypy]\n",
                },
                {
                    "web": {"context": "web", "dockerfile": "Containerfile"},
                    "api": {"context": "api", "dockerfile": "build/Dockerfile.prod"},
                    "worker": {"context": "web", "dockerfile": "Containerfile"},
                    "db": None,
                },
                [
                    f"ruff: skipped, {NO_PYTHON}",
                    f"mypy: skipped, {NO_PYTHON}",
                    f"import-linter: skipped, {NO_PYTHON}",
                    f"zizmor: skipped, {NO_WORKFLOWS}",
                    f"actionlint: skipped, {NO_WORKFLOWS}",
                    "hadolint api/build/Dockerfile.prod web/Containerfile",
                ],
                id="not-python-dockerfiles-named-by-compose",
            ),
            pytest.param(
                {},
                {},
                [
                    f"ruff: skipped, {NO_PYTHON}",
                    f"mypy: skipped, {NO_PYTHON}",
                    f"import-linter: skipped, {NO_PYTHON}",
                    f"zizmor: skipped, {NO_WORKFLOWS}",
                    f"actionlint: skipped, {NO_WORKFLOWS}",
                    f"hadolint: skipped, {NO_BUILDS}",
                ],
                id="none",
            ),
        ],
    )
    def test_commands_for_layout(
        self,
        tmp_path: Path,
        files: dict[str, str],
        spec: dict[str, dict[str, Any] | None],
        expected: list[str],
    ) -> None:
        write(tmp_path, files)
        assert commands(lint_steps(read_layout(tmp_path, builds(tmp_path, spec)))) == expected

    def test_one_line_per_tool(self) -> None:
        layout = Layout(python=False, mypy_config=None, workflows=(), dockerfiles=())
        tools = [s.tool for s in lint_steps(layout)]
        assert tools == ["ruff", "mypy", "import-linter", "zizmor", "actionlint", "hadolint"]

    def test_dockerfile_outside_the_repository_stays_absolute(self, tmp_path: Path) -> None:
        other = tmp_path / "other"
        repo = tmp_path / "repo"
        repo.mkdir()
        spec = {"app": {"context": str(other), "dockerfile": "Dockerfile"}}
        assert builds(repo, spec) == [str(other / "Dockerfile")]


class TestHasPython:
    """A repository has Python when it has .py files of its own, git's ignores respected."""

    @pytest.mark.parametrize(
        ("files", "python"),
        [
            pytest.param({"scripts/tool.py": ""}, True, id="nested-module"),
            pytest.param({"stubs/api.pyi": ""}, True, id="stub"),
            pytest.param({"noxfile.py": ""}, False, id="only-the-noxfile-init-writes"),
            pytest.param({"tools/noxfile.py": ""}, True, id="a-noxfile-elsewhere-is-python"),
            pytest.param({"pyproject.toml": "[tool.ruff]\n"}, False, id="pyproject-alone"),
            pytest.param({".venv/lib/site.py": "", "node_modules/x/y.py": ""}, False, id="envs"),
            pytest.param({}, False, id="empty"),
        ],
    )
    @pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
    def test_has_python(
        self, tmp_path: Path, files: dict[str, str], python: bool, git: bool
    ) -> None:
        if git:
            git_init(tmp_path)
            write(tmp_path, {".gitignore": ".venv/\nnode_modules/\n"})
        write(tmp_path, files)
        assert has_python(tmp_path) is python

    def test_ignored_files_do_not_count(self, tmp_path: Path) -> None:
        git_init(tmp_path)
        write(tmp_path, {".gitignore": "build/\n", "build/generated.py": ""})
        assert has_python(tmp_path) is False


class TestMypyConfig:
    """mypy runs only where the repository configures it."""

    @pytest.mark.parametrize(
        ("files", "found"),
        [
            ({"pyproject.toml": "[tool.mypy]\nstrict = true\n"}, "pyproject.toml [tool.mypy]"),
            ({"pyproject.toml": "[tool.mypy.overrides]\n"}, "pyproject.toml [tool.mypy]"),
            ({"mypy.ini": "[mypy]\n"}, "mypy.ini"),
            ({".mypy.ini": "[mypy]\n"}, ".mypy.ini"),
            ({"setup.cfg": "[metadata]\nname = x\n\n[mypy]\nstrict = True\n"}, "setup.cfg [mypy]"),
            ({"setup.cfg": "[metadata]\nname = x\n[mypy-foo.*]\n"}, None),
            ({"pyproject.toml": "[tool.ruff]\n"}, None),
            ({}, None),
        ],
        ids=["pyproject", "pyproject-subtable", "mypy.ini", "dot-mypy.ini", "setup.cfg",
             "setup.cfg-per-module-only", "pyproject-without", "none"],
    )  # fmt: skip
    def test_mypy_config(self, tmp_path: Path, files: dict[str, str], found: str | None) -> None:
        assert mypy_config(write(tmp_path, files)) == found


PYTHON_MYPY = Layout(python=True, mypy_config="mypy.ini", workflows=(), dockerfiles=())
PYTHON = Layout(python=True, mypy_config=None, workflows=(), dockerfiles=())
NOT_PYTHON = Layout(python=False, mypy_config="mypy.ini", workflows=(), dockerfiles=())


class TestInstallRequirements:
    """Sessions install dockwright as the running one came, and the tools it needs."""

    CHECKOUT = Path("/opt/dockwright")
    WHEEL = "file:///tmp/dist/dockwright-0.1.0-py3-none-any.whl"

    @staticmethod
    def running(root: Path, where: str | Path | None) -> Running:
        """`root`: dockwright's own repository; a Path: a checkout; `file:`/`git+`: a URL."""
        if where == "root":
            return Running(version=VERSION, source=root.resolve())
        if isinstance(where, str):
            return Running(version=VERSION, origin=where)
        return Running(version=VERSION, source=where)

    @pytest.mark.parametrize(
        ("where", "extras", "expected"),
        [
            pytest.param("root", ("dev",), ["-e", ".[dev]"], id="own-repository"),
            pytest.param("root", (), ["-e", "."], id="own-repository-plain"),
            pytest.param(CHECKOUT, ("lint",), ["-e", "/opt/dockwright[lint]"], id="checkout"),
            pytest.param(CHECKOUT, (), ["-e", "/opt/dockwright"], id="checkout-plain"),
            pytest.param(
                WHEEL, ("lint",), [f"dockwright[lint] @ {WHEEL}"], id="installed-from-a-wheel"
            ),
            pytest.param(
                "git+https://example.com/dockwright.git@abc123",
                ("test",),
                ["dockwright[test] @ git+https://example.com/dockwright.git@abc123"],
                id="installed-from-git",
            ),
            pytest.param(None, ("lint", "mypy"), ["dockwright[lint,mypy]==0.1.0"], id="release"),
            pytest.param(None, (), ["dockwright==0.1.0"], id="release-plain"),
        ],
    )
    def test_dockwright_requirement(
        self, tmp_path: Path, where: str | Path | None, extras: tuple[str, ...], expected: list[str]
    ) -> None:
        running = self.running(tmp_path, where)
        assert dockwright_requirement(tmp_path, extras, running) == expected

    @pytest.mark.parametrize(
        ("direct_url", "url"),
        [
            pytest.param(
                {"url": WHEEL, "archive_info": {"hashes": {"sha256": "00"}}}, WHEEL, id="wheel"
            ),
            pytest.param(
                {"url": "https://example.com/d.git", "vcs_info": {"vcs": "git", "commit_id": "ab"}},
                "git+https://example.com/d.git@ab",
                id="vcs",
            ),
            pytest.param(
                {"url": "file:///src/dockwright", "dir_info": {}},
                "file:///src/dockwright",
                id="dir",
            ),
            pytest.param({}, None, id="no-url"),
        ],
    )
    def test_origin_from_direct_url(self, direct_url: dict[str, Any], url: str | None) -> None:
        assert url_of(direct_url) == url

    @pytest.mark.parametrize(
        ("layout", "where", "files", "expected"),
        [
            pytest.param(PYTHON_MYPY, "root", {}, ["-e", ".[dev]"], id="own-repository"),
            pytest.param(PYTHON, None, {}, ["dockwright[lint]==0.1.0"], id="no-mypy"),
            pytest.param(NOT_PYTHON, None, {}, ["dockwright[lint]==0.1.0"], id="not-python"),
            pytest.param(
                PYTHON_MYPY,
                None,
                {"pyproject.toml": '[project]\nname = "app"\n'},
                ["dockwright[lint,mypy]==0.1.0", "-e", "."],
                id="mypy-follows-the-project",
            ),
            pytest.param(
                PYTHON_MYPY,
                CHECKOUT,
                {"requirements.txt": "fastapi\n"},
                ["-e", "/opt/dockwright[lint,mypy]", "-r", "requirements.txt"],
                id="mypy-checkout-requirements",
            ),
        ],
    )
    def test_lint_requirements(
        self,
        tmp_path: Path,
        layout: Layout,
        where: str | Path | None,
        files: dict[str, str],
        expected: list[str],
    ) -> None:
        write(tmp_path, files)
        assert lint_requirements(tmp_path, layout, self.running(tmp_path, where)) == expected

    @pytest.mark.parametrize(
        ("files", "expected"),
        [
            pytest.param({"pyproject.toml": '[project]\nname = "a"\n'}, ["-e", "."], id="project"),
            pytest.param(
                {
                    "pyproject.toml": '[project]\nname = "a"\n'
                    "[project.optional-dependencies]\ndev = []\ntests = []\n"
                },
                ["-e", ".[tests]"],
                id="project-with-tests-extra",
            ),
            pytest.param({"setup.py": ""}, ["-e", "."], id="setup.py"),
            pytest.param(
                {"requirements.txt": "", "requirements-dev.txt": ""},
                ["-r", "requirements.txt", "-r", "requirements-dev.txt"],
                id="requirements",
            ),
            pytest.param({"pyproject.toml": "[tool.ruff]\n"}, [], id="config-only"),
            pytest.param({}, [], id="nothing"),
        ],
    )
    def test_project_requirement(
        self, tmp_path: Path, files: dict[str, str], expected: list[str]
    ) -> None:
        assert project_requirement(write(tmp_path, files)) == expected

    def test_tests_install_pytest_and_the_project(self, tmp_path: Path) -> None:
        write(tmp_path, {"pyproject.toml": '[project]\nname = "a"\n'})
        assert requirements_for_tests(tmp_path, self.running(tmp_path, None)) == [
            "dockwright[test]==0.1.0",
            "-e",
            ".",
        ]
        own = requirements_for_tests(tmp_path, self.running(tmp_path, "root"))
        assert own == ["-e", ".[dev]"]


class TestDockwrightSource:
    """A source checkout is the folder above the package whose pyproject names dockwright."""

    @pytest.mark.parametrize(
        ("package", "name", "found"),
        [
            pytest.param("src/dockwright", "dockwright", "", id="src-layout"),
            pytest.param("dockwright", "dockwright", "", id="flat-layout"),
            pytest.param("src/dockwright", "someone-else", None, id="other-project"),
            pytest.param("lib/python3.11/site-packages/dockwright", "app", None, id="installed"),
        ],
    )
    def test_source(self, tmp_path: Path, package: str, name: str, found: str | None) -> None:
        write(tmp_path, {"pyproject.toml": f'[project]\nname = "{name}"\n'})
        (tmp_path / package).mkdir(parents=True)
        expected = None if found is None else tmp_path.resolve()
        assert dockwright_source(tmp_path / package) == expected

    def test_the_running_dockwright_is_this_checkout(self) -> None:
        from tests.conftest import ROOT

        assert dockwright_source(Path(dockwright.__file__).resolve().parent) == ROOT
        assert running_dockwright().source == ROOT
        assert running_dockwright().version == dockwright.__version__


class TestOptionsAndHelper:
    """Missing interpreters fail; the helper the lint session runs prints JSON."""

    def test_missing_interpreter_is_an_error(self) -> None:
        assert nox.options.error_on_missing_interpreters is True
        assert nox.options.download_python == "never"

    def test_dockerfiles_helper_without_compose_files(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        git_init(tmp_path)
        monkeypatch.chdir(tmp_path)
        assert sessions.main(["dockerfiles"]) == 0
        assert json.loads(capsys.readouterr().out) == []

    def test_helper_usage(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert sessions.main([]) == 2
        assert "usage: python -m dockwright.sessions dockerfiles" in capsys.readouterr().err

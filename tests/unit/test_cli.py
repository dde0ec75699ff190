"""Unit tests for dockwright.cli: the `dockwright` command and its bare service names."""

from __future__ import annotations

import pytest

from dockwright import __version__
from dockwright.cli import expand_services, main
from dockwright.tasks import ns


class TestExpandServices:
    """Bare words after a task with --service become --service WORD; nothing else changes."""

    @pytest.mark.parametrize(
        ("argv", "expected"),
        [
            pytest.param(
                "build backend frontend",
                "build --service backend --service frontend",
                id="two-names",
            ),
            pytest.param(
                "build --target dev backend",
                "build --target dev --service backend",
                id="flag-value-is-not-a-name",
            ),
            pytest.param("build --target=dev api", "build --target=dev --service api", id="flag="),
            pytest.param("build --all --no-check", "build --all --no-check", id="only-flags"),
            pytest.param("build -s api web", "build -s api --service web", id="mixed-with-s"),
            pytest.param(
                "-e build api check web",
                "-e build --service api check --service web",
                id="two-tasks",
            ),
            pytest.param("release --bump minor", "release --bump minor", id="no-service-task"),
            pytest.param("build --help api", "build --help api", id="help-left-alone"),
            pytest.param("build -- api", "build -- api", id="after-double-dash"),
            pytest.param("env.check", "env.check", id="dotted-task"),
        ],
    )
    def test_rewrite(self, argv: str, expected: str) -> None:
        assert expand_services(["dockwright", *argv.split()]) == ["dockwright", *expected.split()]

    def test_every_service_flag_is_repeatable(self) -> None:
        """The rewrite gives --service several times: each task taking it must collect a list."""
        for context in ns.to_contexts():
            if "--service" in context.flags:
                assert context.flags["--service"].kind is list, context.name


class TestMain:
    """The console script runs dockwright's own collection; no tasks.py needed."""

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as info:
            main(["dockwright", "--version"])
        assert info.value.code == 0
        assert capsys.readouterr().out.strip() == f"dockwright {__version__}"

    def test_list_shows_init_build_check(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as info:
            main(["dockwright", "--list"])
        assert info.value.code == 0
        listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()[2:] if line}
        assert {"init", "build", "check"} <= listed

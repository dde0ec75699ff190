"""Unit tests for dockwright.cli: the `dockwright` command, its options and bare service names."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockwright import __version__
from dockwright.cli import expand_services, main
from dockwright.tasks import ns

KEPT_SPECS = [
    "-h [TASK], --help[=TASK]",
    "-l [NAMESPACE], --list[=NAMESPACE]",
    "-V, --version",
    "-d, --debug",
    "--complete",
    "--print-completion-script=SHELL",
]
KEPT_LONG = {"--help", "--list", "--version", "--debug", "--complete", "--print-completion-script"}

# invoke's core options that dockwright drops (its `run()` settings, its config
# file, list formats), and the task-runner ones `invoke` adds without a namespace.
REMOVED = [
    pytest.param("--prompt-for-sudo-password", [], id="prompt-for-sudo-password"),
    pytest.param("--pty", [], id="pty"),
    pytest.param("-p", [], id="p"),
    pytest.param("--hide", ["both"], id="hide"),
    pytest.param("--write-pyc", [], id="write-pyc"),
    pytest.param("--echo", [], id="echo"),
    pytest.param("-e", [], id="e"),
    pytest.param("--dry", [], id="dry"),
    pytest.param("-R", [], id="R"),
    pytest.param("--warn-only", [], id="warn-only"),
    pytest.param("-w", [], id="w"),
    pytest.param("--command-timeout", ["5"], id="command-timeout"),
    pytest.param("-T", ["5"], id="T"),
    pytest.param("--config", ["x.yaml"], id="config"),
    pytest.param("-f", ["x.yaml"], id="f"),
    pytest.param("--list-depth", ["1"], id="list-depth"),
    pytest.param("-D", ["1"], id="D"),
    pytest.param("--list-format", ["json"], id="list-format"),
    pytest.param("-F", ["json"], id="F"),
    pytest.param("--collection", ["x"], id="collection"),
    pytest.param("-c", ["x"], id="c"),
    pytest.param("--no-dedupe", [], id="no-dedupe"),
    pytest.param("--search-root", ["."], id="search-root"),
    pytest.param("-r", ["."], id="r"),
]


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *args: str, argv0: str = "dockwright") -> Run:
    """`dockwright ARGS...` in-process, as the console script runs it."""
    try:
        main([argv0, *args])
        code = 0
    except SystemExit as stop:
        code = 0 if stop.code is None else int(stop.code)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def option_specs(help_text: str) -> list[str]:
    """The flag column of the "Core options" section of `dockwright --help`."""
    section = help_text.split("Core options:\n", 1)[1].split("Subcommands:", 1)[0]
    return [
        re.split(r"\s{3,}", line.strip())[0]
        for line in section.splitlines()
        if line.startswith("  -")
    ]


def flag_names(specs: list[str]) -> set[str]:
    return {name for spec in specs for name in re.findall(r"(?<![\w-])--?[\w-]+", spec)}


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
                "-d build api check web",
                "-d build --service api check --service web",
                id="two-tasks",
            ),
            pytest.param(
                "--print-completion-script bash build api",
                "--print-completion-script bash build --service api",
                id="core-flag-value",
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
        for context in copy.deepcopy(ns).to_contexts():  # to_contexts pops help texts
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

    @pytest.mark.parametrize("flag", ["--version", "-V"], ids=["long", "short"])
    def test_version_flags(self, capsys: pytest.CaptureFixture[str], flag: str) -> None:
        result = run(capsys, flag)
        assert (result.code, result.out.strip()) == (0, f"dockwright {__version__}")

    def test_list_one_namespace(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(capsys, "-l", "env")
        assert result.code == 0
        listed = {line.split()[0] for line in result.out.splitlines() if line.startswith("  .")}
        assert listed == {".check", ".init"}

    def test_runs_a_task(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A task still runs: invoke's config step reads the dropped options' defaults."""
        (tmp_path / "VERSION").write_text("1.2.3\n", encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        result = run(capsys, "version")
        assert (result.code, result.out.strip()) == (0, "1.2.3")


class TestHelp:
    """`dockwright --help` lists dockwright's options only, then the tasks."""

    @pytest.mark.parametrize("args", [["--help"], ["-h"], []], ids=["--help", "-h", "no-args"])
    def test_lists_exactly_the_kept_options(
        self, capsys: pytest.CaptureFixture[str], args: list[str]
    ) -> None:
        result = run(capsys, *args)
        assert result.code == 0
        assert result.out.startswith("Usage: dockwright [--core-opts] <subcommand>")
        assert option_specs(result.out) == KEPT_SPECS

    @pytest.mark.parametrize(("flag", "value"), REMOVED)
    def test_removed_option_not_listed(
        self, capsys: pytest.CaptureFixture[str], flag: str, value: list[str]
    ) -> None:
        specs = option_specs(run(capsys, "--help").out)
        assert flag not in flag_names(specs)

    def test_lists_the_tasks(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = run(capsys, "--help").out
        tasks = out.split("Subcommands:\n", 1)[1]
        listed = {
            line.split()[0]
            for line in tasks.splitlines()
            if line.startswith("  ") and line[2] != " "
        }
        assert {"init", "build", "check", "release", "env.check"} <= listed

    def test_debug_help_names_the_traceback_switch(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert "DOCKWRIGHT_DEBUG=1" in " ".join(run(capsys, "--help").out.split())

    @pytest.mark.parametrize(
        "args",
        [
            ["build", "--help"],
            ["-h", "build"],
            ["--help", "build"],
            ["--help=build"],
            ["build", "-h"],
        ],
        ids=["task--help", "-h-task", "--help-task", "--help=task", "task-h"],
    )
    def test_task_help(self, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
        result = run(capsys, *args)
        assert result.code == 0
        assert result.out.startswith("Usage: dockwright [--core-opts] build [--options]")
        assert "--service" in result.out and "--dry-run" in result.out

    def test_help_for_an_unknown_task_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(capsys, "--help", "nosuch")
        assert (result.code, result.err) == (1, "No idea what 'nosuch' is!\n")


class TestRemovedOptions:
    """invoke's dropped options are refused like any unknown flag: exit 1, one line."""

    @pytest.mark.parametrize(("flag", "value"), REMOVED)
    def test_refused_before_a_task(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        flag: str,
        value: list[str],
    ) -> None:
        monkeypatch.chdir(tmp_path)
        result = run(capsys, flag, *value, "version")
        assert (result.code, result.out, result.err) == (1, "", f"No idea what '{flag}' is!\n")

    @pytest.mark.parametrize(
        ("flag", "value"), [p for p in REMOVED if p.values[0].startswith("--")]
    )
    def test_refused_after_a_task(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        flag: str,
        value: list[str],
    ) -> None:
        """Long flags only: after a task, a short flag is the task's (`version -p` is --pre)."""
        monkeypatch.chdir(tmp_path)
        result = run(capsys, "version", flag, *value)
        assert (result.code, result.out, result.err) == (1, "", f"No idea what '{flag}' is!\n")

    def test_refused_with_equals(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(capsys, "--hide=both", "--list")
        assert (result.code, result.out, result.err) == (1, "", "No idea what '--hide' is!\n")


class TestCompletion:
    """Shell completion still works, and offers dockwright's options only."""

    def test_core_flags(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(capsys, "--complete", "--", "dockwright", "--")
        assert result.code == 0
        assert set(result.out.split()) == KEPT_LONG

    @pytest.mark.parametrize(
        "line", ["dockwright build --", "dockwright build api --"], ids=["task", "bare-service"]
    )
    def test_task_flags(self, capsys: pytest.CaptureFixture[str], line: str) -> None:
        build = next(c for c in copy.deepcopy(ns).to_contexts() if c.name == "build")
        result = run(capsys, "--complete", "--", *line.split())
        assert result.code == 0
        assert set(result.out.split()) == {f for f in build.flag_names() if f.startswith("--")}

    def test_task_names(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(capsys, "--complete", "--", "dockwright", "")
        assert result.code == 0
        assert {"build", "release", "env.check"} <= set(result.out.split())

    @pytest.mark.parametrize(
        ("shell", "registration"),
        [
            pytest.param(
                "bash", "complete -F _complete_dockwright -o default dockwright", id="bash"
            ),
            pytest.param("zsh", "compctl -K _complete_dockwright + -f dockwright", id="zsh"),
            pytest.param(
                "fish",
                "complete --command dockwright --no-files --arguments '(__complete_dockwright)'",
                id="fish",
            ),
        ],
    )
    def test_script_names_dockwright(
        self, capsys: pytest.CaptureFixture[str], shell: str, registration: str
    ) -> None:
        """Whatever argv[0] was (`cli.py` under `python -m`), the script completes `dockwright`."""
        result = run(capsys, "--print-completion-script", shell, argv0="/somewhere/cli.py")
        assert result.code == 0
        assert registration in result.out.splitlines()
        assert "cli.py" not in result.out

    def test_unknown_shell_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(capsys, "--print-completion-script", "tcsh")
        assert result.code == 1
        assert result.err.startswith('Completion for shell "tcsh" not supported')
        assert len(result.err.splitlines()) == 1


def dockwright(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`dockwright ARGS...` as its own process (--debug changes the process: env, logging)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKWRIGHT_DEBUG", "INVOKE_DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "dockwright.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestDebug:
    """--debug turns our one-line errors into tracebacks, as DOCKWRIGHT_DEBUG=1 does."""

    def test_without_debug_one_line(self, tmp_path: Path) -> None:
        proc = dockwright("version", cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1

    @pytest.mark.parametrize(
        "args",
        [["--debug", "version"], ["-d", "version"], ["version", "--debug"]],
        ids=["--debug", "-d", "after-task"],
    )
    def test_debug_shows_the_traceback(self, tmp_path: Path, args: list[str]) -> None:
        proc = dockwright(*args, cwd=tmp_path)
        assert proc.returncode != 0
        assert "Traceback (most recent call last)" in proc.stderr
        assert "dockwright.errors.ConfigError: " in proc.stderr


class TestTaskHelpKeepsOptionHelp:
    """`dockwright TASK --help` shows each option's help text, as `invoke TASK --help` does
    (invoke pops help texts while building contexts: the service rewrite must not eat them)."""

    @pytest.mark.parametrize(
        ("args", "text"),
        [
            pytest.param(("up", "--help"), "print the plan and the exact compose calls", id="up"),
            pytest.param(("-h", "release"), "print the release plan", id="dash-h-release"),
            pytest.param(("release", "--help"), "print the release plan", id="release"),
            pytest.param(("push", "--help"), "the local tag to push", id="push"),
        ],
    )
    def test_option_help_shown(
        self, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], text: str
    ) -> None:
        first = run(capsys, *args)
        second = run(capsys, *args)  # a second run in the same process still has it
        assert first.code == 0 and text in " ".join(first.out.split())
        assert text in " ".join(second.out.split())


class TestPositionalTaskHelp:
    """`tags VERSION` takes its version positionally: `tags --help` still helps."""

    def test_tags_help_points_at_the_options(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(capsys, "tags", "--help")
        assert result.code == 0
        assert "usage: invoke tags VERSION" in result.out + result.err
        assert "error" not in (result.out + result.err).lower()

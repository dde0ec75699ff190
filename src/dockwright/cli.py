"""The `dockwright` command: dockwright's Invoke collection, no tasks.py needed.

`dockwright TASK ...` is `invoke TASK ...` with dockwright's tasks, so
`dockwright build --all` and `dockwright release --bump minor` work in any
repository. Three differences from `invoke`:

- Bare service names: after a task that takes `-s/--service`, a word that is
  neither a task name nor a flag (or a flag's value) becomes `--service WORD`,
  so `dockwright build backend frontend` means `dockwright build -s backend -s
  frontend`. invoke's parser cannot take several bare positional names, hence
  the rewrite before it parses. A service named like a task must still be
  given with `-s`.
- Only the options a dockwright user needs: `-h/--help`, `-l/--list`,
  `-V/--version`, `-d/--debug` (which also sets DOCKWRIGHT_DEBUG=1: tracebacks
  instead of one-line errors) and shell completion. invoke's options for its
  `run()` (`--echo`, `--dry`, `--pty`, `--hide`, `--warn-only`, ...) are
  refused like any unknown flag; see `DockwrightProgram`.
- invoke's `Program` with a fixed namespace has no project location, so the
  repository's `invoke.yaml` is not read (settings live in `[tool.dockwright]`
  or dockwright.toml). Use `invoke` with the 3-line tasks.py to keep invoke.yaml.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Sequence

from invoke.collection import Collection
from invoke.parser.argument import Argument
from invoke.parser.context import ParserContext
from invoke.program import Program

from dockwright import __version__
from dockwright.tasks import ns

# The core options `dockwright` keeps, in help order: invoke's own Arguments
# (same kinds and defaults, which Program's code relies on) with our help text
# and, for those taking a value, the name shown for it instead of STRING.
_KEPT: dict[str, tuple[str, str | None]] = {
    "help": ("Show this help, or a task's options (-h TASK or TASK --help).", "TASK"),
    "list": ("List the tasks, or those of one namespace (--list env).", "NAMESPACE"),
    "version": ("Print dockwright's version.", None),
    "debug": (
        "Full tracebacks instead of one-line errors (as DOCKWRIGHT_DEBUG=1), "
        "and invoke's debug log.",
        None,
    ),
    "complete": ("Print completion candidates for the command line after --.", None),
    "print-completion-script": ("Print the completion script for bash, zsh or fish.", "SHELL"),
}


class DockwrightProgram(Program):
    """invoke's `Program` with only the core options that mean something in dockwright.

    invoke 3.0.3 builds its core parser context (`initial_context`) from
    `core_args()` alone when a namespace is given (`task_args()`, e.g.
    `--collection`, are only added without one). That one context serves the
    core parse, the task parse (core flags given after a task), `--help` and
    `--complete`, so overriding `core_args()` removes an option from all four:
    the core parse leaves it unparsed (`ignore_unknown=True`) and the task
    parse then raises `ParseError("No idea what '--pty' is!")`, which `run()`
    prints as one line and exits 1 on, as for any unknown flag.

    But `Program.parse_core`, `parse_cleanup` and `update_config` still read
    the removed ones by name (`self.args["write-pyc"]`, `.pty`, `.echo`,
    `["list-format"]`, `.config`, ...), and would fail (KeyError,
    AttributeError) without them.
    `parse_core_args` therefore puts them back into the parse result, unparsed,
    so they hold invoke's defaults: the behaviour of an `invoke` run given none
    of them.
    """

    def core_args(self) -> list[Argument]:
        by_name = {arg.names[0]: arg for arg in super().core_args()}
        kept = []
        for name, (text, _) in _KEPT.items():
            arg = by_name[name]
            arg.help = text
            kept.append(arg)
        return kept

    def parse_collection(self) -> None:
        super().parse_collection()
        # invoke's Task.get_arguments pops each option's help text from the task as
        # it builds the parser: parse a copy, so the shared task objects keep theirs
        # (a second run in one process, `TASK --help` after the service rewrite).
        self.collection = copy.deepcopy(self.collection)

    def parse_core_args(self) -> None:
        super().parse_core_args()
        parsed = self.core[0].args
        for arg in super().core_args():
            if arg.names[0] not in parsed:
                parsed[arg.names[0]] = arg

    def execute(self) -> None:
        # After the task parse, so `--debug` counts wherever it was given.
        # `guarded` (tasks/_common.py) and the scanners read the variable; this
        # is the top layer, and a child process may as well inherit it.
        if self.args.debug.value:
            os.environ["DOCKWRIGHT_DEBUG"] = "1"
        super().execute()

    def print_help(self) -> None:
        """`Program.print_help`, with a name for each value instead of invoke's STRING."""
        print(f"Usage: {self.binary} [--core-opts] <subcommand> [--subcommand-opts] ...")
        print("")
        print("Core options:")
        print("")
        context = self.initial_context
        rows = []
        for name, (_, metavar) in _KEPT.items():
            spec, text = context.help_for(f"--{name}")
            rows.append((spec.replace("STRING", metavar) if metavar else spec, text))
        self.print_columns(rows)
        self.list_tasks()


# binary_names: the completion script registers (and calls) `dockwright`, not
# whatever argv[0] was (`cli.py` under `python -m dockwright.cli`).
program = DockwrightProgram(
    namespace=ns,
    name="dockwright",
    binary="dockwright",
    binary_names=["dockwright"],
    version=__version__,
)


def _takes_value(flag: str, *contexts: ParserContext | None) -> bool:
    for context in contexts:
        if context is not None and flag in context.flags:
            arg: Argument = context.flags[flag]
            return bool(arg.takes_value and not arg.optional)
    return False


def expand_services(
    argv: Sequence[str], collection: Collection = ns, core: Sequence[Argument] | None = None
) -> list[str]:
    """`argv` with each bare service name after a `--service` task turned into `--service NAME`.

    `argv[0]` is the program name. Everything after `--`, and everything once
    `-h/--help` is seen, is left alone.
    """
    core_context = ParserContext(args=program.core_args() if core is None else core)
    tasks: dict[str, ParserContext] = {}
    # A copy: invoke's Task.get_arguments pops each argument's help text from the
    # task as it builds a context, so a second to_contexts() (the real parse)
    # would show `TASK --help` without any option help.
    for context in copy.deepcopy(collection).to_contexts():
        for name in (context.name, *context.aliases):
            if name:
                tasks[name] = context
    out, current = list(argv[:1]), None
    rest = list(argv[1:])
    while rest:
        word = rest.pop(0)
        if word == "--" or word in ("-h", "--help"):
            return [*out, word, *rest]
        if word.startswith("-"):
            out.append(word)
            if "=" not in word and rest and _takes_value(word, current, core_context):
                out.append(rest.pop(0))
        elif word in tasks:
            current = tasks[word]
            out.append(word)
        elif (
            current is not None
            and "--service" in current.flags
            and current.flags["--service"].kind is list
            and not current.positional_args
        ):
            out += ["--service", word]
        else:
            out.append(word)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (`dockwright = "dockwright.cli:main"`)."""
    program.run(expand_services(sys.argv if argv is None else argv), exit=True)


if __name__ == "__main__":
    main()

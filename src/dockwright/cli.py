"""The `dockwright` command: dockwright's Invoke collection, no tasks.py needed.

`dockwright TASK ...` is `invoke TASK ...` with dockwright's tasks, so
`dockwright build --all` and `dockwright release --bump minor` work in any
repository. Two differences from `invoke`:

- Bare service names: after a task that takes `-s/--service`, a word that is
  neither a task name nor a flag (or a flag's value) becomes `--service WORD`,
  so `dockwright build backend frontend` means `dockwright build -s backend -s
  frontend`. invoke's parser cannot take several bare positional names, hence
  the rewrite before it parses. A service named like a task must still be
  given with `-s`.
- invoke's `Program` with a fixed namespace has no project location, so the
  repository's `invoke.yaml` is not read (settings live in `[tool.dockwright]`
  or dockwright.toml). Use `invoke` with the 3-line tasks.py to keep invoke.yaml.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from invoke.collection import Collection
from invoke.parser.argument import Argument
from invoke.parser.context import ParserContext
from invoke.program import Program

from dockwright import __version__
from dockwright.tasks import ns

program = Program(namespace=ns, name="dockwright", binary="dockwright", version=__version__)


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
    for context in collection.to_contexts():
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

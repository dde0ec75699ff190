"""What an env file holds: problems, variables, the parsed file, a variable's rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong with an env file; ``str()`` gives ``FILE:LINE VARIABLE: message``."""

    file: str
    line: int
    variable: str
    message: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where} {self.variable}: {self.message}"
            if self.variable
            else f"{where}: {self.message}"
        )


@dataclass(frozen=True, kw_only=True)
class EnvVar:
    """One variable of an env file: its value as compose hands it over, and its first line."""

    name: str
    value: str
    line: int


@dataclass(frozen=True, kw_only=True)
class EnvFile:
    """A parsed env file: its variables in file order, and the lines it could not read."""

    filename: str
    variables: Mapping[str, EnvVar] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def values(self) -> dict[str, str]:
        """Return ``{name: value}``."""
        return {name: var.value for name, var in self.variables.items()}


@dataclass(frozen=True, kw_only=True)
class Rule:
    """What `.env.example` says about one variable."""

    name: str
    line: int
    example: str = ""
    required: bool = False
    secret: bool = False
    kind: str = "str"
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    """Smallest value for int/port; shortest length for every other type."""
    maximum: int | None = None
    """Largest value (int/port only)."""
    prefix: str | None = None
    default: str | None = None
    preamble: tuple[str, ...] = ()
    """The raw lines (comments, blanks) between the previous variable and this one."""
    source: str = ""
    """The assignment as written (all its lines); generate_env copies it, so ${...} stay live."""

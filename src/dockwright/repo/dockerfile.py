"""The one Dockerfile reader: logical lines (continuations joined, comments dropped),
stages with their `AS` names, and the external base images they build from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_FROM = re.compile(r"FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*", re.I)
_ARG = re.compile(r"ARG\s+(\w+)(?:=(\S+))?", re.I)
_REFERENCE = re.compile(r"\$\{?(\w+)\}?")


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One `FROM` of a Dockerfile: its `AS` name ("" if none), base and line."""

    name: str
    base: str
    line: int


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, instruction) with `\\` continuations joined; comments and
    blank lines dropped, also between continued lines, as BuildKit reads them."""
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, (pending + line).strip()
        pending = ""
    if pending.strip():
        yield start, pending.strip()


def parse_stages(text: str) -> tuple[Stage, ...]:
    """The stages of a Dockerfile in order."""
    return tuple(
        Stage(name=m[2] or "", base=m[1], line=number)
        for number, line in logical_lines(text)
        if (m := _FROM.fullmatch(line))
    )


def base_images(text: str, build_args: dict[str, str] | None = None) -> tuple[str, ...]:
    """External images the Dockerfile builds FROM (stage references excluded), with
    `ARG`s declared before the first FROM (and `build_args` over them) substituted."""
    args = dict(build_args or {})
    stages: set[str] = set()
    bases: list[str] = []
    seen_from = False
    for _, line in logical_lines(text):
        if not seen_from and (m := _ARG.fullmatch(line)):
            args.setdefault(m[1], (m[2] or "").strip("\"'"))
        elif m := _FROM.fullmatch(line):
            seen_from = True
            ref = _REFERENCE.sub(lambda a: args.get(a[1], ""), m[1])
            if ref.lower() not in stages:
                bases.append(ref)
            if m[2]:
                stages.add(m[2].lower())
    return tuple(dict.fromkeys(bases))

"""Reading a `.env` as compose reads it: assignments, their text, ${...} interpolation.

Where each assignment starts and ends comes from ``dotenv.parser.parse_stream``
(python-dotenv, pinned: an internal API), which splits a file into bindings with
line numbers and flags malformed ones without dropping the lines after them. Its
*values* are not used: it unescapes ``\\\\`` in single quotes and ``\\'`` in double
quotes, ignores ``\\$``, drops ``KEY= #x`` and cuts comments at a tab, unlike
compose; and ``dotenv_values`` interpolates differently. So the text of each
binding is decoded and interpolated here.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from dotenv.parser import parse_stream

from dockwright.envfile._model import EnvFile, EnvVar, Problem

_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A key that looks like a (mistyped) name may be echoed; anything else may be a
# stray piece of a secret, so it is not.
_NAME_LIKE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# The same grammar as dotenv's parser: blanks, `export `, a key, blanks, `=`, blanks.
_HEAD_RE = re.compile(r"\s*(?:export[^\S\r\n]+)?(?P<key>[^=#\s]+)[^\S\r\n]*(?P<eq>=?)[^\S\r\n]*")
_QUOTED_RE = {
    "'": re.compile(r"'((?:\\.|[^'\\])*)'", re.S),
    '"': re.compile(r'"((?:\\.|[^"\\])*)"', re.S),
}
_QUOTE_NAMES = {"'": "single", '"': "double"}
_AFTER_QUOTE_RE = re.compile(r"[^\S\r\n]*(?:#[^\r\n]*)?\s*")
_NEWLINE_RE = re.compile(r"\r\n|\n|\r")
# compose-go's escapes in double quotes; `\$` becomes `$$`, a literal `$` to interpolation.
_DOUBLE_ESCAPE_RE = re.compile(r'\\(?:[abfnrtv"\\$]|0[0-9]{0,3})')
_DOUBLE_ESCAPES = {
    **{"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"},
    '"': '"',
    "\\": "\\",
    "$": "$$",
}
_BRACED_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?", re.S)


# -- reading: where assignments are, and their text -----------------------------------


@dataclass(frozen=True, kw_only=True)
class _Assignment:
    name: str
    line: int
    last_line: int
    source: str
    quote: str | None
    """``'``, ``"``, ``""`` (unquoted), or None for a bare ``KEY`` (from the environment)."""
    text: str = ""
    """The value unquoted and unescaped, not yet interpolated."""


_Fault = tuple[int, str, str]  # (line, variable, message)


def _newlines(text: str) -> int:
    return len(_NEWLINE_RE.findall(text))


def _unescape(quote: str, inner: str) -> str:
    if quote == "'":
        return re.sub(r"\\(.)", lambda m: m[1] if m[1] == "'" else m[0], inner, flags=re.S)

    def one(match: re.Match[str]) -> str:
        code = match[0][1:]
        if not code.startswith("0"):
            return _DOUBLE_ESCAPES[code]
        digits = code[1:]  # compose rewrites \0NNN to Go's \NNN: three octal digits or kept
        if re.fullmatch(r"[0-7]{3}", digits) and int(digits, 8) <= 0o377:
            return chr(int(digits, 8))
        return "\\" + digits

    return _DOUBLE_ESCAPE_RE.sub(one, inner)


def _assignment(source: str, line: int, malformed: bool) -> _Assignment | _Fault:
    """Read one binding's text (leading blanks stripped) as compose would."""
    not_assignment: _Fault = (line, "", "not a KEY=value line")  # never echo it: may be a secret
    head = _HEAD_RE.match(source)
    if head is None:
        return not_assignment
    name, rest = head["key"], source[head.end() :]
    if not _KEY_RE.fullmatch(name):
        if head["eq"] and _NAME_LIKE_RE.fullmatch(name):
            return (line, "", f"{name!r} is not a valid variable name")
        return not_assignment
    bare = _Assignment(
        name=name, line=line, last_line=line + _newlines(source), source=source, quote=None
    )
    if not head["eq"]:
        return not_assignment if malformed or rest.strip() else bare
    quote = rest[:1] if rest[:1] in _QUOTED_RE else ""
    if not quote:
        unquoted = _NEWLINE_RE.split(rest, maxsplit=1)[0]
        # compose-go cuts at " #": a space, not a tab, must come before the comment.
        return replace(bare, quote="", text=unquoted.split(" #", 1)[0].rstrip())
    closed = _QUOTED_RE[quote].match(rest)
    if closed is None:
        return (line, name, f"unterminated {_QUOTE_NAMES[quote]} quote")
    if malformed or not _AFTER_QUOTE_RE.fullmatch(rest[closed.end() :]):
        closing = line + _newlines(source[: head.end() + closed.end()])
        where = "" if closing == line else f" on line {closing} (a quote missing on line {line}?)"
        message = f"has text after its closing quote{where}; compose reads it as a line of its own"
        return (line, name, message)
    return replace(bare, quote=quote, text=_unescape(quote, closed[1]))


def _read(text: str) -> tuple[list[_Assignment], list[_Fault]]:
    """Every assignment of `text` in file order, and what could not be read."""
    assignments: list[_Assignment] = []
    faults: list[_Fault] = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is None and not binding.error:
            continue  # blank lines, comments
        original = binding.original.string
        source = original.lstrip()
        # dotenv's line is where the blanks before the binding start.
        line = binding.original.line + _newlines(original[: len(original) - len(source)])
        source = re.sub(r"(?:\r\n|\n|\r)\Z", "", source)
        found = _assignment(source, line, binding.error)
        if isinstance(found, _Assignment):
            assignments.append(found)
        else:
            faults.append(found)
    return assignments, faults


# -- interpolation --------------------------------------------------------------------


class _Refused(Exception):
    """Compose refuses the whole file over this value; str() says why."""


_UNSET = (
    "refers to {}, which is not set above it or in the environment; compose uses an empty string"
)
_INVALID_REFERENCE = "has an invalid ${...}; compose refuses the file (write $$ for a literal $)"


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise _Refused(_INVALID_REFERENCE)


def _braced(inner: str, lookup: Callable[[str], str | None], unset: list[str]) -> str:
    match = _BRACED_RE.fullmatch(inner)
    if match is None:
        raise _Refused(_INVALID_REFERENCE)
    name, op, arg = match[1], match[2] or "", match[3] or ""
    value = lookup(name)
    if not op:
        if value is None:
            unset.append(name)
        return value or ""
    # With a colon, an empty value counts as unset.
    present = value is not None and (value != "" or ":" not in op)
    if op.endswith("-"):
        return (value or "") if present else _interpolate(arg, lookup, unset)
    if op.endswith("+"):
        return _interpolate(arg, lookup, unset) if present else ""
    if not present:  # the error text after `?` is not repeated: it sits in the value
        state = "set and not empty" if ":" in op else "set"
        raise _Refused(
            f"needs {name} to be {state} (${{{name}{op}...}}); compose refuses the file without it"
        )
    return value or ""


def _interpolate(text: str, lookup: Callable[[str], str | None], unset: list[str]) -> str:
    """`text` with compose's ``$`` rules applied; names looked up and found unset go to `unset`."""
    out: list[str] = []
    i = 0
    while (dollar := text.find("$", i)) >= 0:
        out.append(text[i:dollar])
        after = text[dollar + 1 : dollar + 2]
        if after == "{":
            end = _closing_brace(text, dollar + 2)
            out.append(_braced(text[dollar + 2 : end], lookup, unset))
            i = end + 1
        elif name := _KEY_RE.match(text, dollar + 1):
            value = lookup(name[0])
            if value is None:
                unset.append(name[0])
            out.append(value or "")
            i = name.end()
        else:  # "$$" is one "$"; a "$" before anything else is itself
            out.append("$")
            i = dollar + (2 if after == "$" else 1)
    out.append(text[i:])
    return "".join(out)


def parse_env_text(
    text: str, filename: str, *, environ: Mapping[str, str] | None = None
) -> EnvFile:
    """Parse env-file `text` as compose would; values are interpolated with `environ`
    (default: the process environment), then the variables above. Malformed lines,
    duplicates and references compose refuses become problems, not exceptions."""
    env = os.environ if environ is None else environ
    assignments, faults = _read(text)
    warnings: list[_Fault] = []
    values: dict[str, str] = {}
    variables: dict[str, EnvVar] = {}

    def lookup(name: str) -> str | None:
        return env[name] if name in env else values.get(name)

    for found in assignments:
        unset: list[str] = []
        try:
            if found.quote is None:
                value = lookup(found.name)
            elif found.quote == "'":
                value = found.text
            else:
                value = _interpolate(found.text, lookup, unset)
        except _Refused as refused:
            faults.append((found.line, found.name, str(refused)))
            continue
        if value is None:
            message = "no `=`: compose takes this variable from the environment, where it is unset"
            faults.append((found.line, "", message))  # a lone word may be a piece of a secret
            continue
        warnings += [(found.line, found.name, _UNSET.format(name)) for name in dict.fromkeys(unset)]
        if found.name in variables:
            first = variables[found.name].line
            message = f"set twice (first on line {first}); compose uses this one, keep one"
            faults.append((found.line, found.name, message))
        variables[found.name] = EnvVar(name=found.name, value=value, line=found.line)
        values[found.name] = value
    problems = [
        Problem(file=filename, line=line, variable=name, message=message)
        for line, name, message in faults
    ] + [
        Problem(file=filename, line=line, variable=name, message=message, level="warning")
        for line, name, message in warnings
    ]
    problems.sort(key=lambda p: p.line)
    return EnvFile(filename=filename, variables=variables, problems=tuple(problems))

"""Strict `.env` parsing as compose reads it, validation against `.env.example` rules,
and generation.

`.env.example` documents every variable. A ``# @rule`` comment above a variable
(other comment lines may sit between, a blank line may not) types it::

    # Signing key for sessions.
    # @rule required, secret, min=32, prefix=sk-
    SECRET_KEY=sk-change-me

Keys, comma-separated (so values cannot contain commas): ``required`` or
``optional`` (the default), ``secret``, ``type=`` one of ``str`` (default),
``int``, ``port``, ``url``, ``postgres-url``, ``semver``, ``enum(a|b|c)``;
``min=N``, ``max=N``, ``prefix=TEXT``, ``default=VALUE``. For ``int`` and
``port``, ``min``/``max`` bound the number (``port`` is 1-65535 anyway); for
every other type ``min`` is a minimum length and ``max`` is refused.
``postgres-url`` also accepts SQLAlchemy's ``postgresql+DRIVER://`` form.

Values are read the way Docker Compose (2.26) reads an env file, checked by hand
against ``docker compose config`` (the rules, mostly documented, are at
https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/):

* ``KEY=value`` and ``export KEY=value``; a UTF-8 BOM and CRLF line ends are fine.
  A bare ``KEY`` takes the variable from the environment.
* Unquoted: leading and trailing blanks dropped, no escapes; `` #`` (a *space*
  then ``#``; a tab does not count) starts a comment. ``KEY= #x`` is ``#x``.
* ``'single'``: literal, only ``\\'`` is unescaped; may span lines.
* ``"double"``: escapes ``\\n \\r \\t \\a \\b \\f \\v \\" \\\\ \\$`` (and octal
  ``\\0NNN``), others are kept as written; may span lines; interpolated.
* Unquoted and double-quoted values are interpolated: ``$VAR``, ``${VAR}``,
  ``${VAR:-default}`` / ``${VAR-default}`` (default when empty-or-unset / unset),
  ``${VAR:+alt}`` / ``${VAR+alt}``, ``${VAR:?error}`` / ``${VAR?error}`` (compose
  refuses the file), ``$$`` for a literal ``$``; a ``$`` before anything else is
  kept. VAR is looked up in the process environment first, then among the
  variables set above it in the same file (compose's order: an exported variable
  wins). An unset VAR gives an empty string and a warning.

Where compose silently does something surprising we report it instead: text
after a closing quote (compose reads it as the next line: ``A="a" B=2`` sets B),
a variable set twice (compose keeps the last value, and so does EnvFile). Names
must be ``[A-Za-z_][A-Za-z0-9_]*`` (compose also takes ``.`` and ``-``, which
compose files cannot reference).

Where each assignment starts and ends comes from ``dotenv.parser.parse_stream``
(python-dotenv, pinned: an internal API), which splits a file into bindings with
line numbers and flags malformed ones without dropping the lines after them. Its
*values* are not used: it unescapes ``\\\\`` in single quotes and ``\\'`` in double
quotes, ignores ``\\$``, drops ``KEY= #x`` and cuts comments at a tab, unlike
compose; and ``dotenv_values`` interpolates differently. So the text of each
binding is decoded and interpolated here.

Problems are reported all at once, as ``FILE:LINE VARIABLE: what is wrong``; a
multi-line value is reported at its first line. A missing required variable is
reported at its rule in `.env.example` (the .env has no line for it). Values of
secret variables, and any value that contains one, never appear in a message, nor
does a secret's length; URLs appear with their password masked; other values are
quoted.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import semver
from dotenv.parser import parse_stream

from dockwright.errors import ConfigError, EnvFileError

TYPES: tuple[str, ...] = ("str", "int", "port", "url", "postgres-url", "semver", "enum")
NUMERIC_TYPES: tuple[str, ...] = ("int", "port")
MIN_SECRET_LENGTH = 32
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
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_RULE_LINE_RE = re.compile(r"\s*#\s*@rule(?:\s+(.*))?")
_ENUM_RE = re.compile(r"enum\(([^()]*)\)")
_BARE_VALUE_RE = re.compile(r"[A-Za-z0-9_./:@+,=%-]*")


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


def mask(value: str) -> str:
    """Stand-in for a secret value: fixed-width, so not even its length shows."""
    return "********" if value else ""


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


_RULE_HELP = (
    "use required, optional, secret, "
    "type=str|int|port|url|postgres-url|semver|enum(a|b), min=N, max=N, prefix=, default="
)


def _checked_bounds(rule: Rule, where: str) -> Rule:
    """Refuse min=/max= that make no sense for the rule's type."""
    if rule.kind in NUMERIC_TYPES:
        if rule.minimum is not None and rule.maximum is not None and rule.minimum > rule.maximum:
            raise ConfigError(f"{where}: min= is greater than max=")
    elif rule.maximum is not None:
        raise ConfigError(f"{where}: max= is for type=int or type=port")
    elif rule.minimum is not None and rule.minimum < 0:
        raise ConfigError(f"{where}: min= is a length for type={rule.kind}; it cannot be negative")
    return rule


def _parse_rule_spec(spec: str | None, where: str) -> Rule:
    """Parse the text after ``@rule`` into a Rule without name, line or example."""
    rule = Rule(name="", line=0)
    seen_presence = False
    for item in (part.strip() for part in (spec or "").split(",")):
        key, _, value = (text.strip() for text in item.partition("="))
        if item in ("required", "optional"):
            if seen_presence:
                raise ConfigError(f"{where}: @rule says required/optional twice")
            seen_presence = True
            rule = replace(rule, required=item == "required")
        elif item == "secret":
            rule = replace(rule, secret=True)
        elif key == "type" and (enum := _ENUM_RE.fullmatch(value)):
            choices = tuple(c.strip() for c in enum[1].split("|") if c.strip())
            if not choices:
                raise ConfigError(f"{where}: enum() needs at least one choice")
            rule = replace(rule, kind="enum", choices=choices)
        elif key == "type" and value in TYPES and value != "enum":
            rule = replace(rule, kind=value)
        elif key == "min" and _INTEGER_RE.fullmatch(value):
            rule = replace(rule, minimum=int(value))
        elif key == "max" and _INTEGER_RE.fullmatch(value):
            rule = replace(rule, maximum=int(value))
        elif key == "prefix" and value:
            rule = replace(rule, prefix=value)
        elif key == "default" and value:
            rule = replace(rule, default=value)
        else:
            raise ConfigError(f"{where}: unknown @rule item {item!r} ({_RULE_HELP})")
    return _checked_bounds(rule, where)


def parse_rules(example_text: str, filename: str) -> dict[str, Rule]:
    """Read the rules in `.env.example`, in file order. Raises ConfigError on the first fault.

    Example values are interpolated with the variables above them only (not the
    process environment), so rules do not depend on who reads them.
    """
    example_text = example_text.removeprefix("\ufeff")
    example = parse_env_text(example_text, filename, environ={})
    if errors := [p for p in example.problems if p.level == "error"]:
        raise ConfigError(str(errors[0]))
    assignments = {a.line: a for a in _read(example_text)[0]}
    lines = _NEWLINE_RE.split(example_text)
    if lines[-1] == "":
        lines.pop()
    rules: dict[str, Rule] = {}
    pending: tuple[int, Rule] | None = None
    preamble: list[str] = []
    inside_until = 0  # the last line of a multi-line value
    for number, line in enumerate(lines, start=1):
        if number <= inside_until:
            continue
        var = example.variables.get(assignments[number].name) if number in assignments else None
        if var is None:
            if rule_match := _RULE_LINE_RE.fullmatch(line):
                if pending is not None:
                    raise ConfigError(f"{filename}:{number}: second @rule for one variable")
                pending = (number, _parse_rule_spec(rule_match[1], f"{filename}:{number}"))
            elif not line.strip() and pending is not None:
                raise ConfigError(
                    f"{filename}:{pending[0]}: @rule is not directly above a variable"
                )
            preamble.append(line)
            continue
        inside_until = assignments[number].last_line
        base = pending[1] if pending else Rule(name="", line=0)
        rule = replace(
            base,
            name=var.name,
            line=number,
            example=var.value,
            preamble=tuple(preamble),
            source=assignments[number].source,
        )
        if rule.default is not None and (bad := _check_value(rule, rule.default, filename, number)):
            raise ConfigError(f"{filename}:{number} {var.name}: default {bad[0].message}")
        rules[var.name] = rule
        pending, preamble = None, []
    if pending is not None:
        raise ConfigError(f"{filename}:{pending[0]}: @rule is not directly above a variable")
    return rules


def _shown(rule: Rule, value: str, hidden: tuple[str, ...] = ()) -> str:
    """How a bad value may appear in a message (with a trailing space), or ''.

    `hidden`: secret values; a value holding one (through ${...}) is not shown.
    """
    if rule.secret or any(secret in value for secret in hidden):
        return ""
    if rule.kind in ("url", "postgres-url"):
        try:
            password = urlsplit(value).password
        except ValueError:
            return ""  # cannot tell where a password would be: show nothing
        if password:
            value = value.replace(f":{password}@", f":{mask(password)}@", 1)
    return f"{value!r} "


def _url_fault(rule: Rule, value: str) -> str | None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "has a malformed host or port"
    scheme = parts.scheme.lower()
    if rule.kind == "postgres-url":
        if scheme.split("+")[0] not in ("postgres", "postgresql"):
            return "does not start with postgresql://"
        if not parts.hostname:
            return "has no host"
        if not parts.path.strip("/"):
            return "has no database name"
        return None
    if not scheme or not parts.hostname:
        return "has no scheme://host"
    return None


def _type_fault(rule: Rule, value: str) -> str | None:
    kind = rule.kind
    if kind in NUMERIC_TYPES and not _INTEGER_RE.fullmatch(value):
        return "is not an integer" if kind == "int" else "is not a port number (1-65535)"
    if kind == "port" and not 1 <= int(value) <= 65535:
        return "is not a port number (1-65535)"
    if kind == "url" and (fault := _url_fault(rule, value)):
        return f"is not a URL: {fault} (expected e.g. https://host/path)"
    if kind == "postgres-url" and (fault := _url_fault(rule, value)):
        return (
            f"is not a Postgres URL: {fault} "
            "(expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
        )
    if kind == "semver" and not semver.Version.is_valid(value.removeprefix("v")):
        return "is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.4.2)"
    if kind == "enum" and value not in rule.choices:
        return f"is not one of: {', '.join(rule.choices)}"
    return None


def _bound_fault(rule: Rule, value: str) -> str | None:
    if rule.kind in NUMERIC_TYPES:
        if rule.minimum is not None and int(value) < rule.minimum:
            return f"is below the minimum of {rule.minimum}"
        if rule.maximum is not None and int(value) > rule.maximum:
            return f"is above the maximum of {rule.maximum}"
    elif rule.minimum is not None and len(value) < rule.minimum:
        return f"is shorter than {rule.minimum} characters"  # never the length: may be a secret
    return None


def _check_value(
    rule: Rule, value: str, filename: str, line: int, hidden: tuple[str, ...] = ()
) -> list[Problem]:
    faults = []
    shown = _shown(rule, value, hidden)
    if (fault := _type_fault(rule, value)) is not None:
        faults.append(shown + fault)
    elif (fault := _bound_fault(rule, value)) is not None:
        faults.append(shown + fault if rule.kind in NUMERIC_TYPES else fault)
    if rule.prefix and not value.startswith(rule.prefix):
        faults.append(f"must start with {rule.prefix!r}")
    return [Problem(file=filename, line=line, variable=rule.name, message=f) for f in faults]


def validate(
    env: EnvFile, rules: Mapping[str, Rule], *, example_filename: str = ".env.example"
) -> list[Problem]:
    """Return every problem of `env` against `rules`: parse errors, rule breaches, and
    (as warnings) variables `.env.example` does not document. Sorted by file, then line."""
    problems = list(env.problems)
    hidden = tuple(
        var.value
        for var in env.variables.values()
        if var.value and var.name in rules and rules[var.name].secret
    )
    for rule in rules.values():
        var = env.variables.get(rule.name)
        if var is not None and var.value != "":
            problems += _check_value(rule, var.value, env.filename, var.line, hidden)
        elif rule.required:
            file, line = (example_filename, rule.line) if var is None else (env.filename, var.line)
            state = f"missing from {env.filename}" if var is None else "empty"
            problems.append(
                Problem(file=file, line=line, variable=rule.name, message=f"required but {state}")
            )
    problems += [
        Problem(
            file=env.filename,
            line=var.line,
            variable=var.name,
            level="warning",
            message=f"not documented in {example_filename} (a typo, or add it there)",
        )
        for var in env.variables.values()
        if var.name not in rules
    ]
    return sorted(problems, key=lambda p: (p.file != env.filename, p.line))


def _format_value(value: str) -> str:
    """`value` written so compose reads it back unchanged."""
    if _BARE_VALUE_RE.fullmatch(value):
        return value
    if not any(c in value for c in "'\\\n\r"):
        return f"'{value}'"  # single quotes: literal, no $ interpolation
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _new_secret(rule: Rule, secret_factory: Callable[[int], str]) -> str:
    prefix = rule.prefix or ""
    needed = max(MIN_SECRET_LENGTH, rule.minimum or 0)
    value = prefix
    while len(value) < needed:
        value += secret_factory(needed)
    return value


def generate_env(
    rules: Mapping[str, Rule], *, secret_factory: Callable[[int], str] = secrets.token_urlsafe
) -> str:
    """Text of a fresh .env: `.env.example`'s comments, new random secrets, defaults elsewhere.

    Secrets of type ``str`` get ``prefix`` + `secret_factory` output, at least
    max(32, min) characters long. Every other variable gets its default, or
    else its example assignment as written, for a person to fill in (so a
    ``${OTHER}`` in it still follows OTHER, as in `.env.example`).
    """
    out: list[str] = []
    for rule in rules.values():
        out += rule.preamble
        if rule.secret and rule.kind == "str":
            out.append(f"{rule.name}={_format_value(_new_secret(rule, secret_factory))}")
        elif rule.default is not None:
            out.append(f"{rule.name}={_format_value(rule.default)}")
        else:
            out.append(rule.source or f"{rule.name}={_format_value(rule.example)}")
    return "\n".join(out) + "\n"


def _backup_path(path: Path, now: dt.datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    candidate, n = path.with_name(f"{path.name}.bak-{stamp}"), 1
    while candidate.exists():
        candidate, n = path.with_name(f"{path.name}.bak-{stamp}-{n}"), n + 1
    return candidate


def write_env_file(
    path: Path, text: str, *, force: bool, now: Callable[[], dt.datetime] = dt.datetime.now
) -> Path | None:
    """Write `text` to `path` with mode 0600.

    An existing file is refused (EnvFileError) unless `force`; then it is first
    moved to ``<path>.bak-<YYYYmmdd-HHMMSS>`` (mode 0600), whose path is returned.
    """
    backup: Path | None = None
    if path.exists():
        if not force:
            raise EnvFileError(
                f"{path} already exists; pass --force to replace it "
                "(the old file is kept as a backup)"
            )
        backup = _backup_path(path, now())
        os.replace(path, backup)
        os.chmod(backup, 0o600)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise EnvFileError(f"{path} appeared while writing it; run again") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
    return backup

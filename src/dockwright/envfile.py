"""Strict `.env` parsing, validation against `.env.example` rules, and generation.

`.env.example` documents every variable. A ``# @rule`` comment above a variable
(other comment lines may sit between, a blank line may not) types it::

    # Signing key for sessions.
    # @rule required, secret, min=32, prefix=sk-
    SECRET_KEY=sk-change-me

Keys, comma-separated (so values cannot contain commas): ``required`` or
``optional`` (the default), ``secret``, ``type=`` one of ``str`` (default),
``int``, ``port``, ``url``, ``postgres-url``, ``semver``, ``enum(a|b|c)``;
``min=N`` (minimum length), ``prefix=TEXT``, ``default=VALUE``. ``postgres-url``
also accepts SQLAlchemy's ``postgresql+DRIVER://`` form.

The parser is our own, line by line, because ``dotenv_values`` skips malformed
lines with a warning. It takes ``KEY=value``, ``export KEY=value``, single quotes
(literal), double quotes (``\\n \\t \\r \\" \\\\`` escapes), ``#`` comment lines and
`` #`` comments after unquoted values. Quoted values end on their line: write
``\\n`` for a newline. An empty value counts as unset.

Problems are reported all at once, as ``FILE:LINE VARIABLE: what is wrong``.
A missing required variable is reported at its rule in `.env.example` (the .env
has no line for it). Values of secret variables never appear in a message; URLs
appear with their password masked; other values are quoted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import semver

from dockwright.errors import ConfigError, EnvFileError

TYPES: tuple[str, ...] = ("str", "int", "port", "url", "postgres-url", "semver", "enum")
MIN_SECRET_LENGTH = 32
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN_RE = re.compile(r"\s*(?:export\s+)?([^=\s]*)\s*=(.*)")
_RULE_LINE_RE = re.compile(r"\s*#\s*@rule(?:\s+(.*))?")
_ENUM_RE = re.compile(r"enum\(([^()]*)\)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}
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
    """One assignment in an env file."""

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
    min_length: int | None = None
    prefix: str | None = None
    default: str | None = None
    preamble: tuple[str, ...] = ()
    """The raw lines (comments, blanks) between the previous variable and this one."""


def mask(value: str) -> str:
    """Stand-in for a secret value: fixed-width, so not even its length shows."""
    return "********" if value else ""


def _unquote(after_equals: str) -> tuple[str, str | None]:
    """Return (value, error) for the text after ``=``."""
    raw = after_equals.lstrip()
    if raw[:1] in ("'", '"'):
        quote, chars, i = raw[0], [], 1
        while i < len(raw) and raw[i] != quote:
            if quote == '"' and raw[i] == "\\" and i + 1 < len(raw):
                chars.append(_ESCAPES.get(raw[i + 1], raw[i : i + 2]))
                i += 2
                continue
            chars.append(raw[i])
            i += 1
        if i >= len(raw):
            kind = "single" if quote == "'" else "double"
            return "", f"unterminated {kind} quote"
        rest = raw[i + 1 :]
        if rest.strip() and not re.match(r"\s+#", rest):
            return "", "unexpected text after the closing quote"
        return "".join(chars), None
    # Compose: "Inline comments for unquoted values must be preceded with a space."
    comment = re.search(r"\s#", after_equals)
    return (after_equals[: comment.start()] if comment else after_equals).strip(), None


def parse_env_text(text: str, filename: str) -> EnvFile:
    """Parse env-file `text`; malformed lines and duplicates become problems, not exceptions."""
    variables: dict[str, EnvVar] = {}
    faults: list[tuple[int, str, str]] = []  # (line, variable, message)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = _ASSIGN_RE.fullmatch(line)
        if match is None:
            faults.append((number, "", "not a KEY=value line"))  # never echo it: may be a secret
            continue
        name, (value, error) = match[1], _unquote(match[2])
        if not _KEY_RE.fullmatch(name):
            faults.append((number, "", f"{name!r} is not a valid variable name"))
        elif error is not None:
            faults.append((number, name, error))
        elif name in variables:
            first = variables[name].line
            faults.append((number, name, f"set twice (first on line {first}); keep one"))
        else:
            variables[name] = EnvVar(name=name, value=value, line=number)
    problems = tuple(
        Problem(file=filename, line=line, variable=name, message=message)
        for line, name, message in faults
    )
    return EnvFile(filename=filename, variables=variables, problems=problems)


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
        elif key == "min" and value.isdigit():
            rule = replace(rule, min_length=int(value))
        elif key == "prefix" and value:
            rule = replace(rule, prefix=value)
        elif key == "default" and value:
            rule = replace(rule, default=value)
        else:
            raise ConfigError(
                f"{where}: unknown @rule item {item!r} (use required, optional, secret, "
                "type=str|int|port|url|postgres-url|semver|enum(a|b), min=N, prefix=, default=)"
            )
    return rule


def parse_rules(example_text: str, filename: str) -> dict[str, Rule]:
    """Read the rules in `.env.example`, in file order. Raises ConfigError on the first fault."""
    example = parse_env_text(example_text, filename)
    if example.problems:
        raise ConfigError(str(example.problems[0]))
    by_line = {var.line: var for var in example.variables.values()}
    rules: dict[str, Rule] = {}
    pending: tuple[int, Rule] | None = None
    preamble: list[str] = []
    for number, line in enumerate(example_text.splitlines(), start=1):
        var = by_line.get(number)
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
        base = pending[1] if pending else Rule(name="", line=0)
        rule = replace(
            base, name=var.name, line=number, example=var.value, preamble=tuple(preamble)
        )
        if rule.default is not None and (bad := _check_value(rule, rule.default, filename, number)):
            raise ConfigError(f"{filename}:{number} {var.name}: default {bad[0].message}")
        rules[var.name] = rule
        pending, preamble = None, []
    if pending is not None:
        raise ConfigError(f"{filename}:{pending[0]}: @rule is not directly above a variable")
    return rules


def _shown(rule: Rule, value: str) -> str:
    """How a bad value may appear in a message (with a trailing space), or ''."""
    if rule.secret:
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
    if kind in ("int", "port") and not re.fullmatch(r"[+-]?\d+", value):
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


def _check_value(rule: Rule, value: str, filename: str, line: int) -> list[Problem]:
    faults = []
    if (fault := _type_fault(rule, value)) is not None:
        faults.append(_shown(rule, value) + fault)
    if rule.prefix and not value.startswith(rule.prefix):
        faults.append(f"must start with {rule.prefix!r}")
    if rule.min_length is not None and len(value) < rule.min_length:
        faults.append(f"is {len(value)} characters, needs at least {rule.min_length}")
    return [Problem(file=filename, line=line, variable=rule.name, message=f) for f in faults]


def validate(
    env: EnvFile, rules: Mapping[str, Rule], *, example_filename: str = ".env.example"
) -> list[Problem]:
    """Return every problem of `env` against `rules`: parse errors, rule breaches, and
    (as warnings) variables `.env.example` does not document. Sorted by file, then line."""
    problems = list(env.problems)
    for rule in rules.values():
        var = env.variables.get(rule.name)
        if var is not None and var.value != "":
            problems += _check_value(rule, var.value, env.filename, var.line)
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
    if _BARE_VALUE_RE.fullmatch(value):
        return value
    if not any(c in value for c in "'\n\r"):
        return f"'{value}'"  # literal in our parser and in compose: no $ interpolation
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _new_secret(rule: Rule, secret_factory: Callable[[int], str]) -> str:
    prefix = rule.prefix or ""
    needed = max(MIN_SECRET_LENGTH, rule.min_length or 0)
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
    else its example value for a person to fill in.
    """
    out: list[str] = []
    for rule in rules.values():
        out += rule.preamble
        if rule.secret and rule.kind == "str":
            value = _new_secret(rule, secret_factory)
        else:
            value = rule.default if rule.default is not None else rule.example
        out.append(f"{rule.name}={_format_value(value)}")
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

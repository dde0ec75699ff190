"""The ``# @rule`` language of `.env.example`, and validation of an env file against it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlsplit

import semver

from dockwright.discover import looks_secret
from dockwright.envfile._model import EnvFile, Problem, Rule, mask
from dockwright.envfile._syntax import _NEWLINE_RE, _read, parse_env_text
from dockwright.errors import ConfigError

TYPES: tuple[str, ...] = ("str", "int", "port", "url", "postgres-url", "semver", "enum")
NUMERIC_TYPES: tuple[str, ...] = ("int", "port")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_RULE_LINE_RE = re.compile(r"\s*#\s*@rule(?:\s+(.*))?")
_ENUM_RE = re.compile(r"enum\(([^()]*)\)")


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
        # Without a @rule, a name that says it is a secret (POSTGRES_PASSWORD, API_KEY)
        # is one: masked in every message, and generated by `env.init`.
        base = pending[1] if pending else Rule(name="", line=0, secret=looks_secret(var.name))
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

"""A fresh `.env` from `.env.example`'s rules, with new secrets, written without clobbering."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from dockwright.envfile._model import Rule
from dockwright.errors import EnvFileError

MIN_SECRET_LENGTH = 32
_BARE_VALUE_RE = re.compile(r"[A-Za-z0-9_./:@+,=%-]*")


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

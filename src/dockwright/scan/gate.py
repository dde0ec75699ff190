"""The severity gate and its ignore list (`.dockwright/scan-ignore.toml`).

An ignore entry silences one finding id, optionally only for one package or
image, for a stated reason and until a date::

    [[ignore]]
    id = "CVE-2019-18276"
    package = "bash"              # optional: only this package
    image = "todo-backend"        # optional: glob on the image reference
    reason = "bash is not reachable from the app; no fix in debian yet"
    expires = 2026-12-31          # last day the entry applies

An entry past its expiry stops ignoring and is reported as expired, so an
exception is never silently permanent.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockwright.errors import ConfigError, ScanError
from dockwright.scan.model import Finding, Severity, plural, sort_findings

IGNORE_FILE = Path(".dockwright/scan-ignore.toml")

_REQUIRED = ("id", "reason", "expires")
_OPTIONAL = ("package", "image")


@dataclass(frozen=True, kw_only=True)
class Ignore:
    """One reasoned, dated exception from the gate."""

    id: str
    reason: str
    expires: dt.date
    package: str = ""
    image: str = ""
    source: str = ""  # "<file> entry <n>", for messages

    def is_expired(self, today: dt.date) -> bool:
        """True once `today` is after `expires` (the expiry day itself still applies)."""
        return today > self.expires

    def matches(self, finding: Finding) -> bool:
        """Same id (any case), and the same package and image when those are given."""
        if finding.id.casefold() != self.id.casefold():
            return False
        if self.package and finding.package != self.package:
            return False
        return not self.image or any(
            fnmatch.fnmatchcase(name, self.image) for name in image_names(finding.image)
        )


@dataclass(frozen=True, kw_only=True)
class IgnoredFinding:
    """A finding the gate let through, and the entry that allowed it."""

    finding: Finding
    entry: Ignore


@dataclass(frozen=True, kw_only=True)
class GateVerdict:
    """What the gate decided, with everything a report needs to explain it."""

    fail_on: Severity | None
    blocking: tuple[Finding, ...] = ()
    ignored: tuple[IgnoredFinding, ...] = ()
    below_threshold: tuple[Finding, ...] = ()
    expired: tuple[Ignore, ...] = ()
    unscanned: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """No blocking finding, and every image was actually scanned."""
        return not self.blocking and not self.unscanned

    def summary(self) -> str:
        """One line for people: the decision and, when it failed, what to do."""
        threshold = self.fail_on.name if self.fail_on is not None else "none"
        if self.passed:
            extra = f"{len(self.below_threshold)} below threshold, {len(self.ignored)} ignored"
            return f"scan gate passed: nothing at or above {threshold} ({extra})"
        problems = []
        if self.blocking:
            tally = Counter(f.severity for f in self.blocking)
            per = ", ".join(f"{tally[s]} {s.name}" for s in Severity.descending() if tally[s])
            images = ", ".join(sorted({f.image for f in self.blocking}))
            found = plural(len(self.blocking), "finding")
            problems.append(f"{found} at or above {threshold} ({per}) in {images}")
        if self.unscanned:
            problems.append(f"not scanned: {', '.join(self.unscanned)}")
        if self.expired:
            problems.append(
                plural(len(self.expired), "expired ignore entry", "expired ignore entries")
            )
        return (
            f"scan gate failed: {'; '.join(problems)}; fix them, or add an entry with a reason "
            f"and an expiry date to {IGNORE_FILE}"
        )


def evaluate(
    findings: Iterable[Finding],
    fail_on: Severity | None,
    ignores: Sequence[Ignore],
    today: dt.date,
    *,
    unscanned: Sequence[str] = (),
) -> GateVerdict:
    """Split findings into blocking, ignored and below-threshold ones.

    `fail_on=None` reports without ever blocking. UNKNOWN is the lowest
    severity: it blocks only with `fail_on=UNKNOWN`. Images in `unscanned`
    (their scan did not run) fail the gate whatever the findings say.
    """
    active = [entry for entry in ignores if not entry.is_expired(today)]
    blocking: list[Finding] = []
    ignored: list[IgnoredFinding] = []
    below: list[Finding] = []
    for finding in findings:
        entry = next((e for e in active if e.matches(finding)), None)
        if entry is not None:
            ignored.append(IgnoredFinding(finding=finding, entry=entry))
        elif fail_on is not None and finding.severity >= fail_on:
            blocking.append(finding)
        else:
            below.append(finding)
    return GateVerdict(
        fail_on=fail_on,
        blocking=sort_findings(blocking),
        ignored=tuple(sorted(ignored, key=lambda i: (-i.finding.severity, i.finding.id))),
        below_threshold=sort_findings(below),
        expired=tuple(entry for entry in ignores if entry.is_expired(today)),
        unscanned=tuple(unscanned),
    )


def check(verdict: GateVerdict) -> None:
    """Raise ScanError with the verdict's one-line summary when the gate failed."""
    if not verdict.passed:
        raise ScanError(verdict.summary())


def load_ignores(path: Path = IGNORE_FILE) -> tuple[Ignore, ...]:
    """The entries of an ignore file; no file means no exceptions."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    return parse_ignores(text, source=str(path))


def parse_ignores(text: str, *, source: str) -> tuple[Ignore, ...]:
    """Validate an ignore file; any bad entry is a ConfigError naming file and entry."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML ({error}); fix the syntax") from error
    unknown = set(document) - {"ignore"}
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; "
            "the file holds only [[ignore]] entries"
        )
    entries = document.get("ignore", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: `ignore` must be an array of tables ([[ignore]])")
    return tuple(_entry(raw, f"{source} entry {n}") for n, raw in enumerate(entries, start=1))


def image_names(ref: str) -> tuple[str, ...]:
    """Names an `image` pattern is tried on: the reference, without tag, and its last part.

    `localhost:5000/todo-backend:1.4.2` gives itself, `localhost:5000/todo-backend`
    and `todo-backend`.
    """
    bare = ref.split("@", 1)[0]
    head, _, last = bare.rpartition("/")
    if ":" in last:
        last = last.split(":", 1)[0]
    repository = f"{head}/{last}" if head else last
    return tuple(dict.fromkeys((ref, repository, last)))


def _entry(raw: object, where: str) -> Ignore:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: not a table; write it as an [[ignore]] block")
    label = f"{where} (id {raw['id']})" if isinstance(raw.get("id"), str) else where

    def bad(problem: str) -> ConfigError:
        return ConfigError(
            f"{label}: {problem}; every entry needs id, reason and expires = YYYY-MM-DD"
        )

    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(sorted(unknown))}")
    for key in _REQUIRED:
        if key not in raw or raw[key] == "":
            raise bad(f"missing required '{key}'")
    for key in ("id", "reason", *_OPTIONAL):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            raise bad(f"'{key}' must be a non-empty string")
    expires = _date(raw["expires"])
    if expires is None:
        raise bad(f"'expires' must be a date like 2026-12-31, not {raw['expires']!r}")
    return Ignore(
        id=raw["id"].strip(),
        reason=raw["reason"].strip(),
        expires=expires,
        package=str(raw.get("package", "")).strip(),
        image=str(raw.get("image", "")).strip(),
        source=where,
    )


def _date(value: object) -> dt.date | None:
    # TOML has a date type (expires = 2026-12-31); a quoted "2026-12-31" is accepted too.
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

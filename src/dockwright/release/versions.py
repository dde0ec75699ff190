"""Semantic versions of the project, read from and written to the `VERSION` file.

Bump rules (semver 2.0 precedence; every result is strictly greater than the input):

- ``major`` / ``minor`` / ``patch``: on a stable version, the usual increment
  (``1.4.2`` -> ``2.0.0`` / ``1.5.0`` / ``1.4.3``). On a prerelease, *finalise if
  the pending release already is at that level*: ``1.4.0-rc.1`` + minor ->
  ``1.4.0`` (the rc was already a minor release in the making), but
  ``1.4.1-rc.1`` + minor -> ``1.5.0``; ``2.0.0-rc.1`` + major -> ``2.0.0``;
  any prerelease + patch -> its own final version. Same as semver's
  ``Version.next_version``, not its ``bump_*`` methods (``bump_minor`` would skip
  ``1.4.0`` entirely).
- ``prerelease``: on a stable version, start the next patch: ``1.4.0`` ->
  ``1.4.1-rc.1``. On a prerelease with the same label, count up:
  ``1.4.0-rc.1`` -> ``1.4.0-rc.2``. Switching label stays on the same core
  version and restarts at 1 (``1.4.0-alpha.3`` + beta -> ``1.4.0-beta.1``) only
  when that moves forward (alpha < beta < rc); moving back
  (``1.4.0-rc.1`` + beta) is refused, because ``1.4.0-beta.1`` sorts *before*
  ``1.4.0-rc.1``. (semver's own ``next_version`` would silently jump to
  ``1.4.1-beta.1``.)
- ``release``: finalise a prerelease (``1.4.0-rc.2`` -> ``1.4.0``); refused on a
  stable version.

Build metadata (``+...``) is dropped by every bump.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import semver

from dockwright.errors import VersionError

BUMPS: tuple[str, ...] = ("major", "minor", "patch", "prerelease", "release")
"""Every bump `next_version` accepts, in display order."""

PRERELEASE_LABELS: tuple[str, ...] = ("alpha", "beta", "rc")
"""Prerelease labels, in ascending semver precedence."""


def parse_version(text: str, *, source: str = "VERSION") -> semver.Version:
    """Parse ``MAJOR.MINOR.PATCH[-PRE][+BUILD]``, allowing one leading ``v``.

    Surrounding whitespace is ignored. `source` names where the text came from
    in the error message.
    """
    candidate = text.strip()
    if candidate.startswith("v"):
        candidate = candidate[1:]
    try:
        return semver.Version.parse(candidate)
    except (ValueError, TypeError):
        raise VersionError(
            f"{source}: {text.strip()!r} is not a semantic version "
            "(expected MAJOR.MINOR.PATCH, e.g. 1.4.2)"
        ) from None


def _as_version(value: str | semver.Version) -> semver.Version:
    return value if isinstance(value, semver.Version) else parse_version(value)


def _core(v: semver.Version) -> semver.Version:
    return semver.Version(v.major, v.minor, v.patch)


def _next_prerelease(current: semver.Version, pre: str) -> semver.Version:
    if not current.prerelease:
        return semver.Version(current.major, current.minor, current.patch + 1, f"{pre}.1")
    parts = current.prerelease.split(".")
    if parts[0] == pre:
        # Same label: count up the last number, or start counting (`rc` -> `rc.1`).
        if parts[-1].isdigit():
            parts[-1] = str(int(parts[-1]) + 1)
        else:
            parts.append("1")
        return _core(current).replace(prerelease=".".join(parts))
    candidate = _core(current).replace(prerelease=f"{pre}.1")
    if candidate <= current:
        order = " < ".join(PRERELEASE_LABELS)
        keep = f"keep --pre {parts[0]} or " if parts[0] in PRERELEASE_LABELS else ""
        raise VersionError(
            f"cannot bump {current} to {pre}: {candidate} sorts before it "
            f"({order}); {keep}release {_core(current)} first"
        )
    return candidate


def next_version(current: str | semver.Version, bump: str, pre: str = "rc") -> semver.Version:
    """Return the version after applying `bump` to `current` (see the module docstring).

    `pre` is the prerelease label used by ``bump="prerelease"``.
    Raises VersionError for an unknown bump or label, a backwards label switch,
    or ``release`` on a stable version.
    """
    if bump not in BUMPS:
        raise VersionError(f"unknown bump {bump!r} (choose one of: {', '.join(BUMPS)})")
    if pre not in PRERELEASE_LABELS:
        raise VersionError(
            f"unknown prerelease label {pre!r} (choose one of: {', '.join(PRERELEASE_LABELS)})"
        )
    v = _as_version(current)
    pending = v.prerelease is not None
    if bump == "major":
        if pending and v.minor == 0 and v.patch == 0:
            return _core(v)
        return semver.Version(v.major + 1, 0, 0)
    if bump == "minor":
        if pending and v.patch == 0:
            return _core(v)
        return semver.Version(v.major, v.minor + 1, 0)
    if bump == "patch":
        return _core(v) if pending else semver.Version(v.major, v.minor, v.patch + 1)
    if bump == "prerelease":
        return _next_prerelease(v, pre)
    if not pending:
        raise VersionError(
            f"{v} is already a release; bump major, minor or patch (or prerelease) instead"
        )
    return _core(v)


def bump_table(current: str | semver.Version, pre: str = "rc") -> dict[str, semver.Version | None]:
    """Map every bump in `BUMPS` to the version it would produce, or None if refused.

    Used by ``invoke version`` to show what each ``--bump`` would do.
    """
    table: dict[str, semver.Version | None] = {}
    for bump in BUMPS:
        try:
            table[bump] = next_version(current, bump, pre)
        except VersionError:
            table[bump] = None
    return table


def read_version(path: Path) -> semver.Version:
    """Read and parse the `VERSION` file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VersionError(
            f"{path}: file not found; create it containing the current version, e.g. 0.1.0"
        ) from None
    return parse_version(text, source=str(path))


def write_version(path: Path, version: str | semver.Version) -> None:
    """Write `version` (without ``v``) and a newline to `path`, atomically."""
    v = _as_version(version)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"{v}\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

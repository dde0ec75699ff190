"""Image tags for a version, modelled on docker/metadata-action's semver rules.

A stable release ``1.4.2`` is tagged ``1.4.2``, ``1.4``, ``1``, ``latest`` and
``sha-<short>``; a prerelease only ``1.4.0-rc.1`` and ``sha-<short>``
(metadata-action: prereleases "will only extend {{version}}").

Unlike metadata-action, which moves every floating tag on every release, a
floating tag moves only when this version is the highest *stable* version in
its scope among those already published plus itself: releasing ``1.3.5`` after
``1.4.0`` moves ``1.3`` but leaves ``1`` and ``latest`` on ``1.4.0``.
Re-releasing the highest version keeps its floating tags.

Families. ``Flavor.prefix``/``suffix`` go on every tag, ``sha-`` and ``latest``
included: ``debian-1.4.2``, ``debian-1.4``, ``debian-1``, ``debian-latest``,
``debian-sha-0123abc``; ``1.4.2-alpine`` ... ``latest-alpine``. The tags with
one prefix and suffix form a *family*, an image variant with its own floating
tags, and the highest-published rule above applies within each family alone:

- Reading the registry, a tag belongs to the family only if it is exactly
  ``<prefix><semver><suffix>``; the prefix and suffix are stripped and the rest
  parsed as above. Plain ``1.5.0`` does not count for the ``-alpine`` family,
  and ``1.5.0-alpine`` does not count for the plain family (it would read as
  prerelease ``alpine`` of ``1.5.0``, and prereleases are ignored), so another
  variant's higher versions neither hold back nor move this variant's tags.
- Only with an empty prefix is a leading ``v`` also accepted (``v1.4.5`` reads
  as ``1.4.5``, as a release version may be written ``v1.4.5`` too). With a
  prefix the tag must start with exactly it: prefix ``v`` reads ``v1.4.5``, but
  not ``1.4.5``, nor ``vv1.4.5``.
- A decorated family never moves the bare ``latest``: two variants would fight
  over it. It gets ``latest`` with its own prefix and suffix (metadata-action's
  ``onlatest=true``); ``Flavor.latest`` turns it off. The one exception is the
  prefix ``v`` alone: it marks a version style (``v1.4.2``), not an image
  variant, so its latest tag is the bare ``latest`` (nobody pulls ``vlatest``).

Other choices, each tested:

- Major version zero gets its bare major tag too (``0.2.0`` -> ``0.2.0``,
  ``0.2``, ``0``, ``latest``), as our release process promises; a team that
  considers ``0`` a trap simply does not pull it.
- Build metadata stays in the full-version tag with ``+`` turned into ``-``
  (``1.4.2+build.5`` -> ``1.4.2-build.5``): metadata-action's ``sanitizeTag``
  replaces every run of characters a Docker tag cannot hold with ``-``, and its
  maintainers include build metadata in the version tag (docker/metadata-action#384).
  Build metadata never affects precedence, so floating tags ignore it. (Read
  back from a registry, ``1.4.2-build.5`` or ``1.4.2-build.5-alpine`` looks like
  a prerelease of its family and is ignored.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import semver

from dockwright.errors import ConfigError, VersionError
from dockwright.release.versions import parse_version

TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
"""A valid Docker tag (distribution reference grammar)."""

_SHA_RE = re.compile(r"[0-9a-fA-F]{7,64}")
_TAG_CHARS_RE = re.compile(r"[A-Za-z0-9_.-]*")
_INVALID_RUN_RE = re.compile(r"[^A-Za-z0-9_.-]+")
SHORT_SHA_LENGTH = 7


@dataclass(frozen=True, kw_only=True)
class Flavor:
    """How tags are decorated: the family's prefix/suffix, and whether ``latest`` is wanted."""

    prefix: str = ""
    suffix: str = ""
    latest: bool = True

    def __post_init__(self) -> None:
        for name, value in (("prefix", self.prefix), ("suffix", self.suffix)):
            if not _TAG_CHARS_RE.fullmatch(value):
                raise ConfigError(
                    f"tag {name} {value!r} may only contain letters, digits, '_', '.' and '-'"
                )
        if self.prefix[:1] in (".", "-"):
            raise ConfigError(f"tag prefix {self.prefix!r} must not start with '.' or '-'")


DEFAULT_FLAVOR = Flavor()


@dataclass(frozen=True, kw_only=True)
class TagPlan:
    """The tags one build gets.

    `immutable` tags name exactly this build (full version, ``sha-``) and must
    never be overwritten; `floating` tags (``1.4``, ``1``, ``latest``) move.
    """

    immutable: tuple[str, ...]
    floating: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        """Every tag in display order: version, major.minor, major, latest, sha."""
        return (*self.immutable[:1], *self.floating, *self.immutable[1:])


def short_sha(sha: str) -> str:
    """Return the 7-character lowercase short form of a git commit sha."""
    cleaned = sha.strip()
    if not _SHA_RE.fullmatch(cleaned):
        raise VersionError(f"{sha!r} is not a git commit sha (expected 7 to 64 hexadecimal digits)")
    return cleaned[:SHORT_SHA_LENGTH].lower()


def sanitize_tag(text: str) -> str:
    """Replace every run of characters a Docker tag cannot hold with ``-``."""
    return _INVALID_RUN_RE.sub("-", text)


def _decorate(tag: str, flavor: Flavor) -> str:
    return _checked(f"{flavor.prefix}{tag}{flavor.suffix}")


def _latest(flavor: Flavor) -> str:
    if (flavor.prefix, flavor.suffix) == ("v", ""):
        return "latest"  # a version style, not a variant (see the module docstring)
    return _decorate("latest", flavor)


def _checked(tag: str) -> str:
    if not TAG_RE.fullmatch(tag):
        raise VersionError(
            f"{tag!r} is not a valid image tag (at most 128 letters, digits, '_', '.', '-'); "
            "shorten the tag prefix/suffix"
        )
    return tag


def _family_version(tag: str, flavor: Flavor) -> str | None:
    """The version part of `tag` if it is ``<prefix><version><suffix>``, else None."""
    if len(tag) < len(flavor.prefix) + len(flavor.suffix):
        return None
    if not (tag.startswith(flavor.prefix) and tag.endswith(flavor.suffix)):
        return None
    candidate = tag[len(flavor.prefix) : len(tag) - len(flavor.suffix)]
    if not flavor.prefix:
        candidate = candidate.removeprefix("v")
    return candidate


def _published_stable(published: Iterable[str], flavor: Flavor) -> list[tuple[int, int, int]]:
    """Cores of the stable versions among this family's registry tags; anything else is ignored."""
    cores = []
    for tag in published:
        candidate = _family_version(tag, flavor)
        if candidate is None or not semver.Version.is_valid(candidate):
            continue
        v = semver.Version.parse(candidate)
        if v.prerelease is None:
            cores.append((v.major, v.minor, v.patch))
    return cores


def plan_tags(
    version: str | semver.Version,
    *,
    sha: str,
    published: Iterable[str] = (),
    flavor: Flavor = DEFAULT_FLAVOR,
) -> TagPlan:
    """Plan the tags of a release build of `version` made from commit `sha`.

    `published` are the tags already in the registry (any strings; only full
    semantic versions of `flavor`'s family are considered). See the module
    docstring for the rules.
    """
    v = version if isinstance(version, semver.Version) else parse_version(version, source="version")
    sha_tag = _decorate(f"sha-{short_sha(sha)}", flavor)
    full_tag = _decorate(sanitize_tag(str(v)), flavor)
    if v.prerelease is not None:
        return TagPlan(immutable=(full_tag, sha_tag))

    core = (v.major, v.minor, v.patch)
    stable = _published_stable(published, flavor)
    floating: list[str] = []
    if all(core >= p for p in stable if p[:2] == core[:2]):
        floating.append(_decorate(f"{v.major}.{v.minor}", flavor))
    if all(core >= p for p in stable if p[0] == v.major):
        floating.append(_decorate(str(v.major), flavor))
    if flavor.latest and all(core >= p for p in stable):
        floating.append(_latest(flavor))
    return TagPlan(immutable=(full_tag, sha_tag), floating=tuple(floating))

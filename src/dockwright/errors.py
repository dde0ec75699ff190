"""One root error, a subclass per area, each with its own exit code.

The task layer catches `DockwrightError` once and prints `str(error)`: one line
saying what failed, on what, and what to do.
"""

from __future__ import annotations


class DockwrightError(Exception):
    """Root of every error dockwright reports to a person."""

    exit_code = 1


class ConfigError(DockwrightError):
    """Bad or missing configuration ([tool.dockwright], compose files, VERSION)."""

    exit_code = 2


class EngineError(DockwrightError):
    """The Docker engine is missing, unreachable or refused a call."""

    exit_code = 3


class BuildError(DockwrightError):
    """One or more images failed to build."""

    exit_code = 4


class PolicyError(DockwrightError):
    """An image broke the policy gate."""

    exit_code = 5


class EnvFileError(DockwrightError):
    """A .env file does not satisfy the rules in .env.example."""

    exit_code = 6


class VersionError(DockwrightError):
    """An invalid version or bump."""

    exit_code = 7


class RegistryError(DockwrightError):
    """A registry is unreachable, refuses credentials, or holds a conflicting tag."""

    exit_code = 8


class ReleaseError(DockwrightError):
    """A release step failed; the message says which and how to resume."""

    exit_code = 9


class ScanError(DockwrightError):
    """A vulnerability gate failed."""

    exit_code = 10


class ScannerUnavailableError(DockwrightError):
    """A scanner could not run at all (missing plugin, no login, no database)."""

    exit_code = 11


class VulnerabilityDatabaseError(ScannerUnavailableError):
    """The vulnerability scan cannot run: no database, and none can be downloaded."""


class StackError(DockwrightError):
    """A compose stack did not come up healthy."""

    exit_code = 12


class SmokeError(DockwrightError):
    """An end-to-end smoke step failed on the running stack."""

    exit_code = 13

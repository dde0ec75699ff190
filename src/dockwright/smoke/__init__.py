"""The end-to-end smoke of a stack, driven by its compose files and
`[tool.dockwright.smoke]`.

Public names: the settings (`SmokeSettings`, `HttpCheck`, `BrowserSettings`,
`BrowserStep`), the model (`Step`, `Event`, `SmokeResult`) and the verdicts
(`health_problems`, `seed_problems`, `http_problems`, `hardening_problems`). The
runner is `dockwright.smoke.runner` (`run_smoke`, `plan_steps`): it is not
imported here, because `dockwright.config` imports the settings from this package.
"""

from dockwright.smoke.checks import (
    hardening_problems,
    health_problems,
    http_problems,
    seed_problems,
)
from dockwright.smoke.model import Event, SmokeResult, Step
from dockwright.smoke.settings import BrowserSettings, BrowserStep, HttpCheck, SmokeSettings

__all__ = [
    "BrowserSettings",
    "BrowserStep",
    "Event",
    "HttpCheck",
    "SmokeResult",
    "SmokeSettings",
    "Step",
    "hardening_problems",
    "health_problems",
    "http_problems",
    "seed_problems",
]

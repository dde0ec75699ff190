"""docs/configuration.md lists every settings key with its real default, and every rule."""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from typing import Any

from dockwright.config import Settings
from dockwright.policy import COMPOSE_RULES, RULES
from tests.conftest import ROOT

DOC = ROOT / "docs" / "configuration.md"
ROW = re.compile(r"\| `([^`]+)` \| [^|]+ \| `([^`]*)` \|")
RULE_ROW = re.compile(r"\| `([a-z-]+)` \| (image|compose)\b")


def toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[]" if not value else json.dumps(list(value))
    if isinstance(value, dict):
        return "{}" if not value else json.dumps(value)
    return json.dumps(value)


def settings_keys(cls: type, prefix: str = "") -> dict[str, str]:
    """Every key of a settings dataclass, nested tables flattened, with its default."""
    hints = typing.get_type_hints(cls)
    keys: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            keys |= settings_keys(tp, f"{prefix}{f.name}.")
            continue
        args = typing.get_args(tp)
        if typing.get_origin(tp) is dict and dataclasses.is_dataclass(args[1]):
            keys |= settings_keys(args[1], f"{prefix}{f.name}.<name>.")
            continue
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
        keys[prefix + f.name] = toml_literal(default)
    return keys


class TestConfigurationDoc:
    """The tables in docs/configuration.md and dockwright.config.Settings agree."""

    def test_every_key_with_its_default(self) -> None:
        documented = dict(ROW.findall(DOC.read_text(encoding="utf-8")))
        assert documented == settings_keys(Settings)

    def test_every_waivable_rule(self) -> None:
        rules = RULE_ROW.findall(DOC.read_text(encoding="utf-8"))
        assert rules == [(r, "image") for r in RULES] + [(r, "compose") for r in COMPOSE_RULES]

"""Base image freshness: the `base-fresh` verdict from what the build recorded and what
the registry answers now (pure logic; the engine test is tests/engine/test_base_freshness.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from dockwright.errors import ConfigError, RegistryError
from dockwright.policy.evidence import base_states
from dockwright.policy.rules import BaseState, Expectations, evaluate, expectations_from
from tests.unit.test_policy import GOOD

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RECORDED = {
    "python:3.13-slim": {
        "id": "sha256:" + "c" * 64,
        "digests": [f"127.0.0.1:5555/library/python@{OLD}", f"python@{OLD}"],
        "created": "2026-09-02T07:40:34.068448602Z",  # 90 days and some hours before NOW
    }
}


def fresh(*bases: BaseState, mode: str = "warn") -> tuple[str, str]:
    evidence = dataclasses.replace(GOOD, bases=bases)
    [v] = [
        v for v in evaluate(evidence, Expectations(base_freshness=mode)) if v.rule == "base-fresh"
    ]
    return v.status, v.measured


def states(answer: str | Exception) -> tuple[BaseState, ...]:
    def lookup(ref: str) -> str:
        assert ref == "python:3.13-slim"
        if isinstance(answer, Exception):
            raise answer
        return answer

    return base_states(("python:3.13-slim", "scratch"), RECORDED, lookup, NOW)


def test_the_recorded_digests_and_age_are_read_from_the_build_report() -> None:
    # `scratch` is no image: nothing to resolve.
    assert states(OLD) == (
        BaseState(ref="python:3.13-slim", built_on=(OLD,), age_days=90, current=OLD),
    )


def test_a_current_base_passes_and_says_how_old_it_is() -> None:
    assert fresh(*states(OLD)) == (
        "PASS",
        "python:3.13-slim: current (aaaaaaaaaaaa, created 90 days ago)",
    )


def test_a_moved_tag_warns_by_default_and_fails_as_a_gate() -> None:
    said = (
        "python:3.13-slim: the tag now points to bbbbbbbbbbbb; built on aaaaaaaaaaaa, "
        "created 90 days ago; rebuild with `build --pull`"
    )
    assert fresh(states(NEW)[0]) == ("WARN", said)
    assert fresh(states(NEW)[0], mode="fail") == ("FAIL", said)


def test_a_warning_never_blocks_and_a_gate_can_be_waived() -> None:
    evidence = dataclasses.replace(GOOD, bases=states(NEW))
    warned = [v for v in evaluate(evidence, Expectations()) if v.rule == "base-fresh"]
    assert not warned[0].blocking
    waived = Expectations(
        base_freshness="fail", waivers={"base-fresh": "rebuilt every Monday by CI"}
    )
    [v] = [v for v in evaluate(evidence, waived) if v.rule == "base-fresh"]
    assert (v.status, v.blocking) == ("WAIVED", False)
    [v] = [
        v for v in evaluate(evidence, Expectations(base_freshness="fail")) if v.rule == "base-fresh"
    ]
    assert v.blocking


def test_a_registry_that_cannot_answer_is_not_known_not_fresh() -> None:
    said = fresh(states(RegistryError("the registry did not resolve it (manifest unknown)"))[0])
    assert said == (
        "WARN",
        "python:3.13-slim: not known: the registry did not resolve it (manifest unknown)",
    )


def test_a_build_that_recorded_no_base_is_not_known() -> None:
    [state] = base_states(("node:20-slim",), RECORDED, lambda _ref: NEW, NOW)
    assert fresh(state) == (
        "WARN",
        "node:20-slim: not known: the build did not record its base; build again",
    )


@pytest.mark.parametrize(
    ("created", "said"),
    [
        ("2026-12-01T07:00:00.123456789Z", "created today)"),
        ("2026-11-30T11:00:00Z", "created 1 day ago)"),
        ("not a time", "aaaaaaaaaaaa)"),
    ],
)
def test_the_age_in_words(created: str, said: str) -> None:
    recorded = {"python:3.13-slim": {**RECORDED["python:3.13-slim"], "created": created}}
    [state] = base_states(("python:3.13-slim",), recorded, lambda _ref: OLD, NOW)
    assert fresh(state)[1].endswith(said)


def test_a_base_pinned_by_digest_asks_no_registry() -> None:
    def lookup(ref: str) -> str:
        raise AssertionError(f"asked the registry for {ref}")

    [state] = base_states((f"python@{OLD}",), {}, lookup, NOW)
    assert fresh(state) == ("PASS", "python: pinned by digest")


def test_off_is_not_checked() -> None:
    assert fresh(states(NEW)[0], mode="off") == ("PASS", "not checked (off)")


def test_the_mode_is_one_of_three() -> None:
    assert expectations_from({"base_freshness": "fail"}, {}).base_freshness == "fail"
    with pytest.raises(ConfigError, match="base_freshness: 'loud'; use one of warn, fail, off"):
        expectations_from({"base_freshness": "loud"}, {})

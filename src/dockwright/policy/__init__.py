"""The policy gate: rules and their verdicts (`rules`), compose file lint (`compose`),
and what is measured on a built image (`evidence`)."""

from dockwright.policy.rules import (
    COMPILERS,
    COMPOSE_RULES,
    RULES,
    Evidence,
    Verdict,
    evaluate,
    expectations_from,
)

__all__ = [
    "COMPILERS",
    "COMPOSE_RULES",
    "RULES",
    "Evidence",
    "Verdict",
    "evaluate",
    "expectations_from",
]

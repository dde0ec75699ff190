"""The image policy gate: one verdict per rule, with the measured value.

Pure: `evaluate` takes the evidence gathered from the engine (image config,
history, files, hadolint findings) and the service's expectations, and returns
verdicts. Each rule can be waived per service only with a written reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockwright.errors import ConfigError

RULES = (
    "size",
    "user",
    "healthcheck",
    "ports",
    "labels",
    "base-pinned",
    "sensitive-files",
    "secret-values",
    "compilers",
    "hadolint",
    "base-fresh",
)
# How a base image that moved on in its registry is reported: a warning (the
# default), a failed rule, or not looked up at all (no registry request).
FRESHNESS_MODES = ("warn", "fail", "off")
# Compose-level rules (dockwright.policy.compose): waivable in x-dockwright like the above.
# hadolint's levels, most severe first: a threshold fails its level and those above.
HADOLINT_LEVELS = ("error", "warning", "info", "style")
COMPOSE_RULES = (
    "ports-all-interfaces",
    "literal-secret",
    "container-name",
    "home-mount",
    "healthcheck-socket",
)
REQUIRED_LABELS = ("version", "created", "revision", "source", "title")
COMPILERS = ("gcc", "cc", "c++", "g++", "clang", "make", "ld")
NS = 1_000_000_000


@dataclass(frozen=True, kw_only=True)
class Expectations:
    """What a service's image must look like (x-dockwright over [tool.dockwright.policy])."""

    size_budget_mb: float = 500.0
    uid: int | None = 1001
    healthcheck: dict[str, float] = field(
        default_factory=lambda: {"interval": 30, "timeout": 10, "start_period": 40, "retries": 3}
    )
    ports: tuple[int, ...] = ()
    hadolint_threshold: str = "warning"
    base_freshness: str = "warn"
    waivers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class BaseState:
    """A base image as the build used it, and what its tag names in the registry now."""

    ref: str
    # The digests of the base the build used, under each name the engine knows it by
    # (empty when the build did not record it).
    built_on: tuple[str, ...] = ()
    age_days: int | None = None  # how old that base image was when checked
    current: str = ""  # the digest the tag resolves to now ("" when unknown: `error`)
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What was measured on one image."""

    image: str
    size: int
    user: str
    passwd: dict[str, int]
    healthcheck: dict[str, Any] | None
    exposed: tuple[str, ...]
    labels: dict[str, str]
    base_images: tuple[str, ...]
    sensitive_files: tuple[str, ...]
    secret_hits: tuple[str, ...]
    compilers: tuple[str, ...]
    hadolint: tuple[str, ...]
    bases: tuple[BaseState, ...] = ()  # empty when base_freshness is off


@dataclass(frozen=True, kw_only=True)
class Verdict:
    rule: str
    passed: bool
    measured: str
    expected: str
    waived: str = ""
    advisory: bool = False  # a failure that warns and does not block

    @property
    def status(self) -> str:
        if self.passed:
            return "PASS"
        if self.waived:
            return "WAIVED"
        return "WARN" if self.advisory else "FAIL"

    @property
    def blocking(self) -> bool:
        return not self.passed and not self.waived and not self.advisory


def expectations_from(extension: dict[str, Any], defaults: dict[str, Any]) -> Expectations:
    """Merge `x-dockwright` of a service over `[tool.dockwright.policy]`."""
    merged = {**defaults, **extension}
    known = {
        "size_budget_mb",
        "uid",
        "healthcheck",
        "ports",
        "port",
        "hadolint_threshold",
        "waivers",
        "base_freshness",
        "health_path",
        # Read by `up` (how long a service may take to become healthy), not by the gate.
        "health_budget",
    }
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ConfigError(
            f"x-dockwright: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    waivers = dict(merged.get("waivers") or {})
    for rule, reason in waivers.items():
        if rule not in RULES and rule not in COMPOSE_RULES:
            rules = ", ".join((*RULES, *COMPOSE_RULES))
            raise ConfigError(f"waiver for unknown rule {rule!r}; rules: {rules}")
        if not isinstance(reason, str) or len(reason.strip()) < 10:
            raise ConfigError(f"waiver for {rule!r} needs a written reason (10+ characters)")
    ports = merged.get("ports") or ([merged["port"]] if "port" in merged else [])
    kwargs: dict[str, Any] = {"ports": tuple(int(p) for p in ports), "waivers": waivers}
    if "size_budget_mb" in merged:
        kwargs["size_budget_mb"] = float(merged["size_budget_mb"])
    if "uid" in merged:
        kwargs["uid"] = None if merged["uid"] is None else int(merged["uid"])
    if "healthcheck" in merged:
        kwargs["healthcheck"] = {k: float(v) for k, v in dict(merged["healthcheck"]).items()}
    if "hadolint_threshold" in merged:
        kwargs["hadolint_threshold"] = str(merged["hadolint_threshold"])
    if "base_freshness" in merged:
        mode = str(merged["base_freshness"])
        if mode not in FRESHNESS_MODES:
            raise ConfigError(f"base_freshness: {mode!r}; use one of {', '.join(FRESHNESS_MODES)}")
        kwargs["base_freshness"] = mode
    return Expectations(**kwargs)


def resolve_uid(user: str, passwd: dict[str, int]) -> int | None:
    """The numeric UID an image runs as; `""` means root. None when unknown."""
    name = user.split(":", 1)[0]
    if name in ("", "root"):
        return 0
    if name.isdigit():
        return int(name)
    return passwd.get(name)


def is_pinned(ref: str) -> bool:
    """`python:3.13-slim` and `x@sha256:...` are pinned; `python` and `python:latest` are not."""
    if ref == "scratch" or "@sha256:" in ref:
        return True
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    return last.rsplit(":", 1)[1] != "latest"


def _check_size(ev: Evidence, exp: Expectations) -> Verdict:
    mb = ev.size / 1e6
    return Verdict(
        rule="size",
        passed=mb <= exp.size_budget_mb,
        measured=f"{mb:.1f} MB",
        expected=f"<= {exp.size_budget_mb:g} MB",
    )


def _check_user(ev: Evidence, exp: Expectations) -> Verdict:
    uid = resolve_uid(ev.user, ev.passwd)
    measured = f"user {ev.user or 'root (unset)'}" + (f" (uid {uid})" if uid is not None else "")
    ok = uid is not None and uid != 0 and (exp.uid is None or uid == exp.uid)
    want = "non-root" + (f", uid {exp.uid}" if exp.uid is not None else "")
    return Verdict(rule="user", passed=ok, measured=measured, expected=want)


def _check_healthcheck(ev: Evidence, exp: Expectations) -> Verdict:
    hc = ev.healthcheck or {}
    test = hc.get("Test") or []
    want = ", ".join(f"{k} {v:g}" for k, v in exp.healthcheck.items())
    if not test or test[0] == "NONE":
        return Verdict(rule="healthcheck", passed=False, measured="none", expected=want)
    got = {
        "interval": hc.get("Interval", 0) / NS,
        "timeout": hc.get("Timeout", 0) / NS,
        "start_period": hc.get("StartPeriod", 0) / NS,
        "retries": float(hc.get("Retries", 0)),
        "start_interval": hc.get("StartInterval", 0) / NS,
    }
    wrong = [k for k, v in exp.healthcheck.items() if got.get(k) != v]
    measured = ", ".join(f"{k} {got[k]:g}" for k in exp.healthcheck if k in got)
    return Verdict(rule="healthcheck", passed=not wrong, measured=measured, expected=want)


def _check_ports(ev: Evidence, exp: Expectations) -> Verdict:
    got = sorted(int(p.split("/")[0]) for p in ev.exposed)
    want = sorted(exp.ports)
    ok = bool(got) and (not want or got == want)
    return Verdict(
        rule="ports",
        passed=ok,
        measured=", ".join(map(str, got)) or "none",
        expected=", ".join(map(str, want)) or "at least one",
    )


def _check_labels(ev: Evidence, _exp: Expectations) -> Verdict:
    missing = [
        k for k in REQUIRED_LABELS if not ev.labels.get(f"org.opencontainers.image.{k}", "").strip()
    ]
    return Verdict(
        rule="labels",
        passed=not missing,
        measured="missing " + ", ".join(missing) if missing else "all present",
        expected="org.opencontainers.image." + "/".join(REQUIRED_LABELS),
    )


def _check_base(ev: Evidence, _exp: Expectations) -> Verdict:
    bad = [b for b in ev.base_images if not is_pinned(b)]
    return Verdict(
        rule="base-pinned",
        passed=not bad and bool(ev.base_images),
        measured=", ".join(bad) if bad else ", ".join(ev.base_images) or "no FROM",
        expected="explicit tags, never latest",
    )


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def _base_line(b: BaseState) -> tuple[bool, str]:
    """(fresh, what was found) for one base image."""
    age = {None: "", 0: ", created today", 1: ", created 1 day ago"}.get(
        b.age_days, f", created {b.age_days} days ago"
    )
    if "@sha256:" in b.ref:
        return True, f"{b.ref.split('@')[0]}: pinned by digest"
    if not b.current:
        return False, f"{b.ref}: not known: {b.error or 'the registry did not answer'}"
    if not b.built_on:
        return False, f"{b.ref}: not known: the build did not record its base; build again"
    if b.current not in b.built_on:
        return False, (
            f"{b.ref}: the tag now points to {_short(b.current)}; built on "
            f"{_short(b.built_on[0])}{age}; rebuild with `build --pull`"
        )
    return True, f"{b.ref}: current ({_short(b.current)}{age})"


def _check_fresh(ev: Evidence, exp: Expectations) -> Verdict:
    expected = "each base tag still at the digest the image was built on"
    if exp.base_freshness == "off":
        return Verdict(
            rule="base-fresh", passed=True, measured="not checked (off)", expected=expected
        )
    found = [_base_line(b) for b in ev.bases]
    return Verdict(
        rule="base-fresh",
        passed=all(ok for ok, _ in found),
        measured="; ".join(line for _, line in found) or "no base image",
        expected=expected,
        advisory=exp.base_freshness == "warn",
    )


def _listing(rule: str, items: tuple[str, ...], expected: str) -> Verdict:
    shown = ", ".join(items[:5]) + (f" (+{len(items) - 5} more)" if len(items) > 5 else "")
    return Verdict(rule=rule, passed=not items, measured=shown or "none", expected=expected)


def evaluate(ev: Evidence, exp: Expectations) -> list[Verdict]:
    """Every rule's verdict for one image, waivers applied."""
    verdicts = [
        _check_size(ev, exp),
        _check_user(ev, exp),
        _check_healthcheck(ev, exp),
        _check_ports(ev, exp),
        _check_labels(ev, exp),
        _check_base(ev, exp),
        _listing("sensitive-files", ev.sensitive_files, "no .env, private keys or id_rsa"),
        _listing("secret-values", ev.secret_hits, "no secret value in config, history or files"),
        _listing("compilers", ev.compilers, "no " + ", ".join(COMPILERS)),
        _listing("hadolint", ev.hadolint, f"no finding at or above {exp.hadolint_threshold}"),
        _check_fresh(ev, exp),
    ]
    return [
        Verdict(
            rule=v.rule,
            passed=v.passed,
            measured=v.measured,
            expected=v.expected,
            waived=exp.waivers.get(v.rule, "") if not v.passed else "",
            advisory=v.advisory,
        )
        for v in verdicts
    ]

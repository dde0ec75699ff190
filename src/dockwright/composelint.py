"""Compose-level findings: what the compose files themselves get wrong.

The image gate (`policy`) judges what was built; these rules judge how the
stack is run, on files a team may not have written with dockwright in mind:

- `ports-all-interfaces`: a published port without a loopback host IP (or
  `network_mode: host`) is reachable from the whole network, databases included;
- `literal-secret`: a secret-looking `environment:` key with a literal value
  (or literal fallback), or any URL value with a literal password: it is in git;
- `container-name`: a fixed name makes a second copy of the stack (another
  checkout, parallel CI jobs, `-p other`) fail with a name conflict.

Each finding carries `file:line` (from the YAML node marks; anchors report
where they are defined) and what to do. Waivers: `x-dockwright.waivers` of the
service, with a written reason, as for the image rules. Pure: text in, findings out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from dockwright.discover import (
    MARK,
    environment_entries,
    has_literal_password,
    looks_secret,
    mapping_get,
    mapping_items,
    mask_references,
    with_defaults,
)
from dockwright.errors import ConfigError
from dockwright.policy import COMPOSE_RULES, RULES


@dataclass(frozen=True, kw_only=True)
class Finding:
    rule: str
    service: str
    file: str
    line: int
    message: str
    fix: str
    waived: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def status(self) -> str:
        return "WAIVED" if self.waived else "FAIL"

    @property
    def blocking(self) -> bool:
        return not self.waived

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "where": self.where, "status": self.status}


def split_port(spec: str) -> tuple[str | None, str]:
    """Short syntax `[HOST_IP:][HOST:]CONTAINER[/PROTO]` -> (host IP or None, the rest)."""
    spec = spec.split("/", 1)[0]
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        return host, rest.lstrip(":")
    parts = spec.split(":")
    if len(parts) <= 2:
        return None, spec
    return ":".join(parts[:-2]), ":".join(parts[-2:])


def on_all_interfaces(host: str | None) -> bool | None:
    """True for no host IP, 0.0.0.0 or ::; False for loopback or one address; None unknown."""
    if host is None or host in ("", "0.0.0.0", "::"):
        return True
    if MARK in host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address.is_unspecified


def _ports(service: str, node: yaml.Node, file: str) -> list[Finding]:
    found = []

    def add(line: int, shown: str, fix: str) -> None:
        found.append(
            Finding(
                rule="ports-all-interfaces",
                service=service,
                file=file,
                line=line,
                message=f"publishes {shown} on all interfaces",
                fix=f"{fix} (or waive it if public on purpose)",
            )
        )

    mode = mapping_get(node, "network_mode")
    if isinstance(mode, yaml.ScalarNode) and mode.value == "host":
        add(mode.start_mark.line + 1, "every port (network_mode: host)", "publish ports instead")
    ports = mapping_get(node, "ports")
    for entry in ports.value if isinstance(ports, yaml.SequenceNode) else []:
        line = entry.start_mark.line + 1
        if isinstance(entry, yaml.ScalarNode):
            raw = str(entry.value)
            host, rest = split_port(with_defaults(raw, MARK))
            if on_all_interfaces(host) and host is None:
                sep = ":" if ":" in rest else "::"  # CONTAINER alone: any free host port
                add(line, repr(raw), f'write "127.0.0.1{sep}{raw}"')
            elif on_all_interfaces(host):
                add(line, repr(raw), "make the host IP 127.0.0.1")
        elif isinstance(entry, yaml.MappingNode):
            fields = {k: v.value for k, v in mapping_items(entry) if isinstance(v, yaml.ScalarNode)}
            host = None if "host_ip" not in fields else with_defaults(str(fields["host_ip"]), MARK)
            if on_all_interfaces(host):
                add(line, f"target {fields.get('target', '?')}", "add host_ip: 127.0.0.1")
    return found


def literal_secret(name: str, raw: str) -> str | None:
    """Why an `environment:` value holds a literal secret, or None."""
    masked = mask_references(raw, MARK)
    if looks_secret(name) and raw.strip():
        if MARK not in masked:
            return "is a literal value"
        if masked == MARK and with_defaults(raw, ""):
            return "falls back to a literal default"
    if has_literal_password(raw):
        return "is a URL with a literal password"
    return None


def _secrets(service: str, node: yaml.Node, file: str) -> list[Finding]:
    found = []
    for name, raw, line in environment_entries(node):
        why = None if raw is None else literal_secret(name, raw)
        if why:
            found.append(
                Finding(
                    rule="literal-secret",
                    service=service,
                    file=file,
                    line=line,
                    message=f"{name} {why}, in git for anyone to read",
                    fix=f"write {name}: ${{{name}}} and set the value in .env",
                )
            )
    return found


def _container_name(service: str, node: yaml.Node, file: str) -> list[Finding]:
    value = mapping_get(node, "container_name")
    if value is None:
        return []
    return [
        Finding(
            rule="container-name",
            service=service,
            file=file,
            line=value.start_mark.line + 1,
            message=f"container_name {value.value!r}: a second copy of the stack (CI jobs, "
            "another checkout, -p NAME) fails on the name",
            fix=f"remove it; use the service name (docker compose exec {service})",
        )
    ]


def lint_compose(text: str, file: str) -> list[Finding]:
    """The findings of one compose file's text; `file` is how it is named in them."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from exc
    found: list[Finding] = []
    for service, node in mapping_items(mapping_get(root, "services")):
        for rule in (_ports, _secrets, _container_name):
            found += rule(service, node, file)
    return sorted(found, key=lambda f: (f.line, f.rule))


def lint_files(paths: list[Path], root: Path) -> list[Finding]:
    """Findings of each file (named relative to `root`), in file order."""
    found: list[Finding] = []
    for path in dict.fromkeys(paths):
        try:
            shown = path.relative_to(root).as_posix()
        except ValueError:
            shown = str(path)
        found += lint_compose(path.read_text(encoding="utf-8"), shown)
    return found


def waivers_of(service: str, extension: Mapping[str, Any]) -> dict[str, str]:
    """The service's x-dockwright waivers, checked: a known rule and a written reason."""
    waivers = dict(extension.get("waivers") or {})
    for rule, reason in waivers.items():
        if rule not in RULES and rule not in COMPOSE_RULES:
            raise ConfigError(
                f"service {service}: waiver for unknown rule {rule!r}; image rules: "
                f"{', '.join(RULES)}; compose rules: {', '.join(COMPOSE_RULES)}"
            )
        if not isinstance(reason, str) or len(reason.strip()) < 10:
            raise ConfigError(
                f"service {service}: waiver for {rule!r} needs a written reason (10+ characters)"
            )
    return waivers


def apply_waivers(
    findings: list[Finding], extensions: Mapping[str, Mapping[str, Any]]
) -> list[Finding]:
    """Findings with `waived` set where the service waives the rule."""
    waivers = {name: waivers_of(name, ext) for name, ext in extensions.items()}
    return [replace(f, waived=waivers.get(f.service, {}).get(f.rule, "")) for f in findings]

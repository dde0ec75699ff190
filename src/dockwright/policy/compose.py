"""Compose-level findings: what the compose files themselves get wrong.

The image gate (`policy`) judges what was built; these rules judge how the
stack is run, on files a team may not have written with dockwright in mind:

- `ports-all-interfaces`: a published port without a loopback host IP (or
  `network_mode: host`) is reachable from the whole network, databases included;
- `literal-secret`: a secret-looking `environment:` key with a literal value
  (or literal fallback), or any URL value with a literal password: it is in git;
- `container-name`: a fixed name makes a second copy of the stack (another
  checkout, parallel CI jobs, `-p other`) fail with a name conflict;
- `home-mount`: a bind mount of a home directory, or of a credentials folder or
  file in one (`~/.ssh`, `${HOME}/.aws`, `/root/.docker`, ...): anything running in
  the container, every dependency included, can read the keys and tokens;
- `healthcheck-socket`: a database healthcheck (`pg_isready`, `psql`, `mysqladmin
  ping`, `mariadb-admin ping`) that asks over the unix socket. On a fresh volume the
  official postgres, mysql and mariadb images first run a socket-only server for
  their init scripts, then restart: the socket answers "ready" while nothing listens
  on TCP, so `depends_on: service_healthy` and `up --wait` go on too early (a
  dependent's first connection is refused).

Each finding carries `file:line` (from the YAML node marks; anchors report
where they are defined) and what to do. Waivers: `x-dockwright.waivers` of the
service, with a written reason, as for the image rules. Pure: text in, findings out.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from dockwright.errors import ConfigError
from dockwright.masking import looks_secret
from dockwright.policy.rules import COMPOSE_RULES, RULES
from dockwright.repo.discover import (
    MARK,
    environment_entries,
    has_literal_password,
    mapping_get,
    mapping_items,
    mask_references,
    with_defaults,
)


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


# What the usual credentials paths under a home directory hold (for the message).
CREDENTIALS = {
    ".ssh": "SSH keys",
    ".aws": "AWS credentials",
    ".docker": "registry logins",
    ".kube": "Kubernetes credentials",
    ".gnupg": "GPG keys",
    ".config/gcloud": "Google Cloud credentials",
    ".config/gh": "GitHub tokens",
    ".azure": "Azure credentials",
    ".netrc": "login passwords",
    ".npmrc": "npm tokens",
    ".pypirc": "PyPI tokens",
    ".git-credentials": "git passwords",
}
# Home as compose resolves it on the host that runs it (seen in `docker compose config`,
# v2): `$HOME` from that environment, a leading `~` joined to it (`~.ssh`, `~x` too).
HOME_DIRS = ("home", "Users")  # /home/<user> (Linux), /Users/<user> (macOS); /root apart
HOME = "/home/\x01"  # stands for the home directory of whoever runs compose
_HOME_REF = re.compile(r"\$\$|\$HOME\b|\$\{HOME(?::?[-?](?:[^{}]|\{[^{}]*\})*)?\}")


def interpolate_home(raw: str) -> str:
    """`raw` as compose interpolates it: `$HOME`/`${HOME}` become HOME (it is always
    set), other variables their default, else MARK."""
    text = _HOME_REF.sub(lambda m: m[0] if m[0] == "$$" else HOME, raw)
    return with_defaults(text, MARK)


def under_home(source: str) -> str | None:
    """An (interpolated) mount source relative to the home directory it is in: "" for
    the home itself, ".." for the folder of all homes; None when not in one or unknown."""
    if source.startswith("~"):  # compose joins the rest to home: `~.ssh` is ~/.ssh too
        source = f"{HOME}/{source[1:]}"
    if not source.startswith("/"):
        return None  # a named volume or a path relative to the compose file
    parts = [p for p in posixpath.normpath(source).split("/") if p]
    if parts[:1] == ["root"]:
        rest = parts[1:]
    elif parts and parts[0] in HOME_DIRS:
        if len(parts) == 1:
            return ".."
        if len(parts) == 2 and MARK in parts[1]:
            return None  # /home/${X}: a home, or a path deeper down
        rest = parts[2:]
    else:
        return None
    return "/".join(rest)


NARROW = "mount only the folder the service needs, not one holding credentials"
PASS_ONE = "pass only the credential it needs: a compose secret (file: PATH) or a variable in .env"
LOGINS = "SSH keys, cloud and registry logins, tokens"


def exposed_by(path: str) -> tuple[str, str] | None:
    """(what it hands the container, what to do) for a mount of `path` inside a home
    directory; None when that path holds no known credentials."""
    if path in ("", ".."):
        what = "a whole home directory" if path == "" else "every home directory"
        return f"{what} ({LOGINS})", NARROW
    for secret, what in CREDENTIALS.items():
        if path == secret or path.startswith(f"{secret}/"):
            return f"{what} (~/{secret})", PASS_ONE
        if secret.startswith(f"{path}/"):
            return f"a folder holding {what} (~/{secret})", NARROW
    return None


def _mount_sources(node: yaml.Node) -> list[tuple[str, str, int]]:
    """(raw text shown, interpolated host source, line) of each bind mount in `volumes:`."""
    volumes = mapping_get(node, "volumes")
    sources = []
    for entry in volumes.value if isinstance(volumes, yaml.SequenceNode) else []:
        if isinstance(entry, yaml.ScalarNode):
            # Compose interpolates first, then splits SOURCE:TARGET[:MODE].
            parts = interpolate_home(str(entry.value)).split(":")
            if len(parts) > 1:  # a lone TARGET is an anonymous volume
                sources.append((str(entry.value), parts[0], entry.start_mark.line + 1))
        elif isinstance(entry, yaml.MappingNode):
            kind = mapping_get(entry, "type")
            source = mapping_get(entry, "source")
            if isinstance(kind, yaml.ScalarNode) and kind.value != "bind":
                continue
            if isinstance(source, yaml.ScalarNode):
                raw = str(source.value)
                sources.append((raw, interpolate_home(raw), source.start_mark.line + 1))
    return sources


def _home_mounts(service: str, node: yaml.Node, file: str) -> list[Finding]:
    found = []
    for raw, source, line in _mount_sources(node):
        path = under_home(source)
        exposed = None if path is None else exposed_by(path)
        if exposed is not None:
            what, fix = exposed
            found.append(
                Finding(
                    rule="home-mount",
                    service=service,
                    file=file,
                    line=line,
                    message=f"mounts {raw!r}, {what}: anything running in the container "
                    "can read them, read-only or not",
                    fix=fix,
                )
            )
    return found


# Database clients a healthcheck runs, by whose rule a connection goes to the socket.
PG_CLIENTS = ("pg_isready", "psql")
MYSQL_CLIENTS = ("mysqladmin", "mariadb-admin")
SHELLS = ("sh", "bash", "ash", "dash")


def shell_words(text: str) -> list[list[str]] | None:
    """A shell command line as its simple commands' words (split at `&&`, `;`, `|`,
    ...), or None when it does not parse."""
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        tokens = list(lex)
    except ValueError:
        return None
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token and all(c in "();<>|&" for c in token):
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def healthcheck_commands(node: yaml.Node) -> tuple[list[list[str]], int]:
    """The simple commands of a service's `healthcheck.test` and its line; shell forms
    (`CMD-SHELL`, a string, `sh -c "..."`) split, a disabled check none."""
    check = mapping_get(node, "healthcheck")
    test = mapping_get(check, "test")
    disable = mapping_get(check, "disable")
    if test is None or (isinstance(disable, yaml.ScalarNode) and disable.value == "true"):
        return [], 0
    line = test.start_mark.line + 1
    if isinstance(test, yaml.ScalarNode):
        return shell_words(str(test.value)) or [], line
    words = [str(w.value) for w in test.value] if isinstance(test, yaml.SequenceNode) else []
    if words[:1] == ["CMD-SHELL"] and len(words) > 1:
        return shell_words(words[1]) or [], line
    if words[:1] != ["CMD"] or len(words) < 2:
        return [], line  # NONE, or not a form compose knows
    return [words[1:]], line


def _expand(command: list[str]) -> list[list[str]]:
    """`sh -c "a && b"` as its commands; `exec`/`env` in front dropped."""
    while command and command[0] in ("exec", "env", "command"):
        command = command[1:]
    if command and posixpath.basename(command[0]) in SHELLS and "-c" in command[1:-1]:
        script = command[command.index("-c", 1) + 1]
        return [c for part in shell_words(script) or [] for c in _expand(part)]
    return [command] if command else []


def option_value(args: list[str], *names: str) -> str | None:
    """The value of an option spelled `names` in `args` (`-h X`, `-hX`, `--host X`,
    `--host=X`), else None."""
    for i, arg in enumerate(args):
        if arg in names:
            return args[i + 1] if i + 1 < len(args) else ""
        for name in names:
            if name.startswith("--") and arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
            if len(name) == 2 and arg.startswith(name) and not arg.startswith("--"):
                return arg[2:]
    return None


UNKNOWN_HOST = "?"  # a host set from a variable: not known until compose runs


def _host(args: list[str], variable: str, environment: Mapping[str, str | None]) -> str | None:
    """The host a client is told: its `-h`/`--host`, else `variable` in the service's
    environment (UNKNOWN_HOST when that is a variable), else None (its default)."""
    host = option_value(args, "-h", "--host")
    if host is None and variable in environment:
        host = environment[variable] or UNKNOWN_HOST
    return host


def asks_socket(command: list[str], environment: Mapping[str, str | None]) -> str | None:
    """The client of `command` when it would connect over the unix socket, else None.
    Unknown (a variable) counts as TCP: only a sure finding is reported."""
    program = posixpath.basename(command[0])
    args = command[1:]
    if program in PG_CLIENTS:
        dbname = option_value(args, "-d", "--dbname") or ""
        if "://" in dbname or "host=" in dbname:
            return None
        host = _host(args, "PGHOST", environment)
        return program if host is None or host.startswith("/") else None
    if program in MYSQL_CLIENTS and "ping" in args:
        protocol = option_value(args, "--protocol")
        if protocol is not None:
            return program if protocol.lower() == "socket" else None
        host = _host(args, "MYSQL_HOST", environment)
        return program if host is None or host == "localhost" else None
    return None


def _socket_healthcheck(service: str, node: yaml.Node, file: str) -> list[Finding]:
    commands, line = healthcheck_commands(node)
    environment = {
        name: None if raw is None or MARK in with_defaults(raw, MARK) else raw
        for name, raw, _line in environment_entries(node)
    }
    for command in (c for part in commands for c in _expand(part)):
        program = asks_socket(command, environment)
        if program is None:
            continue
        mysql = program in MYSQL_CLIENTS
        return [
            Finding(
                rule="healthcheck-socket",
                service=service,
                file=file,
                line=line,
                message=f"the healthcheck's {program} asks over the unix socket: on a fresh "
                "volume the image's init server answers there before the database listens "
                "on TCP, so dependents and `up --wait` go on too early",
                fix=f"ask over TCP: {program} -h 127.0.0.1"
                + (" (for mysql clients `localhost` is the socket)" if mysql else ""),
            )
        ]
    return []


def lint_compose(text: str, file: str) -> list[Finding]:
    """The findings of one compose file's text; `file` is how it is named in them."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from exc
    found: list[Finding] = []
    for service, node in mapping_items(mapping_get(root, "services")):
        for rule in (_ports, _secrets, _container_name, _home_mounts, _socket_healthcheck):
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

"""Docker Scout: the command lines we run, its SARIF report, and why it could not run.

Pure functions; `runner` executes the commands. Flags from the docker/scout-cli
reference (docs/docker_scout_cves.yaml): `--format sarif` is the only
machine-readable vulnerability format of `docker scout cves` (`sbom` and `spdx`
list packages, not CVEs; a `json` format is only a feature request,
docker/scout-cli#189). `--exit-code` returns 2 when vulnerabilities are found.

Scout needs Docker's servers and a Docker Hub login for every analysis
(docker/scout-cli#16): it cannot run on an offline machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from dockwright.errors import ScannerUnavailableError
from dockwright.scan.model import Finding, ScanResult, Severity

SCANNER = "docker scout"

# `--exit-code` makes Scout exit 2 when it found vulnerabilities: a report was written.
FOUND_EXIT_CODE = 2

# Keys Docker writes into config.json `auths` for a Docker Hub login (also with a
# credsStore, where the entry is an empty object).
_HUB_KEYS = frozenset(
    {"https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"}
)


def version_command(docker: str) -> tuple[str, ...]:
    """`docker scout version`: exits 0 only when the plugin is installed."""
    return (docker, "scout", "version")


def cves_command(
    docker: str,
    image: str,
    *,
    output: str,
    only_severities: Sequence[Severity] = (),
    only_fixed: bool = False,
    platform: str | None = None,
    exit_code: bool = False,
) -> tuple[str, ...]:
    """`docker scout cves --format sarif --output FILE IMAGE`.

    The report goes to a file: on stdout, older versions appended a "What's Next?"
    hint after the JSON (docker/scout-cli#78).
    """
    argv = [docker, "scout", "cves", "--format", "sarif", "--output", output]
    if only_severities:
        # Scout calls our UNKNOWN "unspecified".
        names = [
            "unspecified" if s is Severity.UNKNOWN else s.name.lower() for s in only_severities
        ]
        argv += ["--only-severity", ",".join(names)]
    if only_fixed:
        argv.append("--only-fixed")
    if platform:
        argv += ["--platform", platform]
    if exit_code:
        argv.append("--exit-code")
    argv.append(image)
    return tuple(argv)


def is_logged_in(config: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    """Whether Scout has credentials: a Docker Hub entry in config.json or Scout's env vars."""
    if env.get("DOCKER_SCOUT_HUB_USER") and env.get("DOCKER_SCOUT_HUB_PASSWORD"):
        return True
    for section in ("auths", "credHelpers"):
        entries = config.get(section)
        if isinstance(entries, dict) and _HUB_KEYS & set(entries):
            return True
    return False


def parse_sarif(text: str, *, image: str) -> ScanResult:
    """Turn `docker scout cves --format sarif` output into a ScanResult.

    Scout writes one rule per vulnerability found (with the package URLs it
    affects in `properties.purls`, or `purl` before 1.x) and one result per
    location of it; a vulnerability therefore comes from the rules, its
    location from the results.
    """
    report = _load(text, image)
    findings: list[Finding] = []
    version = ""
    for run in _dicts(report.get("runs")):
        driver = run.get("tool", {}).get("driver", {})
        version = version or str(driver.get("version", ""))
        locations = _locations(run)
        for rule in _dicts(driver.get("rules")):
            findings += _findings(rule, image, locations.get(str(rule.get("id", "")), []))
    return ScanResult(
        image=image,
        scanner=SCANNER,
        scanner_version=version,
        kinds=("vulnerability",),
        findings=tuple(findings),
    )


def failure(returncode: int, output: str, *, image: str) -> ScannerUnavailableError:
    """The one-line error for a Scout run that did not produce a report."""
    if plugin_missing(output):
        return ScannerUnavailableError(
            "Docker Scout is not installed (the docker CLI has no `scout` plugin); install "
            "the docker-scout CLI plugin, or scan with --scanner trivy"
        )
    if re.search(r"Log in with your Docker ID|could not authenticate|not entitled", output):
        return ScannerUnavailableError(
            f"Docker Scout needs a Docker Hub login to scan {image}; run `docker login` "
            "(or set DOCKER_SCOUT_HUB_USER and DOCKER_SCOUT_HUB_PASSWORD), "
            "or scan with --scanner trivy"
        )
    if re.search(r"dial tcp|no such host|i/o timeout|connection refused", output):
        return ScannerUnavailableError(
            f"Docker Scout cannot reach Docker's servers to analyse {image} (it only works "
            "online); check the network, or scan with --scanner trivy"
        )
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    gist = " ".join((lines[-1] if lines else "no error output").split())[:200]
    return ScannerUnavailableError(f"docker scout failed on {image} (exit {returncode}): {gist}")


def plugin_missing(output: str) -> bool:
    """Whether docker said it has no `scout` command.

    Docker 26 says "unknown command: docker scout"; older CLIs "'scout' is not a
    docker command". With flags after `scout`, docker 26 rejects the first flag
    instead ("unknown flag: --format") and prints its own root usage.
    """
    return bool(
        re.search(r"unknown command: docker scout|'scout' is not a docker command", output)
        or ("unknown flag" in output and "Usage:  docker [OPTIONS] COMMAND" in output)
    )


def split_purl(purl: str) -> tuple[str, str]:
    """Package name and version from a package URL, named the way trivy names them.

    `pkg:maven/g/a@1` gives `g:a`; npm and golang keep their namespace
    (`@scope/name`, `github.com/x/y`); other types give the bare name.
    """
    body = purl.removeprefix("pkg:").split("#", 1)[0].split("?", 1)[0]
    path, _, version = body.partition("@")
    kind, _, rest = path.partition("/")
    *namespace, name = [unquote(part) for part in rest.split("/")]
    if kind == "maven" and namespace:
        name = f"{'.'.join(namespace)}:{name}"
    elif kind in {"npm", "golang"} and namespace:
        name = "/".join([*namespace, name])
    return name, unquote(version)


def _findings(rule: Mapping[str, Any], image: str, locations: list[str]) -> list[Finding]:
    rule_id = str(rule.get("id", ""))
    raw = rule.get("properties")
    props: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    purls = props.get("purls") or ([props["purl"]] if props.get("purl") else [])
    packages = [split_purl(str(purl)) for purl in purls] or [("", "")]
    fixed = str(props.get("fixed_version", ""))
    title = str(rule.get("shortDescription", {}).get("text", ""))
    location = locations[0] if locations else ""
    if len(locations) > 1:
        location += f" (+{len(locations) - 1} more)"
    return [
        Finding(
            image=image,
            id=rule_id,
            severity=_severity(props),
            kind="vulnerability",
            # Scout prefixes the title with the id ("GMS-2022-9109: OWASP Top Ten ...").
            title=title.removeprefix(f"{rule_id}: ") or rule_id,
            package=package,
            installed=installed,
            fixed="" if fixed == "not fixed" else fixed,
            url=str(rule.get("helpUri", "")),
            location=location,
        )
        for package, installed in packages
    ]


def _severity(props: Mapping[str, Any]) -> Severity:
    if props.get("cvssV3_severity"):
        return Severity.from_report(str(props["cvssV3_severity"]))
    tags = props.get("tags")
    if isinstance(tags, list) and tags:
        return Severity.from_report(str(tags[0]))
    return Severity.UNKNOWN


def _locations(run: Mapping[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for result in _dicts(run.get("results")):
        uris = found.setdefault(str(result.get("ruleId", "")), [])
        for location in _dicts(result.get("locations")):
            uri = location.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            if uri and uri not in uris:
                uris.append(str(uri))
    return found


def _load(text: str, image: str) -> Mapping[str, Any]:
    # Tolerate text around the JSON document (progress lines, "What's Next?" hints).
    start = text.find("{")
    try:
        if start < 0:
            raise json.JSONDecodeError("no JSON object", text, 0)
        report, _ = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise ScannerUnavailableError(
            f"docker scout gave no readable SARIF report for {image} ({error.msg}); "
            "rerun with DOCKWRIGHT_DEBUG=1 to see its output"
        ) from error
    if not isinstance(report, dict) or not isinstance(report.get("runs"), list):
        raise ScannerUnavailableError(
            f"docker scout gave no readable SARIF report for {image} (no runs)"
        )
    return report


def _dicts(value: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))

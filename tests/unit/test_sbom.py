"""CycloneDX reading and the trivy command line (no engine)."""

from __future__ import annotations

import json

import pytest

from dockwright.errors import ScannerUnavailableError
from dockwright.scan import sbom

DOC = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.7",
    "metadata": {"component": {"type": "container", "name": "app:1"}},
    "components": [
        {"type": "operating-system", "name": "debian", "version": "13.1"},
        {"type": "library", "name": "bash", "version": "5.2", "purl": "pkg:deb/debian/bash@5.2"},
        {
            "type": "application",
            "name": "usr/lib/python3/site-packages",
            "components": [
                {
                    "type": "library",
                    "name": "flask",
                    "version": "3.0.0",
                    "purl": "pkg:pypi/flask@3.0.0",
                },
                {
                    "type": "library",
                    "name": "jinja2",
                    "version": "3.1.4",
                    "purl": "pkg:pypi/jinja2@3.1.4",
                },
            ],
        },
        {"type": "library", "name": "flask", "version": "3.0.0", "purl": "pkg:pypi/flask@3.0.0"},
    ],
}


def test_packages_are_components_with_a_purl_nested_or_not_once_each() -> None:
    doc = sbom.read(json.dumps(DOC), "app:1")
    assert doc.spec == "1.7"
    assert [(p.kind, p.name, p.version) for p in doc.packages] == [
        ("deb", "bash", "5.2"),
        ("pypi", "flask", "3.0.0"),
        ("pypi", "jinja2", "3.1.4"),
    ]
    assert doc.counts() == {"pypi": 2, "deb": 1}


@pytest.mark.parametrize("text", ["not json", "[]", '{"bomFormat": "SPDX"}'])
def test_not_a_cyclonedx_document(text: str) -> None:
    with pytest.raises(ScannerUnavailableError, match="app:1"):
        sbom.read(text, "app:1")


def test_command_never_asks_for_the_vulnerability_database() -> None:
    argv = sbom.command("/bin/trivy", "app:1", "build/sbom/app.cdx.json", cache_dir="/c")
    assert argv[:4] == ("/bin/trivy", "image", "--format", "cyclonedx")
    assert argv[argv.index("--output") + 1] == "build/sbom/app.cdx.json"
    assert argv[argv.index("--scanners") + 1] == "license"
    assert argv[argv.index("--cache-dir") + 1] == "/c"
    assert argv[-1] == "app:1"

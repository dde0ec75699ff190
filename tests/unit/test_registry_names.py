"""Unit tests for dockwright.registry.names: registry hosts and repository paths, no network."""

from __future__ import annotations

import pytest

from dockwright.errors import ConfigError
from dockwright.registry.names import check_namespace, is_loopback, split_host


class TestSplitHostValid:
    """A registry url is a host name or IP address with an optional port, split into both."""

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            pytest.param("localhost:5000", ("localhost", 5000), id="localhost-with-port"),
            pytest.param("ghcr.io", ("ghcr.io", None), id="domain-without-port"),
            pytest.param(
                "registry-1.docker.io", ("registry-1.docker.io", None), id="dash-inside-a-label"
            ),
            pytest.param("127.0.0.1:5000", ("127.0.0.1", 5000), id="ipv4-with-port"),
            pytest.param("[::1]:5000", ("[::1]", 5000), id="bracketed-ipv6-with-port"),
            pytest.param("[::1]", ("[::1]", None), id="bracketed-ipv6-without-port"),
            pytest.param("my-reg.internal:443", ("my-reg.internal", 443), id="explicit-443"),
            pytest.param("registry", ("registry", None), id="single-label-host"),
            pytest.param("localhost:1", ("localhost", 1), id="lowest-port"),
            pytest.param("localhost:65535", ("localhost", 65535), id="highest-port"),
        ],
    )
    def test_host_and_port(self, url: str, expected: tuple[str, int | None]) -> None:
        assert split_host(url) == expected


class TestSplitHostInvalid:
    """Anything but host[:port] is a ConfigError, one line, naming the problem and the fix."""

    @pytest.mark.parametrize(
        ("url", "problem", "fix"),
        [
            pytest.param(
                "https://ghcr.io", "must not name a scheme", "write 'ghcr.io'", id="https-scheme"
            ),
            pytest.param(
                "https://ghcr.io/",
                "must not name a scheme",
                "write 'ghcr.io'",
                id="https-scheme-trailing-slash",
            ),
            pytest.param(
                "http://localhost:5000",
                "must not name a scheme",
                "set insecure = true",
                id="http-scheme-suggests-insecure",
            ),
            pytest.param(
                "localhost:abc", "has port 'abc'", "from 1 to 65535", id="port-not-number"
            ),
            pytest.param("localhost:0", "has port '0'", "from 1 to 65535", id="port-zero"),
            pytest.param(
                "localhost:70000", "has port '70000'", "from 1 to 65535", id="port-too-high"
            ),
            pytest.param("localhost:", "has port ''", "from 1 to 65535", id="empty-port"),
            pytest.param("localhost:-1", "has port '-1'", "from 1 to 65535", id="negative-port"),
            pytest.param(
                "ghcr.io/acme", "holds a path", "namespace = 'acme'", id="path-suggests-namespace"
            ),
            pytest.param("", "is not a host name", "e.g. ghcr.io", id="empty"),
            pytest.param(
                "-bad.example", "is not a host name", "e.g. ghcr.io", id="label-starts-with-dash"
            ),
            pytest.param(
                "bad-.example", "is not a host name", "e.g. ghcr.io", id="label-ends-dash"
            ),
            pytest.param("a..b", "is not a host name", "e.g. ghcr.io", id="empty-label"),
            pytest.param("reg_1.example", "is not a host name", "e.g. ghcr.io", id="underscore"),
            pytest.param("::1", "is not a host name", "e.g. ghcr.io", id="unbracketed-ipv6"),
            pytest.param(
                "localhost:5000:6000", "is not a host name", "e.g. ghcr.io", id="two-ports"
            ),
            # A non-ASCII "digit" passes str.isdigit() but not int(): still a bad port.
            pytest.param("localhost:5²", "has port '5²'", "from 1 to 65535", id="superscript-port"),
        ],
    )
    def test_refused(self, url: str, problem: str, fix: str) -> None:
        with pytest.raises(ConfigError) as info:
            split_host(url)
        message = str(info.value)
        assert message.startswith(f"registry url {url!r} ")
        assert problem in message
        assert fix in message
        assert "\n" not in message

    def test_https_scheme_does_not_suggest_insecure(self) -> None:
        with pytest.raises(ConfigError) as info:
            split_host("https://ghcr.io")
        assert "insecure" not in str(info.value)

    def test_path_message_names_the_url_to_write(self) -> None:
        with pytest.raises(ConfigError, match=r"write url = 'ghcr\.io' and namespace = 'acme/web'"):
            split_host("ghcr.io/acme/web")

    def test_where_names_the_setting(self) -> None:
        with pytest.raises(ConfigError) as info:
            split_host("ghcr.io/acme", "registries.ci url")
        assert str(info.value).startswith("registries.ci url 'ghcr.io/acme' holds a path")


class TestIsLoopback:
    """Only `localhost`, 127.0.0.0/8 and ::1 are loopback: exact names, not prefixes."""

    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            pytest.param("localhost", True, id="localhost"),
            pytest.param("LocalHost", True, id="localhost-any-case"),
            pytest.param("127.0.0.1", True, id="ipv4-loopback"),
            pytest.param("127.9.9.9", True, id="whole-127-slash-8"),
            pytest.param("::1", True, id="ipv6-loopback"),
            pytest.param("[::1]", True, id="bracketed-ipv6-loopback"),
            pytest.param("localhost.example.com", False, id="localhost-as-subdomain"),
            pytest.param("localhostx", False, id="localhost-prefix"),
            pytest.param("my-localhost", False, id="localhost-suffix"),
            pytest.param("10.0.0.1", False, id="private-ipv4"),
            pytest.param("128.0.0.1", False, id="just-outside-127"),
            pytest.param("0.0.0.0", False, id="unspecified-ipv4"),
            pytest.param("::", False, id="unspecified-ipv6"),
            pytest.param("[::2]", False, id="other-ipv6"),
            pytest.param("ghcr.io", False, id="public-domain"),
            pytest.param("", False, id="empty"),
        ],
    )
    def test_is_loopback(self, host: str, expected: bool) -> None:
        assert is_loopback(host) is expected


class TestCheckNamespace:
    """A namespace is a distribution repository path: lowercase components joined by '/'."""

    @pytest.mark.parametrize(
        "namespace",
        [
            pytest.param("", id="empty-means-none"),
            pytest.param("acme", id="one-component"),
            pytest.param("acme/web", id="two-components"),
            pytest.param("team1/app-2/x", id="three-components"),
            pytest.param("acme-corp", id="dash"),
            pytest.param("acme--corp", id="dashes"),
            pytest.param("acme.corp", id="dot"),
            pytest.param("acme_corp", id="underscore"),
            pytest.param("acme__corp", id="double-underscore"),
            pytest.param("0acme", id="starts-with-digit"),
        ],
    )
    def test_accepted(self, namespace: str) -> None:
        check_namespace(namespace)

    @pytest.mark.parametrize(
        "namespace",
        [
            pytest.param("Acme", id="uppercase"),
            pytest.param("acme/", id="trailing-slash"),
            pytest.param("/acme", id="leading-slash"),
            pytest.param("acme//web", id="empty-component"),
            pytest.param("-acme", id="starts-with-dash"),
            pytest.param("acme-", id="ends-with-dash"),
            pytest.param(".acme", id="starts-with-dot"),
            pytest.param("acme..corp", id="two-dots"),
            pytest.param("acme___corp", id="three-underscores"),
            pytest.param("acme._corp", id="mixed-separators"),
            pytest.param("acme corp", id="space"),
            pytest.param("acme:web", id="colon"),
            pytest.param("ghcr.io/acme/", id="url-like"),
        ],
    )
    def test_refused(self, namespace: str) -> None:
        with pytest.raises(ConfigError) as info:
            check_namespace(namespace)
        message = str(info.value)
        assert message.startswith(f"registry namespace {namespace!r} is not a repository path")
        assert "lowercase" in message
        assert "e.g. acme or acme/web" in message

    def test_where_names_the_setting(self) -> None:
        with pytest.raises(ConfigError, match=r"^registries\.ci namespace 'Acme' "):
            check_namespace("Acme", "registries.ci namespace")

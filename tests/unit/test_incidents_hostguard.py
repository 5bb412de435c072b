"""The runbook host allow-list (SSRF guard): patterns, matching, the always-denied
link-local and metadata addresses. Pure, except `resolve` of numeric host forms."""

from __future__ import annotations

import ipaddress

import pytest

from sentinel.incidents.hostguard import (
    AllowList,
    HostDenied,
    as_address,
    parse_allow_list,
    parse_pattern,
    resolve,
)


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def allow(text: str) -> AllowList:
    return AllowList(parse_allow_list(text))


def test_patterns_parse_hosts_networks_and_ports() -> None:
    assert parse_pattern("*.Internal").host == "*.internal"
    assert parse_pattern("localhost:8080").port == 8080
    assert parse_pattern("10.0.0.0/8").network == ipaddress.ip_network("10.0.0.0/8")
    assert parse_pattern("10.1.2.3:443").network == ipaddress.ip_network("10.1.2.3/32")
    assert parse_pattern("[::1]:8080").port == 8080
    assert parse_pattern("fd00::/8").network == ipaddress.ip_network("fd00::/8")
    assert parse_pattern("::1").network == ipaddress.ip_network("::1/128")
    assert len(parse_allow_list("a.internal, 10.0.0.0/8  localhost:80")) == 3
    assert parse_allow_list("") == ()
    for bad in ("10.0.0.0/33", "host:99999", "host:x", "[::1]x", "a b/c@", "[zz]:80"):
        with pytest.raises(ValueError):
            parse_pattern(bad)


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fd00:ec2::254", "fe80::1", "::ffff:169.254.169.254"],
)
def test_link_local_and_metadata_are_always_denied(address: str) -> None:
    literal = as_address(address)
    assert literal is not None
    for allowed in (AllowList(), allow("*"), allow("169.254.0.0/16, fe80::/10, fd00::/8")):
        with pytest.raises(HostDenied, match="always denied"):
            allowed.check_literal(address, 80)
        with pytest.raises(HostDenied, match="always denied"):
            allowed.check_addresses("metadata.internal", 80, [literal])


def test_unset_allows_every_other_host() -> None:
    everything = AllowList()
    everything.check_literal("10.1.2.3", 80)
    everything.check_literal("example.com", 443)
    everything.check_addresses("db.internal", 5432, [ip("10.9.9.9")])


def test_names_match_host_patterns_and_ports() -> None:
    rules = allow("*.internal, localhost:8080")
    rules.check_literal("pay.internal", 443)
    rules.check_literal("a.b.internal", 80)
    rules.check_literal("LOCALHOST.", 8080)
    for host, port in (("internal", 80), ("localhost", 9090), ("example.com", 80)):
        with pytest.raises(HostDenied, match="SENTINEL_RUNBOOK_ALLOWED_HOSTS"):
            rules.check_literal(host, port)
    # The address behind a matching name is fine unless it is always denied.
    rules.check_addresses("pay.internal", 443, [ip("10.0.0.5")])
    with pytest.raises(HostDenied, match=r"pay.internal \(169.254.169.254\)"):
        rules.check_addresses("pay.internal", 443, [ip("10.0.0.5"), ip("169.254.169.254")])


def test_networks_allow_addresses_and_names_that_resolve_inside() -> None:
    rules = allow("10.0.0.0/8, [::1]:8080")
    rules.check_literal("10.20.30.40", 80)
    rules.check_literal("::1", 8080)
    with pytest.raises(HostDenied):
        rules.check_literal("::1", 9090)
    with pytest.raises(HostDenied):
        rules.check_literal("192.168.1.1", 80)
    # A name cannot be judged before it is resolved: saved, then checked at run time.
    rules.check_literal("db.corp", 5432)
    rules.check_addresses("db.corp", 5432, [ip("10.1.1.1")])
    with pytest.raises(HostDenied, match=r"db.corp \(192.168.0.9\)"):
        rules.check_addresses("db.corp", 5432, [ip("10.1.1.1"), ip("192.168.0.9")])
    with pytest.raises(HostDenied, match="no address"):
        rules.check_addresses("db.corp", 5432, [])


async def test_numeric_host_forms_resolve_to_what_they_mean() -> None:
    # A bare number is an IPv4 address to the resolver: 2852039166 is 169.254.169.254.
    assert await resolve("2852039166", 80) == [ip("169.254.169.254")]
    assert await resolve("127.0.0.1", 80) == [ip("127.0.0.1")]
    assert await resolve("[::ffff:169.254.169.254]", 80) == [ip("169.254.169.254")]
    with pytest.raises(HostDenied, match="cannot be resolved"):
        await resolve("no-such-host.invalid", 80)

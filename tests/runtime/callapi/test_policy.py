"""HostPolicy on its own: which addresses are public, how allow/deny entries are read and applied."""

from __future__ import annotations

import ipaddress

import pytest
from yarl import URL

from flowbot.runtime.callapi.policy import HostList
from flowbot.runtime.callapi.policy import HostPolicy
from flowbot.runtime.callapi.policy import HostRuleError
from flowbot.runtime.callapi.policy import is_public
from flowbot.runtime.flow import CallApiConfig

NOT_PUBLIC = [
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",  # private
    "127.0.0.1",
    "127.255.255.254",
    "::1",  # loopback
    "169.254.169.254",
    "fe80::1",  # link-local (the cloud metadata address)
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",  # multicast
    "0.0.0.0",
    "::",  # unspecified
    "240.0.0.1",
    "255.255.255.255",  # reserved, broadcast
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "2001:db8::1",  # documentation
    "fc00::1",
    "fd12:3456::1",  # unique local
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "64:ff9b::a00:1",
    "2002:7f00:1::1",
    "2002:a00:1::",  # NAT64 and 6to4 wrapping private IPv4
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_non_public_addresses(text: str) -> None:
    assert not is_public(ipaddress.ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses(text: str) -> None:
    assert is_public(ipaddress.ip_address(text))


def policy(allow: list[str] | None = None, deny: list[str] | None = None) -> HostPolicy:
    return HostPolicy.from_config(CallApiConfig(allowHosts=allow or [], denyHosts=deny or []))


def permits(p: HostPolicy, host: str, address: str) -> bool:
    return p.permits(host, ipaddress.ip_address(address))


def test_default_policy_allows_public_only() -> None:
    p = policy()
    assert permits(p, "api.example.com", "93.184.216.34")
    assert not permits(p, "api.example.com", "10.0.0.8")
    assert not permits(p, "169.254.169.254", "169.254.169.254")


def test_allow_by_name_wildcard_and_cidr() -> None:
    p = policy(allow=["billing.internal", "*.corp.example", "10.20.0.0/16", "::1"])
    assert permits(p, "billing.internal", "10.0.0.5")
    assert permits(p, "BILLING.internal.", "10.0.0.5")  # case and trailing dot do not matter
    assert permits(p, "a.b.corp.example", "192.168.0.4")
    assert not permits(p, "corp.example", "192.168.0.4")  # the wildcard is for subdomains
    assert not permits(p, "evilcorp.example", "192.168.0.4")
    assert permits(p, "anything", "10.20.3.4")
    assert not permits(p, "anything", "10.21.3.4")
    assert permits(p, "::1", "::1")
    assert permits(p, "x", "::ffff:10.20.1.1")  # a mapped address matches its IPv4 network


def test_deny_wins_and_applies_to_public_hosts() -> None:
    p = policy(allow=["10.0.0.0/8", "*.example.com"], deny=["10.0.0.5", "secret.example.com", "8.8.8.0/24"])
    assert not permits(p, "x", "10.0.0.5")
    assert permits(p, "x", "10.0.0.6")
    assert not permits(p, "secret.example.com", "93.184.216.34")
    assert not permits(p, "dns", "8.8.8.8")
    assert not permits(p, "dns", "::ffff:8.8.8.8")


def test_star_allows_everything_for_development() -> None:
    assert permits(policy(allow=["*"]), "localhost", "127.0.0.1")
    assert not permits(policy(deny=["*"]), "api.example.com", "93.184.216.34")


def test_international_names_match_in_punycode() -> None:
    p = policy(allow=["bücher.example"])
    assert permits(p, "xn--bcher-kva.example", "10.0.0.1")
    assert HostList.parse(["*.BÜCHER.example"]).matches_name("shop.xn--bcher-kva.example")


BAD_ENTRIES = ["http://api.example.com", "api.example.com:8080", "10.0.0.0/33", "a..b", "", "127.1", "x/y"]


@pytest.mark.parametrize("entry", BAD_ENTRIES)
def test_unreadable_entries_are_reported(entry: str) -> None:
    with pytest.raises(HostRuleError) as caught:
        HostList.parse(["fine.example.com", entry, "also-fine.example.com"])
    assert repr(entry) in str(caught.value)
    assert "fine.example.com" not in str(caught.value)


def test_the_policy_names_the_field_of_a_bad_entry() -> None:
    # model_construct skips CallApiConfig's own check, which reports the same error at load time.
    config = CallApiConfig.model_construct(allowHosts=["ok.example"], denyHosts=["ftp://x"])
    with pytest.raises(HostRuleError, match=r"^callApi\.denyHosts: 'ftp://x'"):
        HostPolicy.from_config(config)


def test_policies_are_hashable_and_equal_by_content() -> None:
    assert policy(allow=["a.example", "10.0.0.0/8"]) == policy(allow=["10.0.0.0/8", "a.example"])
    assert len({policy(), policy(), policy(allow=["x.example"])}) == 2


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://api.example.com/x", None),
        ("http://93.184.216.34/", None),
        ("ftp://api.example.com/", "EBLOCKED"),
        ("javascript:alert(1)", "EBLOCKED"),
        ("http://127.0.0.1/", "EBLOCKED"),
        ("http://[::1]:8080/", "EBLOCKED"),
        ("http://[fe80::1%25eth0]/", "EBLOCKED"),
        ("http://127.1/", "EINVALIDURL"),
        ("http://2130706433/", "EINVALIDURL"),
        ("http://a b/", "EINVALIDURL"),
        ("/relative/path", "EINVALIDURL"),
    ],
)
def test_check_url(url: str, status: str | None) -> None:
    refusal = policy().check_url(URL(url))
    assert (refusal.status if refusal else None) == status

"""Which hosts a bot's Call API may reach: the defence against server-side request forgery.

A bot's author writes URLs, but users fill their templates, so a flow can be steered towards the
machines behind the server (a database, a cloud metadata endpoint). The policy refuses every
address that is not public (private, loopback, link-local, multicast, reserved, unspecified...)
unless the bot allows it, and refuses whatever the bot denies.

The decision needs the address that is actually connected to, not the one seen by an earlier
lookup (a DNS name can answer differently the second time: DNS rebinding). So names are judged
inside the resolver that the connection uses (``resolver.PolicyResolver``), and literal addresses,
which never reach a resolver, are judged by :meth:`HostPolicy.check_url` before each hop.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from yarl import URL

if TYPE_CHECKING:  # flow.py validates callApi entries with this module
    from flowbot.runtime.flow import CallApiConfig


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = frozenset({"http", "https"})

# IPv6 ranges that carry an IPv4 address which the network may end up reaching:
# IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d); 6to4 is handled by ipaddress.
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Shared address space (carrier-grade NAT) is not "private" for ipaddress but is not public either.
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")


class HostRuleError(ValueError):
    """An ``allowHosts``/``denyHosts`` entry that is not a host name, a wildcard, an address or a CIDR."""


class Refusal(BaseModel):
    """Why a URL is not requested: the status stored in memory and a reason for the log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["EBLOCKED", "EINVALIDURL"]
    reason: str


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address in _MAPPED or address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


@functools.lru_cache(maxsize=4096)  # pure, and ipaddress's range checks cost microseconds per call
def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address (and for IPv6, what it embeds is public too)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        # The IPv6 form is only a wrapper (ipaddress calls these ranges private or reserved).
        return is_public(inner)
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return False
    special = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(special)


@functools.lru_cache(maxsize=4096)  # a pure function, called for every request and resolved address
def parse_address(text: str) -> IPAddress | None:
    """The address written in ``text`` (an IPv6 zone id is dropped), or None if it is not one."""
    text = text.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def normalize_name(name: str) -> str:
    """The form host names are compared in: lower case, no trailing dot, IDNA (punycode)."""
    name = name.strip().lower().rstrip(".")
    if name.isascii():
        return name
    try:
        host = URL.build(scheme="http", host=name).raw_host
    except ValueError as exc:
        raise HostRuleError(f"{name!r} is not a valid host name") from exc
    return (host or name).rstrip(".")


def _looks_numeric(host: str) -> bool:
    # Forms such as 127.1 or 2130706433 that socket libraries read as an IPv4 address.
    return ":" in host or host.replace(".", "").isdigit()


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


class HostList(BaseModel):
    """One of ``allowHosts`` / ``denyHosts``, parsed: exact names, ``*.suffix`` wildcards, networks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    everything: bool = False  # the entry "*"
    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()  # ".example.com" for "*.example.com"
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> HostList:
        everything, names, suffixes, networks, bad = False, set(), [], [], []
        for entry in entries:
            text = entry.strip()
            if text == "*":
                everything = True
                continue
            try:
                network = ipaddress.ip_network(text.strip("[]"), strict=False)
            except ValueError:
                pass
            else:
                networks.append(network)
                continue
            wildcard = text.startswith("*.")
            try:
                name = normalize_name(text[2:] if wildcard else text)
            except HostRuleError:
                name = ""
            if not name or not set(name) <= _NAME_CHARS or _looks_numeric(name) or ".." in name:
                bad.append(entry)
            elif wildcard:
                suffixes.append("." + name)
            else:
                names.add(name)
        if bad:
            raise HostRuleError(
                f"{', '.join(repr(b) for b in bad)}: not a host name, a '*.domain' wildcard, "
                "an IP address or a CIDR such as 10.0.0.0/8"
            )
        return cls(
            everything=everything, names=frozenset(names), suffixes=tuple(suffixes), networks=tuple(networks)
        )

    def matches_name(self, name: str) -> bool:
        return self.everything or name in self.names or name.endswith(self.suffixes)

    def matches_address(self, address: IPAddress) -> bool:
        if self.everything or not self.networks:
            return self.everything
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(a in n for a in candidates for n in self.networks if a.version == n.version)


class HostPolicy(BaseModel):
    """A bot's host policy. Hashable: the HTTP client keeps one connection pool per policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow: HostList = HostList()
    deny: HostList = HostList()

    @classmethod
    def from_config(cls, config: CallApiConfig) -> HostPolicy:
        """Raises :class:`HostRuleError` naming every entry that cannot be understood."""
        lists = {}
        for field, entries in (("allowHosts", config.allowHosts), ("denyHosts", config.denyHosts)):
            try:
                lists[field] = HostList.parse(entries)
            except HostRuleError as exc:
                raise HostRuleError(f"callApi.{field}: {exc}") from exc
        return cls(allow=lists["allowHosts"], deny=lists["denyHosts"])

    def permits(self, host: str, address: IPAddress) -> bool:
        """May a request for ``host`` connect to ``address``? Deny wins, then allow, then public only."""
        name = normalize_name(host)
        if self.deny.matches_name(name) or self.deny.matches_address(address):
            return False
        if self.allow.matches_name(name) or self.allow.matches_address(address):
            return True
        return is_public(address)

    def check_url(self, url: URL) -> Refusal | None:
        """Checks one hop before it is requested; names are checked again, with addresses, on connect."""
        if url.scheme and url.scheme not in SCHEMES:
            return Refusal(status="EBLOCKED", reason=f"scheme {url.scheme!r} is not http or https")
        if not url.absolute or not url.scheme:
            return Refusal(status="EINVALIDURL", reason=f"{str(url)!r} is not an absolute http(s) URL")
        host = url.raw_host
        if not host:
            return Refusal(status="EINVALIDURL", reason="the URL has no host")
        address = parse_address(host)
        if address is None and _looks_numeric(host):
            return Refusal(status="EINVALIDURL", reason=f"{host!r} is not a valid IP address")
        if address is not None:
            return None if self.permits(host, address) else _blocked(host, address)
        try:
            name = normalize_name(host)
        except HostRuleError:
            return Refusal(status="EINVALIDURL", reason=f"{host!r} is not a valid host name")
        if not set(name) <= _NAME_CHARS:
            return Refusal(status="EINVALIDURL", reason=f"{host!r} is not a valid host name")
        if self.deny.matches_name(name):
            return Refusal(status="EBLOCKED", reason=f"{host} is in callApi.denyHosts")
        return None


def _blocked(host: str, address: IPAddress) -> Refusal:
    what = str(address) if parse_address(host) == address else f"{host} ({address})"
    return Refusal(
        status="EBLOCKED", reason=f"{what} is not a public address, or is denied by callApi.denyHosts"
    )

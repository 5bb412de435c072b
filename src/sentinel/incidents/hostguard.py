"""Which hosts runbook HTTP steps may call: the guard against server-side request forgery.

- Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are
  always denied, whether the URL names them or a hostname resolves to them.
- `SENTINEL_RUNBOOK_ALLOWED_HOSTS` (comma separated) narrows the rest: host patterns
  (`*.internal`, `api.example.com`), IP networks (`10.0.0.0/8`, `fd00::/8`), single
  addresses, each optionally with a port (`localhost:8080`, `10.1.2.3:443`,
  `[::1]:8080`); `*` allows every host. Unset, every host but the always-denied ones
  may be called.
- A hostname is allowed when a host pattern matches it, or when every address it
  resolves to lies in an allowed network; the call then goes to the address that was
  checked (the name is kept for the Host header and TLS), so a second DNS answer cannot
  swap in another address.

Parsing and matching are pure; `resolve` is the one function with I/O.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALWAYS_DENIED: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),  # IPv4 link-local: 169.254.169.254 metadata
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6
)


class HostDenied(ValueError):
    """The step's host may not be called; the message says why."""


@dataclass(frozen=True)
class HostPattern:
    text: str
    host: str | None = None  # a lowercase glob over the hostname
    network: IPNetwork | None = None
    port: int | None = None

    def matches_name(self, host: str, port: int) -> bool:
        return (
            self.host is not None
            and (self.port is None or self.port == port)
            and fnmatch.fnmatchcase(host, self.host)
        )

    def matches_address(self, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address.version == self.network.version and address in self.network
        return self.host is not None and fnmatch.fnmatchcase(str(address), self.host)


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{whole!r}: the port must be a number from 1 to 65535")
    return int(text)


def parse_pattern(text: str) -> HostPattern:
    """One allow-list entry; ValueError names what is wrong with it."""
    raw = text.strip().lower()
    if not raw:
        raise ValueError("an empty host pattern")
    if "/" in raw and not raw.startswith("["):
        try:
            return HostPattern(text, network=ipaddress.ip_network(raw, strict=False))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not an IP network: {exc}") from None
    port: int | None = None
    if raw.startswith("["):  # [v6 address or network]:port
        inner, _, rest = raw[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r}: expected ':port' after ']'")
            port = _port(rest[1:], text)
        try:
            return HostPattern(text, network=ipaddress.ip_network(inner, strict=False), port=port)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not an IPv6 address: {exc}") from None
    try:
        return HostPattern(text, network=ipaddress.ip_network(raw))  # a bare v4 or v6 address
    except ValueError:
        pass
    host, sep, port_text = raw.rpartition(":")
    if sep:
        port = _port(port_text, text)
    else:
        host = raw
    host = host.rstrip(".")
    try:
        return HostPattern(text, network=ipaddress.ip_network(host), port=port)
    except ValueError:
        pass
    if not host or any(c.isspace() or c in "/@?#" for c in host):
        raise ValueError(f"{text!r} is not a host pattern")
    return HostPattern(text, host=host, port=port)


def parse_allow_list(text: str) -> tuple[HostPattern, ...]:
    """`SENTINEL_RUNBOOK_ALLOWED_HOSTS`: comma (or space) separated patterns."""
    return tuple(parse_pattern(p) for p in text.replace(",", " ").split())


def as_address(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:169.254.169.254 is 169.254.169.254
    return address


def always_denied(address: IPAddress) -> bool:
    return any(address.version == n.version and address in n for n in ALWAYS_DENIED)


@dataclass(frozen=True)
class AllowList:
    patterns: tuple[HostPattern, ...] = ()

    @property
    def open(self) -> bool:
        """Unset: every host but the always-denied addresses."""
        return not self.patterns or any(p.host == "*" for p in self.patterns)

    def _describe(self) -> str:
        return ", ".join(p.text for p in self.patterns)

    def check_literal(self, host: str, port: int) -> None:
        """What can be decided from the URL alone (a runbook being saved): an address is
        decided fully; a name is refused only when no pattern could ever allow it."""
        host = host.lower().rstrip(".")
        address = as_address(host)
        if address is not None:
            self.check_addresses(host, port, [address])
            return
        if self.open or any(p.matches_name(host, port) for p in self.patterns):
            return
        if not any(p.network is not None for p in self.patterns):
            raise HostDenied(
                f"{host}:{port} matches no entry of SENTINEL_RUNBOOK_ALLOWED_HOSTS "
                f"({self._describe()})."
            )

    def check_addresses(self, host: str, port: int, addresses: Sequence[IPAddress]) -> None:
        """The final word, on the addresses the host resolved to."""
        host = host.lower().rstrip(".")
        if not addresses:
            raise HostDenied(f"{host} resolves to no address.")
        for address in addresses:
            if always_denied(address):
                shown = host if str(address) == host else f"{host} ({address})"
                raise HostDenied(
                    f"{shown} is a link-local or cloud metadata address: always denied."
                )
        if self.open or any(p.matches_name(host, port) for p in self.patterns):
            return
        for address in addresses:
            if not any(p.matches_address(address, port) for p in self.patterns):
                shown = host if str(address) == host else f"{host} ({address})"
                raise HostDenied(
                    f"{shown}:{port} matches no entry of SENTINEL_RUNBOOK_ALLOWED_HOSTS "
                    f"({self._describe()})."
                )


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses a host name (or address literal, in any form the resolver takes,
    e.g. a bare number) stands for."""
    literal = as_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise HostDenied(f"{host} cannot be resolved: {exc}.") from None
    out: list[IPAddress] = []
    for info in infos:
        address = as_address(str(info[4][0]).split("%", 1)[0])
        if address is not None and address not in out:
            out.append(address)
    return out

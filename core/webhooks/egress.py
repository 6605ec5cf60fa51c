"""Reaching a webhook endpoint without being an SSRF vector: resolve once, vet, connect to that.

`vet` parses the URL, resolves its host once (through DNS_NAMESERVERS when set, else the system)
and refuses it unless every address is public (`core.webhooks.addresses`). `pinned_client` then
sends to exactly those addresses: the host name stays in the Host header and in TLS (SNI and the
certificate's name check) but is never looked up again, so a DNS server that answers a public
address to the check and 127.0.0.1 to the connection (DNS rebinding) gets nowhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core import errors
from core.lazy import lazy_module
from core.settings import Settings
from core.webhooks.addresses import IPAddress, refusal

if TYPE_CHECKING:
    import httpx
else:
    # httpx loads when a URL is first vetted, not with the API (issue 24); the transport that
    # subclasses it lives in core.webhooks.pinned for that reason.
    httpx = lazy_module("httpx")

TIMEOUT_SECONDS = 10.0


class EndpointRefused(errors.Refused, ValueError):
    """The endpoint cannot be used; the message names the field and the reason."""


@dataclass(frozen=True)
class EgressPolicy:
    """How endpoint hosts are resolved and which addresses they may resolve to."""

    allow_loopback: bool = False  # WEBHOOKS_ALLOW_LOOPBACK: local development only
    nameservers: str = ""  # DNS_NAMESERVERS: "ip[:port],..."; empty = the system's resolver
    # Tests only (never read from settings): exact addresses treated as public, so a test can
    # stand in a local address for a public one while loopback as a whole stays refused.
    also_allow: frozenset[IPAddress] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> EgressPolicy:
        return cls(allow_loopback=settings.webhooks_allow_loopback, nameservers=settings.dns_nameservers)


@dataclass(frozen=True)
class VettedTarget:
    """A URL whose host resolved, once, to addresses that may all receive webhooks."""

    url: str
    host: str  # as httpx sends it: lower case, IDNA A-labels, IPv6 without brackets
    port: int
    addresses: tuple[str, ...]


def _host_and_port(url: str) -> tuple[str, int]:
    if len(url) > 2000:
        raise EndpointRefused("url: at most 2,000 characters")
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise EndpointRefused("url: only https endpoints receive webhooks")
    if not parts.hostname or parts.username or parts.password:
        raise EndpointRefused("url: give a host, without credentials in the URL")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise EndpointRefused("url: the port is not valid") from exc
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise EndpointRefused(f"url: not valid ({exc})") from exc
    # Vet the host httpx will send to; if the two parsers disagree about it, the URL is ambiguous
    # and someone may be playing one parser against the other.
    if not _same_host(parsed.host, parts.hostname) or (parsed.port or 443) != port:
        raise EndpointRefused("url: the host or port is ambiguous")
    return parsed.raw_host.decode("ascii").lower(), port


def _same_host(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)  # 0:0::1 is ::1
    except ValueError:
        return a.lower() == b.lower()


async def _ask_nameservers(host: str, nameservers: str) -> list[str]:
    import dns.exception
    import dns.resolver

    from core.collect.dns_records import make_resolver

    resolver = make_resolver(nameservers)
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = await resolver.resolve(host, rdtype)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            continue
        except dns.exception.DNSException as exc:  # timeouts, SERVFAIL: no answer to vet
            raise EndpointRefused(f"url: {host} could not be resolved ({type(exc).__name__})") from exc
        found += [rr.address for rr in answer]
    return found


async def _ask_system(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))  # unique, in the system's order


async def resolve(host: str, port: int, nameservers: str) -> list[str]:
    """Every address `host` resolves to; a literal address is its own answer."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if nameservers.strip():
        addresses = await _ask_nameservers(host, nameservers)
    else:
        addresses = await _ask_system(host, port)
    if not addresses:
        raise EndpointRefused(f"url: {host} does not resolve")
    return addresses


async def vet(url: str, policy: EgressPolicy) -> VettedTarget:
    """Resolve the URL's host once and return it with its addresses, or raise EndpointRefused."""
    host, port = _host_and_port(url)
    addresses = await resolve(host, port, policy.nameservers)
    reasons = {
        a: refusal(a, allow_loopback=policy.allow_loopback, also_allow=policy.also_allow) for a in addresses
    }
    refused = [f"{a}: {why}" for a, why in reasons.items() if why]
    if refused:
        # One bad address refuses the host: which one a connection would use is not ours to pick.
        raise EndpointRefused(f"url: {host} resolves to a non-public address ({'; '.join(refused)})")
    return VettedTarget(url, host, port, tuple(addresses))


def pinned_client(target: VettedTarget, *, tls: ssl.SSLContext | None = None) -> httpx.AsyncClient:
    """A client for one delivery to `target`. Redirects are not followed (a receiver answers 2xx or
    fails); trust_env is off so HTTPS_PROXY and friends cannot route around the pinned transport."""
    from core.webhooks.pinned import PinnedTransport  # subclasses httpx's: imported with the client

    return httpx.AsyncClient(
        transport=PinnedTransport(target, tls=tls),
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,
    )

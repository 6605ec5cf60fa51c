"""SPF, DMARC and DKIM records of a tenant's custom domains, from DNS through dnspython."""

from __future__ import annotations

import asyncio
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver

DKIM_SELECTORS = ("selector1", "selector2")  # the selectors Exchange Online publishes


class DnsUnavailable(Exception):
    pass


def make_resolver(nameservers: str, timeout: float = 3.0) -> dns.asyncresolver.Resolver:
    """`nameservers` is "ip[:port],..."; empty means the machine's own resolver configuration."""
    if not nameservers.strip():
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        addresses, ports = [], set()
        for entry in nameservers.split(","):
            host, _, port = entry.strip().partition(":")
            addresses.append(host)
            ports.add(int(port) if port else 53)
        if len(ports) != 1:
            raise ValueError("DNS_NAMESERVERS must all use the same port")
        # The port first: dnspython binds it into each nameserver when the list is assigned.
        resolver.port = ports.pop()
        resolver.nameservers = addresses
    resolver.lifetime = timeout
    return resolver


async def _txt(resolver: dns.asyncresolver.Resolver, name: str) -> list[str]:
    try:
        answer = await resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise DnsUnavailable(f"TXT {name}: {type(exc).__name__}") from exc
    # A TXT record may be split into several strings; the record's value is their concatenation.
    return [b"".join(rdata.strings).decode(errors="replace") for rdata in answer]


async def _cname(resolver: dns.asyncresolver.Resolver, name: str) -> str | None:
    try:
        answer = await resolver.resolve(name, "CNAME")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    except dns.exception.DNSException as exc:
        raise DnsUnavailable(f"CNAME {name}: {type(exc).__name__}") from exc
    return str(answer[0].target).rstrip(".")


async def domain_records(resolver: dns.asyncresolver.Resolver, domain: str) -> dict[str, Any]:
    txt, dmarc = await asyncio.gather(_txt(resolver, domain), _txt(resolver, f"_dmarc.{domain}"))
    dkim = await asyncio.gather(
        *(_cname(resolver, f"{selector}._domainkey.{domain}") for selector in DKIM_SELECTORS)
    )
    return {
        "spf": [record for record in txt if record.lower().startswith("v=spf1")],
        "dmarc": [record for record in dmarc if record.lower().startswith("v=dmarc1")],
        "dkim": dict(zip(DKIM_SELECTORS, dkim, strict=True)),
    }


def custom_domains(domains: list[dict[str, Any]]) -> list[str]:
    """Verified domains that carry mail of their own (not the *.onmicrosoft.com ones)."""
    return sorted(
        d["id"].lower()
        for d in domains
        if d.get("isVerified") and not d["id"].lower().endswith(".onmicrosoft.com")
    )


async def collect_dns(resolver: dns.asyncresolver.Resolver, domains: list[str]) -> dict[str, Any]:
    records = await asyncio.gather(*(domain_records(resolver, d) for d in domains))
    return dict(zip(domains, records, strict=True))

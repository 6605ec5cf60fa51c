"""Which IP addresses may receive webhooks: the classification half of the SSRF guard.

An address may receive deliveries only if it is public. IPv6 forms that carry an IPv4 address
(IPv4-mapped, NAT64, 6to4, Teredo) are judged by the IPv4 address they lead to as well, because a
gateway or the kernel turns them into a connection to that IPv4 address. Python's own
`is_global`/`is_reserved` tables differ between versions (3.11 calls all of ::/8 reserved, later
versions call 6to4 private), so the embedded forms are decided here, before those tables are
consulted.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv6Address

IPAddress = IPv4Address | IPv6Address

# Refused whatever any other rule or allowance says: reaching them from inside Azure is the
# classic SSRF prize (168.63.129.16 is an ordinary-looking public address, so `is_global` passes it).
DENIED: dict[IPv4Address, str] = {
    IPv4Address("168.63.129.16"): "Azure's platform wire server",
    IPv4Address("169.254.169.254"): "the instance metadata service",
}
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: an operator's own translators
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated by RFC 4291; also holds :: and ::1


def _not_public(ip: IPAddress) -> bool:
    # `is_global` alone misses multicast (ff0e::/16 is "global") and 6to4/NAT64 oddities, so the
    # narrower flags are checked too.
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_link_local
        or ip.is_private
        or ip.is_unspecified
        or (isinstance(ip, IPv6Address) and ip.is_site_local)
    )


def _ipv4_refusal(ip: IPv4Address, allow_loopback: bool, also_allow: frozenset[IPAddress]) -> str | None:
    if ip in DENIED:
        return DENIED[ip]
    if ip in also_allow:
        return None
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    return "not public" if _not_public(ip) else None


def embedded_ipv4(ip: IPv6Address) -> list[tuple[str, IPv4Address]]:
    """The IPv4 addresses an IPv6 address leads to, each with the name of its form."""
    found: list[tuple[str, IPv4Address]] = []
    if ip.ipv4_mapped is not None:
        found.append(("IPv4-mapped", ip.ipv4_mapped))
    if ip in NAT64_WELL_KNOWN:
        found.append(("NAT64", IPv4Address(int(ip) & 0xFFFFFFFF)))
    if ip.sixtofour is not None:
        found.append(("6to4", ip.sixtofour))
    if ip.teredo is not None:
        # The stdlib undoes the client address's XOR obfuscation; both ends are checked.
        server, client = ip.teredo
        found += [("Teredo server", server), ("Teredo client", client)]
    return found


def _ipv6_refusal(ip: IPv6Address, allow_loopback: bool, also_allow: frozenset[IPAddress]) -> str | None:
    if ip.is_loopback:  # ::1, before the ::/96 rule that would otherwise take it
        return None if allow_loopback or ip in also_allow else "loopback"
    if ip in NAT64_LOCAL_USE:
        return "NAT64 local-use prefix"  # where it leads depends on a private translator
    if ip in IPV4_COMPATIBLE:
        return "IPv4-compatible (deprecated) or unspecified"
    for form, inner in embedded_ipv4(ip):
        # No allowance reaches through an embedding: development loopback is spelled 127.0.0.1.
        reason = _ipv4_refusal(inner, allow_loopback=False, also_allow=frozenset())
        if reason:
            return f"{form} of {inner}: {reason}"
    if ip in also_allow:
        return None
    if ip.ipv4_mapped is not None or ip in NAT64_WELL_KNOWN or ip.sixtofour is not None:
        # These only wrap the IPv4 address judged above; Python's tables disagree about them
        # between versions (3.11 calls ::/8 reserved, 3.13 calls 2002::/16 private).
        return None
    return "not public" if _not_public(ip) else None  # Teredo (2001::/32) stays non-global here


def refusal(
    address: str, *, allow_loopback: bool = False, also_allow: frozenset[IPAddress] = frozenset()
) -> str | None:
    """Why `address` may not receive webhooks, or None if it may.

    `allow_loopback` is the development setting; `also_allow` names exact addresses a test treats
    as public. Neither ever admits the DENIED addresses or a non-public IPv4 address inside IPv6.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, IPv4Address):
        return _ipv4_refusal(ip, allow_loopback, also_allow)
    if ip.scope_id is not None:
        return "scoped (link-local)"  # only link-local addresses carry a zone
    return _ipv6_refusal(ip, allow_loopback, also_allow)

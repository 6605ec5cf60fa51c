"""The address half of the webhook SSRF guard: which addresses may receive deliveries, including
IPv6 forms that lead to an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from core.webhooks.addresses import embedded_ipv4, refusal


def teredo(server: str, client: str, port: int = 40000) -> str:
    """A Teredo address (RFC 4380): 2001:0::/32, the server's IPv4 address in bits 32-63, flags,
    then the client's port and IPv4 address, both XOR-obfuscated with all ones."""
    value = (
        (0x2001_0000 << 96)
        | (int(IPv4Address(server)) << 64)
        | (0x8000 << 48)
        | ((port ^ 0xFFFF) << 32)
        | (int(IPv4Address(client)) ^ 0xFFFF_FFFF)
    )
    return str(IPv6Address(value))


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        # Plain IPv4.
        ("8.8.8.8", None),
        ("10.0.0.1", "not public"),
        ("172.16.5.4", "not public"),
        ("192.168.1.1", "not public"),
        ("100.64.0.1", "not public"),  # carrier-grade NAT
        ("192.0.2.1", "not public"),  # documentation
        ("0.0.0.0", "not public"),  # noqa: S104 - an address to refuse, not to bind
        ("224.0.0.251", "not public"),
        ("255.255.255.255", "not public"),
        ("169.254.10.10", "not public"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("169.254.169.254", "metadata"),
        ("168.63.129.16", "wire server"),  # a public address by every table: refused by name
        # Plain IPv6.
        ("2606:4700:4700::1111", None),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "not public"),
        ("fe80::1%eth0", "scoped"),
        ("fc00::1", "not public"),
        ("fec0::1", "not public"),
        ("ff0e::1", "not public"),
        ("2001:db8::1", "not public"),
        # IPv4-mapped ::ffff:0:0/96: judged by the IPv4 address.
        ("::ffff:8.8.8.8", None),
        ("::ffff:127.0.0.1", "IPv4-mapped of 127.0.0.1: loopback"),
        ("::ffff:10.1.2.3", "IPv4-mapped of 10.1.2.3"),
        ("::ffff:168.63.129.16", "wire server"),
        # IPv4-compatible ::/96: deprecated, refused whatever it holds.
        ("::808:808", "IPv4-compatible"),
        ("::7f00:1", "IPv4-compatible"),
        # NAT64, well-known prefix 64:ff9b::/96: the IPv4 address is the last 32 bits.
        ("64:ff9b::808:808", None),
        ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1: loopback"),
        ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"),
        ("64:ff9b::a83f:8110", "NAT64 of 168.63.129.16"),
        # NAT64 local-use 64:ff9b:1::/48: an operator's own translator, refused outright.
        ("64:ff9b:1::808:808", "local-use"),
        ("64:ff9b:1::7f00:1", "local-use"),
        # 6to4 2002::/16: the IPv4 address is in bits 16-47.
        ("2002:0808:0808::", None),
        ("2002:0808:0808:1::1", None),
        ("2002:7f00:0001::", "6to4 of 127.0.0.1: loopback"),
        ("2002:0a00:0001::1", "6to4 of 10.0.0.1"),
        ("2002:c0a8:0101::", "6to4 of 192.168.1.1"),
        ("2002:a9fe:a9fe::", "6to4 of 169.254.169.254"),
        ("2002:a83f:8110::", "6to4 of 168.63.129.16"),
        # Teredo 2001::/32: server in bits 32-63, client XOR-obfuscated in the last 32 bits.
        (teredo("127.0.0.1", "8.8.8.8"), "Teredo server of 127.0.0.1"),
        (teredo("65.54.227.120", "10.0.0.5"), "Teredo client of 10.0.0.5"),
        (teredo("65.54.227.120", "169.254.169.254"), "Teredo client of 169.254.169.254"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo client of 192.0.2.45"),  # RFC 4380's
        # Both ends public: nothing embedded is refused, but 2001::/32 itself is not global.
        (teredo("65.54.227.120", "8.8.8.8"), "not public"),
    ],
)
def test_addresses_are_refused_unless_public(address: str, reason: str | None) -> None:
    found = refusal(address)
    if reason is None:
        assert found is None, f"{address} refused: {found}"
    else:
        assert found is not None and reason in found, f"{address}: {found!r}, wanted {reason!r}"


def test_a_teredo_client_is_read_through_its_obfuscation() -> None:
    # 127.0.0.1 XOR all ones reads as 128.255.255.254, a public-looking address: a check of the raw
    # bits would pass it.
    address = teredo("65.54.227.120", "127.0.0.1")
    assert str(address).endswith(":80ff:fffe")
    assert embedded_ipv4(IPv6Address(address)) == [
        ("Teredo server", IPv4Address("65.54.227.120")),
        ("Teredo client", IPv4Address("127.0.0.1")),
    ]
    assert refusal(address) == "Teredo client of 127.0.0.1: loopback"


def test_embedded_ipv4_names_each_form() -> None:
    def found(text: str) -> list[tuple[str, IPv4Address]]:
        address = ip_address(text)
        assert isinstance(address, IPv6Address)
        return embedded_ipv4(address)

    assert found("::ffff:1.2.3.4") == [("IPv4-mapped", IPv4Address("1.2.3.4"))]
    assert found("64:ff9b::102:304") == [("NAT64", IPv4Address("1.2.3.4"))]
    assert found("2002:102:304::") == [("6to4", IPv4Address("1.2.3.4"))]
    assert found("2606:4700:4700::1111") == []


def test_the_loopback_setting_relaxes_plain_loopback_only() -> None:
    assert refusal("127.0.0.1", allow_loopback=True) is None
    assert refusal("::1", allow_loopback=True) is None
    assert refusal("10.0.0.1", allow_loopback=True) == "not public"
    # Never through an embedding, and never for the two named addresses.
    assert refusal("::ffff:127.0.0.1", allow_loopback=True) is not None
    assert refusal("2002:7f00:1::", allow_loopback=True) is not None
    assert refusal("169.254.169.254", allow_loopback=True) is not None


def test_a_tests_exact_allowance_admits_that_address_and_nothing_near_it() -> None:
    allowed = frozenset({ip_address("127.0.0.2")})
    assert refusal("127.0.0.2", also_allow=allowed) is None
    assert refusal("127.0.0.1", also_allow=allowed) == "loopback"
    assert refusal("2002:7f00:2::", also_allow=allowed) == "6to4 of 127.0.0.2: loopback"
    named = frozenset({ip_address("168.63.129.16"), ip_address("169.254.169.254")})
    assert refusal("168.63.129.16", also_allow=named, allow_loopback=True) is not None
    assert refusal("169.254.169.254", also_allow=named, allow_loopback=True) is not None

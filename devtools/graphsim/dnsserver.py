"""A small authoritative DNS server (UDP) for the tenants' mail records: SPF and other TXT at the
domain, DMARC at `_dmarc.<domain>`, DKIM CNAMEs at `selectorN._domainkey.<domain>`, MX.

Unknown names get NXDOMAIN; a known name without the asked type gets an empty NOERROR answer, as a
real authoritative server gives.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from devtools.graphsim.state import SimState

TTL = 300


def _quoted(text: str) -> str:
    # A TXT string holds at most 255 bytes; longer records are split into several strings.
    chunks = [text[i : i + 255] for i in range(0, len(text), 255)] or [""]
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in chunks)


def answer(state: SimState, wire: bytes) -> bytes | None:
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None  # not DNS: ignore it as a real server would
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    for question in query.question:
        name = question.name.to_text(omit_final_dot=True).lower()
        records = state.zone.get(name)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            continue
        wanted = dns.rdatatype.to_text(question.rdtype)
        rdtype = "CNAME" if "CNAME" in records else wanted  # a CNAME answers every type at its name
        values = records.get(rdtype, [])
        if not values:
            continue
        if rdtype == "TXT":
            texts = [_quoted(v) for v in values]
        elif rdtype == "MX":
            texts = [f"{10 * i} {v.rstrip('.')}." for i, v in enumerate(values)]
        else:
            texts = [v.rstrip(".") + "." for v in values]
        response.answer.append(dns.rrset.from_text_list(question.name, TTL, dns.rdataclass.IN, rdtype, texts))
    return response.to_wire()


class DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, state: SimState) -> None:
        self.state = state
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = answer(self.state, data)
        if reply is not None and self.transport is not None:
            with contextlib.suppress(OSError):
                self.transport.sendto(reply, addr)

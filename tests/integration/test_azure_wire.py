"""The Azure SDK clients' wire (core.wire) against a real TLS server, the Graph simulator with a CA
of its own, as the local Cosmos stand-in has: requests to it reuse one TLS connection instead of
making one per request, because the TLS context for the CA file is made once."""

from __future__ import annotations

import aiohttp
from azure.core.rest import HttpRequest

from core.wire import ProxyAwareTransport
from devtools.graphsim.launcher import GraphSimulator


async def test_requests_with_a_ca_file_reuse_one_connection(graphsim: GraphSimulator) -> None:
    made: list[object] = []

    async def on_create(*_: object) -> None:
        made.append(object())

    tracing = aiohttp.TraceConfig()
    tracing.on_connection_create_end.append(on_create)
    session = aiohttp.ClientSession(trace_configs=[tracing], auto_decompress=False)
    transport = ProxyAwareTransport(
        session=session, session_owner=False, connection_verify=str(graphsim.ca_cert)
    )
    url = f"{graphsim.authority}/common/v2.0/.well-known/openid-configuration"
    try:
        async with transport:
            for _ in range(3):
                answer = await transport.send(HttpRequest("GET", url))
                await answer.read()
                assert answer.status_code == 200
    finally:
        await session.close()
    assert len(made) == 1

"""The MCP server's tools through a real MCP client session, acting with one API key's rights."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mcp import Client

from core.auth.api_keys import create_api_key
from core.auth.roles import Role
from core.bootstrap import LazyServices, Services
from core.customers import register_customer
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from functions.mcp_server import build_mcp_server

ROOT = Path(__file__).resolve().parents[2]


def _data(result: Any) -> Any:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if isinstance(content, dict) else content
    return json.loads(result.content[0].text)


async def _scanned_org(services: Services, graphsim: GraphSimulator, name: str) -> tuple[str, str]:
    org_id = f"mcp-{uuid.uuid4().hex[:8]}"
    tenant_id = graphsim.load_tenant(synthetic_tenant(12, seed=random.randint(1, 10**6), posture="weak"))
    await register_customer(
        services.store.org(org_id),
        tenant_id=tenant_id,
        display_name=name,
        primary_domain=f"{name.split()[0].lower()}.example",
        connected=True,
    )
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id="mcp-1", reason="manual")
    assert (await handle_scan_request(services, json.dumps(request.to_message()))).startswith("completed")
    return org_id, tenant_id


async def test_each_tool_answers_and_a_key_sees_only_its_own_msp(
    scan_settings: Settings, scan_services: Services, graphsim: GraphSimulator
) -> None:
    mine, my_tenant = await _scanned_org(scan_services, graphsim, "Mine Mining")
    _, their_tenant = await _scanned_org(scan_services, graphsim, "Theirs Textiles")
    key = await create_api_key(
        scan_services.store,
        mine,
        name="assistant",
        role=Role.MSP_ANALYST,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        created_by={},
    )
    lazy = LazyServices(scan_settings)
    try:
        async with Client(build_mcp_server(lazy, key.secret_key)) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == {
                "list_customers",
                "tenant_findings",
                "search_customers",
                "explain_finding",
                "fleet_compliance",
                "tenant_scorecard",
            }

            customers = _data(await client.call_tool("list_customers", {}))
            assert [c["customer"] for c in customers] == ["Mine Mining"]
            findings = _data(await client.call_tool("tenant_findings", {"tenant_id": my_tenant}))
            assert findings and all(f["status"] == "fail" for f in findings)
            found = _data(await client.call_tool("search_customers", {"query": "smtp"}))
            assert any("Mine Mining" in m["failing"] for m in found)
            explained = _data(
                await client.call_tool(
                    "explain_finding", {"tenant_id": my_tenant, "check_id": findings[0]["checkId"]}
                )
            )
            assert explained["remediation"] and explained["customer"] == "Mine Mining"

            foreign = await client.call_tool("tenant_findings", {"tenant_id": their_tenant})
            assert foreign.is_error and "Theirs" not in str(foreign.content)
            foreign_explain = await client.call_tool(
                "explain_finding", {"tenant_id": their_tenant, "check_id": findings[0]["checkId"]}
            )
            assert foreign_explain.is_error

            # Framework scorecards (issue 22): the fleet matrix and one tenant's scorecard agree.
            matrix = _data(await client.call_tool("fleet_compliance", {"profile_key": "scuba-shall"}))
            assert [r["displayName"] for r in matrix["rows"]] == ["Mine Mining"]
            card = _data(
                await client.call_tool(
                    "tenant_scorecard", {"tenant_id": my_tenant, "profile_key": "scuba-shall"}
                )
            )
            assert card["share"] == matrix["rows"][0]["share"] and card["controls"]
            foreign_card = await client.call_tool("tenant_scorecard", {"tenant_id": their_tenant})
            assert foreign_card.is_error and "Theirs" not in str(foreign_card.content)
            bad = await client.call_tool("fleet_compliance", {"profile_key": "cis-level-9"})
            assert bad.is_error and "profile_key" in str(bad.content)
    finally:
        await lazy.close()


async def test_the_stdio_server_starts_with_a_key(
    scan_settings: Settings, scan_services: Services, graphsim: GraphSimulator
) -> None:
    import os
    import sys

    from mcp import StdioServerParameters

    mine, _ = await _scanned_org(scan_services, graphsim, "Stdio Studios")
    key = await create_api_key(
        scan_services.store,
        mine,
        name="stdio",
        role=Role.MSP_ADMIN,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        created_by={},
    )
    env = {
        k.upper(): str(v.get_secret_value() if hasattr(v, "get_secret_value") else v)
        for k, v in scan_settings.model_dump().items()
        if v is not None
    }
    env.update({"SCANPOSTURE_API_KEY": key.secret_key, "PATH": os.environ.get("PATH", "")})
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "functions.cli", "mcp"],
        env=env,
        cwd=str(ROOT),
    )
    async with Client(params) as client:
        customers = _data(await client.call_tool("list_customers", {}))
    assert [c["customer"] for c in customers] == ["Stdio Studios"]


async def test_the_http_route_serves_the_same_tools_with_the_callers_key(
    scan_settings: Settings, scan_services: Services, graphsim: GraphSimulator
) -> None:
    import asyncio

    import httpx2
    import uvicorn
    from mcp.client.streamable_http import streamable_http_client

    from devtools.processes import free_port
    from functions.api import create_api

    mine, _ = await _scanned_org(scan_services, graphsim, "Http Hosiery")
    key = await create_api_key(
        scan_services.store,
        mine,
        name="http",
        role=Role.MSP_ANALYST,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        created_by={},
    )
    lazy = LazyServices(scan_settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_api(lazy), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}/api/mcp/"
        async with httpx2.AsyncClient() as anonymous:
            refused = await anonymous.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401
        http = httpx2.AsyncClient(headers={"authorization": f"Bearer {key.secret_key}"}, timeout=30)
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            customers = _data(await client.call_tool("list_customers", {}))
        assert [c["customer"] for c in customers] == ["Http Hosiery"]
    finally:
        server.should_exit = True
        await task
        await lazy.close()

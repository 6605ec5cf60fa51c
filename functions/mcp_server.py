"""An MCP server for AI assistants: read-only tools over the same services the API uses, acting
with one API key's rights (so a key sees only its own MSP, and an analyst's key only what analysts
may read). Run over stdio with `scanposture mcp` (the key from SCANPOSTURE_API_KEY)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from core.auth.api_keys import principal_for_api_key
from core.auth.principals import Grant, authorize
from core.auth.roles import Action
from core.bootstrap import LazyServices
from core.checks.catalogue import get_check
from core.checks.model import Status
from core.compliance import MatrixFilter, fleet_matrix
from core.customers import get_customer
from core.drilldown import FindingFilter, findings_page
from core.fleet import FleetFilter, fleet_view
from core.frameworks.mappings import framework_ids
from core.frameworks.profiles import PROFILE_KEYS, profile
from core.frameworks.scorecard_view import matrix_body, scorecard_body, tenant_scorecard
from core.search import search_fleet


class _Tools:
    """The tools, each acting with one API key's rights, re-checked on every call (revocation is
    immediate)."""

    def __init__(self, services: LazyServices, api_key: str) -> None:
        self._services, self._api_key = services, api_key

    async def grant(self, action: Action, tenant_id: str | None = None) -> Grant:
        built = await self._services.get()
        principal = await principal_for_api_key(built.store, self._api_key)
        return await authorize(built.store, principal, action, tenant_id=tenant_id)

    async def list_customers(self) -> list[dict[str, Any]]:
        """Every customer of the MSP with its posture score, open P1 count and connection state."""
        g = await self.grant(Action.VIEW_FLEET)
        rows = await fleet_view(
            (await self._services.get()).store.org(g.org_id), FleetFilter(sort="score"), datetime.now(UTC)
        )
        return [
            {
                "customer": r.customer.display_name,
                "tenantId": r.customer.tenant_id,
                "score": r.score,
                "openPriorityCount": r.open_priority_count,
                "state": r.customer.connection.state.value,
            }
            for r in rows
        ]

    async def tenant_findings(self, tenant_id: str, only_failing: bool = True) -> list[dict[str, Any]]:
        """One customer tenant's findings (failing ones by default), most severe first."""
        g = await self.grant(Action.VIEW_TENANT, tenant_id)
        assert g.tenant_id is not None
        wanted = FindingFilter(status=Status.FAIL if only_failing else None)
        items, _ = await findings_page(
            (await self._services.get()).store.relationship(g.relationship),
            wanted,
            page_size=100,
            page_token=None,
            now=datetime.now(UTC),
        )
        return [
            {
                "checkId": f["checkId"],
                "title": f["title"],
                "severity": f["severity"],
                "status": f["status"],
                "summary": f["summary"],
                "accepted": f["accepted"],
            }
            for f in items
        ]

    async def search_customers(self, query: str) -> list[dict[str, Any]]:
        """Which customers fail checks matching the words or check id in `query`."""
        g = await self.grant(Action.SEARCH_FLEET)
        matches = await search_fleet(
            (await self._services.get()).store.org(g.org_id),
            check_id=None,
            text=query[:200],
            now=datetime.now(UTC),
        )
        return [
            {
                "checkId": m.check.id,
                "title": m.check.title,
                "failing": [f.display_name for f in m.failing],
                "notAssessed": [u.display_name for u in m.unassessed],
            }
            for m in matches
        ]

    async def explain_finding(self, tenant_id: str, check_id: str) -> dict[str, Any]:
        """What a finding means for one customer and how to fix it."""
        g = await self.grant(Action.VIEW_TENANT, tenant_id)
        assert g.tenant_id is not None
        built = await self._services.get()
        finding, _ = await built.store.relationship(g.relationship).finding(check_id)
        meta = get_check(check_id).metadata
        customer, _ = await get_customer(built.store.org(g.org_id), g.tenant_id)
        return {
            "customer": customer.display_name,
            "checkId": check_id,
            "title": meta.title,
            "status": finding.status,
            "summary": finding.summary,
            "rationale": meta.rationale,
            "remediation": meta.remediation,
            "evidence": finding.evidence[:20],
            **framework_ids(check_id),
        }

    async def fleet_compliance(
        self, profile_key: str = "cis-e3-l1", below: float | None = None
    ) -> dict[str, Any]:
        """Every customer's share of controls met (of those assessed) for a framework profile, per
        section: cis-e3-l1, cis-e3-l2, cis-e5-l1, cis-e5-l2 (CIS v5.0.0), scuba-shall or scuba-all.
        `below` keeps only customers under that percent, lowest first."""
        g = await self.grant(Action.VIEW_FLEET)
        if profile_key not in PROFILE_KEYS:
            raise ToolError(f"profile_key: one of {', '.join(PROFILE_KEYS)}")
        wanted = MatrixFilter(below=below, sort="share" if below is not None else "name")
        store = (await self._services.get()).store
        matrix = await fleet_matrix(store.org(g.org_id), profile(profile_key), wanted, datetime.now(UTC))
        return matrix_body(matrix)

    async def tenant_scorecard(self, tenant_id: str, profile_key: str = "cis-e3-l1") -> dict[str, Any]:
        """One customer's scorecard: every control of the profile with its state (met, not met,
        partly assessed, not assessable and why, not automated) and the share met."""
        g = await self.grant(Action.VIEW_TENANT, tenant_id)
        if profile_key not in PROFILE_KEYS:
            raise ToolError(f"profile_key: one of {', '.join(PROFILE_KEYS)}")
        store = (await self._services.get()).store
        card = await tenant_scorecard(
            store.relationship(g.relationship), profile(profile_key), datetime.now(UTC)
        )
        return scorecard_body(card)


def build_mcp_server(services: LazyServices, api_key: str) -> MCPServer:
    server = MCPServer(
        name="scanposture",
        instructions="Read-only access to the security posture of this MSP's Microsoft 365 customers.",
    )
    tools = _Tools(services, api_key)
    for tool in (
        tools.list_customers,
        tools.tenant_findings,
        tools.search_customers,
        tools.explain_finding,
        tools.fleet_compliance,
        tools.tenant_scorecard,
    ):
        server.tool()(tool)
    return server


class McpHttpRoute:
    """The MCP server as an HTTP route (mounted at /api/mcp): Streamable HTTP, stateless, one
    server per request acting with the request's API key. A missing or refused key is a 401
    before any MCP processing."""

    def __init__(self, services: LazyServices) -> None:
        self._services = services

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from mcp.server.transport_security import TransportSecuritySettings
        from starlette.responses import JSONResponse

        from core.auth.api_keys import ApiKeyRejected, looks_like_api_key
        from functions.api.auth import credentials_header

        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        scheme, _, key = credentials_header(headers).partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not looks_like_api_key(key):
            await JSONResponse({"detail": "an API key is required (Authorization: Bearer spk....)"}, 401)(
                scope, receive, send
            )
            return
        try:
            await principal_for_api_key((await self._services.get()).store, key)
        except ApiKeyRejected as exc:
            await JSONResponse({"detail": str(exc)}, 401)(scope, receive, send)
            return
        # The key authenticates each request, so the browser-oriented Host/Origin checks add nothing.
        app = build_mcp_server(self._services, key).streamable_http_app(
            streamable_http_path="/",
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

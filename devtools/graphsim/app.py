"""The simulator's ASGI app: Entra's token, authorize, admin consent and OpenID metadata endpoints,
Graph v1.0 and beta, the Exchange admin API (and Security & Compliance's), SharePoint's admin API,
the Teams admin API and the `/_sim` test API, all on one HTTPS port."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devtools.graphsim import admin, audit
from devtools.graphsim.compliance import regional_command, to_region
from devtools.graphsim.consent import admin_consent
from devtools.graphsim.discovery import keys, openid_configuration
from devtools.graphsim.entra import token_endpoint
from devtools.graphsim.exchange import invoke_command
from devtools.graphsim.graph import graph_endpoint
from devtools.graphsim.sharepoint_admin import spo_tenant
from devtools.graphsim.signin import authorize
from devtools.graphsim.state import SimState
from devtools.graphsim.teams import configuration_list

GRAPH_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


async def no_icon(request: Request) -> Response:
    """Browsers ask the sign-in pages' host for an icon; a 404 would be a console error in the
    portal's browser tests, which walk the consent sign-in."""
    return Response(status_code=204)


def create_app(state: SimState) -> Starlette:
    routes = [
        *admin.ROUTES,
        *audit.ROUTES,  # before the Graph catch-all below
        Route("/v1.0/{path:path}", graph_endpoint, methods=GRAPH_METHODS),
        Route("/beta/{path:path}", graph_endpoint, methods=GRAPH_METHODS),
        Route("/adminapi/beta/{tenant}/InvokeCommand", invoke_command, methods=["POST"]),
        Route("/compliance/adminapi/beta/{tenant}/{call}", to_region, methods=["GET", "POST"]),
        Route(
            "/compliance/{region}/adminapi/beta/{tenant}/InvokeCommand", regional_command, methods=["POST"]
        ),
        Route("/sharepoint/{host}/_api/SPO.Tenant", spo_tenant, methods=["GET"]),
        Route("/teams/Skype.Policy/configurations/{config_type}", configuration_list, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", token_endpoint, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/authorize", authorize, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", keys, methods=["GET"]),
        Route("/{tenant}/v2.0/adminconsent", admin_consent, methods=["GET"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.sim = state
    return app


def create_browser_app(state: SimState) -> Starlette:
    """Only the pages a person's browser opens (admin consent and the tenant's sign-in), for the
    plain-HTTP loopback listener: a browser that does not trust the simulator's certificate
    authority still reaches them, while tokens, keys and Graph stay behind HTTPS."""
    routes = [
        Route("/{tenant}/oauth2/v2.0/authorize", authorize, methods=["GET"]),
        Route("/{tenant}/v2.0/adminconsent", admin_consent, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.sim = state
    return app

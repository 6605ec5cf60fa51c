"""What a customer's administrator's browser does with a consent link, against the local Graph
simulator: Entra's consent page, ScanPosture's callback, the tenant's sign-in, the callback again.

`sim` talks to the simulator (it trusts its certificate); `api` talks to ScanPosture and keeps its
cookies, as a browser would (an in-process ASGI client or one over HTTP). Redirects to the API are
followed by path, so the API's public address need not be where `api` reaches it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from devtools.graphsim.consent import with_query

CALLBACK_PATH = "/api/consent/callback"


def _to_api(location: str) -> str:
    parts = urlsplit(location)
    if parts.path != CALLBACK_PATH:
        raise AssertionError(f"expected a redirect to the consent callback, got {location}")
    return f"{parts.path}?{parts.query}"


async def consent_as_admin(
    sim: httpx.AsyncClient,
    api: httpx.AsyncClient,
    link: str,
    tenant_id: str,
    *,
    user: str = "global-admin",
    consent: str = "grant",
    sign_in: str = "complete",
) -> httpx.Response:
    """Walk the whole chain; returns ScanPosture's last answer (302 to the portal when connected,
    400 with a page when refused). `user` signs in at the tenant (`global-admin`, a user id or a
    UPN); `consent="deny"` cancels at the consent page, `sign_in="deny"` at the sign-in page."""
    consented = await sim.get(with_query(link, [("sim_tenant", tenant_id), ("sim_outcome", consent)]))
    if consented.status_code != 302:
        raise AssertionError(f"the consent page answered {consented.status_code}: {consented.text[:200]}")
    step_one = await api.get(_to_api(consented.headers["location"]))
    if step_one.status_code != 302:
        return step_one  # refused before any sign-in
    authorize = step_one.headers["location"]
    chosen = ("sim_outcome", "deny") if sign_in == "deny" else ("sim_user", user)
    signed_in = await sim.get(with_query(authorize, [chosen]))
    if signed_in.status_code != 302:
        raise AssertionError(f"the sign-in page answered {signed_in.status_code}: {signed_in.text[:200]}")
    return await api.get(_to_api(signed_in.headers["location"]))

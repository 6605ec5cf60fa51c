"""Invitations, members, role changes and removal, through the API with real tokens."""

from __future__ import annotations

import httpx

from core.auth.roles import Role
from tests.world import World


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_invitation_is_bound_to_email_single_use_and_grants_the_role(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    # A person with a valid token and no membership yet is the one invited.
    invitee = world.people["invitee"]
    assert (await client.get("/api/me", headers=_bearer(tokens["invitee"]))).status_code == 403
    invited = await client.post(
        f"/api/tenants/{world.tenant_y}/invitations",
        headers=_bearer(tokens["msp_admin_a"]),
        json={"email": invitee.email, "role": "customer_viewer"},
    )
    assert invited.status_code == 201, invited.text
    code = invited.json()["code"]

    wrong_person = await client.post(
        "/api/invitations/accept", headers=_bearer(tokens["customer_admin_x"]), json={"code": code}
    )
    assert wrong_person.status_code == 403
    assert "another email" in wrong_person.json()["detail"]

    accepted = await client.post(
        "/api/invitations/accept", headers=_bearer(tokens["invitee"]), json={"code": code}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"orgId": world.org_a, "role": "customer_viewer", "tenantId": world.tenant_y}
    me = (await client.get("/api/me", headers=_bearer(tokens["invitee"]))).json()
    assert me["memberships"] == [
        {"orgId": world.org_a, "role": "customer_viewer", "tenantId": world.tenant_y}
    ]
    # Now a viewer of Y: reads Y, and nothing else.
    assert (
        await client.get(f"/api/tenants/{world.tenant_y}", headers=_bearer(tokens["invitee"]))
    ).status_code == 200
    assert (
        await client.get(f"/api/tenants/{world.tenant_x}", headers=_bearer(tokens["invitee"]))
    ).status_code == 403

    again = await client.post(
        "/api/invitations/accept", headers=_bearer(tokens["invitee"]), json={"code": code}
    )
    assert again.status_code == 400 and "already used" in again.json()["detail"]

    audit = await client.get(
        f"/api/tenants/{world.tenant_y}/audit", headers=_bearer(tokens["customer_admin_y"])
    )
    assert {"invitation.sent", "invitation.accepted"} <= {e["action"] for e in audit.json()}


async def test_customer_admins_invite_only_into_their_own_tenant(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    own = await client.post(
        f"/api/tenants/{world.tenant_x}/invitations",
        headers=_bearer(tokens["customer_admin_x"]),
        json={"email": "colleague@x.example", "role": "customer_admin"},
    )
    assert own.status_code == 201
    other = await client.post(
        f"/api/tenants/{world.tenant_y}/invitations",
        headers=_bearer(tokens["customer_admin_x"]),
        json={"email": "spy@x.example", "role": "customer_viewer"},
    )
    assert other.status_code == 403
    msp_role = await client.post(
        f"/api/tenants/{world.tenant_x}/invitations",
        headers=_bearer(tokens["customer_admin_x"]),
        json={"email": "boss@x.example", "role": "msp_admin"},
    )
    assert msp_role.status_code == 400
    assert "role" in msp_role.json()["detail"]


async def test_roles_change_and_members_are_removed_but_never_the_last_msp_admin(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, api_services: object
) -> None:
    admin = _bearer(tokens["msp_admin_a"])
    members = (await client.get("/api/team/members", headers=admin)).json()
    assert {m["role"] for m in members} >= {Role.MSP_ADMIN.value, Role.MSP_ANALYST.value}

    own_id = world.member_id("msp_admin_a")
    demote = await client.patch(f"/api/team/members/{own_id}", headers=admin, json={"role": "msp_analyst"})
    assert demote.status_code == 400 and "at least one MSP admin" in demote.json()["detail"]
    remove_self = await client.delete(f"/api/team/members/{own_id}", headers=admin)
    assert remove_self.status_code == 400 and "last MSP admin" in remove_self.json()["detail"]

    viewer_id = world.member_id("customer_viewer_x")
    promoted = await client.patch(
        f"/api/tenants/{world.tenant_x}/members/{viewer_id}",
        headers=_bearer(tokens["customer_admin_x"]),
        json={"role": "customer_admin"},
    )
    assert promoted.status_code == 204
    viewer_me = (await client.get("/api/me", headers=_bearer(tokens["customer_viewer_x"]))).json()
    assert viewer_me["memberships"][0]["role"] == "customer_admin"
    demoted = await client.patch(
        f"/api/tenants/{world.tenant_x}/members/{viewer_id}",
        headers=_bearer(tokens["customer_admin_x"]),
        json={"role": "customer_viewer"},
    )
    assert demoted.status_code == 204

    # A customer admin of Y cannot touch X's people, not even by guessing the member id.
    foreign = await client.delete(
        f"/api/tenants/{world.tenant_y}/members/{viewer_id}", headers=_bearer(tokens["customer_admin_y"])
    )
    assert foreign.status_code == 404
    actions = [e["action"] for e in (await client.get("/api/audit", headers=admin)).json()]
    assert actions.count("member.role_changed") >= 2


async def test_an_expired_invitation_is_refused(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, api_services: object
) -> None:
    from datetime import UTC, datetime, timedelta

    from core.bootstrap import Services

    assert isinstance(api_services, Services)
    invited = await client.post(
        "/api/team/invitations",
        headers=_bearer(tokens["msp_admin_a"]),
        json={"email": world.people["stranger"].email, "role": "msp_analyst"},
    )
    org = api_services.store.org(world.org_a)
    (stored,) = [
        s
        for s in await org.query_stored(
            "c.type = @t AND c.email = @e AND c.role = @r",
            {"@t": "invitation", "@e": world.people["stranger"].email, "@r": "msp_analyst"},
        )
    ]
    await org.replace(
        {**stored.body, "expiresAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}, stored.etag
    )
    response = await client.post(
        "/api/invitations/accept", headers=_bearer(tokens["stranger"]), json={"code": invited.json()["code"]}
    )
    assert response.status_code == 400 and "expired" in response.json()["detail"]
    assert (await client.get("/api/me", headers=_bearer(tokens["stranger"]))).status_code == 403

"""Invitations, members, role changes and removal, through the API with real tokens."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from core.auth.admin_roster import LastAdmin, add_admin, remove_admin
from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.bootstrap import Services
from core.orgs import bootstrap_msp
from core.store.documents import ROSTER_ID
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


async def _demote_or_remove_each_other(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, org_id: str, method: str
) -> str:
    """Both race admins act on each other at the same moment; returns the one still an admin."""

    async def act(caller: str, target: str) -> httpx.Response:
        return await client.request(
            method,
            f"/api/team/members/{world.member_id(target)}",
            headers=_bearer(tokens[caller]),
            params={"org": org_id},
            json={"role": "msp_analyst"} if method == "PATCH" else None,
        )

    one, two = await asyncio.gather(act("race_admin_1", "race_admin_2"), act("race_admin_2", "race_admin_1"))
    assert sorted([one.status_code, two.status_code])[0] == 204, (one.text, two.text)
    refused = two if one.status_code == 204 else one
    assert refused.status_code in (400, 409), (method, one.status_code, two.status_code, refused.text)
    assert "MSP admin" in refused.json()["detail"]
    survivor = "race_admin_1" if one.status_code == 204 else "race_admin_2"
    members = await client.get("/api/team/members", headers=_bearer(tokens[survivor]), params={"org": org_id})
    admins = [m["id"] for m in members.json() if m["role"] == Role.MSP_ADMIN.value]
    assert admins == [world.member_id(survivor)]
    me = (await client.get("/api/me", headers=_bearer(tokens[survivor]))).json()
    assert {"orgId": org_id, "role": "msp_admin", "tenantId": None} in me["memberships"]
    return survivor


async def test_two_admins_demoting_or_removing_each_other_at_once_always_leave_one_admin(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, api_services: Services
) -> None:
    for _ in range(5):
        # An org as earlier versions left it: two admins and no admin roster yet.
        org_id = f"msp-race-{uuid.uuid4().hex[:8]}"
        for pid in ("race_admin_1", "race_admin_2"):
            person = world.people[pid]
            await grant_membership(
                api_services.store,
                home_tenant_id=person.tid,
                object_id=person.oid,
                membership=Membership(org_id, Role.MSP_ADMIN),
                name=person.name,
                email=person.email,
            )
        survivor = await _demote_or_remove_each_other(client, tokens, world, org_id, "PATCH")
        other = "race_admin_2" if survivor == "race_admin_1" else "race_admin_1"
        promoted = await client.patch(
            f"/api/team/members/{world.member_id(other)}",
            headers=_bearer(tokens[survivor]),
            params={"org": org_id},
            json={"role": "msp_admin"},
        )
        assert promoted.status_code == 204, promoted.text
        await _demote_or_remove_each_other(client, tokens, world, org_id, "DELETE")


async def test_a_roster_entry_its_member_document_contradicts_does_not_keep_the_org_staffed(
    api_services: Services,
) -> None:
    # A promotion racing a demotion of the same person (or a crash between the two writes) can
    # leave the roster naming someone whose documents say analyst: that name must not count.
    store, org_id = api_services.store, f"msp-drift-{uuid.uuid4().hex[:8]}"
    admin, analyst = (str(uuid.uuid4()), str(uuid.uuid4())), (str(uuid.uuid4()), str(uuid.uuid4()))
    for (tid, oid), role in ((admin, Role.MSP_ADMIN), (analyst, Role.MSP_ANALYST)):
        membership = Membership(org_id, role)
        await grant_membership(
            store, home_tenant_id=tid, object_id=oid, membership=membership, name=None, email=None
        )
        await add_admin(store, org_id, (tid, oid))
    with pytest.raises(LastAdmin):
        await remove_admin(store, org_id, admin)
    roster = (await store.org(org_id).get(ROSTER_ID)).body["admins"]
    assert {(a["homeTenantId"], a["objectId"]) for a in roster} == {admin, analyst}


async def _invite(
    client: httpx.AsyncClient, token: str, path: str, email: str, role: str, org: str | None = None
) -> str:
    invited = await client.post(
        path,
        headers=_bearer(token),
        params={"org": org} if org else None,
        json={"email": email, "role": role},
    )
    assert invited.status_code == 201, invited.text
    return str(invited.json()["code"])


async def _accept(client: httpx.AsyncClient, token: str, code: str) -> httpx.Response:
    return await client.post("/api/invitations/accept", headers=_bearer(token), json={"code": code})


async def test_a_customer_invitation_is_accepted_only_from_that_customers_tenant(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    at_y, elsewhere = world.people["dana_at_y"], world.people["dana_elsewhere"]
    assert at_y.email == elsewhere.email
    path = f"/api/tenants/{world.tenant_y}/invitations"
    code = await _invite(client, tokens["msp_admin_a"], path, at_y.email, "customer_viewer")

    # Same email claim, another tenant: refused, nothing granted, the invitation still unused.
    refused = await _accept(client, tokens["dana_elsewhere"], code)
    assert refused.status_code == 403, refused.text
    assert "tid" in refused.json()["detail"]
    assert (await client.get("/api/me", headers=_bearer(tokens["dana_elsewhere"]))).status_code == 403
    members = await client.get(
        f"/api/tenants/{world.tenant_y}/members", headers=_bearer(tokens["customer_admin_y"])
    )
    assert {m["objectId"] for m in members.json()}.isdisjoint({at_y.oid, elsewhere.oid})

    accepted = await _accept(client, tokens["dana_at_y"], code)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"orgId": world.org_a, "role": "customer_viewer", "tenantId": world.tenant_y}


async def test_an_msp_invitation_is_accepted_only_from_the_msps_home_tenants(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    at_msp, elsewhere = world.people["mo_at_msp_a"], world.people["mo_elsewhere"]
    code = await _invite(client, tokens["msp_admin_a"], "/api/team/invitations", at_msp.email, "msp_analyst")

    refused = await _accept(client, tokens["mo_elsewhere"], code)
    assert refused.status_code == 403, refused.text
    assert "tid" in refused.json()["detail"]
    assert (await client.get("/api/me", headers=_bearer(tokens["mo_elsewhere"]))).status_code == 403
    members = (await client.get("/api/team/members", headers=_bearer(tokens["msp_admin_a"]))).json()
    assert elsewhere.oid not in {m["objectId"] for m in members}

    # MSP A recorded no home tenants (an org of an earlier version): its admins' tenant counts.
    accepted = await _accept(client, tokens["mo_at_msp_a"], code)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"orgId": world.org_a, "role": "msp_analyst", "tenantId": None}


async def test_home_tenants_are_recorded_at_bootstrap_and_edited_by_msp_admins_only(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, api_services: Services
) -> None:
    admin, analyst, joiner = (world.people[p] for p in ("home_admin", "home_analyst", "home_joiner"))
    org_id = f"msp-home-{uuid.uuid4().hex[:8]}"
    # The operator's step after deploying records the first admin's tenant as the MSP's home.
    await bootstrap_msp(
        api_services.store,
        org_id=org_id,
        name="Harbour IT",
        admin_tenant_id=admin.tid,
        admin_object_id=admin.oid,
        admin_name=admin.name,
        admin_email=admin.email,
    )
    await grant_membership(
        api_services.store,
        home_tenant_id=analyst.tid,
        object_id=analyst.oid,
        membership=Membership(org_id, Role.MSP_ANALYST),
        name=analyst.name,
        email=analyst.email,
    )
    as_admin = _bearer(tokens["home_admin"])
    read = await client.get("/api/org/home-tenants", headers=as_admin)
    assert read.status_code == 200, read.text
    assert read.json() == {"homeTenantIds": [admin.tid], "source": "org"}

    wanted = {"homeTenantIds": [admin.tid, joiner.tid]}
    for who in ("home_analyst", "customer_admin_x"):
        for method in ("GET", "PUT"):
            response = await client.request(
                method, "/api/org/home-tenants", headers=_bearer(tokens[who]), json=wanted
            )
            assert response.status_code == 403, (who, method, response.text)

    code = await _invite(client, tokens["home_admin"], "/api/team/invitations", joiner.email, "msp_analyst")
    assert (await _accept(client, tokens["home_joiner"], code)).status_code == 403

    for bad in ([], ["not-a-tenant-id"]):
        refused = await client.put("/api/org/home-tenants", headers=as_admin, json={"homeTenantIds": bad})
        assert refused.status_code == 400 and "homeTenantIds" in refused.json()["detail"], refused.text
    edited = await client.put("/api/org/home-tenants", headers=as_admin, json=wanted)
    assert edited.status_code == 200, edited.text
    assert edited.json() == {"homeTenantIds": [admin.tid, joiner.tid], "source": "org"}
    audit = (await client.get("/api/audit", headers=as_admin)).json()
    (entry,) = [e for e in audit if e["action"] == "org.home_tenants_changed"]
    assert entry["target"] == {"from": [admin.tid], "to": [admin.tid, joiner.tid]}

    # The invitation was refused, not used up: from a home tenant now, it is accepted.
    accepted = await _accept(client, tokens["home_joiner"], code)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"orgId": org_id, "role": "msp_analyst", "tenantId": None}

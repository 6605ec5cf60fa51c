"""Ids from a validly signed token that try to walk the store's REST path.

A person's memberships are read from `principal:{oid}` in their home tenant's partition. With an
`oid` claim of `x/../principal:<victim's oid>` that read resolved, on the Cosmos stand-in, to the
victim's document, so the caller became the victim. The API must refuse such a token (401) and
answer nothing of the victim's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from core.settings import Settings
from devtools.signin.launcher import SignInProvider, start_signin
from tests.conftest import API_AUDIENCE, asgi_client
from tests.world import Person, World

VICTIM = "msp_admin_a"
# Each an oid that, spliced into `principal:{oid}`, names another document than the caller's own.
WALKS = {
    "dot-dot": "x/../principal:{oid}",
    "encoded": "x%2F..%2Fprincipal:{oid}",
    "backslash": "x\\..\\principal:{oid}",
    "trailing slash": "{oid}/",
    "query": "{oid}?x",
    "fragment": "{oid}#x",
}


@pytest.fixture(scope="module")
def walkers(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInProvider]:
    """A sign-in provider whose users claim the victim's tenant and a walking object id."""
    victim = world.people[VICTIM]
    users = [
        {
            "id": name,
            "tid": victim.tid,
            "oid": template.format(oid=victim.oid),
            "name": f"Walker {name}",
            "email": "walker@attacker.example",
            "role": "none",
            "label": name,
        }
        for name, template in WALKS.items()
    ]
    provider = start_signin(tmp_path_factory.mktemp("walkers"), users, API_AUDIENCE)
    yield provider
    provider.stop()


@pytest.fixture
async def walker_client(
    api_settings: Settings, api_services: object, walkers: SignInProvider
) -> AsyncIterator[httpx.AsyncClient]:
    """The API trusting the walkers' provider (same audience), over the same stack and world."""
    settings = api_settings.model_copy(update={k.lower(): v for k, v in walkers.env().items()})
    async with asgi_client(settings) as client:
        yield client


def _leaks(victim: Person, world: World, text: str) -> list[str]:
    markers = [victim.name, victim.email, world.org_a, world.tenant_x, "Xylophone Dental"]
    return [m for m in markers if m in text]


@pytest.mark.parametrize("walk", list(WALKS))
async def test_an_oid_that_walks_to_another_principal_is_refused_and_reads_nothing(
    walk: str, walker_client: httpx.AsyncClient, walkers: SignInProvider, world: World
) -> None:
    token = walkers.token_for(walk)
    victim = world.people[VICTIM]
    for method, path in (
        ("GET", "/api/me"),
        ("GET", "/api/fleet"),
        ("GET", f"/api/tenants/{world.tenant_x}"),
        ("GET", "/api/team/members"),
        ("POST", "/api/invitations/accept"),
    ):
        body = {"code": "x" * 20} if method == "POST" else None
        response = await walker_client.request(
            method, path, headers={"authorization": f"Bearer {token}"}, json=body
        )
        who = f"{walk} {method} {path}: {response.status_code} {response.text[:300]}"
        assert response.status_code == 401, who
        assert "oid" in response.json()["detail"], who
        assert _leaks(victim, world, response.text) == [], who


async def test_the_victim_still_signs_in(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    me = await client.get("/api/me", headers={"authorization": f"Bearer {tokens[VICTIM]}"})
    assert me.status_code == 200 and world.org_a in me.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/team/members/member%3Fx",
        "/api/tenants/{tenant_x}/members/member%23x",
        "/api/webhooks/x%5Cy/deliveries",
        "/api/api-keys/x%3Fy",
    ],
)
async def test_an_id_from_the_url_that_cannot_name_a_document_is_400(
    path: str, client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    method = "DELETE" if "/members/" in path or "/api-keys/" in path else "GET"
    response = await client.request(
        method,
        path.format(tenant_x=world.tenant_x),
        headers={"authorization": f"Bearer {tokens[VICTIM]}"},
    )
    assert response.status_code == 400, response.text
    assert "not a valid document id" in response.json()["detail"]

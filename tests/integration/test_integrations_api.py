"""Integrations through the API: API keys authorised like people, webhook endpoints validated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core.settings import Settings
from tests.conftest import asgi_client
from tests.world import World


def _as(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


async def test_an_api_key_is_authorised_like_its_role_and_stops_when_revoked(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    made = await client.post(
        "/api/api-keys",
        headers=_as(tokens, "msp_admin_a"),
        json={"name": "PSA sync", "role": "msp_analyst", "expiresAt": expires},
    )
    assert made.status_code == 201, made.text
    key = {"authorization": f"Bearer {made.json()['key']}"}
    assert (await client.get("/api/fleet", headers=key)).status_code == 200
    assert (await client.get(f"/api/tenants/{world.tenant_x}/dashboard", headers=key)).status_code == 200
    assert (await client.get(f"/api/tenants/{world.tenant_z}/dashboard", headers=key)).status_code == 403
    assert (await client.get("/api/billing/plan", headers=key)).status_code == 403  # an analyst's key
    accept = await client.post("/api/invitations/accept", headers=key, json={"code": "x" * 20})
    assert accept.status_code == 403 and "person" in accept.json()["detail"]
    listed = (await client.get("/api/api-keys", headers=_as(tokens, "msp_admin_a"))).json()
    assert any(k["name"] == "PSA sync" and "secretHash" not in k for k in listed)

    revoked = await client.delete(f"/api/api-keys/{made.json()['keyId']}", headers=_as(tokens, "msp_admin_a"))
    assert revoked.status_code == 204
    after = await client.get("/api/fleet", headers=key)
    assert after.status_code == 401 and "revoked" in after.json()["detail"]
    forged = await client.get("/api/fleet", headers={"authorization": "Bearer spk.nothing.here.at-all"})
    assert forged.status_code == 401
    log = [e["action"] for e in (await client.get("/api/audit", headers=_as(tokens, "msp_admin_a"))).json()]
    assert {"api_key.created", "api_key.revoked"} <= set(log)


async def test_webhook_endpoints_are_validated_and_managed(
    api_settings: Settings, tokens: dict[str, str]
) -> None:
    admin = _as(tokens, "msp_admin_a")
    async with asgi_client(api_settings) as strict:
        for body, field in (
            ({"url": "http://hooks.example.com/x", "events": ["scan.completed"]}, "https"),
            ({"url": "https://10.0.0.7/x", "events": ["scan.completed"]}, "non-public"),
            ({"url": "https://127.0.0.1:9/x", "events": ["scan.completed"]}, "non-public"),
            ({"url": "https://127.0.0.1:9/x", "events": ["tenant.exploded"]}, "events"),
            ({"url": "not a url", "events": ["scan.completed"]}, "url"),
        ):
            response = await strict.post("/api/webhooks", headers=admin, json=body)
            assert response.status_code == 400, (body, response.text)
            assert field in response.json()["detail"]
    development = api_settings.model_copy(update={"webhooks_allow_loopback": True})
    async with asgi_client(development) as local:
        made = await local.post(
            "/api/webhooks",
            headers=admin,
            json={"url": "https://127.0.0.1:9/hook", "events": ["scan.completed"]},
        )
        assert made.status_code == 201, made.text
        endpoint_id, secret = made.json()["endpointId"], made.json()["secret"]
        assert secret.startswith("whsec_")
        listed = (await local.get("/api/webhooks", headers=admin)).json()
        assert any(e["endpointId"] == endpoint_id and "secret" not in e for e in listed)
        rotated = (await local.post(f"/api/webhooks/{endpoint_id}/rotate-secret", headers=admin)).json()
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret
        test = await local.post(f"/api/webhooks/{endpoint_id}/test", headers=admin)
        assert test.status_code == 202 and test.json()["queued"] == 1
        assert (await local.get(f"/api/webhooks/{endpoint_id}/deliveries", headers=admin)).status_code == 200
        analyst = await local.post(
            "/api/webhooks",
            headers=_as(tokens, "msp_analyst_a"),
            json={"url": "https://127.0.0.1:9/x", "events": ["scan.completed"]},
        )
        assert analyst.status_code == 403

"""Managing customers over the API: a second customer with a domain or tenant already in the fleet,
tags to group the fleet by, and invalid input answered in sentences next to its field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from core.customers import Customer
from tests.world import World


def _as(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


async def _add(client: httpx.AsyncClient, tokens: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post("/api/customers", headers=_as(tokens, "msp_admin_a"), json=body)


async def test_a_second_customer_with_the_same_domain_needs_confirming(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    domain = f"dup-{uuid.uuid4().hex[:8]}.example"
    first = await _add(client, tokens, displayName="Dupont Dental", primaryDomain=domain.upper())
    assert first.status_code == 201, first.text

    again = await _add(client, tokens, displayName="Dupont Dental (new)", primaryDomain=domain)
    assert again.status_code == 409, again.text
    body = again.json()
    assert "Dupont Dental" in body["detail"] and domain in body["detail"]
    assert body["errors"] == [{"field": "primaryDomain", "message": body["detail"]}]
    assert body["confirm"] == "confirmDuplicate"

    confirmed = await _add(
        client, tokens, displayName="Dupont Dental (new)", primaryDomain=domain, confirmDuplicate=True
    )
    assert confirmed.status_code == 201, confirmed.text
    fleet = (await client.get(f"/api/fleet?name={domain}", headers=_as(tokens, "msp_admin_a"))).json()
    assert sorted(c["displayName"] for c in fleet["customers"]) == ["Dupont Dental", "Dupont Dental (new)"]


async def test_a_tenant_already_managed_is_refused_even_when_confirmed(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    tenant_id = str(uuid.uuid4())
    first = await _add(
        client, tokens, displayName="Tern Legal", primaryDomain="tern.example", tenantId=tenant_id
    )
    assert first.status_code == 201, first.text
    for confirm in (False, True):
        again = await _add(
            client,
            tokens,
            displayName="Tern Legal again",
            primaryDomain=f"tern-{uuid.uuid4().hex[:6]}.example",
            tenantId=tenant_id.upper(),
            confirmDuplicate=confirm,
        )
        assert again.status_code == 409, again.text
        assert "Tern Legal" in again.json()["detail"]
        assert again.json()["errors"][0]["field"] == "tenantId"
        assert "confirm" not in again.json()  # one relationship per org and tenant: no override


async def test_tags_are_set_edited_and_filter_the_fleet(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    tag = f"dental-{uuid.uuid4().hex[:6]}"
    added = await _add(
        client,
        tokens,
        displayName="Tagged Teeth",
        primaryDomain=f"{tag}.example",
        tags=[tag, f" {tag.upper()} "],
    )
    assert added.status_code == 201, added.text
    customer = added.json()["customer"]
    assert customer["tags"] == [tag]  # trimmed, the same tag in other case dropped
    untagged = await _add(client, tokens, displayName="Untagged Ltd", primaryDomain=f"u-{tag}.example")
    assert untagged.json()["customer"]["tags"] == []

    url = f"/api/customers/{customer['customerId']}"
    edited = await client.patch(url, headers=_as(tokens, "msp_admin_a"), json={"tags": [tag, "gold plan"]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["tags"] == [tag, "gold plan"]
    assert (await client.get(url, headers=_as(tokens, "msp_admin_a"))).json()["tags"] == [tag, "gold plan"]

    fleet = await client.get(f"/api/fleet?tag={tag.upper()}", headers=_as(tokens, "msp_analyst_a"))
    assert fleet.status_code == 200, fleet.text
    assert [c["displayName"] for c in fleet.json()["customers"]] == ["Tagged Teeth"]
    assert fleet.json()["customers"][0]["tags"] == [tag, "gold plan"]
    assert {tag, "gold plan"} <= set(fleet.json()["tags"])  # every tag, for the filter

    analyst = await client.patch(url, headers=_as(tokens, "msp_analyst_a"), json={"tags": []})
    assert analyst.status_code == 403
    log = (await client.get("/api/audit", headers=_as(tokens, "msp_admin_a"))).json()
    assert any(
        e["action"] == "customer.updated" and e["target"]["customerId"] == customer["customerId"] for e in log
    )


async def test_bad_tags_are_refused_naming_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    added = await _add(
        client, tokens, displayName="Picky Ltd", primaryDomain=f"p-{uuid.uuid4().hex[:6]}.example"
    )
    url = f"/api/customers/{added.json()['customer']['customerId']}"
    for tags in (["a/b"], ["x" * 40], [f"t{i}" for i in range(11)], [""]):
        refused = await client.patch(url, headers=_as(tokens, "msp_admin_a"), json={"tags": tags})
        assert refused.status_code == 400, (tags, refused.text)
        assert refused.json()["errors"][0]["field"] == "tags", refused.text
        assert refused.json()["detail"].endswith("."), refused.text
    unchanged = await client.get(url, headers=_as(tokens, "msp_admin_a"))
    assert unchanged.json()["tags"] == []
    not_a_list = await client.patch(url, headers=_as(tokens, "msp_admin_a"), json={"tags": "dental"})
    assert not_a_list.status_code == 400
    assert not_a_list.json()["errors"] == [{"field": "tags", "message": "Tags must be a list."}]


async def test_invalid_customer_input_is_a_sentence_for_each_field(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    refused = await _add(
        client,
        tokens,
        displayName="",
        primaryDomain="not a domain",
        reportRecipients=["ok@a.example", "nope"],
    )
    assert refused.status_code == 400
    messages = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert messages == {
        "displayName": "Display name cannot be empty.",
        "primaryDomain": "Primary domain must be a domain name like contoso.com.",
        "reportRecipients": "Report recipients, item 2, must be an email address like it@contoso.com.",
    }
    detail = refused.json()["detail"]
    for word in ("pattern", "^", "body.", "POST", "String should"):
        assert word not in detail


async def test_the_fleet_refuses_an_overlong_tag_filter(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    refused = await client.get("/api/fleet?tag=" + "x" * 80, headers=_as(tokens, "msp_admin_a"))
    assert refused.status_code == 400 and "tag" in refused.json()["detail"]


def test_a_customer_stored_before_tags_reads_with_none(world: World) -> None:
    stored = world.customers[world.tenant_x].to_document()
    del stored["tags"]
    assert Customer.model_validate(stored).tags == []

"""Every operation that answers JSON, called for real by an MSP admin over a scanned customer; each
answer must have the shape of the example the OpenAPI document shows for it.

Run with UPDATE_RESPONSE_EXAMPLES=1 to re-record `functions/api/response_examples.json` from these
very answers (lists cut to two items, one-time secrets redacted).
"""

from __future__ import annotations

import io
import json
import os
import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from core.bootstrap import Services
from core.customers import register_customer
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.settings import Settings
from core.webhooks.delivery import deliver
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from functions.api.examples import EXAMPLES_FILE, operation_key, recorded_examples
from tests.conftest import asgi_client, loopback_webhook_services
from tests.world import World

UPDATE = os.environ.get("UPDATE_RESPONSE_EXAMPLES") == "1"
# Shown once when made; an example must not look like a usable one.
REDACTED_KEYS = {"secret", "key", "code"}

LOOPBACK_HOOK = "https://127.0.0.1:9"
CLOUD_ADDRESSES = (
    (re.escape(LOOPBACK_HOOK), "https://hooks.your-msp.example"),
    (r"https://127\.0\.0\.1:\d+/organizations", "https://login.microsoftonline.com/organizations"),
    (r"http%3A%2F%2F127\.0\.0\.1%3A7071", "https%3A%2F%2Fportal.your-msp.example"),
    (r"http://127\.0\.0\.1:\d+/(\w+)/", r"https://\1.blob.core.windows.net/"),
    (r"http://127\.0\.0\.1:7071", "https://portal.your-msp.example"),
    (r"\bsig=[^&]+", "sig=<signature>"),
)
BODIES: dict[str, Any] = {
    "POST /api/customers": {"displayName": "Harbour Opticians", "primaryDomain": "harbour-opticians.example"},
    # A loopback address: the walk runs with WEBHOOKS_ALLOW_LOOPBACK, and nothing listens on port 9.
    "POST /api/webhooks": {"url": f"{LOOPBACK_HOOK}/hooks/scanposture", "events": ["scan.completed"]},
}
FIRST = (
    "PUT /api/branding",
    "PUT /api/billing/plan",
    "POST /api/customers",
    "POST /api/webhooks",
    "POST /api/api-keys",
    "POST /api/tenants/{tenant_id}/reports",
    "POST /api/team/invitations",
    "PUT /api/tenants/{tenant_id}/findings/{check_id}/acceptance",
)
LAST = (
    "POST /api/invitations/accept",
    "DELETE /api/tenants/{tenant_id}/findings/{check_id}/acceptance",
    "POST /api/customers/{customer_id}/cancel",
)
QUERIES = {
    "GET /api/search": {"check": "exo.smtp_auth_disabled"},
    "GET /api/fleet/findings/export": {"format": "json"},
    "GET /api/tenants/{tenant_id}/findings/export": {"format": "json"},
    "GET /api/billing/usage": {"start": "2026-11-01", "end": "2026-11-30"},
    "GET /api/billing/invoice": {"start": "2026-11-01", "end": "2026-11-30"},
}


def _json_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            if any(
                c.startswith("2") and "application/json" in r.get("content", {}) for c, r in responses.items()
            ):
                found.append((method.upper(), path, operation))
    order = {key: i for i, key in enumerate(FIRST)} | {key: 100 + i for i, key in enumerate(LAST)}
    return sorted(found, key=lambda op: order.get(operation_key(op[0], op[1]), 50))


def _request_example(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if not schema or "$ref" not in schema:
        return None
    return spec["components"]["schemas"][schema["$ref"].split("/")[-1]]["examples"][0]


# Maps keyed by data (check ids, source names, an audit entry's free-form target): their keys vary
# from one tenant to the next, so only the shape of their values is compared.
DATA_KEYED = {"failing", "acceptances", "sourceFailures", "target", "evidence"}


def shape_mismatches(example: Any, actual: Any, where: str = "$") -> list[str]:
    """Where the example's structure differs from a real answer: keys, list items, JSON types.

    A null on either side matches anything, since optional values are often absent in one answer.
    """
    if example is None or actual is None:
        return []
    if isinstance(example, dict) and isinstance(actual, dict):
        if where.rsplit(".", 1)[-1] in DATA_KEYED:
            if example and actual:
                return shape_mismatches(
                    next(iter(example.values())), next(iter(actual.values())), f"{where}.*"
                )
            return []
        problems = []
        if set(actual) - set(example):
            problems.append(f"{where}: example lacks {sorted(set(actual) - set(example))}")
        if set(example) - set(actual):
            problems.append(f"{where}: the API no longer answers {sorted(set(example) - set(actual))}")
        for key in set(example) & set(actual):
            problems += shape_mismatches(example[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(example, list) and isinstance(actual, list):
        if example and actual:
            return shape_mismatches(example[0], actual[0], f"{where}[0]")
        return []
    numbers = (int, float)
    if isinstance(example, numbers) and isinstance(actual, numbers) and not isinstance(example, bool):
        return [] if not isinstance(actual, bool) else [f"{where}: number vs bool"]
    if type(example) is not type(actual):
        return [f"{where}: example is {type(example).__name__}, the API answers {type(actual).__name__}"]
    return []


def _logo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (160, 48), (12, 84, 160)).save(out, format="PNG")
    return out.getvalue()


def _for_the_document(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _for_the_document(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_for_the_document(v) for v in value[:2]]
    if key in REDACTED_KEYS and isinstance(value, str):
        return "<shown once, when made>"
    if isinstance(value, str):
        # Local addresses read as the cloud's, so the document shows what a deployment answers.
        for pattern, cloud in CLOUD_ADDRESSES:
            value = re.sub(pattern, cloud, value)
    return value


@dataclass
class Walk:
    client: httpx.AsyncClient
    services: Services  # the walk's own: loopback webhooks allowed, a webhook queue of its own


@pytest.fixture(scope="module")
async def walk(api_settings: Settings) -> AsyncIterator[Walk]:
    async with (
        loopback_webhook_services(api_settings) as services,
        asgi_client(services.settings) as client,
    ):
        yield Walk(client, services)


async def _deliver_queued(services: Services) -> None:
    """Attempt the queued test event (to a closed port), so the delivery log has an entry."""
    queue = services.webhook_queue
    (message,) = await queue.receive(max_messages=1, visibility_timeout=30)
    await deliver(services, message.json())
    await queue.delete(message)


@pytest.fixture(scope="module")
async def answers(
    walk: Walk,
    world: World,
    api_services: Services,
    graphsim: GraphSimulator,
    tokens: dict[str, str],
) -> dict[str, tuple[int, Any]]:
    """MSP F with one scanned customer and one never scanned; every JSON operation called once."""
    org = api_services.store.org(world.org_f)
    tenant_id = graphsim.load_tenant(synthetic_tenant(12, seed=random.randint(1, 10**6), posture="weak"))
    scanned = await register_customer(
        org,
        tenant_id=tenant_id,
        display_name="Kestrel Dental",
        primary_domain="kestrel.example",
        connected=True,
    )
    spare = await register_customer(
        org,
        tenant_id=graphsim.load_tenant(synthetic_tenant(3, seed=7, posture="strong")),
        display_name="Spare Parts Ltd",
        primary_domain="spare.example",
        connected=True,
    )
    request = ScanRequest(org_id=world.org_f, tenant_id=tenant_id, request_id="examples-1", reason="manual")
    assert (await handle_scan_request(api_services, json.dumps(request.to_message()))).startswith("completed")

    spec = (await walk.client.get("/api/openapi.json")).json()
    admin = world.people["examples_admin"]
    values = {
        "tenant_id": tenant_id,
        "customer_id": scanned.customer_id,
        "member_id": world.member_id("examples_admin"),
        "check_id": "exo.smtp_auth_disabled",
        "framework": "cis",
        "profile_key": "cis-e3-l1",
    }
    recorded: dict[str, tuple[int, Any]] = {}
    for method, path, operation in _json_operations(spec):
        key = operation_key(method, path)
        who = "examples_admin"
        body = BODIES.get(key, _request_example(spec, operation))
        if key == "POST /api/team/invitations":
            body = {"email": world.people["examples_invitee"].email, "role": "msp_analyst"}
        if key == "PUT /api/org/home-tenants":
            # The invitee accepts from the admin's tenant at the end of the walk: keep it a home.
            body = {"homeTenantIds": [*body["homeTenantIds"], admin.tid]}
        if key == "POST /api/invitations/accept":
            who, body = "examples_invitee", {"code": recorded["POST /api/team/invitations"][1]["code"]}
        if key == "POST /api/customers/{customer_id}/cancel":
            values["customer_id"] = spare.customer_id
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        headers = {"authorization": f"Bearer {tokens[who]}"}
        if path.endswith("/branding/logo"):
            headers["content-type"] = "image/png"
            response = await walk.client.request(method, url, content=_logo(), headers=headers)
        else:
            response = await walk.client.request(
                method, url, json=body, params=QUERIES.get(key), headers=headers
            )
        recorded[key] = (response.status_code, response.json() if response.content else None)
        answer = recorded[key][1]
        # Later calls address what earlier ones made: a scan, a webhook endpoint.
        if key == "GET /api/tenants/{tenant_id}/scans":
            values["scan_id"] = answer["items"][0]["scanId"]
        if key == "POST /api/webhooks":
            values["endpoint_id"] = answer["endpointId"]
        if key == "POST /api/webhooks/{endpoint_id}/test":
            await _deliver_queued(walk.services)
        if key == "POST /api/api-keys":
            values["key_id"] = answer["keyId"]
    assert admin.org == world.org_f
    if UPDATE:
        examples = {k: _for_the_document(v) for k, (status, v) in recorded.items() if status < 300}
        EXAMPLES_FILE.write_text(json.dumps(examples, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        recorded_examples.cache_clear()
    return recorded


def test_every_json_operation_answered_successfully(answers: dict[str, tuple[int, Any]]) -> None:
    failed = {k: v for k, v in answers.items() if v[0] >= 300}
    assert failed == {}


def test_every_json_operation_has_a_recorded_example(answers: dict[str, tuple[int, Any]]) -> None:
    assert sorted(set(answers) - set(recorded_examples())) == []
    assert sorted(set(recorded_examples()) - set(answers)) == [], (
        "examples of operations that no longer exist"
    )


def test_each_example_has_the_shape_of_the_real_answer(answers: dict[str, tuple[int, Any]]) -> None:
    examples = recorded_examples()
    problems = {k: shape_mismatches(examples.get(k), answer) for k, (_, answer) in answers.items()}
    assert {k: p for k, p in problems.items() if p} == {}


def test_the_shape_comparison_notices_drift() -> None:
    assert shape_mismatches({"a": 1, "b": [{"c": "x"}]}, {"a": 2, "b": [{"c": "y"}]}) == []
    assert shape_mismatches({"a": 1}, {"a": 1, "new": True}) == ["$: example lacks ['new']"]
    assert shape_mismatches({"b": [{"c": "x"}]}, {"b": [{"c": 3}]}) == [
        "$.b[0].c: example is str, the API answers int"
    ]
    assert shape_mismatches({"a": None}, {"a": {"deep": 1}}) == []
    # A map keyed by data compares its values, not its keys.
    assert shape_mismatches({"failing": {"x.one": 2}}, {"failing": {"y.two": 3}}) == []
    assert shape_mismatches({"failing": {"x.one": 2}}, {"failing": {"y.two": "3"}}) == [
        "$.failing.*: example is int, the API answers str"
    ]

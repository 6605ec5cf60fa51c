"""Schemathesis against the running local API: every operation of `/api/openapi.json`, called over
HTTP with generated inputs by a person of every role (and by another MSP's admin and anonymously).
No answer may be a 5xx, and every documented answer must match its schema.

The fuzzed people belong to MSP G, which no other test reads, so whatever the fuzzer creates or
changes stays there. FUZZ_EXAMPLES (default 4) sets the examples per operation and person; CI keeps
it small, a deeper run is `FUZZ_EXAMPLES=50 pytest tests/e2e/test_fuzz_api.py`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from core.bootstrap import LazyServices, Services
from core.settings import Settings
from functions.api import create_api
from tests.conftest import api_over_http
from tests.world import World

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CALLERS = [
    "fuzz_admin",
    "fuzz_analyst",
    "fuzz_customer_admin",
    "fuzz_customer_viewer",
    "msp_admin_b",
    None,
]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def running_api(api_settings: Settings, api_services: Services) -> Iterator[str]:
    """The API served over HTTP by uvicorn on a free loopback port, in a thread of its own."""
    with api_over_http(api_settings) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def schema(running_api: str) -> Any:
    return schemathesis.openapi.from_url(f"{running_api}/api/openapi.json")


def _operations() -> list[str]:
    # The labels only; the schema itself is loaded from the running API.
    spec = create_api(LazyServices()).openapi()
    return sorted(f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops)


def _fuzz(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    fuzz()


@pytest.mark.parametrize("label", _operations())
def test_no_operation_answers_a_5xx_or_breaks_its_schema(
    label: str, schema: Any, running_api: str, tokens: dict[str, str], world: World
) -> None:
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    for caller in CALLERS:
        _fuzz(operation, running_api, {"authorization": f"Bearer {tokens[caller]}"} if caller else {})
    # Whatever the fuzzer sent, the customer's own viewer still reads their tenant.
    viewer = {"authorization": f"Bearer {tokens['fuzz_customer_viewer']}"}
    still = httpx.get(f"{running_api}/api/tenants/{world.tenant_t}", headers=viewer, timeout=30)
    assert still.status_code == 200 and still.json()["displayName"] == "Tern Fuzzing Ltd"


# -- the consent callback: anonymous, so its parameters are anyone's to forge ----------------------

GUIDS = st.uuids().map(str)
GUIDS_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
STATES = st.text(max_size=80) | st.builds(
    lambda org, secret: f"{org}.{secret}", st.just("msp-g"), st.text(max_size=50)
)


@pytest.fixture(scope="module")
def pending_customer(running_api: str, tokens: dict[str, str], world: World) -> dict[str, Any]:
    admin = {"authorization": f"Bearer {tokens['fuzz_admin']}"}
    body = {"displayName": "Pending Plover Ltd", "primaryDomain": "plover.example"}
    added = httpx.post(f"{running_api}/api/customers", headers=admin, json=body, timeout=30)
    assert added.status_code == 201, added.text
    link = added.json()["consentLink"]["url"]
    state = dict(parse_qsl(urlsplit(link).query))["state"]
    assert state.startswith(world.org_g)
    return {"id": added.json()["customer"]["customerId"], "state": state, "headers": admin}


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    state=st.none() | STATES,
    tenant=st.none() | GUIDS | st.text(max_size=40),
    error=st.none() | st.sampled_from(["access_denied", "consent_required"]) | st.text(max_size=40),
    description=st.none() | st.text(max_size=200),
    real_state_with_a_broken_tenant=st.booleans(),
)
def test_forged_consent_callbacks_are_refused_with_a_page_and_change_nothing(
    running_api: str,
    pending_customer: dict[str, Any],
    state: str | None,
    tenant: str | None,
    error: str | None,
    description: str | None,
    real_state_with_a_broken_tenant: bool,
) -> None:
    if real_state_with_a_broken_tenant:
        # The real link, but Entra's answer mangled: no tenant or not a tenant id.
        state, error = pending_customer["state"], None
        tenant = None if tenant and GUIDS_RE.match(tenant) else tenant
    params = {
        k: v
        for k, v in {
            "state": state,
            "tenant": tenant,
            "error": error,
            "error_description": description,
        }.items()
        if v is not None
    }
    response = httpx.get(f"{running_api}/api/consent/callback", params=params, timeout=30)
    assert response.status_code == 400, (params, response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("text/html")
    assert "<script" not in response.text.lower()  # whatever came in is escaped on the page
    customer = httpx.get(
        f"{running_api}/api/customers/{pending_customer['id']}",
        headers=pending_customer["headers"],
        timeout=30,
    ).json()
    assert customer["connection"]["state"] == "pending_consent" and customer["tenantId"] is None

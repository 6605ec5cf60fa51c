"""No silent verdict: however a source fails, no check passes on it, and a check is not_applicable only
because the tenant's own subscriptions lack the plan the failed source needs.

Built on the pure layer: each failure is the exception a real read raises (a parsed Graph or Exchange
error, a bare Kiota APIError for a body that is not JSON, a timeout, an Entra refusal), turned into a
`SourceFailure` by the product's own classifiers, then the catalogue runs over the snapshot.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from hypothesis import given, settings
from hypothesis import strategies as st
from kiota_abstractions.api_error import APIError
from msgraph.generated.models.o_data_errors.main_error import MainError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from core.checks.catalogue import CATALOGUE
from core.checks.model import Check, SourceFailure, Status, TenantSnapshot, run_check
from core.collect.exchange import PROXY_ATTEMPTS
from core.collect.failures import SourceError, classify, classify_exchange, exchange_token_failure
from core.collect.readers import object_body
from core.collect.sources import ALL_SOURCE_NAMES, EXCHANGE_SOURCES, GRAPH_SOURCES, P1, P2
from tests.unit.checks.support import NOW, good_data

GRAPH = {s.name: s for s in GRAPH_SOURCES}
EXCHANGE = {s.name: s for s in EXCHANGE_SOURCES}
SKUS = "subscribed_skus"
LICENCE_MODES = frozenset({"licence-p1-style", "licence-pim-style"})


def odata(status: int, code: str, message: str = "refused") -> ODataError:
    error = ODataError(error=MainError(code=code, message=message))
    error.response_status_code = status
    return error


def not_json(status: int) -> APIError:
    # What Kiota raises when no parse node can read the body (an HTML gateway page, an empty body).
    return APIError("the error body could not be parsed", status, {})


MODES: dict[str, Callable[[], BaseException]] = {
    "licence-p1-style": lambda: odata(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant"),
    "licence-pim-style": lambda: odata(400, "AadPremiumLicenseRequired"),
    "denied": lambda: odata(403, "Authorization_RequestDenied"),
    "permission-missing": lambda: odata(403, "Authentication_MSGraphPermissionMissing"),
    "access-denied": lambda: odata(403, "AccessDenied"),
    "no-directory-read": lambda: odata(403, "Authentication_ApplicationHasNoDirectoryReadAccess"),
    "no-audit-read": lambda: odata(403, "Authentication_ApplicationHasNoReadAuditLogDataAccess"),
    "scope-not-granted": lambda: odata(403, "UnknownError", '{"errorCode":"PermissionScopeNotGranted"}'),
    "identity-gone": lambda: odata(401, "Authorization_IdentityNotFound"),
    "bad-token": lambda: odata(401, "InvalidAuthenticationToken"),
    "exchange-unauthorized": lambda: odata(401, "Unauthorized"),
    "not-found": lambda: odata(404, "Request_ResourceNotFound"),
    "throttled-after-retries": lambda: odata(429, "TooManyRequests"),
    "server-error": lambda: odata(500, "UnknownError"),
    "unavailable": lambda: odata(503, "serviceNotAvailable"),
    "gateway-timeout": lambda: odata(504, "GatewayTimeout"),
    "proxy-refusal": lambda: odata(400, "BadRequest", "Cmdlet needs proxy. Required Server FQDN: X"),
    **{f"not-json-{code}": (lambda code=code: not_json(code)) for code in (401, 403, 404, 429, 502)},
    "timeout": lambda: httpx.ReadTimeout("timed out"),
    "connection": lambda: httpx.ConnectError("refused"),
}
TOKEN_MODES: dict[str, str] = {
    "exchange-token-no-service": "AADSTS500011: The resource principal named https://outlook.office365.com "
    "was not found in the tenant named Contoso.",
    "exchange-token-disabled": "AADSTS500014: The service principal for resource "
    "'https://outlook.office365.com' is disabled.",
}
ALL_MODES = sorted([*MODES, *TOKEN_MODES, "malformed"])
# Which plans the tenant's subscriptions hold; None: subscribedSkus itself could not be read.
SKU_STATES: tuple[frozenset[str] | None, ...] = (frozenset(), frozenset({P1}), frozenset({P1, P2}), None)


def failure_for(source: str, mode: str) -> SourceFailure:
    """The failure the product records for `source` when its read fails in `mode`."""
    if mode == "malformed":  # a 200 whose body is not the documented shape
        shape = GRAPH.get(source)
        try:
            object_body([], shape) if shape else object_body([], GRAPH["sharepoint_settings"])
        except SourceError as exc:
            return exc.failure
        raise AssertionError("a list is never an object")
    if mode in TOKEN_MODES:
        return exchange_token_failure(ClientAuthenticationError(TOKEN_MODES[mode]))
    exc = MODES[mode]()
    if source in EXCHANGE:
        return classify_exchange(exc, EXCHANGE[source], PROXY_ATTEMPTS)
    graph = GRAPH.get(source)
    return classify(exc, permission=graph.permission if graph else "DNS", licence=graph and graph.licence)


def held(plans: frozenset[str] | None, plan: str) -> bool:
    assert plans is not None
    return plan in plans or (plan == P1 and P2 in plans)


def expected_not_applicable(source: str, mode: str, plans: frozenset[str] | None) -> bool:
    """Written out here rather than taken from the product: a documented licence refusal, for a source
    that needs a plan, in a tenant whose readable subscriptions lack it."""
    plan = GRAPH[source].licence if source in GRAPH else None
    return mode in LICENCE_MODES and plan is not None and plans is not None and not held(plans, plan)


def tenant_data(plans: frozenset[str] | None) -> dict[str, Any]:
    data = good_data()
    if plans is None:
        data.pop(SKUS)
        return data
    for sku in data[SKUS]:
        sku["servicePlans"] = [p for p in sku["servicePlans"] if p["servicePlanName"] not in {P1, P2} - plans]
    return data


@dataclass
class Recording(TenantSnapshot):
    """A snapshot that remembers which unreadable sources a check asked for."""

    touched: set[str] = field(default_factory=set)

    def get(self, source: str) -> Any:
        if source not in self.data:
            self.touched.add(source)
        return super().get(source)


def snapshot_of(data: dict[str, Any], failures: dict[str, SourceFailure]) -> Recording:
    kept = {name: value for name, value in data.items() if name not in failures}
    return Recording(tenant_id="t", collected_at=NOW, data=kept, failures=dict(failures))


def sku_failures(plans: frozenset[str] | None) -> dict[str, SourceFailure]:
    return {} if plans is not None else {SKUS: failure_for(SKUS, "denied")}


DATA = {plans: tenant_data(plans) for plans in SKU_STATES}
PAIRS = [pytest.param(c, s, id=f"{c.id}-{s}") for c in CATALOGUE for s in c.metadata.sources]


@pytest.mark.parametrize(("check", "source"), PAIRS)
def test_every_way_a_declared_source_fails_is_an_error_or_a_licence_gap(check: Check, source: str) -> None:
    for plans in SKU_STATES:
        for mode in ALL_MODES:
            failures = {**sku_failures(plans), source: failure_for(source, mode)}
            outcome = run_check(check, snapshot_of(DATA[plans], failures))
            where = f"{mode}, plans {plans}: {outcome.summary}"
            assert outcome.status in (Status.ERROR, Status.NOT_APPLICABLE), where
            expected = expected_not_applicable(source, mode, plans)
            assert (outcome.status is Status.NOT_APPLICABLE) == expected, where
            if outcome.status is Status.ERROR:
                assert source in outcome.summary or (source != SKUS and SKUS in outcome.summary), where


PERMISSION_MODES = [
    "denied",
    "permission-missing",
    "access-denied",
    "bad-token",
    "not-json-403",
    "not-json-401",
]


@pytest.mark.parametrize("source", sorted(GRAPH))
@pytest.mark.parametrize("mode", PERMISSION_MODES)
def test_a_refusal_names_the_permission(source: str, mode: str) -> None:
    failure = failure_for(source, mode)
    assert failure.kind == "forbidden"
    assert GRAPH[source].permission in failure.reason


def test_codes_that_name_another_permission_name_it() -> None:
    assert "Directory.Read.All" in failure_for("user_sign_ins", "no-directory-read").reason
    assert "AuditLog.Read.All" in failure_for("users", "no-audit-read").reason


@pytest.mark.parametrize("source", sorted(EXCHANGE))
def test_exchange_refusals_name_the_role_and_permission(source: str) -> None:
    for mode in ("exchange-unauthorized", "not-json-403", "denied"):
        failure = failure_for(source, mode)
        assert failure.kind == "forbidden"
        assert "Exchange.ManageAsApp" in failure.reason and "Global Reader" in failure.reason
    refused = failure_for(source, "exchange-token-no-service")
    assert refused.code == "AADSTS500011" and "Exchange Online is not set up" in refused.reason
    assert "route the request" in failure_for(source, "proxy-refusal").reason


failing_sources = st.dictionaries(
    st.sampled_from(sorted(ALL_SOURCE_NAMES)), st.sampled_from(ALL_MODES), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(failing=failing_sources, plans=st.sampled_from(SKU_STATES))
def test_no_check_passes_on_what_it_could_not_read(
    failing: dict[str, str], plans: frozenset[str] | None
) -> None:
    failures = {name: failure_for(name, mode) for name, mode in failing.items()}
    failures = {**sku_failures(plans), **failures}
    base = copy.deepcopy(DATA[plans])
    skus_readable = SKUS not in failures
    known = plans if skus_readable else None
    for check in CATALOGUE:
        snapshot = snapshot_of(base, failures)
        outcome = run_check(check, snapshot)
        unread = {s for s in check.metadata.sources if s in failures} | snapshot.touched
        if not unread:
            continue
        assert outcome.status is not Status.PASS, (check.id, failing, outcome.summary)
        if outcome.status is Status.NOT_APPLICABLE:
            assert skus_readable, (check.id, failing, outcome.summary)
            assert any(
                name in failing and expected_not_applicable(name, failing[name], known) for name in unread
            ), (check.id, failing, plans, outcome.summary)
    assert base == DATA[plans]  # checks only read the snapshot

"""core.errors is the one exception tree, and functions/api maps each kind to HTTP once."""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from starlette.requests import Request

import core
from core import errors
from functions.api.errors import DEFAULT_RETRY_AFTER, STATUS, answer_error, status_of

KINDS = {
    errors.Refused: 400,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unavailable: 503,
}
# Domain exceptions the routers used to translate by hand, with the status they answered then.
EXPECTED = {
    "core.store.errors.NotFound": 404,
    "core.store.errors.AlreadyExists": 409,
    "core.store.errors.Conflict": 409,
    "core.store.errors.InvalidId": 400,
    "core.store.errors.Unavailable": 503,
    "core.auth.principals.Forbidden": 403,
    "core.team.TeamError": 400,
    "core.team.NotAllowed": 403,
    "core.team.NoSuchMember": 404,
    "core.team.ChangedMeanwhile": 409,
    "core.risk.AcceptanceRefused": 400,
    "core.branding.BrandingRefused": 400,
    "core.reports.logo.LogoRejected": 400,
    "core.reports.service.NoScanYet": 409,
    "core.billing.service.BillingRefused": 400,
    "core.billing.pricing.InvalidPlan": 400,
    "core.billing.invoice.InvalidPeriod": 400,
    "core.paging.BadPageToken": 400,
    "core.webhooks.egress.EndpointRefused": 400,
    "core.customers.TenantAlreadyACustomer": 409,
}
# In the tree without a kind of their own: an API answers them itself (MailFailed: 502) or
# never sees them bare (StoreError is only ever raised as one of its kinds).
WITHOUT_A_KIND = {"core.store.errors.StoreError", "core.mail.graph.MailFailed"}


def _all_core_modules() -> None:
    for module in pkgutil.walk_packages(core.__path__, "core."):
        importlib.import_module(module.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/api/x", "headers": []})


def test_the_api_maps_exactly_the_five_kinds() -> None:
    assert STATUS == KINDS


def test_every_exception_in_core_maps_to_the_status_of_its_kind() -> None:
    _all_core_modules()
    tree = {
        _name(cls): cls for cls in _subclasses(errors.ScanPostureError) if cls.__module__.startswith("core.")
    }
    assert set(EXPECTED) <= set(tree), sorted(set(EXPECTED) - set(tree))
    for name, cls in tree.items():
        kinds = [k for k in cls.__mro__ if k in KINDS]
        if name in WITHOUT_A_KIND:
            assert not kinds, name
            continue
        assert kinds, f"{name} derives from ScanPostureError but from none of its kinds"
        assert status_of(cls.__new__(cls)) == KINDS[kinds[0]], name
        if name in EXPECTED:
            assert KINDS[kinds[0]] == EXPECTED[name], name


def test_no_core_module_imports_fastapi_or_starlette() -> None:
    for module in pkgutil.walk_packages(core.__path__, "core."):
        spec = importlib.util.find_spec(module.name)
        assert spec is not None and spec.origin is not None
        if not spec.origin.endswith(".py"):
            continue
        source = Path(spec.origin).read_text(encoding="utf-8")
        for banned in ("fastapi", "starlette", "azure.functions", "functions."):
            assert f"import {banned}" not in source and f"from {banned}" not in source, (module.name, banned)


@pytest.mark.parametrize(("kind", "status"), list(KINDS.items()))
def test_the_handler_answers_each_kind_with_its_status_and_detail(kind: type, status: int) -> None:
    answer = asyncio.run(answer_error(_request(), kind("what went wrong")))
    assert answer.status_code == status
    body = json.loads(bytes(answer.body))
    if kind is errors.Unavailable:
        assert answer.headers["retry-after"] == str(DEFAULT_RETRY_AFTER)
        assert "what went wrong" not in body["detail"]  # internal names stay in the log
        assert set(body) == {"detail"}
    else:
        assert body == {"detail": "what went wrong"}
        assert "retry-after" not in answer.headers


def test_unavailable_carries_its_own_retry_after() -> None:
    from core.store.errors import Unavailable

    answer = asyncio.run(answer_error(_request(), Unavailable("Cosmos DB failed", retry_after=30)))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    assert json.loads(bytes(answer.body))["detail"].endswith("try again in 30 seconds")


def test_a_kind_chosen_by_the_mro_wins_over_an_inherited_one() -> None:
    from core.team import ChangedMeanwhile, NoSuchMember, NotAllowed, TeamError

    assert [status_of(e("x")) for e in (TeamError, NotAllowed, NoSuchMember, ChangedMeanwhile)] == [
        400,
        403,
        404,
        409,
    ]


def test_a_bare_scanposture_error_is_a_server_error() -> None:
    answer = asyncio.run(answer_error(_request(), errors.ScanPostureError("internal detail")))
    assert answer.status_code == 500 and b"internal detail" not in bytes(answer.body)

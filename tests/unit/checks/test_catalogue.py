"""Catalogue-level guarantees that hold for every check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.checks.catalogue import CATALOGUE, get_check
from core.checks.model import CATEGORIES, Check, SourceFailure, Status, TenantSnapshot, run_check
from core.collect.sources import (
    ADMIN_USER_SOURCES,
    ALL_SOURCE_NAMES,
    EXCHANGE_SOURCES,
    GRAPH_SOURCES,
    ROLE_GROUP_SOURCES,
    SHAREPOINT_ADMIN_SOURCES,
)
from tests.unit.checks.support import NOW, run

PERMISSION_OF = (
    {s.name: s.permission for s in (*GRAPH_SOURCES, *ROLE_GROUP_SOURCES, *ADMIN_USER_SOURCES)}
    | {s.name: s.permission for s in EXCHANGE_SOURCES}
    | {s.name: s.permission for s in SHAREPOINT_ADMIN_SOURCES}
)
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
ALL_CHECKS = pytest.mark.parametrize("check", CATALOGUE, ids=lambda c: c.id)
SOURCE_PAIRS = [pytest.param(c, s, id=f"{c.id}-{s}") for c in CATALOGUE for s in c.metadata.sources]


def test_catalogue_has_at_least_45_checks_with_unique_ids() -> None:
    ids = [c.id for c in CATALOGUE]
    assert len(ids) >= 45
    assert len(set(ids)) == len(ids)


def test_get_check_finds_every_check_and_rejects_unknown_ids() -> None:
    for check in CATALOGUE:
        assert get_check(check.id) is check
    with pytest.raises(KeyError, match="unknown check id"):
        get_check("no.such")


def test_every_category_is_used() -> None:
    assert {c.metadata.category for c in CATALOGUE} == set(CATEGORIES)


@ALL_CHECKS
def test_metadata_is_complete_and_well_formed(check: Check) -> None:
    meta = check.metadata
    assert ID_PATTERN.match(meta.id)
    assert meta.category in CATEGORIES
    assert meta.title.strip() and meta.rationale.strip()
    assert meta.remediation.startswith("1. ") and "\n2. " in meta.remediation
    assert meta.sources and set(meta.sources) <= ALL_SOURCE_NAMES
    assert len(set(meta.sources)) == len(meta.sources)
    declared_permissions = {PERMISSION_OF[s] for s in meta.sources if s in PERMISSION_OF}
    assert set(meta.permissions) <= declared_permissions
    assert set(meta.permissions) == declared_permissions
    assert meta.licence in (
        None,
        "AAD_PREMIUM",
        "AAD_PREMIUM_P2",
        "ATP_ENTERPRISE",
        "THREAT_INTELLIGENCE",
        "LOCKBOX_ENTERPRISE",
        "M365_ADVANCED_AUDITING",
        "EXCHANGE_S_ENTERPRISE",
        "SHAREPOINTSTANDARD",  # any SharePoint Online plan (core.checks.licensing.SATISFIED_BY)
        "TEAMS1",
    )
    assert meta.references and all(r.startswith("https://learn.microsoft.com/") for r in meta.references)


@ALL_CHECKS
def test_the_good_tenant_passes(check: Check) -> None:
    outcome = run(check)
    assert outcome.status is Status.PASS, outcome.summary
    assert outcome.summary.strip()


@pytest.mark.parametrize(("check", "source"), SOURCE_PAIRS)
def test_a_source_that_could_not_be_read_is_an_error_naming_it(check: Check, source: str) -> None:
    reason = f"{PERMISSION_OF.get(source, 'DNS resolver')} missing"
    outcome = run(check, **{source: SourceFailure("forbidden", reason)})
    assert outcome.status is Status.ERROR
    assert source in outcome.summary
    assert reason in outcome.summary


@pytest.mark.parametrize(("check", "source"), SOURCE_PAIRS)
def test_an_unlicensed_source_is_not_applicable(check: Check, source: str) -> None:
    # support.run takes AAD_PREMIUM_P2 out of the subscriptions, as a tenant without it would have.
    refusal = SourceFailure("not_licensed", "Entra ID P2 required", plan="AAD_PREMIUM_P2")
    outcome = run(check, **{source: refusal})
    assert outcome.status is Status.NOT_APPLICABLE
    assert "Entra ID P2 required" in outcome.summary
    assert "no active AAD_PREMIUM_P2 plan" in outcome.summary


@ALL_CHECKS
def test_an_empty_snapshot_never_passes(check: Check) -> None:
    failures = {name: SourceFailure("unavailable", "tenant unreachable") for name in ALL_SOURCE_NAMES}
    for empty in (
        TenantSnapshot(tenant_id="t", collected_at=NOW, data={}, failures=failures),
        TenantSnapshot(tenant_id="t", collected_at=NOW, data={}),
    ):
        assert run_check(check, empty).status is not Status.PASS


def test_every_check_has_its_own_tests() -> None:
    here = Path(__file__).parent
    text = "\n".join(p.read_text() for p in here.glob("test_*.py") if p.name != Path(__file__).name)
    untested = [c.id for c in CATALOGUE if c.metadata.id.split(".", 1)[1] not in text]
    assert not untested

"""SPF, DMARC and DKIM checks, the unified audit log and Secure Score."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import dns_checks, monitoring
from core.checks.model import Status
from tests.unit.checks.support import mutated, run, values

DNS_CHECKS = [
    dns_checks.spf_published,
    dns_checks.spf_fails_unauthorised,
    dns_checks.dmarc_published,
    dns_checks.dmarc_enforced,
    dns_checks.dmarc_reject,
    dns_checks.dkim_enabled,
]


def record(data: dict[str, Any], domain: str) -> dict[str, Any]:
    return data["dns"][domain]


@pytest.mark.parametrize("check", DNS_CHECKS, ids=lambda c: c.id)
def test_dns_checks_are_not_applicable_without_custom_domains(check: Any) -> None:
    outcome = run(check, mutated(lambda d: d.update(dns={})))
    assert outcome.status is Status.NOT_APPLICABLE
    assert "no custom verified domains" in outcome.summary


def test_spf_published_flags_missing_and_duplicate_records() -> None:
    def break_spf(data: dict[str, Any]) -> None:
        record(data, "contoso.com")["spf"] = []
        record(data, "news.contoso.com")["spf"].append("v=spf1 include:mailgun.org -all")

    outcome = run(dns_checks.spf_published, mutated(break_spf))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "domain") == ["contoso.com", "news.contoso.com"]
    assert values(outcome.evidence, "problem") == ["no SPF record", "2 SPF records (permanent error)"]


@pytest.mark.parametrize(
    ("spf", "problem"),
    [
        ("v=spf1 include:spf.protection.outlook.com +all", "ends in +all (allows any sender)"),
        ("v=spf1 include:spf.protection.outlook.com all", "ends in +all (allows any sender)"),
        ("v=spf1 include:spf.protection.outlook.com ?all", "ends in ?all (neutral)"),
        ("v=spf1 include:spf.protection.outlook.com", "has no 'all' mechanism (neutral)"),
    ],
)
def test_spf_fails_unauthorised_rejects_permissive_records(spf: str, problem: str) -> None:
    outcome = run(
        dns_checks.spf_fails_unauthorised, mutated(lambda d: record(d, "contoso.com").update(spf=[spf]))
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"domain": "contoso.com", "problem": problem, "record": spf},)


def test_spf_fails_unauthorised_accepts_a_redirect() -> None:
    data = mutated(lambda d: record(d, "news.contoso.com").update(spf=["v=spf1 redirect=_spf.contoso.com"]))
    assert run(dns_checks.spf_fails_unauthorised, data).status is Status.PASS


def test_dmarc_published_fails_without_a_record_or_inherited_policy() -> None:
    outcome = run(dns_checks.dmarc_published, mutated(lambda d: record(d, "contoso.com").update(dmarc=[])))
    assert outcome.status is Status.FAIL
    # news.contoso.com had been covered by the parent's record, so both domains now fail
    assert outcome.evidence == (
        {"domain": "contoso.com", "problem": "no DMARC record at _dmarc.contoso.com"},
        {"domain": "news.contoso.com", "problem": "no DMARC record at _dmarc.news.contoso.com"},
    )


def test_dmarc_enforced_flags_monitoring_only_and_partial_policies() -> None:
    def weaken(data: dict[str, Any]) -> None:
        record(data, "contoso.com")["dmarc"] = [
            "v=DMARC1; p=quarantine; sp=none; pct=50; rua=mailto:d@contoso.com"
        ]

    outcome = run(dns_checks.dmarc_enforced, mutated(weaken))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {
            "domain": "contoso.com",
            "problem": "policy does not quarantine or reject all mail",
            "p": "quarantine",
            "pct": "50",
        },
        {
            "domain": "news.contoso.com",
            "problem": "policy does not quarantine or reject all mail",
            "p": "none",
            "pct": "50",
            "inheritedFrom": "contoso.com",
        },
    )


def test_dmarc_reject_requires_p_reject() -> None:
    data = mutated(
        lambda d: record(d, "news.contoso.com").update(
            dmarc=["v=DMARC1; p=quarantine; rua=mailto:d@contoso.com"]
        )
    )
    outcome = run(dns_checks.dmarc_reject, data)
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "domain") == ["news.contoso.com"]
    assert values(outcome.evidence, "p") == ["quarantine"]


def test_dkim_enabled_needs_both_cnames_and_signing_enabled() -> None:
    def break_dkim(data: dict[str, Any]) -> None:
        record(data, "contoso.com")["dkim"]["selector2"] = None
        next(c for c in data["exo_dkim_signing_config"] if c["Domain"] == "news.contoso.com")["Enabled"] = (
            False
        )

    outcome = run(dns_checks.dkim_enabled, mutated(break_dkim))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"domain": "contoso.com", "problem": "CNAME not published for selector2"},
        {"domain": "news.contoso.com", "problem": "DKIM signing disabled in Exchange Online"},
    )


def test_unified_audit_log_fails_when_ingestion_is_off() -> None:
    outcome = run(
        monitoring.unified_audit_log,
        mutated(lambda d: d["exo_admin_audit_log_config"].update(UnifiedAuditLogIngestionEnabled=False)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"UnifiedAuditLogIngestionEnabled": False},)


def test_secure_score_reports_the_score_as_evidence() -> None:
    outcome = run(
        monitoring.secure_score, mutated(lambda d: d["secure_scores"][0].update(currentScore=200.0))
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary == "Secure Score is 31.2% (200 of 640 points), below 50%."
    assert outcome.evidence == (
        {
            "currentScore": 200.0,
            "maxScore": 640.0,
            "percentage": 31.2,
            "createdDateTime": "2026-10-31T00:00:00Z",
        },
    )


def test_secure_score_is_not_applicable_before_the_first_score() -> None:
    assert (
        run(monitoring.secure_score, mutated(lambda d: d.update(secure_scores=[]))).status
        is Status.NOT_APPLICABLE
    )

"""Issue 18 items 3 and 6 in pure functions: one score format, "no change since last scan" only
when nothing changed, unreadable sources in words, the one priority order, and the findings'
text filter in the store's query grammar."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from core.checks.model import Severity
from core.collect.unreadable import explain, explain_summary, service_of
from core.customers import PostureSummary, TrendPoint
from core.exports import to_csv
from core.mail.summary_template import summary_html
from core.posture import SinceLastScan, since_last_scan
from core.priorities import top_priorities, urgency
from core.reports.model import ReportData
from core.reports.pdf import render_report
from core.scan.findings import Finding
from core.scan.scoring import format_score, format_score_change, priority_for
from core.store.partitions import FindingQuery
from tests.unit.fakes import FakeStore
from tests.unit.reports import support

T0 = datetime(2026, 11, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("score", "text"), [(72.5, "72.5"), (72.0, "72.0"), (100.0, "100.0"), (0.04, "0.0"), (None, "-")]
)
def test_a_score_has_one_decimal(score: float | None, text: str) -> None:
    assert format_score(score) == text


def test_a_score_change_has_its_sign_and_one_decimal() -> None:
    assert [format_score_change(c) for c in (2.45, -1.0, 0.0, -0.01)] == ["+2.5", "-1.0", "0.0", "0.0"]


def _finding(check_id: str = "x", **fields: Any) -> Finding:
    """A finding as the repository reads it: what every finding has, and `fields` (camelCase)."""
    base = {"id": f"finding:{check_id}", "checkId": check_id, "title": check_id, "severity": "low"}
    return Finding.model_validate({**base, "status": "fail", **fields})


def _summary(
    scores: list[float | None],
    *,
    changed_at: datetime | None = None,
    accept: dict[str, datetime] | None = None,
) -> PostureSummary:
    trend = [TrendPoint(scan_id=f"s{i}", at=T0 + timedelta(days=i), score=s) for i, s in enumerate(scores)]
    return PostureSummary(
        score=scores[-1],
        trend=trend,
        earned_weight=int((scores[-1] or 0) * 10),
        possible_weight=1000,
        acceptances=accept or {},
        acceptances_changed_at=changed_at,
    )


LATER = T0 + timedelta(days=3)


def test_no_change_only_when_score_findings_and_acceptances_stand_still() -> None:
    quiet = since_last_scan(_summary([70.0, 70.0]), [_finding(change="persisting")], LATER)
    assert quiet.nothing_changed and quiet.text() == "No change since last scan"
    moved = since_last_scan(
        _summary([70.0, 70.0]), [_finding(change="new"), _finding(change="resolved")], LATER
    )
    assert (moved.new, moved.resolved) == (1, 1)
    assert not moved.nothing_changed and moved.text() == "Same score as last scan"


def test_an_acceptance_made_or_revoked_since_the_previous_scan_is_a_change() -> None:
    before_previous = since_last_scan(_summary([70.0, 70.0], changed_at=T0 - timedelta(hours=1)), [], LATER)
    assert before_previous.nothing_changed
    after_previous = since_last_scan(_summary([70.0, 70.0], changed_at=T0 + timedelta(hours=30)), [], LATER)
    assert after_previous.acceptances_changed and not after_previous.nothing_changed
    assert after_previous.text() != "No change since last scan"


def test_an_acceptance_that_expired_since_the_previous_scan_is_a_change() -> None:
    expiring = {"x.check": T0 + timedelta(days=2)}  # after the previous scan (day 1), before now
    expired = since_last_scan(_summary([70.0, 70.0], accept=expiring), [], LATER)
    assert expired.acceptances_changed
    still = since_last_scan(_summary([70.0, 70.0], accept=expiring), [], T0 + timedelta(days=1, hours=2))
    assert not still.acceptances_changed


def test_score_change_words_and_first_scan() -> None:
    assert since_last_scan(_summary([70.0]), [], LATER).text() == "First scored scan"
    assert since_last_scan(_summary([70.0, 72.5]), [], LATER).text() == "Up 2.5 since last scan"
    assert since_last_scan(_summary([72.5, 70.0]), [], LATER).text() == "Down 2.5 since last scan"
    # A scan that assessed nothing in between: the change is against the last scored scan.
    assert since_last_scan(_summary([72.5, None, 70.0]), [], LATER).text() == "Down 2.5 since last scan"
    assert since_last_scan(_summary([None, 70.0]), [], LATER).text() == "First scored scan"


def _cover(data: ReportData) -> str:
    pdf = render_report(data)
    return re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def test_the_pdf_cover_says_posture_score_one_decimal_and_no_change_only_when_none() -> None:
    data = replace(support.report(12), score=72.0, score_change=0.0)
    quiet = _cover(replace(data, since_last_scan=SinceLastScan(0.0, 0, 0, False)))
    assert "Posture score" in quiet and "72.0" in quiet and "No change since last scan" in quiet
    assert "Secure score" not in quiet and "Security score" not in quiet
    accepted = _cover(replace(data, since_last_scan=SinceLastScan(0.0, 0, 0, True)))
    assert "No change since last scan" not in accepted and "Same score as last scan" in accepted


def test_the_mail_shows_one_decimal_and_no_change_only_when_none() -> None:
    data = replace(support.report(12), score=72.0, score_change=0.0)
    quiet = summary_html(replace(data, since_last_scan=SinceLastScan(0.0, 0, 0, False)), {}, "u", True)
    assert "<strong>72.0 / 100</strong>" in quiet and "no change since last scan" in quiet
    moved = summary_html(replace(data, since_last_scan=SinceLastScan(0.0, 2, 0, False)), {}, "u", True)
    assert "no change" not in moved and "same score as last scan" in moved
    up = summary_html(
        replace(data, score=74.5, since_last_scan=SinceLastScan(2.5, 0, 0, False)), {}, "u", True
    )
    assert "<strong>74.5 / 100</strong>" in up and "+2.5 since the previous scan" in up


def test_the_csv_shows_the_posture_score_with_one_decimal() -> None:
    text = to_csv([{"customer": "A", "postureScore": 72.0, "checkId": "x"}, {"postureScore": None}])
    header, first, second = text.splitlines()
    assert header.split(",")[:3] == ["customer", "tenantId", "postureScore"]
    assert first.split(",")[2] == "72.0" and second.split(",")[2] == ""


EXO_403 = (
    "Get-TransportConfig: the app needs Exchange.ManageAsApp and the Global Reader role in the tenant "
    "(permission Exchange.ManageAsApp missing or not granted (HTTP 403 Forbidden: Access denied))"
)


@pytest.mark.parametrize(
    ("source", "reason", "sentence"),
    [
        (
            "exo_transport_config",
            EXO_403,
            "Exchange Online could not be read: the app lacks permission Exchange.ManageAsApp "
            "or the Global Reader role in the tenant.",
        ),
        (
            "authorization_policy",
            "permission Policy.Read.All missing or not granted (HTTP 403 Authorization_RequestDenied: no)",
            "Microsoft Graph could not be read: the app lacks permission Policy.Read.All.",
        ),
        (
            "users",
            "still throttled after retrying (HTTP 429 TooManyRequests: slow down)",
            "Microsoft Graph was throttled",
        ),
        ("users", "HTTP 503 ServiceUnavailable: try later", "Microsoft Graph had a service error"),
        (
            "users",
            "timed out waiting for the service (ReadTimeout)",
            "Microsoft Graph did not answer in time.",
        ),
        ("dns", "something odd", "DNS could not be read."),
    ],
)
def test_an_unreadable_source_is_said_in_words_with_the_raw_error_as_detail(
    source: str, reason: str, sentence: str
) -> None:
    said = explain(source, reason)
    assert said.sentence.startswith(sentence)
    assert "HTTP" not in said.sentence
    assert said.detail == reason


def test_an_error_findings_summary_is_explained_and_other_summaries_are_left() -> None:
    said = explain_summary(f"could not read exo_transport_config: {EXO_403}")
    assert (
        said is not None
        and said.source == "exo_transport_config"
        and service_of(said.source) == "Exchange Online"
    )
    assert explain_summary("Security defaults are off") is None


def test_the_pdf_appendix_says_the_sentence_and_keeps_the_http_error_in_a_detail_line() -> None:
    data = replace(support.report(6), source_failures={"exo_transport_config": EXO_403})
    pdf = render_report(data)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "Sources that could not be read" in text
    assert "Exchange Online could not be read: the app lacks permission Exchange.ManageAsApp" in text
    assert "Detail (exo_transport_config):" in text and "HTTP 403 Forbidden" in text


def test_priority_order_is_severity_order_so_the_store_may_sort_by_severity_rank() -> None:
    ranks = [urgency(priority_for(s), s.value, "x") for s in Severity]
    assert ranks == sorted(ranks)


def test_top_priorities_are_open_failing_findings_most_urgent_first() -> None:
    later = (T0 + timedelta(days=30)).isoformat()
    accepted = {"justification": "relay", "acceptedAt": T0.isoformat(), "expiresAt": later, "acceptedBy": {}}
    docs = [
        _finding("b", status="fail", severity="low", priority="P3"),
        _finding("a", status="fail", severity="high", priority="P1"),
        _finding("c", status="pass", severity="critical", priority="P1"),
        _finding("d", status="fail", severity="critical", priority="P1", acceptance=accepted),
        _finding("e", status="fail", severity="critical", priority="P1"),
    ]
    assert [f.check_id for f in top_priorities(docs, T0)] == ["e", "a", "b"]
    assert [f.check_id for f in top_priorities(docs, T0, limit=1)] == ["e"]


async def test_the_text_filter_matches_title_any_case_or_check_id() -> None:
    store = FakeStore()
    rel = store.relationship("rel-1")
    await rel.upsert_many(
        [
            {**_finding(c, title=t, severityRank=r).to_document(), "id": f"finding-{c}"}
            for c, t, r in (
                ("entra.mfa_admins", "MFA for administrators", 0),
                ("exo.smtp_auth", "SMTP AUTH is disabled", 1),
                ("entra.legacy_auth", "Legacy authentication is blocked", 2),
            )
        ]
    )

    async def checks(text: str) -> list[str]:
        page, _ = await rel.findings_page(FindingQuery(text=text), page_size=10, continuation=None)
        return [finding.check_id for finding in page]

    assert await checks("mfa") == ["entra.mfa_admins"]
    assert await checks("SMTP") == ["exo.smtp_auth"]
    assert await checks("entra.") == ["entra.mfa_admins", "entra.legacy_auth"]
    assert await checks("nothing like it") == []

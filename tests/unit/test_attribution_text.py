"""The pure parts of change attribution: the directoryAudits request, reading an entry as Graph
documents it, the sentence, the notes on capping, retention and named objects, and the summary's
"What changed" line."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.checks.catalogue import get_check
from core.collect.audit_log import directory_audits_url, parse_entry, retention_note
from core.mail.summary_template import summary_html
from core.scan.attribution import (
    AuditEntry,
    AuditTarget,
    ChangeLog,
    PropertyChange,
    Regression,
    attribute,
    describe,
)
from tests.unit.reports import support

AT = datetime(2026, 11, 30, 14, 2, 31, tzinfo=UTC)
CA_CHECK = get_check("entra.device_code_flow_blocked").metadata

# The shape of one directoryAudit (Microsoft Learn, "directoryAudit resource type"), for a
# Conditional Access policy switched off.
ROW: dict[str, Any] = {
    "id": "Directory_abc",
    "category": "Policy",
    "correlationId": "6c2b8d4b-1b6f-4c5e-9c3e-1d2a3b4c5d6e",
    "result": "success",
    "resultReason": "",
    "activityDisplayName": "Update conditional access policy",
    "activityDateTime": "2026-11-30T14:02:31.1234567Z",
    "loggedByService": "Conditional Access",
    "operationType": "Update",
    "initiatedBy": {"app": None, "user": {"id": "u-1", "userPrincipalName": "bob@contoso.test"}},
    "targetResources": [
        {
            "id": "ca-1",
            "displayName": "Require MFA",
            "type": "Policy",
            "modifiedProperties": [
                {
                    "displayName": "ConditionalAccessPolicy",
                    "oldValue": json.dumps({"id": "ca-1", "state": "enabled"}),
                    "newValue": json.dumps({"id": "ca-1", "state": "disabled"}),
                }
            ],
        }
    ],
    "additionalDetails": [],
}


def test_the_request_filters_the_interval_and_category_newest_first() -> None:
    url = directory_audits_url("https://graph.example/v1.0/", AT, AT + timedelta(hours=1), "Policy")
    parts = urlsplit(url)
    assert parts.path == "/v1.0/auditLogs/directoryAudits"
    query = parse_qs(parts.query)
    assert query["$filter"] == [
        "activityDateTime ge 2026-11-30T14:02:31Z and activityDateTime le 2026-11-30T15:02:32Z "
        "and category eq 'Policy'"
    ]
    assert query["$orderby"] == ["activityDateTime desc"] and query["$top"] == ["200"]


def test_an_entry_reads_as_who_changed_what_and_when() -> None:
    entry = parse_entry(ROW)
    assert entry.initiator == "bob@contoso.test" and entry.at.minute == 2
    assert describe(entry) == (
        "'Require MFA' (Policy): Update conditional access policy, state enabled → disabled, "
        "by bob@contoso.test at 2026-11-30 14:02 UTC"
    )
    by_app = parse_entry({**ROW, "initiatedBy": {"app": {"displayName": "Contoso DSC"}, "user": None}})
    assert "by Contoso DSC at" in describe(by_app)


def test_a_policy_edit_that_keeps_its_state_names_what_moved() -> None:
    old = {
        "id": "ca-1",
        "state": "enabled",
        "grantControls": {"builtInControls": ["mfa"]},
        "modifiedDateTime": "a",
    }
    new = {**old, "grantControls": {"builtInControls": []}, "modifiedDateTime": "b"}
    target = {
        **ROW["targetResources"][0],
        "modifiedProperties": [
            {
                "displayName": "ConditionalAccessPolicy",
                "oldValue": json.dumps(old),
                "newValue": json.dumps(new),
            }
        ],
    }
    text = describe(parse_entry({**ROW, "targetResources": [target]}))
    assert "Update conditional access policy, changed grantControls, by bob@contoso.test" in text


def _entry(name: str, at: datetime) -> AuditEntry:
    change = PropertyChange("State", '"enabled"', '"disabled"')
    return AuditEntry(
        name, at, "Update policy", "Policy", "ann@x.test", (AuditTarget(name, name, "Policy", (change,)),)
    )


def test_entries_naming_the_findings_objects_come_first_and_none_is_dropped() -> None:
    log = ChangeLog((_entry("other", AT + timedelta(minutes=5)), _entry("named", AT)), capped=True)
    regression = Regression(CA_CHECK, AT - timedelta(hours=1))
    attribution = attribute(regression, [{"id": "named"}], log, AT + timedelta(hours=1))
    assert attribution.matched == 2 and [e.target for e in attribution.entries] == ["named", "other"]
    assert "'named' (Policy)" in attribution.text and "and 1 more change(s)" in attribution.text
    assert "1 of 2 name an object this finding shows" in attribution.text
    assert "more entries than were read" in attribution.text


def test_an_interval_older_than_the_retention_is_said() -> None:
    until = AT
    assert retention_note(until - timedelta(days=3), until, premium=False) is None
    note = retention_note(until - timedelta(days=10), until, premium=False)
    assert note is not None and "7 days on Entra ID Free" in note and "2026-11-23 14:02" in note
    assert retention_note(until - timedelta(days=10), until, premium=True) is None
    assert "30 days" in (retention_note(until - timedelta(days=40), until, premium=True) or "")


def test_the_summary_has_a_what_changed_line_per_regression() -> None:
    data = support.report(6)
    regressed = replace(data.findings[0], what_changed="Changed between the scans: 'Require MFA' by bob")
    body = summary_html(replace(data, findings=[regressed, *data.findings[1:]]), {}, "u", True)
    assert "What changed" in body and html.escape("'Require MFA' by bob") in body
    assert html.escape(regressed.title) in body
    assert "What changed" not in summary_html(data, {}, "u", True)

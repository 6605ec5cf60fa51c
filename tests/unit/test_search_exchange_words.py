"""An MSP's questions about the Exchange and Security & Compliance checks of issue 19 find them."""

from __future__ import annotations

import pytest

from core.search_words import rank_checks


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("which customers share calendars anonymously?", "exo.calendar_sharing"),
        ("who has customer lockbox off", "exo.customer_lockbox"),
        ("transport rules that whitelist a domain", "exo.transport_rules_safe"),
        ("can users install outlook add-ins", "exo.outlook_addins_restricted"),
        ("shared mailbox accounts that can sign in", "exo.shared_mailbox_signin_blocked"),
        ("mailbox audit bypass", "exo.mailbox_audit_bypass"),
        ("alert policies turned off", "monitoring.alert_policies"),
        ("audit log retention", "monitoring.audit_retention"),
        ("dropbox in outlook on the web", "exo.owa_storage_providers_restricted"),
        ("customers without a DLP policy", "compliance.dlp_policies_enabled"),
    ],
)
def test_questions_find_the_new_checks_first(question: str, expected: str) -> None:
    ranked = [m.id for m in rank_checks(question)]
    assert ranked[:1] == [expected], ranked[:5]

"""Exchange Online checks (SMTP AUTH, auditing, modern auth, tagging, MailTips, forwarding)."""

from __future__ import annotations

from typing import Any

from core.checks import exchange, mail_forwarding
from core.checks.model import Status
from tests.unit.checks.support import mutated, run, values

CAS = "exo_cas_mailboxes"
ORG = "exo_organization_config"


def cas(data: dict[str, Any], address: str) -> dict[str, Any]:
    return next(m for m in data[CAS] if m["PrimarySmtpAddress"] == address)


def test_smtp_auth_disabled_fails_when_the_organisation_allows_it() -> None:
    outcome = run(
        exchange.smtp_auth_disabled,
        mutated(lambda d: d["exo_transport_config"].update(SmtpClientAuthenticationDisabled=False)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"SmtpClientAuthenticationDisabled": False},)


def test_smtp_auth_disabled_accepts_the_list_the_admin_api_returns() -> None:
    data = mutated(lambda d: d.update(exo_transport_config=[d["exo_transport_config"]]))
    assert run(exchange.smtp_auth_disabled, data).status is Status.PASS


def test_smtp_auth_disabled_is_an_error_when_the_cmdlet_returned_nothing() -> None:
    outcome = run(exchange.smtp_auth_disabled, mutated(lambda d: d.update(exo_transport_config=[])))
    assert outcome.status is Status.ERROR
    assert "Get-TransportConfig returned no object" in outcome.summary


def test_smtp_auth_mailboxes_flags_explicit_enables_even_when_the_organisation_disables_it() -> None:
    outcome = run(
        exchange.smtp_auth_mailboxes,
        mutated(lambda d: cas(d, "alice@contoso.com").update(SmtpClientAuthenticationDisabled=False)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(
        "1 mailbox can use SMTP AUTH (1 explicitly enabled; organisation setting disabled)"
    )
    assert outcome.evidence == ({"mailbox": "alice@contoso.com", "SmtpClientAuthenticationDisabled": False},)


def test_smtp_auth_mailboxes_flags_inheriting_mailboxes_when_the_organisation_allows_it() -> None:
    outcome = run(
        exchange.smtp_auth_mailboxes,
        mutated(lambda d: d["exo_transport_config"].update(SmtpClientAuthenticationDisabled=False)),
    )
    assert outcome.status is Status.FAIL
    # the scanner mailbox disables SMTP AUTH itself; the two others inherit the permissive default
    assert values(outcome.evidence, "mailbox") == ["adele.admin@contoso.com", "alice@contoso.com"]


def test_org_mailbox_auditing_fails_when_audit_is_disabled() -> None:
    outcome = run(exchange.org_mailbox_auditing, mutated(lambda d: d[ORG].update(AuditDisabled=True)))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"AuditDisabled": True},)


def test_mailbox_audit_enabled_lists_mailboxes_opted_out() -> None:
    def opt_out(data: dict[str, Any]) -> None:
        data["exo_mailboxes"][2]["AuditEnabled"] = False

    outcome = run(exchange.mailbox_audit_enabled, mutated(opt_out))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "1 mailbox of 3 has AuditEnabled set to False."
    assert outcome.evidence == ({"mailbox": "info@contoso.com", "AuditEnabled": False},)


def test_modern_auth_enabled_fails_when_oauth_is_off() -> None:
    outcome = run(
        exchange.modern_auth_enabled, mutated(lambda d: d[ORG].update(OAuth2ClientProfileEnabled=False))
    )
    assert outcome.status is Status.FAIL


def test_external_sender_tagging_fails_when_disabled() -> None:
    outcome = run(
        exchange.external_sender_tagging,
        mutated(lambda d: d["exo_external_in_outlook"][0].update(Enabled=False)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"Enabled": False},)


def test_mailtips_enabled_lists_each_setting_that_is_off() -> None:
    outcome = run(
        exchange.mailtips_enabled,
        mutated(
            lambda d: d[ORG].update(
                MailTipsExternalRecipientsTipsEnabled=False, MailTipsLargeAudienceThreshold=50
            )
        ),
    )
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "setting") == [
        "MailTipsExternalRecipientsTipsEnabled",
        "MailTipsLargeAudienceThreshold",
    ]


def test_outbound_spam_forwarding_off_lists_policies_with_forwarding_on() -> None:
    outcome = run(
        mail_forwarding.outbound_spam_forwarding_off,
        mutated(lambda d: d["exo_outbound_spam_policies"][1].update(AutoForwardingMode="On")),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"policy": "Finance outbound", "AutoForwardingMode": "On"},)


def test_remote_domain_forwarding_off_calls_out_the_default_domain() -> None:
    outcome = run(
        mail_forwarding.remote_domain_forwarding_off,
        mutated(lambda d: d["exo_remote_domains"][0].update(AutoForwardEnabled=True)),
    )
    assert outcome.status is Status.FAIL
    assert "Default (*) domain" in outcome.summary
    assert outcome.evidence == ({"remoteDomain": "Default", "DomainName": "*"},)


def test_mailbox_external_forwarding_lists_only_external_destinations() -> None:
    def forward(data: dict[str, Any]) -> None:
        data["exo_mailboxes"][0].update(
            ForwardingSmtpAddress="smtp:adele@gmail.com", DeliverToMailboxAndForward=True
        )

    outcome = run(mail_forwarding.mailbox_external_forwarding, mutated(forward))
    assert outcome.status is Status.FAIL
    # Alice forwards to news.contoso.com, a verified domain of the tenant: not listed
    assert outcome.evidence == (
        {
            "mailbox": "adele.admin@contoso.com",
            "ForwardingSmtpAddress": "smtp:adele@gmail.com",
            "DeliverToMailboxAndForward": True,
        },
    )


def test_mailtips_enabled_does_not_fail_on_an_unreported_threshold() -> None:
    outcome = run(exchange.mailtips_enabled, mutated(lambda d: d[ORG].pop("MailTipsLargeAudienceThreshold")))
    assert outcome.status is Status.PASS
    assert "threshold not reported" in outcome.summary

"""Exchange Online automatic forwarding to external recipients.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Shapes (PowerShell property names through the Exchange admin API): Get-HostedOutboundSpamFilterPolicy
{Name, AutoForwardingMode: Automatic | On | Off} where Automatic now means off; Get-RemoteDomain
{Name, DomainName, AutoForwardEnabled}; Get-Mailbox {PrimarySmtpAddress, ForwardingSmtpAddress
("smtp:user@domain"), DeliverToMailboxAndForward}. Internal domains are the tenant's verified domains.
"""

from __future__ import annotations

from core.checks.exchange import mailbox_name
from core.checks.helpers import capped, check, is_true, metadata, objects, plural, shown, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed

CATEGORY = "Exchange Online"
FORWARDING_DOCS = (
    "https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-policies-external-email-forwarding"
)


@check(
    metadata(
        id="exo.outbound_spam_forwarding_off",
        title="Outbound spam policies block automatic external forwarding",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=("exo_outbound_spam_policies",),
        rationale=(
            "Attackers who take over a mailbox add an inbox rule forwarding everything to an outside "
            "address, which keeps working after the password is reset. Outbound spam policies with "
            "AutoForwardingMode 'On' allow that; 'Off' and 'Automatic' (now equivalent to off) block it."
        ),
        remediation=steps(
            "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > "
            "Anti-spam policies.",
            "Open each listed outbound policy > Edit protection settings > Forwarding rules: set "
            "'Automatic forwarding rules' to 'Off - Forwarding is disabled' and Save.",
            "If a few mailboxes need to forward, create a separate outbound policy scoped to them.",
        ),
        references=(FORWARDING_DOCS,),
    )
)
def outbound_spam_forwarding_off(snapshot: TenantSnapshot) -> Outcome:
    policies = objects(snapshot.get("exo_outbound_spam_policies"))
    allowing = [
        {"policy": p.get("Name") or p.get("Identity"), "AutoForwardingMode": p.get("AutoForwardingMode")}
        for p in policies
        if str(p.get("AutoForwardingMode") or "").lower() == "on"
    ]
    if not allowing:
        return passed(
            f"None of {plural(len(policies), 'outbound spam policy', 'outbound spam policies')} allow "
            "automatic forwarding."
        )
    return failed(
        f"{plural(len(allowing), 'outbound spam policy', 'outbound spam policies')} "
        f"{verb(len(allowing), 'allows', 'allow')} automatic "
        "external forwarding.",
        allowing,
    )


@check(
    metadata(
        id="exo.remote_domain_forwarding_off",
        title="Remote domains do not allow automatic forwarding",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("exo_remote_domains",),
        rationale=(
            "Remote domain settings decide whether auto-forwarded messages may leave for a domain; the "
            "Default (*) remote domain covers every external domain. Allow it only for specific, approved "
            "partner domains."
        ),
        remediation=steps(
            "Exchange admin center > Mail flow > Remote domains.",
            "Open each listed domain (start with Default) > Edit reply types: clear 'Allow automatic "
            "forwarding' and Save.",
            "Keep it only on named remote domains the organisation has approved.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/remote-domains/remote-domains",
        ),
    )
)
def remote_domain_forwarding_off(snapshot: TenantSnapshot) -> Outcome:
    domains = objects(snapshot.get("exo_remote_domains"))
    allowing = [
        {"remoteDomain": d.get("Name") or d.get("Identity"), "DomainName": d.get("DomainName")}
        for d in domains
        if is_true(d.get("AutoForwardEnabled"))
    ]
    if not allowing:
        return passed(f"None of {plural(len(domains), 'remote domain')} allow automatic forwarding.")
    covers_all = any(entry["DomainName"] == "*" for entry in allowing)
    scope = " including the Default (*) domain, i.e. every external domain" if covers_all else ""
    return failed(
        f"{plural(len(allowing), 'remote domain')} {verb(len(allowing), 'allows', 'allow')} automatic "
        f"forwarding{scope}.",
        allowing,
    )


def _domain_of(address: str) -> str:
    value = address.split(":", 1)[1] if address.lower().startswith("smtp:") else address
    return value.rsplit("@", 1)[-1].strip().lower()


def _is_internal(domain: str, internal: set[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in internal)


@check(
    metadata(
        id="exo.mailbox_external_forwarding",
        title="No mailboxes forward to external addresses",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=("exo_mailboxes", "domains"),
        rationale=(
            "Mailbox forwarding (ForwardingSmtpAddress) set by an administrator or an attacker with admin "
            "access silently copies every message to an outside address. Addresses outside the tenant's "
            "verified domains are listed."
        ),
        remediation=steps(
            "Exchange admin center > Recipients > Mailboxes > (listed mailbox) > Mail flow settings > "
            "Email forwarding: turn forwarding off, or run "
            "Set-Mailbox -Identity <mailbox> -ForwardingSmtpAddress $null.",
            "Ask the mailbox owner and check the audit log for who set the forwarding; treat an unknown "
            "destination as a compromise.",
        ),
        references=(FORWARDING_DOCS,),
    )
)
def mailbox_external_forwarding(snapshot: TenantSnapshot) -> Outcome:
    internal = {str(d.get("id") or "").lower() for d in snapshot.get("domains") or [] if d.get("id")}
    mailboxes = objects(snapshot.get("exo_mailboxes"))
    forwarding = []
    for mailbox in mailboxes:
        target = str(mailbox.get("ForwardingSmtpAddress") or "")
        if target and not _is_internal(_domain_of(target), internal):
            forwarding.append(
                {
                    "mailbox": mailbox_name(mailbox),
                    "ForwardingSmtpAddress": target,
                    "DeliverToMailboxAndForward": mailbox.get("DeliverToMailboxAndForward"),
                }
            )
    if not forwarding:
        return passed(
            f"None of {plural(len(mailboxes), 'mailbox', 'mailboxes')} forward to an external address."
        )
    return failed(
        f"{plural(len(forwarding), 'mailbox', 'mailboxes')} {verb(len(forwarding), 'forwards', 'forward')} "
        "to external "
        f"addresses.{shown(len(forwarding))}",
        capped(forwarding),
    )


CHECKS = (outbound_spam_forwarding_off, remote_domain_forwarding_off, mailbox_external_forwarding)

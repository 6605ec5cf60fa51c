"""Monitoring through Security & Compliance PowerShell: alert policies and audit log retention.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Shapes (PowerShell property names through the Security & Compliance admin API, the same
InvokeCommand API as Exchange Online's):
- Get-ProtectionAlert {Name, Disabled, NotifyUser (recipients), Severity, Category}
  (learn.microsoft.com/powershell/module/exchange/get-protectionalert). The alerts required are those
  ScubaGear's SecuritySuiteConfig.rego (MS.SECURITYSUITE.4.1v1) requires enabled, by name; the
  "potentially malicious URL click" alert only where the tenant has it (Defender for Office 365).
- Get-UnifiedAuditLogRetentionPolicy {Name, Priority, RetentionDuration: SevenDays | OneMonth |
  ThreeMonths | SixMonths | NineMonths | TwelveMonths | ThreeYears | FiveYears | SevenYears | TenYears,
  RecordTypes, Operations, UserIds, Enabled} (learn.microsoft.com/purview/audit-log-retention-policies).
  Keeping audit records beyond 180 days needs Audit (Premium), service plan M365_ADVANCED_AUDITING
  (Microsoft 365 / Office 365 E5, Purview Suite); ScubaGear reads the same plan for MS.SECURITYSUITE.5.2v1.
- Get-DlpCompliancePolicy {Name, Mode: Enable | TestWithNotifications | TestWithoutNotifications |
  Disable, Enabled, ExchangeLocation, SharePointLocation, OneDriveLocation, TeamsLocation}
  (learn.microsoft.com/powershell/module/exchange/get-dlpcompliancepolicy). Data loss prevention comes
  with Exchange Online Plan 2 (EXCHANGE_S_ENTERPRISE, in Microsoft 365 E3 and E5) or, in Microsoft 365
  Business Premium, the BPOS_S_DlpAddOn plan.
"""

from __future__ import annotations

from typing import Any

from core.checks.helpers import check, has_service_plan, is_false, metadata, objects, plural, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, not_applicable, passed

CATEGORY = "Monitoring"
ALERTS = "sc_protection_alerts"
RETENTION = "sc_audit_retention_policies"
AUDIT_PREMIUM = "M365_ADVANCED_AUDITING"
REQUIRED_ALERTS = (
    "Suspicious email sending patterns detected",
    "Suspicious connector activity",
    "Suspicious Email Forwarding Activity",
    "Messages have been delayed",
    "Tenant restricted from sending unprovisioned email",
    "Tenant restricted from sending email",
)
URL_CLICK_ALERT = "A potentially malicious URL click was detected"
DLP_PLANS = ("EXCHANGE_S_ENTERPRISE", "BPOS_S_DlpAddOn")
YEAR_OR_LONGER = frozenset({"TwelveMonths", "ThreeYears", "FiveYears", "SevenYears", "TenYears"})


def _alert_gap(alert: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if alert is None:
        return {"alert": name, "issue": "missing"}
    if not is_false(alert.get("Disabled")):
        return {"alert": name, "issue": "disabled"}
    if not alert.get("NotifyUser"):
        return {"alert": name, "issue": "nobody is notified"}
    return None


@check(
    metadata(
        id="monitoring.alert_policies",
        title="Alert policies for mail abuse are on and notify someone",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(ALERTS,),
        rationale=(
            "Microsoft's built-in alert policies flag a mailbox sending spam, a connector or forwarding "
            "rule abused to exfiltrate mail, and a tenant blocked from sending. Switched off, or sent to "
            "nobody, the first sign of a compromise goes unseen."
        ),
        remediation=steps(
            "Microsoft Defender portal > Email & collaboration > Policies & rules > Alert policy.",
            "Open each listed policy, turn it on and add the security team's mailbox as a recipient.",
            "Or in Security & Compliance PowerShell (Connect-IPPSSession): Set-ProtectionAlert -Identity "
            "'<alert name>' -Disabled $false -NotifyUser secops@<your domain>.",
        ),
        references=("https://learn.microsoft.com/en-us/defender-office-365/alert-policies-defender-portal",),
    )
)
def alert_policies(snapshot: TenantSnapshot) -> Outcome:
    alerts = {str(a.get("Name")): dict(a) for a in objects(snapshot.get(ALERTS))}
    required = [*REQUIRED_ALERTS, *([URL_CLICK_ALERT] if URL_CLICK_ALERT in alerts else [])]
    gaps = [gap for name in required if (gap := _alert_gap(alerts.get(name), name)) is not None]
    if not gaps:
        return passed(f"All {len(required)} required alert policies are on and notify someone.")
    return failed(
        f"{plural(len(gaps), 'required alert policy', 'required alert policies')} of {len(required)} "
        "are missing, off or notify nobody.",
        gaps,
    )


@check(
    metadata(
        id="monitoring.audit_retention",
        title="Audit records are kept for at least a year",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(RETENTION,),
        licence=AUDIT_PREMIUM,
        rationale=(
            "Intrusions are often found months after they begin. Without a retention policy audit records "
            "disappear after 180 days; Audit (Premium) can keep them for a year or more, which is what an "
            "investigation of a long-running compromise needs."
        ),
        remediation=steps(
            "Microsoft Purview portal > Solutions > Audit > Audit retention policies > Create audit "
            "retention policy: leave users, record types and activities empty so it covers all records, "
            "set the duration to 1 year (or longer) and Save.",
            "Or in Security & Compliance PowerShell (Connect-IPPSSession): "
            "New-UnifiedAuditLogRetentionPolicy -Name 'Keep all audit records' "
            "-RetentionDuration TwelveMonths -Priority 100.",
        ),
        references=("https://learn.microsoft.com/en-us/purview/audit-log-retention-policies",),
    )
)
def audit_retention(snapshot: TenantSnapshot) -> Outcome:
    licensed = has_service_plan(snapshot, AUDIT_PREMIUM)
    if licensed is None:
        return error(
            "The tenant's subscriptions could not be read to tell whether Audit (Premium) is licensed."
        )
    if not licensed:
        return not_applicable(
            f"not licensed: the tenant's subscriptions have no active {AUDIT_PREMIUM} plan "
            "(Audit (Premium)), so audit records are kept for the standard 180 days."
        )
    policies = objects(snapshot.get(RETENTION))
    keeping = [
        p
        for p in policies
        if str(p.get("RetentionDuration")) in YEAR_OR_LONGER and not is_false(p.get("Enabled"))
    ]
    if keeping:
        best = keeping[0]
        duration = best.get("RetentionDuration")
        return passed(
            f"The retention policy '{best.get('Name')}' keeps audit records for {duration}.",
            [{"policy": best.get("Name"), "RetentionDuration": best.get("RetentionDuration")}],
        )
    evidence = [{"policy": p.get("Name"), "RetentionDuration": p.get("RetentionDuration")} for p in policies]
    return failed(
        f"No audit retention policy keeps records for a year or more "
        f"({plural(len(policies), 'policy', 'policies')} in place).",
        evidence,
    )


def _dlp_licensed(snapshot: TenantSnapshot) -> bool | None:
    held = [has_service_plan(snapshot, plan) for plan in DLP_PLANS]
    return None if None in held else any(held)


@check(
    metadata(
        id="compliance.dlp_policies_enabled",
        title="A data loss prevention policy is enforced",
        category="Exchange Online",  # mail is what its policies guard first; no category of its own yet
        severity=Severity.MEDIUM,
        sources=("sc_dlp_policies",),
        licence=DLP_PLANS[0],
        rationale=(
            "Data loss prevention policies stop or flag mail and documents that carry card numbers, "
            "health records or other sensitive data on their way out. A policy left in test mode only "
            "reports, and protects nothing."
        ),
        remediation=steps(
            "Microsoft Purview portal > Solutions > Data loss prevention > Policies: create a policy from a "
            "template for the data the organisation holds (financial, health, privacy), for Exchange, "
            "SharePoint, OneDrive and Teams.",
            "Once its test-mode matches look right, turn it on: Edit policy > Policy mode > Turn it on.",
            "Or in Security & Compliance PowerShell (Connect-IPPSSession): Set-DlpCompliancePolicy "
            "-Identity '<policy>' -Mode Enable.",
        ),
        references=("https://learn.microsoft.com/en-us/purview/dlp-learn-about-dlp",),
    )
)
def dlp_policies_enabled(snapshot: TenantSnapshot) -> Outcome:
    licensed = _dlp_licensed(snapshot)
    if licensed is None:
        return error("The tenant's subscriptions could not be read to tell whether DLP is licensed.")
    if not licensed:
        return not_applicable(
            "not licensed: the tenant's subscriptions have none of the plans that include DLP "
            f"({', '.join(DLP_PLANS)})."
        )
    policies = objects(snapshot.get("sc_dlp_policies"))
    enforced = [p for p in policies if str(p.get("Mode")) == "Enable" and not is_false(p.get("Enabled"))]
    if enforced:
        return passed(
            f"{plural(len(enforced), 'DLP policy', 'DLP policies')} of {len(policies)} enforced.",
            [{"policy": p.get("Name"), "Mode": p.get("Mode")} for p in enforced],
        )
    evidence = [
        {"policy": p.get("Name"), "Mode": p.get("Mode"), "Enabled": p.get("Enabled")} for p in policies
    ]
    why = "none is enforced" if policies else "there are none"
    return failed(f"No data loss prevention policy is enforced ({why}).", evidence)


CHECKS = (alert_policies, audit_retention, dlp_policies_enabled)

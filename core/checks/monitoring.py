"""Monitoring: the unified audit log and Microsoft Secure Score.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Shapes: Get-AdminAuditLogConfig.UnifiedAuditLogIngestionEnabled (Exchange admin API) and
GET /security/secureScores?$top=1 (`currentScore`, `maxScore`, `createdDateTime`, newest first).
"""

from __future__ import annotations

from core.checks.helpers import check, first_object, is_true, metadata, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, not_applicable, passed

CATEGORY = "Monitoring"
SECURE_SCORE_MIN_PERCENT = 50.0


@check(
    metadata(
        id="monitoring.unified_audit_log",
        title="The unified audit log is recording",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=("exo_admin_audit_log_config",),
        rationale=(
            "The unified audit log records user and admin activity across Exchange, SharePoint, Entra ID "
            "and Teams. With ingestion off there is no record to investigate an incident with, and it "
            "cannot be recovered after the fact."
        ),
        remediation=steps(
            "Microsoft Purview portal > Solutions > Audit.",
            "If a banner offers it, select 'Start recording user and admin activity'.",
            "Or in Exchange Online PowerShell run "
            "Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true (can take 60 minutes to apply).",
        ),
        references=("https://learn.microsoft.com/en-us/purview/audit-log-enable-disable",),
    )
)
def unified_audit_log(snapshot: TenantSnapshot) -> Outcome:
    config = first_object(snapshot.get("exo_admin_audit_log_config"))
    if config is None:
        return error("Get-AdminAuditLogConfig returned no object.")
    value = config.get("UnifiedAuditLogIngestionEnabled")
    if is_true(value):
        return passed("The unified audit log is recording user and admin activity.")
    return failed("The unified audit log is not recording.", [{"UnifiedAuditLogIngestionEnabled": value}])


@check(
    metadata(
        id="monitoring.secure_score",
        title=f"Microsoft Secure Score is at least {SECURE_SCORE_MIN_PERCENT:.0f}%",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("secure_scores",),
        rationale=(
            "Secure Score summarises Microsoft's own assessment of the tenant's identity, device, app and "
            "data controls. A score below half of the achievable points means most recommended controls "
            "are not in place."
        ),
        remediation=steps(
            "Microsoft Defender portal > Exposure management > Secure Score > Recommended actions.",
            "Sort by score impact and work through the open recommendations, starting with identity ones.",
            "Mark actions handled by third-party tools as 'Resolved through third party' so the score is "
            "accurate.",
        ),
        references=("https://learn.microsoft.com/en-us/defender-xdr/microsoft-secure-score",),
    )
)
def secure_score(snapshot: TenantSnapshot) -> Outcome:
    scores = list(snapshot.get("secure_scores") or [])
    if not scores:
        return not_applicable("Microsoft has not calculated a Secure Score for this tenant yet.")
    latest = max(scores, key=lambda s: str(s.get("createdDateTime") or ""))
    current, maximum = latest.get("currentScore"), latest.get("maxScore")
    if not isinstance(current, int | float) or not isinstance(maximum, int | float) or maximum <= 0:
        return error(f"Secure Score has no usable values (currentScore={current}, maxScore={maximum}).")
    percent = round(100.0 * current / maximum, 1)
    evidence = [
        {
            "currentScore": current,
            "maxScore": maximum,
            "percentage": percent,
            "createdDateTime": latest.get("createdDateTime"),
        }
    ]
    if percent >= SECURE_SCORE_MIN_PERCENT:
        return passed(f"Secure Score is {percent}% ({current:g} of {maximum:g} points).", evidence)
    return failed(
        f"Secure Score is {percent}% ({current:g} of {maximum:g} points), below "
        f"{SECURE_SCORE_MIN_PERCENT:.0f}%.",
        evidence,
    )


CHECKS = (unified_audit_log, secure_score)

"""Security & Compliance PowerShell's admin API: the same `InvokeCommand` shape as Exchange Online's
(exchange.py: Collection(Exchange.GenericHashTable), @odata.nextLink paging, @adminapi.warnings, the
anchor mailbox, the refusals of an unknown cmdlet or parameter and of an app without its role), on its
own token resource, `https://ps.compliance.protection.outlook.com`. CIPP calls it exactly so
(KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1, -Compliance: a token
for "<resource>/.default" and POST <resource>/adminapi/beta/<tenant>/InvokeCommand). The simulator
serves it under /compliance on its one host, so COMPLIANCE_BASE_URL is `<simulator>/compliance`; a
token for Exchange Online is refused here as a token of the wrong audience is.

The global endpoint redirects every tenant to a regional one ("Redirection is expected for different
regions, datacenters, or versions of SCC PowerShell for an organization", MicrosoftDocs/
office-docs-powershell#2081; CIPP finds the regional host from the Location of a GET of
EXOBanner('AutogenSession') sent without following redirects). Here the region is a path segment,
/compliance/<region>, on the same host, and both the banner and InvokeCommand at the global endpoint
answer 302 to it: a client that posts there without finding its region first finds out.

Answers (`fixture(ctx)` is what a tenant fixture stores under `compliance`):
- Get-ProtectionAlert {Name, Disabled, NotifyUser, Severity, Category, IsSystemRule}
  (learn.microsoft.com/powershell/module/exchange/get-protectionalert; the default alert policies are
  listed in learn.microsoft.com/defender-office-365/alert-policies-defender-portal, and notify
  "TenantAdmins" unless changed).
- Get-UnifiedAuditLogRetentionPolicy {Name, Priority, RetentionDuration, RecordTypes, Operations,
  UserIds, Enabled} (learn.microsoft.com/purview/audit-log-retention-policies).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from devtools.graphsim import exchange
from devtools.graphsim.catalog import COMPLIANCE_RESOURCE
from devtools.graphsim.policies import Json, PolicyContext
from devtools.graphsim.responses import exchange_error
from devtools.graphsim.views import stable_id

# The default alert policies a mail-abuse watch needs (the names as Microsoft ships them).
_MAIL_ALERTS = (
    ("Suspicious email sending patterns detected", "ThreatManagement"),
    ("Suspicious connector activity", "ThreatManagement"),
    ("Suspicious Email Forwarding Activity", "ThreatManagement"),
    ("Messages have been delayed", "MailFlow"),
    ("Tenant restricted from sending unprovisioned email", "ThreatManagement"),
    ("Tenant restricted from sending email", "ThreatManagement"),
    ("Elevation of Exchange admin privilege", "PermissionsManagement"),
)
URL_CLICK_ALERT = "A potentially malicious URL click was detected"  # Defender for Office 365 only


def _alert(name: str, category: str, *, disabled: bool, notify: list[str]) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "Category": category,
        "Severity": "Medium",
        "Disabled": disabled,
        "NotifyUser": notify,
        "IsSystemRule": True,
        "AggregationType": "None",
        "Comment": "",
    }


def protection_alerts(ctx: PolicyContext, secops: str) -> list[Json]:
    # Weak: alerts about forwarding and delayed mail switched off after they were judged noisy;
    # mixed: one switched off; strong: every one on, sent to the security team.
    off = {
        "weak": {
            "Suspicious Email Forwarding Activity",
            "Messages have been delayed",
            "Suspicious connector activity",
        },
        "mixed": {"Suspicious connector activity"},
        "strong": set(),
    }[ctx.posture]
    notify = [secops] if ctx.posture == "strong" else ["TenantAdmins"]
    alerts = [_alert(n, c, disabled=n in off, notify=notify) for n, c in _MAIL_ALERTS]
    if ctx.posture != "weak":  # Business Premium and E5 include Defender for Office 365
        alerts.append(_alert(URL_CLICK_ALERT, "ThreatManagement", disabled=False, notify=notify))
    return alerts


def audit_retention_policies(ctx: PolicyContext) -> list[Json]:
    if ctx.posture != "strong":
        return []
    return [
        {
            "Identity": "Keep all audit records",
            "Name": "Keep all audit records",
            "Priority": 100,
            "RetentionDuration": "TwelveMonths",
            "RecordTypes": [],
            "Operations": [],
            "UserIds": [],
            "Enabled": True,
            "Description": "Every audit record for a year",
        }
    ]


def _dlp_policy(name: str, mode: str) -> Json:
    everywhere = ["All"]
    return {
        "Identity": name,
        "Name": name,
        "Mode": mode,
        "Enabled": True,
        "Priority": 0,
        "ExchangeLocation": everywhere,
        "SharePointLocation": everywhere,
        "OneDriveLocation": everywhere,
        "TeamsLocation": everywhere,
    }


def dlp_policies(ctx: PolicyContext) -> list[Json]:
    """Get-DlpCompliancePolicy (learn.microsoft.com/powershell/module/exchange/get-dlpcompliancepolicy):
    none in the weak tenant (Business Standard has no DLP), a policy still in test mode in the mixed one."""
    if ctx.posture == "weak":
        return []
    if ctx.posture == "mixed":
        return [_dlp_policy("U.S. Financial Data", "TestWithNotifications")]
    return [_dlp_policy("Client confidential data", "Enable"), _dlp_policy("U.S. Financial Data", "Enable")]


def fixture(ctx: PolicyContext, mail_domain: str) -> Json:
    return {
        "protectionAlerts": protection_alerts(ctx, f"secops@{mail_domain}"),
        "auditRetentionPolicies": audit_retention_policies(ctx),
        "dlpPolicies": dlp_policies(ctx),
    }


def _data(tenant: Any, key: str) -> list[Json]:
    return list(tenant.data.get("compliance", {}).get(key, []))


CMDLETS: exchange.CmdletTable = {
    "Get-ProtectionAlert": (lambda t: _data(t, "protectionAlerts"), frozenset({"Identity"})),
    "Get-DlpCompliancePolicy": (lambda t: _data(t, "dlpPolicies"), frozenset({"Identity"})),
    "Get-UnifiedAuditLogRetentionPolicy": (
        lambda t: _data(t, "auditRetentionPolicies"),
        frozenset({"Identity"}),
    ),
}


def region(tenant_id: str) -> str:
    """A regional endpoint's name, as eur03b in the issue above: stable per tenant."""
    return f"nam{int(stable_id(tenant_id.lower(), 'compliance-region')[:4], 16) % 90 + 10:02d}b"


async def regional_command(request: Request) -> Response:
    if request.path_params["region"] != region(request.path_params["tenant"]):
        return exchange_error(404, "NotFound", "This organization is not served here.")
    return await exchange.handle(request, COMPLIANCE_RESOURCE, CMDLETS, "compliance")


async def to_region(request: Request) -> Response:
    """The global endpoint's answer to the banner and to InvokeCommand: 302 to the tenant's region."""
    tenant = request.path_params["tenant"]
    path = request.url.path.replace("/compliance/", f"/compliance/{region(tenant)}/", 1)
    query = f"?{request.url.query}" if request.url.query else ""
    host = request.headers.get("host", "127.0.0.1")
    return RedirectResponse(f"https://{host}{path}{query}", status_code=302)

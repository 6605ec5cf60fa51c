"""Why a read failed, in words: every failed Graph or Exchange answer becomes a `SourceFailure`.

Only two of Graph's answers say "this tenant is not licensed", and even those decide nothing on their
own: `core.checks.model.settle_licence` keeps them only when the tenant's own subscriptions lack the
plan. Every other 401 or 403 is a refusal, and Graph words them many ways, so the code is never trusted
to mean "not licensed" merely because the endpoint needs a licence:
- Authorization_RequestDenied, "Insufficient privileges to complete the operation." (most directory reads)
- Authentication_MSGraphPermissionMissing, "Calling principal does not have required MSGraph permissions
  AuditLog.Read.All" on signInActivity and on the registration report
  (microsoftgraph/microsoft-graph-explorer-v4#2731, microsoftgraph/microsoft-graph-docs-contrib#1852)
- AccessDenied, "You cannot perform the requested operation, required scopes are missing in the token."
  on Conditional Access (AlexFilipin/ConditionalAccess#10, Microsoft365DSC/Microsoft365DSC#3556)
- Authentication_ApplicationHasNoDirectoryReadAccess, "Failed to do premium license check from ADGraph"
  on the sign-in and registration reports (microsoftgraph/microsoft-graph-docs#2789, -contrib#4818)
- UnknownError whose message carries PermissionScopeNotGranted on PIM reads
  (microsoftgraph/microsoft-graph-docs-contrib#17)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.checks.model import SourceFailure
from core.collect.connection import entra_error_code

if TYPE_CHECKING:
    from core.collect.sources import ExchangeSource

# Graph's answers for a feature the tenant's licences do not include:
# - 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant on signInActivity, sign-in logs and the
#   registration report (learn.microsoft.com/troubleshoot/entra/entra-id/users-groups-entra-apis/
#   b2c-or-tenant-premium-license-sign-in-activities; MicrosoftDocs/azure-docs#77948)
# - 400 AadPremiumLicenseRequired on the PIM schedule endpoints without P2 or ID Governance
#   (JulianHayward/Azure-MG-Sub-Governance-Reporting#114; Microsoft365DSC matches
#   "[AadPremiumLicenseRequired]" to skip an unlicensed tenant)
LICENCE_CODES = frozenset(
    {"Authentication_RequestFromNonPremiumTenantOrB2CTenant", "AadPremiumLicenseRequired"}
)
# Refusals whose code names a permission other than the one the source is listed with.
PERMISSION_NAMED_BY_CODE = {
    # Graph checks the tenant's licence by reading the directory (issues above).
    "Authentication_ApplicationHasNoDirectoryReadAccess": "Directory.Read.All",
    # The older wording of MSGraphPermissionMissing (microsoftgraph/microsoft-graph-docs#5598).
    "Authentication_ApplicationHasNoReadAuditLogDataAccess": "AuditLog.Read.All",
}
# Exchange's answer when a request reached a server that would have to proxy it to the mailbox's own:
# CmdletProxyNotAvailableException, "Cmdlet needs proxy ... Required Server FQDN ..."
# (KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1;
# MicrosoftDocs/office-docs-powershell#10446).
PROXY_MARKERS = ("needs proxy", "cmdletproxy")
# Exchange's answer for a cmdlet the organisation does not have: "The term 'Get-SafeLinksPolicy' is not
# recognized as a name of a cmdlet, ..." (PowerShell's CommandNotFoundException text, which the admin
# API passes on). Defender for Office 365 cmdlets exist only where the tenant holds a plan with them, so
# for a source tied to a plan this is a licence refusal, for settle_licence to confirm from
# subscribedSkus. ScubaGear too takes a failed Get-ATPProtectionPolicyRule for "no Defender licence"
# (cisagov/ScubaGear Modules/Providers/ExportSecuritySuiteProvider.psm1, defender_license).
UNKNOWN_CMDLET_MARKER = "is not recognized as a name of a cmdlet"
UNKNOWN_CMDLET = "CommandNotFound"


class SourceError(Exception):
    def __init__(self, failure: SourceFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


@dataclass(frozen=True)
class HttpFailure:
    status: int
    code: str
    message: str
    detail: str = ""  # anything else the body said (Exchange's innererror type, ...)
    parsed: bool = True  # False when the body was not a JSON error (an HTML gateway page, ...)

    def describe(self) -> str:
        if not self.parsed:
            return f"HTTP {self.status}, and the body was not a JSON error"
        return f"HTTP {self.status} {self.code}: {self.message}".strip()


def http_failure(exc: BaseException) -> HttpFailure | None:
    """The status and error of a failed request, or None when no HTTP answer came back."""
    from kiota_abstractions.api_error import APIError

    if not isinstance(exc, APIError):
        return None
    status = int(exc.response_status_code or 0)
    error = getattr(exc, "error", None)  # ODataError: the JSON error body, parsed
    if error is None:
        # Kiota raises a bare APIError when no parse node could read the body.
        return HttpFailure(status, "", str(exc.message or ""), parsed=False)
    extra: Any = getattr(error, "additional_data", None) or {}
    return HttpFailure(
        status,
        str(getattr(error, "code", "") or ""),
        str(getattr(error, "message", "") or exc.message or ""),
        detail=str(extra),
    )


def _transport(exc: BaseException) -> SourceFailure:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return SourceFailure("unavailable", f"timed out waiting for the service ({type(exc).__name__})")
    return SourceFailure("unavailable", f"{type(exc).__name__}: {str(exc)[:200]}")


def classify_http(failure: HttpFailure, *, permission: str, licence: str | None) -> SourceFailure:
    """Say in words why an HTTP answer is not data."""
    described = failure.describe()
    if failure.code in LICENCE_CODES:
        needs = licence or "a licence the catalogue does not tie to this source"
        reason = f"Graph says it needs {needs}: {described}"
        return SourceFailure("not_licensed", reason, failure.code, licence)
    if failure.status in (401, 403):
        named = PERMISSION_NAMED_BY_CODE.get(failure.code, permission)
        return SourceFailure(
            "forbidden", f"permission {named} missing or not granted ({described})", failure.code or None
        )
    if failure.status == 404:
        return SourceFailure("not_found", described, failure.code or None)
    if failure.status == 429:
        return SourceFailure("unavailable", f"still throttled after retrying ({described})", failure.code)
    return SourceFailure("unavailable", described, failure.code or None)


def classify(exc: BaseException, *, permission: str, licence: str | None) -> SourceFailure:
    failure = http_failure(exc)
    if failure is None:
        return _transport(exc)
    return classify_http(failure, permission=permission, licence=licence)


def is_proxy_error(exc: BaseException) -> bool:
    failure = http_failure(exc)
    if failure is None:
        return False
    text = f"{failure.code} {failure.message} {failure.detail}".lower()
    return any(marker in text for marker in PROXY_MARKERS)


def classify_exchange(exc: BaseException, source: ExchangeSource, attempts: int) -> SourceFailure:
    answer = http_failure(exc)
    if answer is not None and is_proxy_error(exc):
        return SourceFailure(
            "unavailable",
            f"{source.cmdlet}: Exchange could not route the request to the mailbox server after "
            f"{attempts} attempts ({answer.describe()})",
            answer.code or None,
        )
    if answer is not None and source.licence and UNKNOWN_CMDLET_MARKER in answer.message.lower():
        return SourceFailure(
            "not_licensed",
            f"Exchange Online does not know {source.cmdlet}, which needs {source.licence} "
            f"({answer.describe()})",
            UNKNOWN_CMDLET,
            source.licence,
        )
    failure = classify(exc, permission=source.permission, licence=None)
    if failure.kind == "forbidden":
        return SourceFailure(
            "forbidden",
            f"{source.cmdlet}: the app needs Exchange.ManageAsApp and the Global Reader role in the tenant "
            f"({failure.reason})",
            failure.code,
        )
    return failure


def exchange_token_failure(exc: BaseException, service: str = "Exchange Online") -> SourceFailure:
    """Entra refused a token for Exchange Online (or for Security & Compliance, which lives on the
    same service principal). That says nothing about the app's consent (only the Graph token decides
    that): it fails that endpoint's sources, with Entra's reason."""
    code = entra_error_code(str(exc))
    lines = str(exc).strip().splitlines()
    said = lines[0][:300] if lines else type(exc).__name__
    if code == "AADSTS500011":
        # "The resource principal named https://outlook.office365.com was not found in the tenant":
        # the tenant has no Exchange Online service principal (learn.microsoft.com/entra/
        # identity-platform/reference-error-codes, InvalidResourceServicePrincipalNotFound).
        why = "Exchange Online is not set up in this tenant, so there is nothing to read there"
        return SourceFailure("unavailable", f"{why} ({said})", code)
    # AADSTS500014 (the Exchange service principal disabled after a subscription lapsed) and the rest
    # (lwhitelock/HuduM365Automation#2 keeps scanning the tenant when only the Exchange token fails).
    return SourceFailure("forbidden", f"Entra refused the app a token for {service} ({said})", code)

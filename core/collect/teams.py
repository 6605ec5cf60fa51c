"""The third read channel: the Teams admin service behind the MicrosoftTeams module's Get-Cs* cmdlets.

Microsoft documents the cmdlets, not this REST service, so this module says exactly what it calls and
what it relies on, each from public tools that call the service the same way.

What is called, once per source in TEAMS_SOURCES, all concurrently with the other channels:

    GET {TEAMS_BASE_URL}/Skype.Policy/configurations/{ConfigType}
        Authorization: Bearer <app-only token for 48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default>
        Accept: application/json
        X-MS-CmdletName: <the Get-Cs* cmdlet that reads the same>
        X-MS-Correlation-Id: <a new GUID>

- The host, api.interfaces.records.teams.microsoft.com, and the path: CIPP's New-TeamsRequestV2
  (KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/New-TeamsRequestV2.ps1: "Get -ListAll
  -> GET configurations/{Type} (all instances, array)"), AzRanger (HackmichNet/AzRanger
  AzScanner/TeamsCollector.cs reads /Skype.Policy/configurations/TeamsClientConfiguration) and
  terraprovider/go-teams (teamsapi/invoke.go: PolicyList is GET /Skype.Policy/configurations/
  {PolicyName}, "→ all instances").
- The answer: a bare JSON array with one object per instance, each carrying `Identity` ("Global",
  "Tag:<name>") beside the cmdlet's own property names (go-teams decodeValue, "a bare JSON array of
  objects (the policy read shape)", and filterByIdentity; AzRanger strips the array's brackets). So an
  answer that is not an array of such objects is an error here, never an empty tenant.
- The ConfigAPI type of Get-CsTenantFederationConfiguration is TenantFederationSettings (CIPP's
  $TypeAliases; go-teams PolicyNameOverrides). Its allow list: `AllowedDomains` is `{}` for "allow all
  known domains", and `{"AllowedDomain": [...]}` (items `{"Domain": ...}` or plain strings) for an
  explicit list, an empty list meaning nobody (KelvinTegelaar/CIPP-API
  Invoke-CIPPStandardTeamsFederationConfiguration.ps1, which learned this from CyberDrain/CIPP#364).
- No service discovery: the module first asks /Teams.Tenant/serviceDiscovery for a regional backend
  and sends X-MS-Target-Uri (go-teams transport.go); CIPP's reads of these same types go to the global
  host without it (its standards call New-TeamsRequestV2 without -UseServiceDiscovery), and so do
  these. If the service ever needs it, the answer is not the array above and the sources fail with
  that answer, never with a verdict.
- Who may read: no application permission exists for this resource; the directory role of the app's
  service principal authorises it (Microsoft's application-based authentication page above: assign a
  Microsoft Entra role to the application). Microsoft365DSC lists Global Reader (and, lately, Teams
  Reader) as the read role for its Teams resources (its MSFT_Teams*/settings.json). Without one the
  service answers 403 "Access Denied." (Microsoft365DSC/Microsoft365DSC#2779, "[Forbidden] : Access
  Denied." from Get-CsConfiguration; MicrosoftDocs/office-docs-powershell#10372).
- A tenant without Teams: whatever the service or Entra answers, the tenant's own subscriptions decide.
  Failed Teams reads of a tenant whose subscriptions lack the Teams plan (TEAMS1, or another plan named
  TEAMS*: core/checks/teams_common.py) are recorded as that licence refusal (`settle_teams_licence`),
  so its checks are not_applicable; with the plan they stay errors with the service's answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ClientAuthenticationError

from core.checks.licensing import SUBSCRIBED_SKUS
from core.checks.model import SourceFailure, TenantSnapshot
from core.checks.teams_common import holds_teams
from core.collect.connection import entra_error_code
from core.collect.failures import SourceError, classify, http_failure
from core.collect.readers import send_json
from core.collect.sources import TEAMS_PLAN, TEAMS_SOURCES, TeamsSource

if TYPE_CHECKING:
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

SERVICE = "Microsoft Teams"
ROLE_NEEDED = "the Global Reader (or Teams Reader) role in the tenant"


def teams_headers(source: TeamsSource) -> dict[str, str]:
    return {"X-MS-CmdletName": source.cmdlet, "X-MS-Correlation-Id": str(uuid.uuid4())}


def teams_url(base_url: str, source: TeamsSource) -> str:
    return f"{base_url.rstrip('/')}/Skype.Policy/configurations/{source.config_type}"


def instances(answer: Any, source: TeamsSource) -> list[dict[str, Any]]:
    """The instances of one answer, only if it has the documented shape."""
    if not isinstance(answer, list):
        kind = "an object" if isinstance(answer, Mapping) else type(answer).__name__
        why = f"{source.cmdlet}: the Teams admin service answered {kind}, not the list of instances"
        raise SourceError(SourceFailure("unavailable", why))
    rows = [dict(row) for row in answer if isinstance(row, Mapping) and isinstance(row.get("Identity"), str)]
    if len(rows) != len(answer):
        why = f"{source.cmdlet}: {len(answer) - len(rows)} of the instances carry no Identity"
        raise SourceError(SourceFailure("unavailable", why))
    return rows


async def read_teams_source(
    adapter: HttpxRequestAdapter, base_url: str, source: TeamsSource
) -> list[dict[str, Any]]:
    """Every instance of one Teams configuration type."""
    try:
        answer = await send_json(adapter, "GET", teams_url(base_url, source), None, teams_headers(source))
    except ClientAuthenticationError as exc:
        raise SourceError(teams_token_failure(exc)) from exc
    except Exception as exc:
        raise SourceError(classify_teams(exc, source)) from exc
    return instances(answer, source)


def classify_teams(exc: BaseException, source: TeamsSource) -> SourceFailure:
    answer = http_failure(exc)
    if answer is not None and answer.status in (401, 403):
        # Named as the role, not as "permission ... missing": no application permission would help.
        reason = f"{source.cmdlet}: the app needs {ROLE_NEEDED} ({answer.describe()})"
        return SourceFailure("forbidden", reason, answer.code or None)
    failure = classify(exc, permission=ROLE_NEEDED, licence=None)
    return SourceFailure(failure.kind, f"{source.cmdlet}: {failure.reason}", failure.code)


def teams_token_failure(exc: BaseException) -> SourceFailure:
    """Entra refused a token for the Teams admin service. Like Exchange's, that says nothing about the
    app's consent (only the Graph token decides that); it fails the Teams sources alone."""
    code = entra_error_code(str(exc))
    lines = str(exc).strip().splitlines()
    said = lines[0][:300] if lines else type(exc).__name__
    if code == "AADSTS500011":
        # InvalidResourceServicePrincipalNotFound: the tenant has no service principal for the resource.
        why = "the Teams admin service is not set up in this tenant"
        return SourceFailure("unavailable", f"{why} ({said})", code)
    return SourceFailure("forbidden", f"Entra refused the app a token for {SERVICE} ({said})", code)


def settle_teams_licence(snapshot: TenantSnapshot) -> None:
    """A failed Teams read of a tenant whose own subscriptions lack the Teams plan is that licence's
    refusal (so its checks are not_applicable); with the plan, or with subscriptions unread, it stays
    the error it was."""
    skus = snapshot.data.get(SUBSCRIBED_SKUS)
    if not isinstance(skus, list) or holds_teams(skus):
        return
    for source in TEAMS_SOURCES:
        failure = snapshot.failures.get(source.name)
        if failure is not None and failure.kind != "not_licensed":
            reason = (
                f"the tenant has no Teams plan ({TEAMS_PLAN}); the Teams admin service said: {failure.reason}"
            )
            snapshot.failures[source.name] = SourceFailure("not_licensed", reason, failure.code, TEAMS_PLAN)

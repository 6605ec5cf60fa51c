"""Tailwind Traders: a tenant that looks well secured and is not, built to catch every way a scanner
that trusts its own assumptions would call it safe.

It starts from the strong posture (full Conditional Access baseline, PIM, break-glass accounts) and
then adds what real tenants do and what issue #16 found the scanner missing:

- mail lives elsewhere: Enterprise Mobility + Security E5 (Entra ID P2) and SharePoint Online
  (Plan 2), but no Exchange Online, so Entra refuses an Exchange token with AADSTS500011 and the
  Exchange checks cannot be assessed;
- "MFA for all users" excludes the Global Administrator role, and "Block legacy authentication"
  excludes guests: neither covers all users any more;
- "MFA for administrators" asks for a custom authentication strength that a password alone meets;
- device code flow is blocked only by a policy with a beta-only session control (strict continuous
  access evaluation), which Graph v1.0 leaves out of its answer;
- Global Administrator is also held through a role-assignable group whose members are a guest and
  an account synced from on-premises AD;
- a dormant member is under password spray: failed sign-ins keep `lastSignInDateTime` recent while
  the last successful sign-in is months old;
- SharePoint looks locked down where Graph can see it (existing guests only, allow-listed domains),
  but its admin API shows files flagged as malware still downloadable, custom script kept on, and
  new links open to the whole organisation by default.
- its "require a compliant device" policy lets MFA stand in for the device, its Intune enrollment
  policy is report-only, and Global Administrators become local administrators of every joined
  device (entra_depth.set_traps).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from devtools.graphsim import entra_depth
from devtools.graphsim.catalog import ROLE, SERVICE_PLAN

Json = dict[str, Any]
GLOBAL_ADMIN = ROLE["Global Administrator"]
WEAK_STRENGTH_ID = "7d0b2c4e-5a3f-4e61-9c1d-2b7a4f9e8c10"
TIER0_GROUP_ID = "3f6a1c2e-8b4d-4f7a-9e5c-1d2b3a4c5e6f"
GUEST_TYPES = {
    "guestOrExternalUserTypes": "b2bCollaborationGuest",
    "externalTenants": {"membershipKind": "all"},
}


def _stable_id(fixture: Json, name: str) -> str:
    return str(uuid.uuid5(uuid.UUID(fixture["id"]), name))


def _policy(fixture: Json, prefix: str) -> Json:
    return next(p for p in fixture["conditionalAccessPolicies"] if p["displayName"].startswith(prefix))


def _weak_strength(fixture: Json) -> None:
    """A custom strength "for kiosks" that a password alone satisfies, used for administrators."""
    fixture["authenticationStrengthPolicies"] = [
        {
            "id": WEAK_STRENGTH_ID,
            "createdDateTime": "2025-03-04T00:00:00Z",
            "modifiedDateTime": "2026-02-11T00:00:00Z",
            "displayName": "Kiosk sign-in",
            "description": "Shared kiosks: password, or password and a hardware token",
            "policyType": "custom",
            "requirementsSatisfied": "none",
            "allowedCombinations": ["password", "password,hardwareOath"],
        }
    ]
    admins = _policy(fixture, "CA002")
    admins["displayName"] = "CA002 Strong authentication for administrators"
    admins["grantControls"]["authenticationStrength"] = {"id": WEAK_STRENGTH_ID}


def _exclusions(fixture: Json) -> None:
    mfa_all = _policy(fixture, "CA001")
    mfa_all["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMIN]
    mfa_all["sessionControls"] = None  # its beta-only control moves to the device code policy below
    legacy = _policy(fixture, "CA003")
    legacy["conditions"]["users"]["excludeGuestsOrExternalUsers"] = GUEST_TYPES
    device_code = _policy(fixture, "CA004")
    device_code["sessionControls"] = {"continuousAccessEvaluation": {"mode": "strictEnforcement"}}


def _tier0_group(fixture: Json) -> None:
    """Global Administrator through a role-assignable group of a guest and a synced account."""
    guest = next(u for u in fixture["users"] if u["userType"] == "Guest" and u.get("accountEnabled"))
    synced = next(
        u
        for u in fixture["users"]
        if u["userType"] == "Member"
        and u.get("accountEnabled")
        and u["id"] != guest["id"]
        and not any(a["principalId"] == u["id"] for a in fixture["roleAssignments"])
    )
    synced.update(onPremisesSyncEnabled=None, onPremisesImmutableId="b3JpZ2luYWwtYWQtYW5jaG9y")
    fixture["groups"].append(
        {
            "id": TIER0_GROUP_ID,
            "displayName": "Tier 0 operators",
            "isAssignableToRole": True,
            "members": [guest["id"], synced["id"]],
            "eligibleMembers": [],
            "eligibleSince": "2025-11-03T00:00:00Z",
        }
    )
    fixture["roleAssignments"].append(
        {
            "id": _stable_id(fixture, "tier0-global-admin"),
            "principalId": TIER0_GROUP_ID,
            "principalType": "group",
            "roleDefinitionId": GLOBAL_ADMIN,
            "directoryScopeId": "/",
            "kind": "active",
            "startDateTime": "2025-11-03T00:00:00Z",
            "endDateTime": None,
        }
    )


def _sprayed_account(fixture: Json) -> None:
    as_of = dt.datetime.fromisoformat(fixture["asOf"].replace("Z", "+00:00"))
    admins = {a["principalId"] for a in fixture["roleAssignments"]}
    target = next(
        u
        for u in fixture["users"]
        if u["userType"] == "Member"
        and u.get("accountEnabled")
        and u["id"] not in admins
        and (u.get("signInActivity") or {}).get("lastSuccessfulSignInDateTime")
    )
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    target["signInActivity"] = {
        "lastSignInDateTime": (as_of - dt.timedelta(hours=5)).strftime(stamp),
        "lastNonInteractiveSignInDateTime": (as_of - dt.timedelta(days=1)).strftime(stamp),
        "lastSuccessfulSignInDateTime": (as_of - dt.timedelta(days=212)).strftime(stamp),
    }


def _sharepoint_subscription(fixture: Json) -> None:
    """Files stay in SharePoint Online (Plan 2), bought on its own: the tenant's second SKU."""
    identity = fixture["subscribedSkus"][0]
    sku_id = "a9732ec9-17d9-494c-a51c-d6b45b384dcb"  # SHAREPOINTENTERPRISE, SharePoint Online (Plan 2)
    plan = {
        "servicePlanId": SERVICE_PLAN["SHAREPOINTENTERPRISE"],
        "servicePlanName": "SHAREPOINTENTERPRISE",
        "provisioningStatus": "Success",
        "appliesTo": "User",
    }
    fixture["subscribedSkus"].append(
        {
            **identity,
            "id": f"{fixture['id']}_{sku_id}",
            "servicePlans": [plan],
            "skuId": sku_id,
            "skuPartNumber": "SHAREPOINTENTERPRISE",
            "subscriptionIds": [_stable_id(fixture, "sharepoint-subscription")],
        }
    )


def _governance_gaps(fixture: Json) -> None:
    """PIM and app settings that look hardened and leave a way round: approval on Global Administrator
    but not on Privileged Role Administrator, the Tier 0 group's Global Administrator assigned outside
    PIM, client secrets blocked only for apps created after a date and switched back on for a custom
    policy's apps, a third-party e-signature app consented for everyone with file access, and a guest
    access review that ran once."""
    settings = fixture["governance"]
    settings["pimApproval"] = [GLOBAL_ADMIN]
    settings["outsidePim"] = [_stable_id(fixture, "tier0-global-admin")]
    settings["appManagement"]["blockPasswordsAfter"] = "2025-01-01T00:00:00Z"
    settings["customAppPolicies"] = [
        {
            "id": _stable_id(fixture, "legacy-app-policy"),
            "displayName": "Legacy integrations",
            "description": "Secrets allowed for the ERP connectors",
            "isEnabled": True,
            "restrictions": {
                "passwordCredentials": [
                    {
                        "restrictionType": "passwordAddition",
                        "state": "disabled",
                        "maxLifetime": None,
                        "restrictForAppsCreatedAfterDateTime": "0001-01-01T00:00:00Z",
                    }
                ],
                "keyCredentials": [],
            },
        }
    ]
    # The guest review ran once and was never made recurring.
    settings["accessReviews"][0].update(status="Completed", recurring=False)
    settings["thirdPartyApps"].append(
        {
            "appId": _stable_id(fixture, "docuquick-app"),
            "displayName": "DocuQuick Sign",
            "owner": _stable_id(fixture, "docuquick-owner"),
            "consentType": "AllPrincipals",
            "api": "graph",
            "scope": "openid profile User.Read Files.ReadWrite.All Sites.Read.All",
        }
    )


def _sharepoint_gaps(fixture: Json) -> None:
    """What only SharePoint's admin API shows (devtools.graphsim.sharepoint_admin)."""
    fixture["sharepointTenant"].update(
        DisallowInfectedFileDownload=False,
        DelayDenyAddAndCustomizePagesEnforcement=True,
        DefaultSharingLinkType=2,  # Internal: anyone in the organisation
    )


def set_traps(fixture: Json) -> Json:
    """Turn a strong fixture into Tailwind Traders (deterministic: ids derive from the tenant id)."""
    fixture["exchangeOnline"] = False
    _sharepoint_subscription(fixture)
    _sharepoint_gaps(fixture)
    _weak_strength(fixture)
    _exclusions(fixture)
    _tier0_group(fixture)
    _sprayed_account(fixture)
    _governance_gaps(fixture)
    entra_depth.set_traps(fixture)
    return fixture

"""Graph and Exchange objects derived from a fixture's compact people records.

Pure functions of the fixture data; `Tenant` calls each once and keeps the result.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

Json = dict[str, Any]
# methodsRegistered value -> authentication method configurations that allow it (none: always allowed)
_MFA_METHODS = {
    "mobilePhone": ("Sms", "Voice"),
    "alternateMobilePhone": ("Voice",),
    "officePhone": ("Voice",),
    "microsoftAuthenticatorPush": ("MicrosoftAuthenticator",),
    "microsoftAuthenticatorPasswordless": ("MicrosoftAuthenticator",),
    "softwareOneTimePasscode": ("SoftwareOath", "MicrosoftAuthenticator"),
    "hardwareOneTimePasscode": ("HardwareOath",),
    "fido2SecurityKey": ("Fido2",),
    "passKeyDeviceBound": ("Fido2",),
    "windowsHelloForBusiness": (),
}
_PASSWORDLESS = {
    "fido2SecurityKey",
    "passKeyDeviceBound",
    "windowsHelloForBusiness",
    "microsoftAuthenticatorPasswordless",
}
_PREFERRED = (
    ("microsoftAuthenticatorPush", "push"),
    ("softwareOneTimePasscode", "oath"),
    ("mobilePhone", "sms"),
)


def stable_id(*parts: str) -> str:
    """A GUID that is the same every time for the same parts (request ids, mailbox guids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _derived_guid(guid: str, n: int) -> str:
    """Another GUID derived from one, cheaply (thousands per page; uuid5 would cost milliseconds)."""
    return f"{guid[:-4]}{(int(guid[-4:], 16) ^ (0x9E37 * n)) & 0xFFFF:04x}"


def sign_in_view(user: Json) -> Json | None:
    """A user's signInActivity as Graph shows it: three timestamps, each with its request id."""
    activity = user.get("signInActivity")
    if activity is None:
        return None
    view: Json = {}
    for n, name in enumerate(("lastSignIn", "lastNonInteractiveSignIn", "lastSuccessfulSignIn"), 1):
        when = activity.get(f"{name}DateTime")
        view[f"{name}DateTime"] = when
        view[f"{name}RequestId"] = _derived_guid(user["id"], n) if when else None
    return view


def immutable_id(user: Json) -> str | None:
    """onPremisesImmutableId: the anchor to the on-premises account, base64 of its objectGUID (user
    resource type, learn.microsoft.com/graph/api/resources/user). Synchronised users get one derived
    from their id; a fixture may set it explicitly, as for an account whose sync has stopped."""
    if "onPremisesImmutableId" in user:
        return user["onPremisesImmutableId"]
    if user.get("onPremisesSyncEnabled") is not True:
        return None
    return base64.b64encode(uuid.UUID(_derived_guid(user["id"], 5)).bytes_le).decode()


# What a directoryObject collection shows of each member besides its @odata.type and id: a user's
# default properties, a service principal's identity (List group transitive members,
# learn.microsoft.com/graph/api/group-list-transitivemembers, returns directoryObjects with @odata.type).
_MEMBER_PROPS = {
    "user": (
        "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
        "officeLocation", "preferredLanguage", "surname", "userPrincipalName",
    ),
    "servicePrincipal": ("accountEnabled", "appDisplayName", "appId", "displayName", "servicePrincipalType"),
}  # fmt: skip


def member_view(principal: Json) -> Json:
    kind = str(principal["@odata.type"]).rsplit(".", 1)[-1]
    view: Json = {"@odata.type": principal["@odata.type"], "id": principal["id"]}
    for prop in _MEMBER_PROPS.get(kind, ("displayName",)):
        view[prop] = principal.get(prop, [] if prop == "businessPhones" else None)
    return view


def group_eligibility_instance(group: Json, principal_id: str) -> Json:
    """A privilegedAccessGroupEligibilityScheduleInstance: membership the principal may activate
    (List eligibilityScheduleInstances, learn.microsoft.com/graph/api/
    privilegedaccessgroup-list-eligibilityscheduleinstances, shows these fields)."""
    return {
        "id": f"{group['id']}_member_{principal_id}",
        "startDateTime": group.get("eligibleSince"),
        "endDateTime": None,
        "accessId": "member",
        "principalId": principal_id,
        "groupId": group["id"],
        "memberType": "Direct",
        "eligibilityScheduleId": f"{group['id']}_member_{_derived_guid(principal_id, 6)}",
    }


def registration_details(data: Json, admin_ids: frozenset[str]) -> list[Json]:
    enabled = {
        c["id"]
        for c in data["authenticationMethodsPolicy"].get("authenticationMethodConfigurations", [])
        if c.get("state") == "enabled"
    }
    sspr = bool(data["authorizationPolicy"].get("allowedToUseSSPR", True))
    updated = data.get("asOf") or "2026-01-01T00:00:00Z"
    rows = []
    for user in data["users"]:
        methods = list(user.get("authMethods", []))
        strong = [m for m in methods if m in _MFA_METHODS]
        capable = [m for m in strong if not _MFA_METHODS[m] or any(c in enabled for c in _MFA_METHODS[m])]
        preferred = next((name for method, name in _PREFERRED if method in methods), "none")
        registered_sspr = bool(user.get("ssprRegistered"))
        rows.append(
            {
                "id": user["id"],
                "userPrincipalName": user["userPrincipalName"],
                "userDisplayName": user["displayName"],
                "userType": "guest" if user.get("userType") == "Guest" else "member",
                "isAdmin": user["id"] in admin_ids,
                "isSsprRegistered": registered_sspr,
                "isSsprEnabled": sspr,
                "isSsprCapable": registered_sspr and sspr,
                "isMfaRegistered": bool(strong),
                "isMfaCapable": bool(capable),
                "isPasswordlessCapable": any(m in _PASSWORDLESS for m in capable),
                "isSystemPreferredAuthenticationMethodEnabled": True,
                "lastUpdatedDateTime": updated,
                "methodsRegistered": methods,
                "userPreferredMethodForSecondaryAuthentication": preferred,
                "systemPreferredAuthenticationMethods": [preferred] if preferred != "none" else [],
            }
        )
    return rows


def principals(data: Json, app_service_principal: Json) -> dict[str, Json]:
    """Every user, group and service principal as `$expand=principal` shows it."""
    found: dict[str, Json] = {}
    for user in data["users"]:
        found[user["id"]] = {
            "@odata.type": "#microsoft.graph.user",
            "id": user["id"],
            "deletedDateTime": None,
            "accountEnabled": user.get("accountEnabled", True),
            "displayName": user["displayName"],
            "userPrincipalName": user["userPrincipalName"],
            "mail": user.get("mail"),
            "userType": user.get("userType", "Member"),
            "onPremisesSyncEnabled": user.get("onPremisesSyncEnabled"),
            "createdDateTime": user.get("createdDateTime"),
            "givenName": user.get("givenName"),
            "surname": user.get("surname"),
            "jobTitle": user.get("jobTitle"),
            "businessPhones": [],
        }
    for group in data.get("groups", []):
        found[group["id"]] = {
            "@odata.type": "#microsoft.graph.group",
            "id": group["id"],
            "deletedDateTime": None,
            "displayName": group["displayName"],
            "isAssignableToRole": group.get("isAssignableToRole", False),
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
        }
    for sp in [*data.get("servicePrincipals", []), app_service_principal]:
        found[sp["id"]] = {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "deletedDateTime": None,
            "accountEnabled": True,
            "appDisplayName": sp["displayName"],
            **sp,
        }
    return found


def schedule(a: Json, principal: Json | None, *, active: bool) -> Json:
    """A unifiedRoleAssignmentSchedule (active) or unifiedRoleEligibilitySchedule."""
    end = a.get("endDateTime")
    row: Json = {
        "id": a["id"],
        "principalId": a["principalId"],
        "roleDefinitionId": a["roleDefinitionId"],
        "directoryScopeId": a.get("directoryScopeId", "/"),
        "appScopeId": None,
        "createdUsing": a["id"],
        "createdDateTime": a.get("startDateTime"),
        "modifiedDateTime": None,
        "status": "Provisioned",
        "memberType": "Direct",
        "scheduleInfo": {
            "startDateTime": a.get("startDateTime"),
            "recurrence": None,
            "expiration": {
                "type": "afterDateTime" if end else "noExpiration",
                "endDateTime": end,
                "duration": None,
            },
        },
    }
    if active:
        row["assignmentType"] = "Assigned"
    row["principal"] = principal
    return row


def _mailbox_identity(user: Json) -> Json:
    address = user.get("mail") or user["userPrincipalName"]
    alias = address.split("@")[0]
    return {
        "Identity": alias,
        "Name": alias,
        "DisplayName": user["displayName"],
        "PrimarySmtpAddress": address,
        "ExternalDirectoryObjectId": user["id"],
        "Guid": _derived_guid(user["id"], 7),
    }


def mailboxes(users: list[Json], audit: dict[str, list[str]] | None = None) -> list[Json]:
    """Get-Mailbox rows for the users that have a mailbox (`audit`: the tenant's AuditOwner,
    AuditDelegate and AuditAdmin sets, when its fixture has them)."""
    rows = []
    for user in users:
        box = user["mailbox"]
        identity = _mailbox_identity(user)
        rows.append(
            {
                **identity,
                "Alias": identity["Name"],
                "UserPrincipalName": user["userPrincipalName"],
                "RecipientTypeDetails": box.get("RecipientTypeDetails", "UserMailbox"),
                "AuditEnabled": box.get("AuditEnabled", True),
                "AuditLogAgeLimit": "90.00:00:00",
                **{field: list(actions) for field, actions in (audit or {}).items()},
                "ForwardingSmtpAddress": box.get("ForwardingSmtpAddress"),
                "ForwardingAddress": None,
                "DeliverToMailboxAndForward": box.get("DeliverToMailboxAndForward", False),
                "EmailAddresses": [f"SMTP:{identity['PrimarySmtpAddress']}"],
                "HiddenFromAddressListsEnabled": False,
                "LitigationHoldEnabled": False,
                "IsMailboxEnabled": True,
                "WhenCreated": user.get("createdDateTime"),
            }
        )
    return rows


def cas_mailboxes(users: list[Json]) -> list[Json]:
    """Get-CASMailbox rows (SmtpClientAuthenticationDisabled null: the mailbox follows the org)."""
    rows = []
    for user in users:
        box = user["mailbox"]
        rows.append(
            {
                **_mailbox_identity(user),
                "SmtpClientAuthenticationDisabled": box.get("SmtpClientAuthenticationDisabled"),
                "ActiveSyncEnabled": True,
                "OWAEnabled": True,
                "PopEnabled": box.get("PopEnabled", True),
                "ImapEnabled": box.get("ImapEnabled", True),
                "MAPIEnabled": True,
                "EwsEnabled": True,
                "ECPEnabled": True,
                "OutlookMobileEnabled": True,
                "UniversalOutlookEnabled": True,
            }
        )
    return rows

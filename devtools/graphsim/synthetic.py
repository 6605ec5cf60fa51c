"""Deterministic tenant fixtures of any size: `synthetic_tenant(n_users, seed, posture=...)`.

The same builder makes the demo customers in `tenants/` (see `demo.py`), so a synthetic tenant has
data for every source a scan reads: Graph, Exchange and DNS. Dates are written relative to `AS_OF`;
the simulator moves them to the present when it loads a fixture, so "signed in last week" stays true.
"""

from __future__ import annotations

import base64
from typing import Any

from core.collect.sources import (
    ADMIN_USER_SOURCES,
    EXCHANGE_SOURCES,
    GRAPH_SOURCES,
    MICROSOFT_GRAPH_APP_ID,
    ROLE_GROUP_SOURCES,
)
from devtools.graphsim import (
    compliance,
    entra_depth,
    exchange_policies,
    governance,
    mailflow,
    policies,
    settings,
    sharepoint_admin,
)
from devtools.graphsim.catalog import GRAPH_APP_ROLE, SERVICE_PLAN, SHAREPOINT_PERMISSIONS, SKU
from devtools.graphsim.defender_data import defender_settings
from devtools.graphsim.people import PeopleBuilder, TenantSpec
from devtools.graphsim.policies import Json, Posture

SCHEMA = 1
DEFAULT_PERMISSIONS = sorted(
    {s.permission for s in (*GRAPH_SOURCES, *ROLE_GROUP_SOURCES, *ADMIN_USER_SOURCES)}
    | {s.permission for s in EXCHANGE_SOURCES}
)

# (name, secrets as (started days ago, valid days), certificates likewise, Graph app permissions)
_AppPlan = tuple[str, list[tuple[int, int]], list[tuple[int, int]], list[str]]
_APPS: dict[Posture, list[_AppPlan]] = {
    "weak": [
        ("Website Contact Form", [(775, 730)], [], ["Mail.Send"]),
        (
            "Backup Sync",
            [(200, 3650)],
            [],
            ["Directory.ReadWrite.All", "Mail.ReadWrite", "Files.ReadWrite.All"],
        ),
        ("Old Intranet", [(40, 3650)], [(1100, 1095)], ["User.Read.All"]),
    ],
    "mixed": [
        ("Customer Portal", [(345, 365)], [], ["User.Read.All"]),
        ("Invoice Scanner", [(375, 365)], [], ["Mail.Read"]),
        ("HR Sync", [], [(120, 730)], ["User.ReadWrite.All"]),
        ("Reporting Connector", [(30, 730), (400, 730)], [], ["Directory.Read.All"]),
        ("Workflow Helper", [], [], []),
    ],
    "strong": [
        ("Matter Portal", [], [(100, 365)], ["User.Read.All"]),
        ("Document Archive", [], [(60, 365)], ["Mail.Send"]),
        ("Privileged Access Audit", [(30, 90)], [], ["AuditLog.Read.All", "Directory.Read.All"]),
    ],
}
_THIRD_PARTY: dict[Posture, list[tuple[str, list[str]]]] = {
    "weak": [("Free PDF Converter", ["Mail.Read", "Files.ReadWrite.All"])],
    "mixed": [("Survey Builder", ["User.Read.All"])],
    "strong": [],
}
_DEFAULT_SKU: dict[Posture, str] = {"weak": "O365_BUSINESS_PREMIUM", "mixed": "SPB", "strong": "SPE_E5"}


class TenantBuilder(PeopleBuilder):
    def opaque_id(self) -> str:
        """Graph's base64url ids of role and app-role assignments."""
        return base64.urlsafe_b64encode(self.rng.randbytes(32)).decode()[:43]

    def _secret(self, started: int, valid: int, name: str) -> Json:
        return {
            "customKeyIdentifier": None,
            "displayName": name,
            "endDateTime": self.ago(started - valid),
            "hint": "".join(
                self.rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", k=3)
            ),
            "keyId": self.new_id(),
            "secretText": None,
            "startDateTime": self.ago(started),
        }

    def _certificate(self, started: int, valid: int, name: str) -> Json:
        return {
            "customKeyIdentifier": self.rng.randbytes(20).hex().upper(),
            "displayName": f"CN={name}",
            "endDateTime": self.ago(started - valid),
            "key": None,
            "keyId": self.new_id(),
            "startDateTime": self.ago(started),
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        }

    def applications(self) -> tuple[list[Json], list[Json], list[tuple[str, str, list[str]]]]:
        """App registrations, their service principals, and (principal, name, permissions) grants."""
        posture = self.spec.posture
        plans = list(_APPS[posture])
        for i in range(self.spec.n_users // 200):
            plans.append(
                (f"Line of Business App {i + 1}", [(self.rng.randint(10, 300), 365)], [], ["User.Read.All"])
            )
        apps, sps, grants = [], [], []
        for name, secrets, certs, permissions in plans:
            app_id = self.new_id()
            apps.append(
                {
                    "id": self.new_id(),
                    "appId": app_id,
                    "displayName": name,
                    "createdDateTime": self.ago(max([s for s, _ in secrets + certs], default=90) + 3),
                    "passwordCredentials": [self._secret(s, v, f"{name} secret") for s, v in secrets],
                    "keyCredentials": [self._certificate(s, v, name) for s, v in certs],
                    "requiredResourceAccess": [
                        {
                            "resourceAppId": MICROSOFT_GRAPH_APP_ID,
                            "resourceAccess": [
                                {"id": GRAPH_APP_ROLE[p], "type": "Role"} for p in permissions
                            ],
                        }
                    ]
                    if permissions
                    else [],
                }
            )
            sp = self._service_principal(app_id, name, self.tid)
            sps.append(sp)
            if permissions:
                grants.append((sp["id"], name, permissions))
        for name, permissions in _THIRD_PARTY[posture]:
            sp = self._service_principal(self.new_id(), name, self.new_id())
            sps.append(sp)
            grants.append((sp["id"], name, permissions))
        return apps, sps, grants

    def _service_principal(self, app_id: str, name: str, owner: str) -> Json:
        return {
            "id": self.new_id(),
            "appId": app_id,
            "displayName": name,
            "servicePrincipalType": "Application",
            "appOwnerOrganizationId": owner,
        }

    def graph_grants(self, graph_sp_id: str, grants: list[tuple[str, str, list[str]]]) -> list[Json]:
        return [
            {
                "id": self.opaque_id(),
                "deletedDateTime": None,
                "appRoleId": GRAPH_APP_ROLE[permission],
                "createdDateTime": self.ago(self.rng.randint(20, 600)),
                "principalDisplayName": name,
                "principalId": principal,
                "principalType": "ServicePrincipal",
                "resourceDisplayName": "Microsoft Graph",
                "resourceId": graph_sp_id,
            }
            for principal, name, permissions in grants
            for permission in permissions
        ]

    @property
    def sku_part(self) -> str:
        return self.spec.sku or _DEFAULT_SKU[self.spec.posture]

    def subscribed_skus(self, licensed: int) -> list[Json]:
        part = self.sku_part
        sku_id, plans = SKU[part]
        return [
            {
                "accountName": self.slug,
                "accountId": self.tid,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": licensed,
                "id": f"{self.tid}_{sku_id}",
                "prepaidUnits": {"enabled": licensed + 5, "lockedOut": 0, "suspended": 0, "warning": 0},
                "servicePlans": [
                    {
                        "servicePlanId": SERVICE_PLAN[plan],
                        "servicePlanName": plan,
                        "provisioningStatus": "Success",
                        "appliesTo": "User",
                    }
                    for plan in plans
                ],
                "skuId": sku_id,
                "skuPartNumber": part,
                "subscriptionIds": [self.new_id()],
            }
        ]

    def domains(self) -> tuple[list[Json], list[Json]]:
        """`domains` objects and the organization's `verifiedDomains`."""
        # A strong (recent) tenant shows the unset value Graph returns for a tenant created since 2021,
        # whose passwords then never expire (learn.microsoft.com/entra/identity/authentication/
        # concept-sspr-policy, "Password expiry duration"); older ones carry explicit values.
        validity = {"weak": 90, "mixed": 2147483647, "strong": None}[self.spec.posture]
        default = self.custom_domains[0] if self.custom_domains else self.initial
        names = [(self.initial, True), *((d, True) for d in self.custom_domains)]
        names += [(d, False) for d in self.spec.unverified_domains]
        domains = [
            {
                "authenticationType": "Managed",
                "availabilityStatus": None,
                "id": name,
                "isAdminManaged": True,
                "isDefault": name == default,
                "isInitial": name == self.initial,
                "isRoot": True,
                "isVerified": verified,
                "passwordNotificationWindowInDays": 14,
                "passwordValidityPeriodInDays": validity,
                "supportedServices": ["Email", "OfficeCommunicationsOnline"] if verified else [],
                "state": None,
            }
            for name, verified in names
        ]
        verified = [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": name == default,
                "isInitial": name == self.initial,
                "name": name,
                "type": "Managed",
            }
            for name, ok in names
            if ok
        ]
        return domains, verified

    def build(self) -> Json:
        spec, ctx = self.spec, self.ctx
        users, assignments, break_glass = self.users()
        ctx.break_glass_ids = break_glass
        ctx.admin_ids = [
            a["principalId"]
            for a in assignments
            if a["roleDefinitionId"] == assignments[0]["roleDefinitionId"]
        ]
        role_groups = self.role_groups(users, assignments)
        exclusion_group: Json = {
            "id": self.new_id(),
            "displayName": "CA exclusion - service accounts",
            "isAssignableToRole": False,
        }
        ctx.mfa_exclusion_group_id = exclusion_group["id"]
        apps, sps, grants = self.applications()
        graph_sp_id = self.new_id()
        app_sp_id = self.new_id()
        domains, verified = self.domains()
        custom = list(self.custom_domains)
        dkim = {"weak": set(), "mixed": set(custom[:1]), "strong": set(custom)}[spec.posture]
        members = [u for u in users if u["userType"] == "Member" and u["accountEnabled"]]
        name = spec.display_name or f"Synthetic {spec.posture.title()} {spec.seed}"
        fixture: dict[str, Any] = {
            "schema": SCHEMA,
            "asOf": spec.as_of,
            "id": self.tid,
            "displayName": name,
            "posture": spec.posture,
            "description": spec.description
            or f"Generated tenant ({spec.posture} posture, {spec.n_users} users).",
            "initialDomain": self.initial,
            "app": {
                "consent": spec.consent,
                "consentError": "AADSTS7000229",
                "permissions": sorted(
                    spec.permissions if spec.permissions is not None else DEFAULT_PERMISSIONS
                ),
                # The optional SharePoint permission (docs/deploy.md): every demo MSP chose it.
                "sharepointPermissions": sorted(SHAREPOINT_PERMISSIONS),
                "exchangeRole": "Global Reader",
                "servicePrincipalId": app_sp_id,
            },
            "organization": {
                "id": self.tid,
                "displayName": name,
                "verifiedDomains": verified,
                "onPremisesSyncEnabled": True if self.synced else None,
                "onPremisesLastSyncDateTime": self.ago(0.02) if self.synced else None,
                "createdDateTime": self.ago(1100 if spec.posture == "strong" else 2400),
                "countryLetterCode": "US",
                "city": "Seattle",
                "state": "WA",
                "postalCode": "98101",
                "preferredLanguage": "en",
                "tenantType": "AAD",
                "technicalNotificationMails": [f"it@{self.mail_domain}"],
                "securityComplianceNotificationMails": [],
                "businessPhones": ["+1 206 555 0100"],
                "marketingNotificationEmails": [],
                "privacyProfile": None,
            },
            "domains": domains,
            "subscribedSkus": self.subscribed_skus(len(members)),
            "users": users,
            "groups": [exclusion_group, *role_groups],
            "servicePrincipals": sps,
            "graphServicePrincipalId": graph_sp_id,
            "roleAssignments": assignments,
            "securityDefaults": policies.security_defaults(False),
            "conditionalAccessPolicies": policies.conditional_access_policies(ctx),
            "authenticationMethodsPolicy": settings.authentication_methods_policy(ctx),
            "authorizationPolicy": policies.authorization_policy(ctx),
            "adminConsentRequestPolicy": policies.admin_consent_request_policy(ctx),
            "groupSettings": settings.group_settings(ctx),
            "applications": apps,
            "graphAppRoleGrants": self.graph_grants(graph_sp_id, grants),
            "secureScores": settings.secure_scores(ctx, len(members), len(members)),
            "sharepointSettings": settings.sharepoint_settings(ctx, [spec.partner_domain]),
            "sharepointTenant": sharepoint_admin.tenant_properties(ctx, [spec.partner_domain]),
            "compliance": compliance.fixture(ctx, self.mail_domain),
            "exchange": {
                **exchange_policies.fixture(
                    ctx, spec.partner_domain, self.mail_domain, _shared_addresses(users)
                ),
                "transportConfig": mailflow.transport_config(ctx),
                "organizationConfig": mailflow.organization_config(ctx, name, self.initial),
                "adminAuditLogConfig": mailflow.admin_audit_log_config(ctx),
                "hostedOutboundSpamFilterPolicies": mailflow.outbound_spam_policies(
                    ctx, f"security@{self.mail_domain}"
                ),
                "remoteDomains": mailflow.remote_domains(ctx, spec.partner_domain),
                "externalInOutlook": mailflow.external_in_outlook(ctx, [spec.partner_domain]),
                "dkimSigningConfig": mailflow.dkim_signing_config(ctx, custom, self.initial, dkim),
            },
            "dns": mailflow.dns_records(ctx, custom, self.initial, dkim),
            "defender": defender_settings(
                ctx, custom, self.initial, spec.partner_domain, "ATP_ENTERPRISE" in SKU[self.sku_part][1]
            ),
        }
        # Built from stable ids rather than the seeded generator, so every id above stays as it was.
        fixture["governance"] = governance.block(spec.posture, self.tid, self.mail_domain)
        # Added last, drawing nothing from the random generator, so the values above are unchanged.
        fixture["conditionalAccessPolicies"] += entra_depth.conditional_access_policies(ctx)
        fixture["deviceRegistrationPolicy"] = entra_depth.device_registration_policy(ctx)
        fixture["authenticationMethodsPolicy"]["reportSuspiciousActivitySettings"] = (
            entra_depth.report_suspicious_activity(ctx)
        )
        return fixture


def _shared_addresses(users: list[Json]) -> list[str]:
    return [
        str(u.get("mail") or u["userPrincipalName"])
        for u in users
        if (u.get("mailbox") or {}).get("RecipientTypeDetails") == "SharedMailbox"
    ]


def build_tenant(spec: TenantSpec) -> Json:
    return TenantBuilder(spec).build()


def synthetic_tenant(n_users: int, seed: int, *, posture: str = "mixed") -> dict[str, Any]:
    """A complete tenant fixture with `n_users` user objects, the same for the same arguments."""
    if n_users < 1:
        raise ValueError("a tenant needs at least one user")
    if posture not in policies.POSTURES:
        raise ValueError(f"posture must be one of {policies.POSTURES}, not {posture!r}")
    return build_tenant(TenantSpec(n_users=n_users, seed=seed, posture=posture))

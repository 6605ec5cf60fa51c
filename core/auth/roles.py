"""The four roles and what each may do (DESIGN.md, "Roles and isolation")."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MSP_ADMIN = "msp_admin"
    MSP_ANALYST = "msp_analyst"
    CUSTOMER_ADMIN = "customer_admin"
    CUSTOMER_VIEWER = "customer_viewer"

    @property
    def is_msp(self) -> bool:
        return self in (Role.MSP_ADMIN, Role.MSP_ANALYST)


class Action(StrEnum):
    # Org-wide (MSP) actions.
    VIEW_FLEET = "view_fleet"
    SEARCH_FLEET = "search_fleet"
    MANAGE_CUSTOMERS = "manage_customers"  # add/remove customers, consent links
    MANAGE_TEAM = "manage_team"  # MSP admins and analysts
    MANAGE_BILLING = "manage_billing"
    MANAGE_WEBHOOKS = "manage_webhooks"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_FLEET_BRANDING = "manage_fleet_branding"
    VIEW_ORG_AUDIT = "view_org_audit"
    # Tenant-scoped actions: on one customer tenant.
    VIEW_TENANT = "view_tenant"
    RUN_SCAN = "run_scan"
    ACCEPT_RISK = "accept_risk"
    GENERATE_REPORT = "generate_report"
    SEND_SUMMARY = "send_summary"  # "send now" of the email summary (MSP roles)
    MANAGE_TENANT_USERS = "manage_tenant_users"  # customer admins and viewers of that tenant
    MANAGE_TENANT_BRANDING = "manage_tenant_branding"
    VIEW_TENANT_AUDIT = "view_tenant_audit"


TENANT_ACTIONS = frozenset(
    {
        Action.VIEW_TENANT,
        Action.RUN_SCAN,
        Action.ACCEPT_RISK,
        Action.GENERATE_REPORT,
        Action.SEND_SUMMARY,
        Action.MANAGE_TENANT_USERS,
        Action.MANAGE_TENANT_BRANDING,
        Action.VIEW_TENANT_AUDIT,
    }
)

# Only a signed-in person may do these, never an API key, whatever its role: a key that could make
# keys or invite people would leave credentials behind that revoking it does not revoke.
PEOPLE_ONLY_ACTIONS = frozenset({Action.MANAGE_API_KEYS, Action.MANAGE_TEAM, Action.MANAGE_TENANT_USERS})

_ANALYST = frozenset(
    {
        Action.VIEW_FLEET,
        Action.SEARCH_FLEET,
        Action.VIEW_TENANT,
        Action.RUN_SCAN,
        Action.ACCEPT_RISK,
        Action.GENERATE_REPORT,
        Action.SEND_SUMMARY,
    }
)
_CUSTOMER_VIEWER = frozenset({Action.VIEW_TENANT})
_CUSTOMER_ADMIN = _CUSTOMER_VIEWER | {
    Action.RUN_SCAN,
    Action.ACCEPT_RISK,
    Action.GENERATE_REPORT,
    Action.MANAGE_TENANT_USERS,
    Action.MANAGE_TENANT_BRANDING,
    Action.VIEW_TENANT_AUDIT,
}

RIGHTS: dict[Role, frozenset[Action]] = {
    Role.MSP_ADMIN: frozenset(Action),  # everything
    Role.MSP_ANALYST: _ANALYST,
    Role.CUSTOMER_ADMIN: frozenset(_CUSTOMER_ADMIN),
    Role.CUSTOMER_VIEWER: _CUSTOMER_VIEWER,
}


def may(role: Role, action: Action) -> bool:
    return action in RIGHTS[role]

"""The check catalogue: every check, in a stable order (by area, then as declared in its module)."""

from __future__ import annotations

from core.checks import (
    access_reviews,
    app_governance,
    app_grants,
    applications,
    auth_hardening,
    auth_methods,
    ca_enrollment,
    ca_exclusions,
    ca_session,
    compliance,
    defender,
    defender_atp,
    defender_filters,
    devices,
    dns_checks,
    emergency_access,
    exchange,
    exchange_mailboxes,
    exchange_policies,
    guests,
    identity,
    identity_risk,
    mail_forwarding,
    monitoring,
    passwords,
    pim_settings,
    privileged,
    sharepoint,
    sharepoint_admin,
    sharepoint_content,
    teams,
    teams_meetings,
    tenant_policies,
    users,
)
from core.checks.model import Check

CATALOGUE: tuple[Check, ...] = (
    *identity.CHECKS,
    *identity_risk.CHECKS,
    *ca_session.CHECKS,
    *ca_enrollment.CHECKS,
    *ca_exclusions.CHECKS,
    *users.CHECKS,
    *auth_methods.CHECKS,
    *auth_hardening.CHECKS,
    *privileged.CHECKS,
    *pim_settings.CHECKS,
    *emergency_access.CHECKS,
    *access_reviews.CHECKS,
    *applications.CHECKS,
    *app_governance.CHECKS,
    *app_grants.CHECKS,
    *tenant_policies.CHECKS,
    *devices.CHECKS,
    *guests.CHECKS,
    *passwords.CHECKS,
    *exchange.CHECKS,
    *mail_forwarding.CHECKS,
    *defender.CHECKS,
    *defender_filters.CHECKS,
    *defender_atp.CHECKS,
    *exchange_policies.CHECKS,
    *exchange_mailboxes.CHECKS,
    *sharepoint.CHECKS,
    *sharepoint_admin.CHECKS,
    *sharepoint_content.CHECKS,
    *teams.CHECKS,
    *teams_meetings.CHECKS,
    *dns_checks.CHECKS,
    *monitoring.CHECKS,
    *compliance.CHECKS,
)

_BY_ID: dict[str, Check] = {c.id: c for c in CATALOGUE}
if len(_BY_ID) != len(CATALOGUE):  # pragma: no cover - guarded by the catalogue tests as well
    raise RuntimeError("duplicate check ids in the catalogue")


def get_check(check_id: str) -> Check:
    try:
        return _BY_ID[check_id]
    except KeyError:
        raise KeyError(f"unknown check id: {check_id}") from None

"""The check catalogue: every check, in a stable order (by area, then as declared in its module)."""

from __future__ import annotations

from core.checks import (
    access_reviews,
    app_governance,
    app_grants,
    applications,
    auth_methods,
    compliance,
    defender,
    defender_atp,
    defender_filters,
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
    teams,
    teams_meetings,
    users,
)
from core.checks.model import Check

CATALOGUE: tuple[Check, ...] = (
    *identity.CHECKS,
    *identity_risk.CHECKS,
    *users.CHECKS,
    *auth_methods.CHECKS,
    *privileged.CHECKS,
    *pim_settings.CHECKS,
    *emergency_access.CHECKS,
    *access_reviews.CHECKS,
    *applications.CHECKS,
    *app_governance.CHECKS,
    *app_grants.CHECKS,
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

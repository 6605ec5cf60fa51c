"""What every Teams check shares: the licence gate, the instances of a Teams configuration type, the
org-wide ("Global") one, and settings read strictly.

The Teams admin service answers with the property names of the MicrosoftTeams cmdlets
(core/collect/teams.py). A check judges a setting only when it holds a value of the documented kind;
anything else (a missing property, a boolean that is not one, no Global instance) is an error naming
what was missing, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from core.checks.helpers import check, folded, is_false, is_true
from core.checks.licensing import SUBSCRIBED_SKUS, active_plans
from core.checks.model import Check, CheckMetadata, Evaluate, Outcome, TenantSnapshot, error, not_applicable
from core.collect.sources import TEAMS_PLAN

CATEGORY = "Microsoft Teams"
FEDERATION = "teams_federation"
CLIENT = "teams_client_configuration"
MEETINGS = "teams_meeting_policies"
BROADCAST = "teams_broadcast_policies"
MESSAGING = "teams_messaging_policies"
APPS = "teams_app_permission_policies"
GLOBAL = "Global"
ADMIN_CENTER = "Microsoft Teams admin center (admin.teams.microsoft.com)"
CONNECT = "In PowerShell, after Connect-MicrosoftTeams:"


def holds_teams(skus: Iterable[Mapping[str, Any]]) -> bool:
    """Whether an active subscription carries Microsoft Teams: TEAMS1 in the commercial suites, or
    another plan whose name starts with TEAMS (the government clouds' and other editions'). Wider than
    TEAMS1 alone on purpose: a tenant with Teams is assessed, never set aside for its plan's name."""
    return any(plan.startswith(TEAMS_PLAN[:5]) for plan in active_plans(skus))


def teams_licensed(snapshot: TenantSnapshot) -> bool | None:
    """holds_teams for the snapshot's subscriptions; None when they were not collected."""
    if not snapshot.has(SUBSCRIBED_SKUS):
        return None
    return holds_teams(snapshot.get(SUBSCRIBED_SKUS) or [])


class Unjudgeable(Exception):
    """The data was read but does not say what the check needs; the message says what is missing."""


def teams_check(meta: CheckMetadata) -> Callable[[Evaluate], Check]:
    """`check`, plus what every Teams check does first and last: a tenant whose own subscriptions lack
    Teams is not applicable, and data that does not hold what the check needs is an error."""

    def wrap(evaluate: Evaluate) -> Check:
        def guarded(snapshot: TenantSnapshot) -> Outcome:
            if teams_licensed(snapshot) is False:
                return not_applicable(
                    f"The tenant's subscriptions include no Microsoft Teams plan ({TEAMS_PLAN})."
                )
            try:
                return evaluate(snapshot)
            except Unjudgeable as exc:
                return error(str(exc))

        return check(meta)(guarded)

    return wrap


def instances(snapshot: TenantSnapshot, source: str) -> list[Mapping[str, Any]]:
    return [row for row in snapshot.get(source) or [] if isinstance(row, Mapping)]


def identity(instance: Mapping[str, Any]) -> str:
    return str(instance.get("Identity", ""))


def is_global(instance: Mapping[str, Any]) -> bool:
    # The module's Identity is "Global"; some tools show "global" (AzRanger's federation path), so
    # the comparison ignores case like every identifier.
    return folded(identity(instance)) == folded(GLOBAL)


def global_instance(snapshot: TenantSnapshot, source: str, cmdlet: str) -> Mapping[str, Any]:
    """The org-wide instance every tenant has; an answer without it cannot be judged."""
    for instance in instances(snapshot, source):
        if is_global(instance):
            return instance
    raise Unjudgeable(f"{cmdlet} returned no Global (org-wide default) instance, so the setting is unknown.")


def flag(instance: Mapping[str, Any], name: str) -> bool:
    """A boolean setting, strictly: true or false, as a boolean or the strings the service may send."""
    value = instance.get(name)
    if is_true(value):
        return True
    if is_false(value):
        return False
    raise Unjudgeable(
        f"{identity(instance) or 'an instance'}: {name} is missing or not a boolean ({value!r})."
    )


def text(instance: Mapping[str, Any], name: str) -> str:
    """A string setting (an enumeration value); missing or empty cannot be judged."""
    value = instance.get(name)
    if not isinstance(value, str) or not value:
        raise Unjudgeable(f"{identity(instance) or 'an instance'}: {name} is missing ({value!r}).")
    return value


def offenders(rows: list[Mapping[str, Any]], name: str, bad: Callable[[Any], bool]) -> list[dict[str, Any]]:
    """The instances whose `name` is judged bad, as evidence."""
    return [{"policy": identity(row), name: row.get(name)} for row in rows if bad(row)]

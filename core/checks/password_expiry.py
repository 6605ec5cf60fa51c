"""How long passwords last on each domain, read the way Entra ID applies it.

Two facts the raw `/domains` answer hides:

- An unset `passwordValidityPeriodInDays` is not always 90 days. Tenants created before 2021 default
  to a 90-day expiry; newer tenants default to no expiry ("Password policies and account restrictions
  in Microsoft Entra ID", learn.microsoft.com/entra/identity/authentication/concept-sspr-policy,
  "Password expiry duration"). So an unset value is resolved from `organization.createdDateTime`.
- A subdomain has no policy of its own: it follows its root domain, Graph shows its value as unset,
  and Update-MgDomain refuses to set one (cisagov/ScubaGear#1532 and #1755, maester365/maester#1808).
  `isRoot` tells the two apart (domain resource type, learn.microsoft.com/graph/api/resources/domain);
  the root is the longest root domain name the subdomain ends with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.checks.helpers import folded, is_true, iso, parse_time
from core.checks.model import TenantSnapshot
from core.checks.well_known import PASSWORD_NEVER_EXPIRES

LEGACY_DEFAULT_DAYS = 90
NEW_DEFAULT_FROM = datetime(2021, 1, 1, tzinfo=UTC)  # tenants created from here on never expire


class ExpiryUnknown(Exception):
    """The effective policy of a domain cannot be told from what was read."""


@dataclass(frozen=True)
class DomainExpiry:
    domain: str
    days: int | None  # None: passwords never expire
    set_on: str  # the domain whose setting applies (itself, or its root)
    explicit: bool  # False when the tenant's default applied

    def evidence(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"domain": self.domain, "passwordValidityPeriodInDays": self.days}
        if self.set_on != self.domain:
            entry["inheritedFrom"] = self.set_on
        if not self.explicit:
            entry["tenantDefault"] = True
        return entry


def tenant_created(snapshot: TenantSnapshot) -> datetime:
    organizations = snapshot.get("organization") or []
    created = parse_time((organizations[0] if organizations else {}).get("createdDateTime"))
    if created is None:
        raise ExpiryUnknown("the organization's createdDateTime was not returned")
    return created


def _root_of(domain: Mapping[str, Any], roots: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    if is_true(domain.get("isRoot")):
        return domain
    name = folded(domain.get("id"))
    candidates = [r for r in roots if name.endswith("." + folded(r.get("id")))]
    if not candidates:
        raise ExpiryUnknown(f"no root domain found for the subdomain {domain.get('id')}")
    return max(candidates, key=lambda r: len(str(r.get("id"))))


def effective_expiry(
    snapshot: TenantSnapshot, domains: Sequence[Mapping[str, Any]], all_domains: Sequence[Mapping[str, Any]]
) -> list[DomainExpiry]:
    """The expiry that applies on each of `domains`; reads the tenant's age only when a default applies."""
    roots = [d for d in all_domains if is_true(d.get("isRoot"))]
    created: datetime | None = None
    found = []
    for domain in domains:
        root = _root_of(domain, roots)
        value = root.get("passwordValidityPeriodInDays")
        if value is None:
            created = created or tenant_created(snapshot)
            days = None if created >= NEW_DEFAULT_FROM else LEGACY_DEFAULT_DAYS
        else:
            days = None if value == PASSWORD_NEVER_EXPIRES else int(value)
        found.append(DomainExpiry(str(domain.get("id")), days, str(root.get("id")), value is not None))
    return found


def default_note(snapshot: TenantSnapshot, expiring: Sequence[DomainExpiry]) -> str:
    if all(e.explicit for e in expiring):
        return ""
    return (
        f" (unset values follow the default of a tenant created {iso(tenant_created(snapshot))}: "
        f"{LEGACY_DEFAULT_DAYS} days before 2021)"
    )

"""Authentication strengths in Conditional Access grants: which of them amount to MFA.

Listing Conditional Access policies, Graph returns `grantControls.authenticationStrength` as the whole
strength policy (`id`, `displayName`, `policyType`, `requirementsSatisfied`, `allowedCombinations`, ...).
A reference that carries only the `id` is accepted as well: its combinations are then looked up in the
tenant's strength policies (`GET /policies/authenticationStrengthPolicies`, the
`authentication_strength_policies` source, read only when a policy needs it). Microsoft's three built-in
strengths have fixed ids and cannot be edited, so they are known without a lookup.

What counts as multifactor. Entra builds every allowed combination from three kinds (Microsoft Graph,
"Authentication strengths API overview"; the full list is in "List authenticationMethodModes"):
single-factor methods usable as a first factor (`password`, `sms`, `email`, `federatedSingleFactor`,
`x509CertificateSingleFactor`), a first factor paired with a second one (`password,sms`,
`sms,federatedSingleFactor`, ...), and passwordless multifactor methods on their own (`fido2`,
`windowsHelloForBusiness`, ...). So a combination is multifactor when it pairs two or more methods, or
is one of the passwordless multifactor methods alone; any other single method, including ones this code
does not know yet, is treated as one factor. A strength counts as MFA only when every combination it
allows is multifactor: a single one-factor combination lets a user satisfy it with that factor alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import folded
from core.checks.model import FailureKind, SourceFailure, SourceMissing, TenantSnapshot
from core.checks.well_known import (
    MFA_STRENGTH,
    PASSWORDLESS_MFA_STRENGTH,
    PHISHING_RESISTANT_COMBINATIONS,
    PHISHING_RESISTANT_STRENGTH,
)

STRENGTHS_SOURCE = "authentication_strength_policies"
BUILT_IN_STRENGTHS = frozenset({MFA_STRENGTH, PASSWORDLESS_MFA_STRENGTH, PHISHING_RESISTANT_STRENGTH})
# The methods the built-in "Multifactor authentication" strength accepts on their own (Graph,
# "List authenticationStrengthPolicies" example): each is multifactor by itself. Lower-cased, because
# the combinations are compared without regard to case.
MULTIFACTOR_METHODS = frozenset(
    {
        "windowshelloforbusiness",
        "fido2",
        "x509certificatemultifactor",
        "devicebasedpush",
        "temporaryaccesspassonetime",
        "temporaryaccesspassmultiuse",
        "federatedmultifactor",
    }
)
_PHISHING_RESISTANT = frozenset(method.lower() for method in PHISHING_RESISTANT_COMBINATIONS)

Strength = Mapping[str, Any]


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def methods_of(combination: Any) -> frozenset[str]:
    # Microsoft's own create example writes "password, sms", with a space after the comma.
    return frozenset(part.strip().lower() for part in str(combination).split(",") if part.strip())


def is_multifactor_combination(combination: Any) -> bool:
    methods = methods_of(combination)
    return len(methods) >= 2 or (len(methods) == 1 and next(iter(methods)) in MULTIFACTOR_METHODS)


def combinations(strength: Strength) -> list[str]:
    return [str(combination) for combination in _list(strength.get("allowedCombinations"))]


def single_factor_combinations(strength: Strength) -> list[str]:
    return [c for c in combinations(strength) if not is_multifactor_combination(c)]


def is_multifactor(strength: Strength) -> bool:
    """Every way to satisfy the strength uses more than one factor."""
    allowed = combinations(strength)
    if allowed:
        return not single_factor_combinations(strength)
    # A built-in referenced by id alone: all three are multifactor and read-only.
    return folded(strength.get("id")) in BUILT_IN_STRENGTHS


def is_phishing_resistant(strength: Strength | None) -> bool:
    if not strength:
        return False
    allowed = combinations(strength)
    if not allowed:
        return folded(strength.get("id")) == PHISHING_RESISTANT_STRENGTH
    return all(methods_of(c) and methods_of(c) <= _PHISHING_RESISTANT for c in allowed)


def needs_lookup(strength: Strength | None) -> bool:
    """A reference without its combinations that is not one of the fixed built-ins."""
    if not strength:
        return False
    return not combinations(strength) and folded(strength.get("id")) not in BUILT_IN_STRENGTHS


def _missing(snapshot: TenantSnapshot, strength_id: str, policy_name: str) -> SourceMissing:
    failure = snapshot.failures.get(STRENGTHS_SOURCE) or SourceFailure(
        "unavailable", f"{STRENGTHS_SOURCE} was not collected"
    )
    # Never `not_licensed`: the policy was readable, so only this lookup is missing and the check
    # cannot be assessed; it is not inapplicable.
    kind: FailureKind = "forbidden" if failure.kind == "forbidden" else "unavailable"
    reason = (
        f"{failure.reason} (needed for the authentication strength {strength_id} that policy "
        f"'{policy_name}' requires)"
    )
    return SourceMissing(STRENGTHS_SOURCE, SourceFailure(kind, reason, failure.code))


def lookup(snapshot: TenantSnapshot, strength: Strength, policy_name: str) -> Strength:
    """The tenant's full strength policy for a reference; raises `SourceMissing` when it cannot be read.

    A reference to a strength the tenant does not have keeps no combinations, so it never counts."""
    strength_id = str(strength.get("id"))
    if not snapshot.has(STRENGTHS_SOURCE):
        raise _missing(snapshot, strength_id, policy_name)
    for candidate in snapshot.get(STRENGTHS_SOURCE) or []:
        if isinstance(candidate, Mapping) and folded(candidate.get("id")) == folded(strength_id):
            return candidate
    return {**strength, "allowedCombinations": [], "notFound": True}


def describe_weakness(strength: Strength) -> str:
    name = strength.get("displayName") or strength.get("id")
    if strength.get("notFound"):
        return f"authentication strength {name} is not among the tenant's strength policies"
    weak = single_factor_combinations(strength)
    if not weak:
        return f"authentication strength '{name}' allows no combination"
    return f"authentication strength '{name}' can be met with one factor ({', '.join(weak)})"

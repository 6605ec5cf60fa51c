"""Conditional Access policies and authentication strengths as Graph answers them, per API version.

A fixture keeps its policies as an administrator configured them, in beta's shape, with a grant's
`authenticationStrength` as a reference (`{"id": ...}`), and its custom strengths under the optional
key `authenticationStrengthPolicies`. The endpoints then answer:

- `GET /beta/identity/conditionalAccess/policies`: every policy.
- `GET /v1.0/identity/conditionalAccess/policies`: the policies that use no beta-only feature, as Graph
  does: "a recent change to the API is excluding certain policies from v1 if they are using beta
  features" (microsoft/EntraExporter#35, its maintainer; the fix was to read beta), and policies with
  device states or device filters missing from v1.0 answers (microsoftgraph/msgraph-sdk-powershell#431,
  AlexFilipin/ConditionalAccess#17). The beta-only properties are left out of the policies it returns,
  because the v1.0 types do not have them.
- In both, a grant's `authenticationStrength` is the whole strength policy after its
  `authenticationStrength@odata.context` annotation: a policy created with only the strength's id is
  read back with the strength expanded (deploymenttheory/terraform-provider-microsoft365,
  docs/development/conditional_access_field_map.md, test 5), and public exports of real tenants show
  the same annotation before it.
- `GET /v1.0/policies/authenticationStrengthPolicies`: the three built-ins and the tenant's custom
  strengths ("This API returns both built-in and custom policies": Graph v1.0 "List
  authenticationStrengthPolicies", whose example shows each with its combinationConfigurations).
"""

from __future__ import annotations

from typing import Any

from devtools.graphsim.catalog import AUTH_STRENGTH
from devtools.graphsim.tenant import Tenant

Json = dict[str, Any]

# Properties only the beta types have: the continuous access evaluation session control (documented
# under beta's conditionalAccessSessionControls, absent from v1.0's, and with no v1.0 page of its own)
# and the deprecated device states condition (beta conditionalAccessConditionSet only).
BETA_ONLY: dict[str, tuple[str, ...]] = {
    "sessionControls": ("continuousAccessEvaluation",),
    "conditions": ("deviceStates",),
}
GRAPH_ROOT = "https://graph.microsoft.com"


def uses_beta_only_features(policy: Json) -> bool:
    return any(
        (policy.get(part) or {}).get(name) is not None for part, names in BETA_ONLY.items() for name in names
    )


def _without_beta_properties(policy: Json) -> Json:
    trimmed = dict(policy)
    for part, names in BETA_ONLY.items():
        if isinstance(trimmed.get(part), dict):
            trimmed[part] = {k: v for k, v in trimmed[part].items() if k not in names}
    return trimmed


def strength_policies(tenant: Tenant) -> list[Json]:
    """Built-in strengths first, then the tenant's own, as the list endpoint returns them."""
    return [_listed_strength(strength) for strength in _own_strengths(tenant)]


def _listed_strength(strength: Json) -> Json:
    context = (
        f"{GRAPH_ROOT}/v1.0/$metadata#policies/authenticationStrengthPolicies('{strength['id']}')"
        "/combinationConfigurations"
    )
    return {**strength, "combinationConfigurations@odata.context": context, "combinationConfigurations": []}


def _with_strength(policy: Json, strengths: dict[str, Json], version: str) -> Json:
    grant = policy.get("grantControls")
    if not isinstance(grant, dict):
        return policy
    reference = grant.get("authenticationStrength")
    expanded = strengths.get(reference["id"]) if isinstance(reference, dict) and "id" in reference else None
    context = (
        f"{GRAPH_ROOT}/{version}/$metadata#identity/conditionalAccess/policies('{policy['id']}')"
        "/grantControls/authenticationStrength/$entity"
    )
    rebuilt = {k: v for k, v in grant.items() if k != "authenticationStrength"}
    rebuilt["authenticationStrength@odata.context"] = context
    rebuilt["authenticationStrength"] = dict(expanded) if expanded else reference
    return {**policy, "grantControls": rebuilt}


def _own_strengths(tenant: Tenant) -> list[Json]:
    return [*AUTH_STRENGTH.values(), *tenant.data.get("authenticationStrengthPolicies", [])]


def policies(tenant: Tenant, version: str) -> list[Json]:
    """The tenant's policies as `GET /{version}/identity/conditionalAccess/policies` lists them."""
    strengths = {strength["id"]: strength for strength in _own_strengths(tenant)}
    answer = []
    for policy in tenant.data["conditionalAccessPolicies"]:
        if version == "v1.0":
            if uses_beta_only_features(policy):
                continue
            policy = _without_beta_properties(policy)
        answer.append(_with_strength(policy, strengths, version))
    return answer

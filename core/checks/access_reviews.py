"""Access reviews of guests and of privileged roles (CIS Microsoft 365 v5.0.0 5.3.2, 5.3.3).

Read from the tenant's access review definitions (accessReviewScheduleDefinition,
learn.microsoft.com/graph/api/resources/accessreviewscheduledefinition). What a review covers is
written as Graph queries in its `scope` (and `instanceEnumerationScope` for reviews across groups):
Microsoft's examples review a directory role with a principalResourceMembershipsScope whose resource
query is `/roleManagement/directory/roleDefinitions/{role id}`, and guests with a member query filtered
on `userType eq 'Guest'` (learn.microsoft.com/graph/api/accessreviewset-post-definitions). A review
counts when it is still running (its status is neither Completed nor Applied) and recurs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from core.checks.helpers import check, folded, metadata, plural, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import ENTRA_P2, GLOBAL_ADMINISTRATOR

REVIEWS = "access_reviews"
FINISHED = frozenset({"completed", "applied"})
GUEST_FILTER = re.compile(r"usertype\s+eq\s+'guest'")
REVIEWS_DOCS = "https://learn.microsoft.com/en-us/entra/id-governance/access-reviews-overview"
CREATE_STEP = (
    "Entra admin center > ID Governance > Access reviews > New access review (Graph: POST "
    "/identityGovernance/accessReviews/definitions; PowerShell: "
    "New-MgIdentityGovernanceAccessReviewDefinition)."
)
PARTIAL = (
    " The review's frequency, duration, reviewers and what happens to unanswered decisions, which the CIS "
    "text also prescribes, are not judged."
)


def _queries(value: Any) -> Iterator[str]:
    """Every `query` string anywhere inside a scope, however the scope types nest them."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "query" and isinstance(item, str):
                yield folded(item)
            else:
                yield from _queries(item)
    elif isinstance(value, list):
        for item in value:
            yield from _queries(item)


def _recurring_and_running(review: Mapping[str, Any]) -> bool:
    recurrence = (review.get("settings") or {}).get("recurrence") or {}
    pattern = (recurrence.get("pattern") or {}).get("type")
    return folded(review.get("status")) not in FINISHED and bool(pattern)


def _matching(snapshot: TenantSnapshot, wanted: re.Pattern[str] | str) -> tuple[list[str], list[str]]:
    """Names of running recurring reviews whose scope matches, and of matching ones that do not count."""
    counted: list[str] = []
    other: list[str] = []
    for review in snapshot.get(REVIEWS) or []:
        queries = list(_queries(review.get("scope"))) + list(_queries(review.get("instanceEnumerationScope")))
        hit = any((wanted.search(q) if isinstance(wanted, re.Pattern) else wanted in q) for q in queries)
        if hit:
            name = str(review.get("displayName") or review.get("id"))
            (counted if _recurring_and_running(review) else other).append(name)
    return counted, other


def _outcome(counted: list[str], other: list[str], what: str) -> Outcome:
    if counted:
        return passed(f"{plural(len(counted), 'recurring access review')} of {what}: {', '.join(counted)}.")
    if other:
        return failed(
            f"No recurring access review of {what} is running "
            f"({', '.join(other)} finished or does not recur).",
            other,
        )
    return failed(f"No access review of {what} is configured.")


@check(
    metadata(
        id="entra.access_reviews_guests",
        title="Guest access is reviewed on a schedule",
        category="Guests and external access",
        severity=Severity.MEDIUM,
        sources=(REVIEWS,),
        rationale=(
            "Guests are invited for a project and then forgotten; their accounts keep the access to groups, "
            "Teams and files long after the work ends. A recurring access review asks someone to confirm "
            "each guest still needs it, and removes those nobody vouches for (CIS 5.3.2). Passes when a "
            "running, recurring review's scope selects guest users." + PARTIAL
        ),
        remediation=steps(
            CREATE_STEP,
            "Review type: Teams + Groups, all Microsoft 365 groups with guest users, scope Guest users only; "
            "reviewers the group owners; recurrence Monthly.",
            "Under Upon completion, auto-apply results and remove access when reviewers do not respond.",
        ),
        licence=ENTRA_P2,
        references=(REVIEWS_DOCS,),
    )
)
def access_reviews_guests(snapshot: TenantSnapshot) -> Outcome:
    counted, other = _matching(snapshot, GUEST_FILTER)
    return _outcome(counted, other, "guest users")


@check(
    metadata(
        id="entra.access_reviews_privileged_roles",
        title="Global Administrator holders are reviewed on a schedule",
        category="Privileged access",
        severity=Severity.MEDIUM,
        sources=(REVIEWS,),
        rationale=(
            "Privileged roles accumulate: people change jobs and keep the role they were once given. A "
            "recurring access review of the role asks a reviewer to confirm every holder, active or "
            "eligible (CIS 5.3.3). Passes when a running, recurring review's scope names the Global "
            "Administrator role; CIS also lists other administrator roles to review, which are not "
            "required here." + PARTIAL
        ),
        remediation=steps(
            CREATE_STEP.replace("New access review", "Review access to Microsoft Entra roles (PIM), New"),
            "Select Global Administrator (and the other administrator roles you use), both active and "
            "eligible assignments; reviewers a security lead; recurrence Monthly or Quarterly.",
            "Under Upon completion, auto-apply results and remove access when reviewers do not respond.",
        ),
        licence=ENTRA_P2,
        references=(
            REVIEWS_DOCS,
            "https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/pim-create-roles-and-resource-roles-review",
        ),
    )
)
def access_reviews_privileged_roles(snapshot: TenantSnapshot) -> Outcome:
    role_query = f"roledefinitions/{folded(GLOBAL_ADMINISTRATOR)}"
    counted, other = _matching(snapshot, role_query)
    return _outcome(counted, other, "the Global Administrator role")


CHECKS = (access_reviews_guests, access_reviews_privileged_roles)

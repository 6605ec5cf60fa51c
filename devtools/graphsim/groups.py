"""The per-group Graph resources a scan reads for role-holding groups: transitive members, and PIM for
Groups eligibility. Their paths carry an id, so they are routed here rather than listed in
`graph_endpoints`; permissions and licences still come from `ROLE_GROUP_SOURCES`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from core.collect.sources import ROLE_GROUP_SOURCES, GraphSource
from devtools.graphsim.graph_access import GraphError
from devtools.graphsim.graph_endpoints import Endpoint
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant

MEMBERS_PATH = re.compile(r"^/groups/([^/]+)/transitivemembers$")
ELIGIBILITY_PATH = "/identitygovernance/privilegedaccess/group/eligibilityscheduleinstances"
_FILTER = re.compile(r"^\s*(groupId|principalId)\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)
MEMBERS_SOURCE, ELIGIBILITY_SOURCE = ROLE_GROUP_SOURCES


@dataclass(frozen=True)
class GroupRoute:
    endpoint: Endpoint
    source: GraphSource
    options: dict[str, str]


def _query(raw: str, allowed: set[str]) -> dict[str, str]:
    options = dict(parse_qsl(raw, keep_blank_values=True))
    for name in options:
        if name not in allowed:
            raise GraphError(400, "Request_BadRequest", f"Unrecognized query argument specified: '{name}'.")
    return options


def _members(group_id: str) -> Endpoint:
    def items(state: SimState, tenant: Tenant) -> list[object]:
        members = tenant.group_members(group_id)
        if members is None:
            # An unknown id: 404 Request_ResourceNotFound, as Graph answers for a group that does not
            # exist (microsoftgraph/microsoft-graph-docs-contrib#4847 shows the body).
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{group_id}' does not exist or one of its queried reference-property objects "
                "are not present.",
            )
        return list(members)

    # Members come 100 to a page, as Graph pages directory objects when no $top is given.
    return Endpoint(f"/groups/{group_id}/transitivemembers", "directoryObjects", items, default_page=100)


def _eligibility(options: dict[str, str]) -> Endpoint:
    match = _FILTER.match(options.get("$filter", ""))
    if match is None:
        # The list must be scoped by groupId or principalId (List eligibilityScheduleInstances,
        # learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityscheduleinstances). The
        # documentation gives no body for the refusal; this one has the shape of Graph's other 400s.
        raise GraphError(400, "BadRequest", "The request must filter on groupId or principalId.")
    field, value = match.group(1)[0].lower() + match.group(1)[1:], match.group(2)
    return Endpoint(
        ELIGIBILITY_PATH,  # the cache tells requests apart by their query options
        "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
        lambda state, tenant: tenant.group_eligibility(field, value),
        denied_code="AccessDenied",  # as the simulator's other PIM endpoints answer
    )


def group_route(path: str, raw_query: str) -> GroupRoute | None:
    """The endpoint for a per-group path, or None when `path` is not one."""
    match = MEMBERS_PATH.match(path)
    if match is not None:
        return GroupRoute(_members(match.group(1)), MEMBERS_SOURCE, _query(raw_query, {"$skiptoken"}))
    if path == ELIGIBILITY_PATH:
        options = _query(raw_query, {"$filter"})
        return GroupRoute(_eligibility(options), ELIGIBILITY_SOURCE, options)
    return None

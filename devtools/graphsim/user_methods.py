"""`/users/{id}/authentication/methods`, read by the scanner for each Global Administrator. Its path
carries an id, so it is routed here rather than listed in `graph_endpoints`; the permission comes from
`ADMIN_USER_SOURCES`."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from core.collect.sources import ADMIN_USER_SOURCES
from devtools.graphsim.governance_apps import auth_methods
from devtools.graphsim.graph_access import GraphError
from devtools.graphsim.graph_endpoints import Endpoint
from devtools.graphsim.groups import GroupRoute
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant

METHODS_PATH = re.compile(r"^/users/([^/]+)/authentication/methods$")
(METHODS_SOURCE,) = ADMIN_USER_SOURCES


def _methods(user_id: str) -> Endpoint:
    def items(state: SimState, tenant: Tenant) -> list[object]:
        user = tenant.users_by_key.get(user_id.lower())
        if user is None:
            # Graph's answer for a user id that does not exist (Get user, learn.microsoft.com/graph/api/
            # user-get: 404 Request_ResourceNotFound), as the group route answers for an unknown group.
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{user_id}' does not exist or one of its queried reference-property objects "
                "are not present.",
            )
        return list(auth_methods(user))

    # "List methods" documents no paging: the whole (short) collection comes at once.
    return Endpoint(f"/users/{user_id}/authentication/methods", "users('{id}')/authentication/methods", items)


def user_route(path: str, raw_query: str) -> GroupRoute | None:
    """The endpoint for a per-user path, or None when `path` is not one."""
    match = METHODS_PATH.match(path)
    if match is None:
        return None
    for name, _ in parse_qsl(raw_query, keep_blank_values=True):
        raise GraphError(400, "Request_BadRequest", f"Unrecognized query argument specified: '{name}'.")
    return GroupRoute(_methods(match.group(1)), METHODS_SOURCE, {})

"""Authentication and authorisation.

`authenticate` finds who is calling from the credential alone; `functions.api.gate.
AuthenticateFirst` calls it for every non-public /api request before anything reads the body, and
leaves the caller in the request scope for the dependencies.

Every route declares the action it needs with `Depends(require(Action.X))`; the dependency loads
the caller's memberships and asks `core.auth.principals.authorize` (the one decision in core) for
a `Grant`. The tenant comes from the path, but the grant only exists if the caller's memberships
cover it. `require` is cached, so a route that also reads the grant gets the same dependency,
resolved once per request; the isolation test finds each route's action through the `.action`
attribute it carries.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from core import errors
from core.audit import Actor
from core.auth.api_keys import ApiKeyRejected, looks_like_api_key, principal_for_api_key
from core.auth.database_scope import database_scope
from core.auth.principals import Grant, Principal, authorize, load_principal
from core.auth.roles import TENANT_ACTIONS, Action
from core.auth.tokens import InvalidToken, JwksCache, TokenClaims, TokenValidator
from core.bootstrap import Services
from core.collect.connection import tls_verification
from core.store import InvalidId
from core.store.documents import principal_document_id
from core.store.read_snapshot import enter_snapshot, leave_snapshot
from core.store.repository import check_document_id
from core.store.scope import enter_scope, leave_scope
from functions.api.deps import ServicesDep, get_services

# Who is calling: a person's validated token, or the principal of an API key.
Caller = TokenClaims | Principal
_CALLER_KEY = "scanposture.caller"  # where AuthenticateFirst leaves the caller in the scope


def _validator(request: Request, services: Services) -> TokenValidator:
    validator: TokenValidator | None = getattr(request.app.state, "token_validator", None)
    if validator is None:
        settings = services.settings
        if not settings.auth_audience:
            raise HTTPException(503, "sign-in is not configured (AUTH_AUDIENCE)")
        jwks = JwksCache(settings.auth_jwks_url, verify=tls_verification(None))
        validator = TokenValidator(jwks, settings.auth_audience, settings.auth_issuer_template)
        request.app.state.token_validator = validator
    return validator


def _unauthorised(reason: str) -> HTTPException:
    # The reason may quote the caller's own input (a token's `alg`); a header carries only
    # printable ASCII without quotes, or the answer itself would fail to encode (a 500).
    described = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in reason)
    return HTTPException(
        401,
        reason,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{described}"'},
    )


# Azure Static Web Apps replaces the Authorization header on requests it forwards to a linked
# backend, so the portal sends its token in this header instead; scripts may use either.
FORWARDED_AUTHORIZATION = "x-scanposture-authorization"


def credentials_header(headers: Mapping[str, str]) -> str:
    """The caller's `Bearer …` value: the forwarding-safe header when given, else Authorization."""
    return headers.get(FORWARDED_AUTHORIZATION) or headers.get("authorization", "")


def _bearer_token(request: Request) -> str:
    scheme, _, token = credentials_header(request.headers).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised("sign in: a bearer token is required")
    return token.strip()


def _usable(claims: TokenClaims) -> TokenClaims:
    """The claims, if their tid and oid can name the caller's partition and principal document.
    A signature proves who issued a token, not that its claims are safe to splice into an id."""
    try:
        if not claims.tenant_id.strip():
            raise InvalidId(claims.tenant_id, "empty")
        check_document_id(claims.tenant_id)
    except InvalidId as exc:
        raise _unauthorised("token's tid claim cannot name a tenant") from exc
    try:
        check_document_id(principal_document_id(claims.object_id))
    except InvalidId as exc:
        raise _unauthorised("token's oid claim cannot name an account") from exc
    return claims


async def authenticate(request: Request) -> Caller:
    """Who is calling, from the credential alone (never the body, never memberships: a person may
    have none yet when accepting an invitation). 401 unless it is a valid token or API key."""
    cached: Caller | None = request.scope.get(_CALLER_KEY)
    if cached is not None:
        return cached
    token = _bearer_token(request)
    services = await get_services(request)
    caller: Caller
    try:
        if looks_like_api_key(token):
            caller = await principal_for_api_key(services.store, token)
        else:
            caller = _usable(await _validator(request, services).validate(token))
    except (ApiKeyRejected, InvalidToken) as exc:
        raise _unauthorised(str(exc)) from exc
    # Forbidden (a key whose stored role is no longer an MSP role) and the store's Unavailable
    # pass on to the API's handler, or to AuthenticateFirst's use of it.
    request.scope[_CALLER_KEY] = caller
    return caller


async def current_claims(request: Request) -> TokenClaims:
    """A signed-in person's validated token (never an API key: keys cannot accept invitations)."""
    caller = await authenticate(request)
    if isinstance(caller, Principal):
        raise errors.Forbidden("this needs a person signed in, not an API key")
    return caller


ClaimsDep = Annotated[TokenClaims, Depends(current_claims)]


async def _load_principal(request: Request, services: Services) -> Principal:
    caller = await authenticate(request)
    if isinstance(caller, Principal):
        return caller
    try:
        return await load_principal(services.store, caller)  # Forbidden: 403 by the API's handler
    except InvalidId as exc:  # _usable refuses such claims first; the store refuses them regardless
        raise _unauthorised("token's oid claim cannot name an account") from exc


async def current_principal(request: Request, services: ServicesDep) -> AsyncIterator[Principal]:
    """The caller: a person (Entra token) or an automation (API key), authorised alike. A customer
    principal's request then runs in its database scope: relationship data is read and written
    with its own resource tokens only (core/auth/database_scope.py), until the request ends."""
    principal = await _load_principal(request, services)
    scope = await database_scope(services.store, principal, datetime.now(UTC).date())
    token = enter_scope(scope)
    # A read-only request reads each org's fleet version once (core/store/read_snapshot.py).
    snapshot = enter_snapshot() if request.method in ("GET", "HEAD") else None
    try:
        yield principal
    finally:
        if snapshot is not None:
            leave_snapshot(snapshot)
        leave_scope(token)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


@functools.cache
def require(action: Action) -> Callable[..., Awaitable[Grant]]:
    """The dependency a route needing `action` declares. Tenant actions read `tenant_id` from the
    path; org actions take an optional `?org=` for people in several organisations."""

    async def dependency(request: Request, principal: PrincipalDep, services: ServicesDep) -> Grant:
        tenant_id = request.path_params.get("tenant_id") if action in TENANT_ACTIONS else None
        return await authorize(  # Forbidden: 403 by the API's handler
            services.store, principal, action, tenant_id=tenant_id, org_id=request.query_params.get("org")
        )

    dependency.action = action  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{action.value}"
    return dependency


def actor(request: Request, principal: Principal | TokenClaims | None) -> Actor:
    source_ip = request.client.host if request.client else None
    if principal is None:
        return Actor(kind="anonymous", source_ip=source_ip)
    return Actor("user", principal.tenant_id, principal.object_id, principal.name, principal.email, source_ip)

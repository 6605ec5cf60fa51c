"""Authentication and authorisation dependencies.

Every route declares the action it needs with `Depends(require(Action.X))`; the dependency
validates the bearer token, loads the caller's memberships and asks `core.auth.principals.authorize`
(the one decision in core) for a `Grant`. The tenant comes from the path, but the grant only
exists if the caller's memberships cover it. `require` is cached, so a route that also reads the
grant gets the same dependency, resolved once per request; the isolation test finds each route's
action through the `.action` attribute it carries.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from core.audit import Actor
from core.auth.api_keys import ApiKeyRejected, looks_like_api_key, principal_for_api_key
from core.auth.principals import Forbidden, Grant, Principal, authorize, load_principal
from core.auth.roles import TENANT_ACTIONS, Action
from core.auth.tokens import InvalidToken, JwksCache, TokenClaims, TokenValidator
from core.bootstrap import Services
from core.collect.connection import tls_verification
from functions.api.deps import ServicesDep

# Routes anyone may call: health, the API description, the consent callback (Entra redirects the
# customer's administrator there, who has no ScanPosture account).
PUBLIC_PATHS = frozenset({"/api/health", "/api/config", "/api/consent/callback"})


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
    return HTTPException(
        401,
        reason,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'},
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


async def current_claims(request: Request, services: ServicesDep) -> TokenClaims:
    """A signed-in person's validated token (never an API key: keys cannot accept invitations)."""
    token = _bearer_token(request)
    if looks_like_api_key(token):
        raise HTTPException(403, "this needs a person signed in, not an API key")
    try:
        return await _validator(request, services).validate(token)
    except InvalidToken as exc:
        raise _unauthorised(str(exc)) from exc


ClaimsDep = Annotated[TokenClaims, Depends(current_claims)]


async def current_principal(request: Request, services: ServicesDep) -> Principal:
    """The caller: a person (Entra token) or an automation (API key), authorised alike."""
    token = _bearer_token(request)
    try:
        if looks_like_api_key(token):
            try:
                return await principal_for_api_key(services.store, token)
            except ApiKeyRejected as exc:
                raise _unauthorised(str(exc)) from exc
        try:
            claims = await _validator(request, services).validate(token)
        except InvalidToken as exc:
            raise _unauthorised(str(exc)) from exc
        return await load_principal(services.store, claims)
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc


PrincipalDep = Annotated[Principal, Depends(current_principal)]


@functools.cache
def require(action: Action) -> Callable[..., Awaitable[Grant]]:
    """The dependency a route needing `action` declares. Tenant actions read `tenant_id` from the
    path; org actions take an optional `?org=` for people in several organisations."""

    async def dependency(request: Request, principal: PrincipalDep, services: ServicesDep) -> Grant:
        tenant_id = request.path_params.get("tenant_id") if action in TENANT_ACTIONS else None
        try:
            return await authorize(
                services.store, principal, action, tenant_id=tenant_id, org_id=request.query_params.get("org")
            )
        except Forbidden as exc:
            raise HTTPException(403, str(exc)) from exc

    dependency.action = action  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{action.value}"
    return dependency


def actor(request: Request, principal: Principal | TokenClaims | None) -> Actor:
    source_ip = request.client.host if request.client else None
    if principal is None:
        return Actor(kind="anonymous", source_ip=source_ip)
    return Actor("user", principal.tenant_id, principal.object_id, principal.name, principal.email, source_ip)

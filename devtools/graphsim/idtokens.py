"""The OpenID Connect side of the simulated Entra: the signing key and its JWKS, the ID tokens it
signs, and the authorization codes waiting at the token endpoint.

Everything follows "Microsoft identity platform and OAuth 2.0 authorization code flow"
(learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow) and the "ID token claims
reference" (learn.microsoft.com/entra/identity-platform/id-token-claims-reference).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from devtools.graphsim.catalog import USER_ROLE
from devtools.graphsim.tenant import Json, Tenant
from devtools.signin.keys import SigningKey

# Entra's v2.0 issuer for a tenant, whatever host the authority is reached at: the simulator's
# openid-configuration says the same (a tenant's metadata names "issuer":
# "https://login.microsoftonline.com/{tenant}/v2.0", OpenID Connect on the Microsoft identity
# platform, learn.microsoft.com/entra/identity-platform/v2-protocols-oidc).
ISSUER = "https://login.microsoftonline.com/{tid}/v2.0"
MULTI_TENANT = ("organizations", "common")
# "Authorization codes are short lived. Typically, they expire after about 10 minutes."
# (v2-oauth2-auth-code-flow, Successful response).
CODE_SECONDS = 600
# ID tokens live one hour by default ("Configurable token lifetimes in the Microsoft identity
# platform", learn.microsoft.com/entra/identity-platform/configurable-token-lifetimes).
ID_TOKEN_SECONDS = 3600
# `wids` comes with `groupMembershipClaims` "All" or "DirectoryRole" only: "The groupMembershipClaims
# property of the application manifest configures this claim on a per-application basis. Set the
# claim to All or DirectoryRole." (learn.microsoft.com/entra/identity-platform/
# access-token-claims-reference, `wids`). The same setting puts `wids` in the ID token: ASP.NET Core's
# "Microsoft Entra (ME-ID) groups, Administrator Roles, and App Roles" sets it to DirectoryRole so the
# signed-in user's account (built from the ID token) carries `wids`
# (learn.microsoft.com/aspnet/core/blazor/security/webassembly/microsoft-entra-id-groups-and-roles).
DIRECTORY_ROLE_CLAIMS = frozenset({"DirectoryRole", "All"})
GROUP_MEMBERSHIP_CLAIMS = frozenset({"None", "SecurityGroup", "ApplicationGroup", *DIRECTORY_ROLE_CLAIMS})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SigningKeys:
    """The process's one RSA signing key, made on first use (2048-bit generation is not free)."""

    def __init__(self) -> None:
        self._key: SigningKey | None = None

    @property
    def key(self) -> SigningKey:
        if self._key is None:
            self._key = SigningKey()
        return self._key

    def jwks(self, issuer: str) -> dict[str, Any]:
        """The key set as Entra publishes it: kty, use "sig", kid, n, e and the issuer it signs for
        (Entra also sends x5t and x5c; this key has no certificate)."""
        jwk = self.key.jwk()
        entry = {k: jwk[k] for k in ("kty", "use", "kid", "n", "e")}
        return {"keys": [{**entry, "cloud_instance_name": "microsoftonline.com", "issuer": issuer}]}

    def sign(self, claims: dict[str, Any]) -> str:
        """RS256 with the key id in the header, as Entra signs ID tokens (header claims `typ`, `alg`,
        `kid`, ID token claims reference)."""
        return self.key.sign(claims, headers={"typ": "JWT"})


@dataclass
class AuthorizationCode:
    value: str
    client_id: str
    redirect_uri: str
    authority: str  # the {tenant} of the authorize request: a tenant id, or organizations/common
    tenant_id: str
    user_id: str
    scope: str
    nonce: str | None
    challenge: str | None
    method: str  # "S256" or "plain"
    issued: float
    redeemed: bool = False

    def expired(self, now: float, lifetime: float = CODE_SECONDS) -> bool:
        return now >= self.issued + lifetime

    def verifier_matches(self, verifier: str) -> bool:
        """RFC 7636 section 4.6: S256 compares BASE64URL(SHA256(ASCII(verifier))) with the challenge."""
        if self.challenge is None:
            return True
        computed = b64url(hashlib.sha256(verifier.encode()).digest()) if self.method == "S256" else verifier
        return hmac.compare_digest(computed.encode(), self.challenge.encode())


class CodeBook:
    """Codes by value. A redeemed or expired code is kept a while longer, so that presenting it again
    gets Entra's "already redeemed" or "expired" answer rather than "invalid"."""

    def __init__(self, lifetime: float = CODE_SECONDS) -> None:
        self.lifetime = lifetime
        self._codes: dict[str, AuthorizationCode] = {}

    def issue(self, now: float | None = None, **fields: Any) -> AuthorizationCode:
        now = time.time() if now is None else now
        self._codes = {v: c for v, c in self._codes.items() if now < c.issued + 2 * self.lifetime}
        code = AuthorizationCode(value=secrets.token_urlsafe(64), issued=now, **fields)
        self._codes[code.value] = code
        return code

    def get(self, value: str) -> AuthorizationCode | None:
        return self._codes.get(value)


def wids(tenant: Tenant, user: Json) -> list[str]:
    """The user's tenant-wide role template ids, then the User role every member holds."""
    return [*sorted(tenant.tenant_wide_roles.get(user["id"], ())), USER_ROLE]


def id_token_claims(
    code: AuthorizationCode, tenant: Tenant, user: Json, *, emit_wids: bool, now: int | None = None
) -> dict[str, Any]:
    """A v2.0 ID token's payload for `user`, per the ID token claims reference."""
    now = int(time.time()) if now is None else now
    scopes = set(code.scope.split())
    claims: dict[str, Any] = {
        "aud": code.client_id,
        "iss": ISSUER.format(tid=tenant.id),
        "iat": now,
        "nbf": now,
        "exp": now + ID_TOKEN_SECONDS,
        # `sub` is pairwise: "unique to a particular application ID" for the same user.
        "sub": b64url(hashlib.sha256(f"{code.client_id}:{tenant.id}:{user['id']}".encode()).digest()),
        "tid": tenant.id,
        "uti": b64url(uuid.uuid4().bytes),
        "ver": "2.0",
    }
    if code.nonce is not None:  # "The nonce matches the parameter included in the original authorize request"
        claims["nonce"] = code.nonce
    if "profile" in scopes:  # name, preferred_username and oid: "The profile scope is required"
        claims.update(name=user["displayName"], preferred_username=user["userPrincipalName"], oid=user["id"])
    if emit_wids:
        claims["wids"] = wids(tenant, user)
    return claims

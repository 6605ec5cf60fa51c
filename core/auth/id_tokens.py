"""Proof that whoever granted admin consent administers that tenant: after Entra's admin-consent
redirect, the same browser signs in with OpenID Connect (authorization code, PKCE S256, nonce, state)
at the customer tenant's authority. The sign-in counts only if its ID token is valid for that tenant
and its `wids` claim holds a role that can grant tenant-wide admin consent.

This module validates the ID token; the code flow that yields it (PKCE, the authorize URL, redeeming
the code with the app's credential) is in `core.auth.code_flow`. Protocol: "Microsoft identity
platform and OAuth 2.0 authorization code flow"
(learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow). Claims: "ID token claims
reference" (learn.microsoft.com/entra/identity-platform/id-token-claims-reference). `wids` appears
only when the app registration's `groupMembershipClaims` is "DirectoryRole" or "All" ("Access token
claims reference", `wids`, learn.microsoft.com/entra/identity-platform/access-token-claims-reference).

Imports nothing from devtools, FastAPI or Azure Functions: the API and the workers both use it.
"""

from __future__ import annotations

import hmac
import ssl
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from core.auth.tokens import LEEWAY_SECONDS, InvalidToken, JwksCache
from core.lazy import lazy_module

if TYPE_CHECKING:
    import jwt
else:
    jwt = lazy_module("jwt")  # with the first ID token to check, not with the API (issue 24)

# Directory roles that can grant tenant-wide admin consent to an app asking for application
# permissions (role template ids, "Microsoft Entra built-in roles",
# learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
CONSENT_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
}
_REQUIRED = ("iss", "aud", "exp", "iat", "tid", "oid", "nonce")
_JWKS_LIMIT = 256  # one key set per tenant authority; old ones go first

RefusalKind = Literal[
    "malformed",
    "signing_key",
    "signature",
    "audience",
    "expired",
    "not_yet_valid",
    "missing_claim",
    "issuer",
    "tenant",
    "nonce",
    "wids_absent",
    "not_administrator",
    "code_redemption",
]


class ConsentSignInRefused(Exception):
    """The sign-in does not prove an administrator of the tenant; `kind` says which check failed and
    the message is fit to show the person who signed in."""

    def __init__(self, reason: str, *, kind: RefusalKind) -> None:
        super().__init__(reason)
        self.reason, self.kind = reason, kind


@dataclass(frozen=True)
class ConsentSignIn:
    tenant_id: str
    object_id: str
    name: str | None
    username: str | None
    wids: frozenset[str]

    @property
    def consent_roles(self) -> list[str]:
        """The names of the roles held that can grant tenant-wide admin consent."""
        return sorted(CONSENT_ROLES[w] for w in self.wids if w in CONSENT_ROLES)

    @property
    def can_consent(self) -> bool:
        return bool(self.wids & CONSENT_ROLES.keys())

    def require_consent_capable(self) -> None:
        if not self.can_consent:
            raise ConsentSignInRefused(
                f"{self.username or self.object_id} is not an administrator who can consent for this "
                "organization: that takes Global Administrator, Privileged Role Administrator or Cloud "
                "Application Administrator.",
                kind="not_administrator",
            )


# -- the ID token ------------------------------------------------------------------------------

_jwks_caches: OrderedDict[str, JwksCache] = OrderedDict()


def _jwks(url: str, verify: ssl.SSLContext | bool) -> JwksCache:
    """One key cache per JWKS URL, so keys are fetched about once an hour rather than per sign-in.
    Keyed by URL alone: callers build a fresh SSLContext per call, and one URL has one TLS setting."""
    cache = _jwks_caches.get(url)
    if cache is None:
        cache = _jwks_caches[url] = JwksCache(url, verify=verify)
        while len(_jwks_caches) > _JWKS_LIMIT:
            _jwks_caches.popitem(last=False)
    _jwks_caches.move_to_end(url)
    return cache


async def _signing_key(id_token: str, jwks_url: str, verify: ssl.SSLContext | bool) -> Any:
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise ConsentSignInRefused("the sign-in's ID token is malformed", kind="malformed") from exc
    # Entra signs ID tokens RS256 with a key named by `kid`; anything else is a forgery attempt.
    if header.get("alg") != "RS256" or not header.get("kid"):
        raise ConsentSignInRefused("the ID token is not signed the way Entra signs", kind="signature")
    try:
        return await _jwks(jwks_url, verify).key(str(header["kid"]))
    except InvalidToken as exc:
        raise ConsentSignInRefused(f"the ID token's signing key: {exc}", kind="signing_key") from exc


def _decode(id_token: str, key: Any, client_id: str) -> dict[str, Any]:
    """Signature, audience (the app's client id), expiry and not-before with a small leeway."""
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=["RS256"],
            audience=client_id,
            leeway=LEEWAY_SECONDS,
            options={"require": list(_REQUIRED), "verify_iss": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ConsentSignInRefused("the sign-in has expired; sign in again", kind="expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise ConsentSignInRefused("the ID token is not valid yet", kind="not_yet_valid") from exc
    except jwt.InvalidAudienceError as exc:
        raise ConsentSignInRefused("the ID token was issued to another app", kind="audience") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise ConsentSignInRefused(f"the ID token lacks '{exc.claim}'", kind="missing_claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise ConsentSignInRefused("the ID token's signature is invalid", kind="signature") from exc
    except jwt.PyJWTError as exc:
        raise ConsentSignInRefused(
            f"the ID token is invalid ({type(exc).__name__})", kind="malformed"
        ) from exc
    return claims


def _check_issued_for(claims: dict[str, Any], *, tenant_id: str, issuer: str, nonce: str) -> None:
    # The issuer is compared exactly: it names the tenant the user signed in to (and the cloud).
    if claims["iss"] != issuer:
        raise ConsentSignInRefused(
            f"the sign-in was for another organization or cloud (issuer {claims['iss']})", kind="issuer"
        )
    if str(claims["tid"]).lower() != tenant_id.lower():
        raise ConsentSignInRefused("the sign-in was for another organization", kind="tenant")
    # "If it doesn't match, your application should reject the token" (ID token claims, nonce).
    if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
        raise ConsentSignInRefused("the sign-in does not belong to this consent request", kind="nonce")


def _wids(claims: dict[str, Any]) -> frozenset[str]:
    wids = claims.get("wids")
    if wids is None:
        raise ConsentSignInRefused(
            "the sign-in did not say which directory roles you hold (wids absent): the app registration "
            'must emit directory roles (groupMembershipClaims "DirectoryRole" or "All")',
            kind="wids_absent",
        )
    if not isinstance(wids, list) or not all(isinstance(w, str) for w in wids):
        raise ConsentSignInRefused("the ID token's wids claim is not a list of role ids", kind="malformed")
    return frozenset(w.lower() for w in wids)


async def validate_consent_id_token(
    id_token: str,
    *,
    tenant_id: str,
    client_id: str,
    nonce: str,
    jwks_url: str,
    issuer: str,
    verify: ssl.SSLContext | bool,
) -> ConsentSignIn:
    """The signed-in user, once the ID token is proven to be Entra's, for this app, for `tenant_id`
    (its exact `issuer`), from this request (`nonce`), current, and saying which roles they hold.
    Whether those roles can consent is `ConsentSignIn.can_consent` / `require_consent_capable()`."""
    key = await _signing_key(id_token, jwks_url, verify)
    claims = _decode(id_token, key, client_id)
    _check_issued_for(claims, tenant_id=tenant_id, issuer=issuer, nonce=nonce)
    return ConsentSignIn(
        tenant_id=str(claims["tid"]).lower(),
        object_id=str(claims["oid"]),
        name=claims.get("name"),
        username=claims.get("preferred_username"),
        wids=_wids(claims),
    )

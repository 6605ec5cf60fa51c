"""Validate Microsoft Entra ID v2 access tokens from any tenant.

The same code validates tokens from the local sign-in provider: only the JWKS URL and the issuer
template (settings) differ. Every rejection carries a reason that the API returns with its 401.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.lazy import lazy_module

if TYPE_CHECKING:
    import httpx
    import jwt
    from jwt import algorithms
else:
    # httpx and PyJWT (with cryptography) load at the first token to check, not with the API:
    # public routes such as GET /api/health never need them (issue 24).
    httpx = lazy_module("httpx")
    jwt = lazy_module("jwt")
    algorithms = lazy_module("jwt.algorithms")

from core.auth.memo import Memo, generation

# Tokens validated lately, remembered until they expire (a portal sends the same token on every
# request for an hour): bounded, so a stream of distinct valid tokens only evicts older ones.
VALIDATED_TOKENS_KEPT = 4096

# Entra signs access tokens with RS256 only; accepting anything else (none, HS256 with the public
# key as secret, ...) is how token forgeries work.
ALLOWED_ALGORITHMS = ("RS256",)
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ("tid", "oid", "iss", "aud", "exp")


class InvalidToken(Exception):
    """The token is not acceptable; the message says why (returned with the 401)."""


@dataclass(frozen=True)
class TokenClaims:
    tenant_id: str
    object_id: str
    name: str | None
    email: str | None
    raw: dict[str, Any]


class JwksCache:
    """Signing keys by key id, fetched from the issuer's JWKS URL and kept for `ttl` seconds.

    An unknown key id triggers one refetch (Entra rotates keys), but no more often than
    `min_refetch_interval`, so a stream of tokens with made-up key ids cannot hammer the issuer.
    """

    def __init__(
        self, url: str, *, ttl: float = 3600, min_refetch_interval: float = 30, verify: Any = True
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refetch_interval = min_refetch_interval
        self._verify = verify
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def _fetch(self) -> None:
        async with httpx.AsyncClient(verify=self._verify, timeout=10) as client:
            response = await client.get(self.url)
        response.raise_for_status()
        keys = {}
        for jwk in response.json().get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[jwk["kid"]] = algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
        self._keys, self._fetched_at = keys, time.monotonic()
        self.fetches += 1

    async def key(self, kid: str) -> Any:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if (
                not self._keys
                or age > self.ttl
                or (kid not in self._keys and age > self.min_refetch_interval)
            ):
                try:
                    await self._fetch()
                except (httpx.HTTPError, ValueError) as exc:
                    if not self._keys:
                        raise InvalidToken(f"signing keys unavailable: {type(exc).__name__}") from exc
        if kid not in self._keys:
            raise InvalidToken("token signed with an unknown key")
        return self._keys[kid]


class TokenValidator:
    def __init__(self, jwks: JwksCache, audience: str, issuer_template: str) -> None:
        if "{tid}" not in issuer_template:
            raise ValueError("the issuer template must contain {tid}")
        self._jwks = jwks
        self._audience = audience
        self._issuer_template = issuer_template
        self._validated: Memo[TokenClaims] = Memo(VALIDATED_TOKENS_KEPT, of_principals=False)

    async def validate(self, token: str) -> TokenClaims:
        """The token's claims, if it is valid now; a token validated before is remembered (by its
        digest) until its `exp`, never past it: a signature and claims do not change, and expiry
        is the only way a valid token stops being valid (a signing key withdrawn from the JWKS
        was already honoured until the JWKS cache's next refresh)."""
        digest, seen = hashlib.sha256(token.encode()).digest(), generation()
        remembered = self._validated.get(digest)
        if remembered is not None:
            return remembered
        claims = await self._validate(token)
        self._validated.remember(digest, claims, float(claims.raw["exp"]), seen)
        return claims

    async def _validate(self, token: str) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"signing algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not kid:
            raise InvalidToken("token has no key id")
        key = await self._jwks.key(str(kid))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._audience,
                leeway=LEEWAY_SECONDS,
                options={"require": list(REQUIRED_CLAIMS), "verify_iss": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("token is for another audience") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"token lacks the {exc.claim!r} claim") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("token signature is invalid") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"token rejected: {type(exc).__name__}") from exc
        # Multi-tenant: the issuer is not fixed, but it must be the token's own tenant's issuer.
        expected_issuer = self._issuer_template.replace("{tid}", str(claims["tid"]))
        if claims["iss"] != expected_issuer:
            raise InvalidToken("token issuer does not match its tenant")
        return TokenClaims(
            tenant_id=str(claims["tid"]),
            object_id=str(claims["oid"]),
            name=claims.get("name"),
            email=claims.get("preferred_username") or claims.get("email") or claims.get("upn"),
            raw=claims,
        )

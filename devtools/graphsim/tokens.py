"""Access tokens the simulator issues and later accepts: JWTs shaped like Entra's app-only tokens.

They are signed HS256 with a key made at process start; only this process can issue or read them.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

ACCESS_TOKEN_SECONDS = 3599
_VERIFIED_LIMIT = 20_000


class TokenRejected(Exception):
    """Why Graph or Exchange refuses a bearer token (the message is the service's own wording)."""


@dataclass(frozen=True)
class AccessToken:
    tenant_id: str
    audience: str
    app_id: str
    roles: frozenset[str]
    expires: int
    acr: str = ""  # appidacr: "1" a client secret, "2" a certificate


class TokenIssuer:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._verified: dict[str, AccessToken] = {}

    def issue(
        self, *, tenant_id: str, audience: str, app_id: str, roles: frozenset[str], sp_id: str, acr: str
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "app_displayname": "ScanPosture Scanner",
            "appid": app_id,
            "appidacr": acr,
            "idp": f"https://sts.windows.net/{tenant_id}/",
            "idtyp": "app",
            "oid": sp_id,
            "sub": sp_id,
            "tid": tenant_id,
            "uti": uuid.uuid4().hex[:22],
            "ver": "1.0",
        }
        if roles:  # Entra leaves the claim out altogether when nothing is granted
            claims["roles"] = sorted(roles)
        return jwt.encode(claims, self._key, algorithm="HS256", headers={"typ": "JWT"})

    def issue_delegated(self, *, tenant_id: str, app_id: str, user_id: str, scope: str) -> str:
        """A token for a signed-in user (the authorization code grant's `access_token`), shaped like
        Entra's delegated Graph token: `scp`, no `roles`. The simulator's Graph serves apps only and
        refuses it; the sign-in needs the ID token alone."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": "00000003-0000-0000-c000-000000000000",  # Microsoft Graph's app id
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "appid": app_id,
            "idtyp": "user",
            "oid": user_id,
            "scp": scope,
            "sub": user_id,
            "tid": tenant_id,
            "uti": uuid.uuid4().hex[:22],
            "ver": "1.0",
        }
        return jwt.encode(claims, self._key, algorithm="HS256", headers={"typ": "JWT"})

    def verify(self, token: str) -> AccessToken:
        known = self._verified.get(token)
        if known is None:
            try:
                claims = jwt.decode(
                    token, self._key, algorithms=["HS256"], options={"verify_aud": False, "verify_exp": False}
                )
            except jwt.PyJWTError as exc:
                raise TokenRejected("Access token validation failure.") from exc
            known = AccessToken(
                tenant_id=str(claims.get("tid", "")).lower(),
                audience=str(claims.get("aud", "")),
                app_id=str(claims.get("appid", "")),
                roles=frozenset(claims.get("roles", [])),
                expires=int(claims.get("exp", 0)),
                acr=str(claims.get("appidacr", "")),
            )
            if len(self._verified) >= _VERIFIED_LIMIT:
                self._verified.clear()
            self._verified[token] = known
        if known.expires <= time.time():
            raise TokenRejected("Access token has expired or is not yet valid.")
        return known


def bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise TokenRejected("Access token is empty.")
    token = authorization[7:].strip()
    if not token:
        raise TokenRejected("Access token is empty.")
    return token

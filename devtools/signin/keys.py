"""The provider's signing key and how tokens are minted with it (also used by tests to forge)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass
class SigningKey:
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)

    def jwk(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, **(headers or {})}
        )


def access_token_claims(
    *,
    issuer_template: str,
    audience: str,
    tenant_id: str,
    object_id: str,
    name: str,
    email: str,
    lifetime_seconds: int = 3600,
) -> dict[str, Any]:
    """Claims shaped like an Entra ID v2 access token."""
    now = int(time.time())
    return {
        "aud": audience,
        "iss": issuer_template.replace("{tid}", tenant_id),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "tid": tenant_id,
        "oid": object_id,
        "sub": uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{object_id}").hex,
        "name": name,
        "preferred_username": email,
        "ver": "2.0",
        "scp": "access_as_user",
    }

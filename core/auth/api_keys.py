"""API keys for automation: named, with an MSP role (admin or analyst) and an expiry, stored only
as a hash, shown once, revocable, and accepted by the same authorisation as signed-in people.

A key reads `spk.{orgId}.{keyId}.{secret}`: the org and key id make checking it one point read
in the org's partition; the 256-bit secret is compared by hash in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.auth.principals import Forbidden, Membership, Principal
from core.auth.roles import Role
from core.store.cosmos import CosmosStore

PREFIX = "spk."
KEY_TYPE = "api_key"
MAX_LIFETIME = timedelta(days=366)


class ApiKeyRejected(Exception):
    """The key is not valid (unknown, wrong, expired or revoked); the message says which."""


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    secret_key: str  # the whole key, shown once
    expires_at: datetime


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


async def create_api_key(
    store: CosmosStore,
    org_id: str,
    *,
    name: str,
    role: Role,
    expires_at: datetime,
    created_by: dict[str, Any],
) -> IssuedKey:
    now = datetime.now(UTC)
    if not role.is_msp:
        raise ValueError("role: an API key acts for the MSP: msp_admin or msp_analyst")
    if expires_at <= now or expires_at - now > MAX_LIFETIME:
        raise ValueError("expiresAt: in the future and at most a year ahead")
    key_id, secret = uuid.uuid4().hex, secrets.token_urlsafe(32)
    await store.org(org_id).create(
        {
            "id": f"apikey:{key_id}",
            "type": KEY_TYPE,
            "keyId": key_id,
            "name": name,
            "role": role.value,
            "secretHash": _hash(secret),
            "expiresAt": expires_at.isoformat(),
            "revokedAt": None,
            "createdAt": now.isoformat(),
            "createdBy": created_by,
        }
    )
    return IssuedKey(key_id, f"{PREFIX}{org_id}.{key_id}.{secret}", expires_at)


async def revoke_api_key(store: CosmosStore, org_id: str, key_id: str) -> None:
    stored = await store.org(org_id).get(f"apikey:{key_id}")
    await store.org(org_id).replace({**stored.body, "revokedAt": datetime.now(UTC).isoformat()}, stored.etag)


async def list_api_keys(store: CosmosStore, org_id: str) -> list[dict[str, Any]]:
    keys = await store.org(org_id).query_all("c.type = @t", {"@t": KEY_TYPE})
    return [{k: v for k, v in key.items() if k != "secretHash"} for key in keys]


async def principal_for_api_key(store: CosmosStore, token: str) -> Principal:
    # The org id may contain dots; the key id and the secret never do, so split from the right.
    parts = token[len(PREFIX) :].rsplit(".", 2)
    if len(parts) != 3 or not all(parts):
        raise ApiKeyRejected("malformed API key")
    org_id, key_id, secret = parts
    stored = await store.org(org_id).find(f"apikey:{key_id}")
    if stored is None or stored.body.get("type") != KEY_TYPE:
        raise ApiKeyRejected("unknown API key")
    key = stored.body
    if not hmac.compare_digest(key["secretHash"], _hash(secret)):
        raise ApiKeyRejected("unknown API key")
    if key["revokedAt"]:
        raise ApiKeyRejected("this API key was revoked")
    if datetime.fromisoformat(key["expiresAt"]) <= datetime.now(UTC):
        raise ApiKeyRejected("this API key has expired")
    role = Role(key["role"])
    if not role.is_msp:
        raise Forbidden("this API key has no usable role")
    return Principal(
        tenant_id=f"apikey:{org_id}",
        object_id=key_id,
        name=key["name"],
        email=None,
        memberships=(Membership(org_id, role),),
    )

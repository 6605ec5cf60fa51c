"""API keys for automation: named, with an MSP role (admin or analyst) and an expiry, stored only
as a hash, shown once, revocable, and accepted by the same authorisation as signed-in people.

A key reads `spk.{orgId}.{keyId}.{secret}`: the org and key id make checking it one point read
in the org's partition; the 256-bit secret is compared by hash in constant time. A key never
manages keys or people (`PEOPLE_ONLY_ACTIONS`): what a key could create would outlive its revocation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.auth.memo import PRINCIPAL_TTL_SECONDS, Memo, forget_all, generation
from core.auth.principals import Forbidden, Membership, Principal
from core.auth.roles import Role
from core.ports import Store
from core.store import InvalidId
from core.store.documents import API_KEY, api_key_id

PREFIX = "spk."
MAX_LIFETIME = timedelta(days=366)
# Exactly what create_api_key issues: the key id is uuid4().hex and the secret token_urlsafe(32);
# the org id (which may hold dots) is any printable ASCII. Anything else never reaches the store,
# so a presented key cannot steer the lookup to another document.
_KEY_SHAPE = re.compile(r"spk\.(?P<org>[!-~]{1,256})\.(?P<key>[0-9a-f]{32})\.(?P<secret>[A-Za-z0-9_-]{43})")


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
    store: Store,
    org_id: str,
    *,
    name: str,
    role: Role,
    expires_at: datetime,
    created_by: dict[str, Any],
) -> IssuedKey:
    now = datetime.now(UTC)
    if expires_at.tzinfo is None or expires_at.utcoffset() is None:
        # A naive time is ambiguous (and cannot be compared with now): ask for the zone.
        raise ValueError("expiresAt: give a time zone, e.g. 2027-06-30T00:00:00Z")
    if not role.is_msp:
        raise ValueError("role: an API key acts for the MSP: msp_admin or msp_analyst")
    if expires_at <= now or expires_at - now > MAX_LIFETIME:
        raise ValueError("expiresAt: in the future and at most a year ahead")
    key_id, secret = uuid.uuid4().hex, secrets.token_urlsafe(32)
    await store.org(org_id).create(
        {
            "id": api_key_id(key_id),
            "type": API_KEY,
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


async def revoke_api_key(store: Store, org_id: str, key_id: str) -> None:
    stored = await store.org(org_id).api_key(key_id)
    try:
        await store.org(org_id).replace(
            {**stored.body, "revokedAt": datetime.now(UTC).isoformat()}, stored.etag
        )
    finally:
        forget_all()  # the key is refused by this process's very next request


# Keys checked lately, by the digest of the whole presented key; see core/auth/memo.py for how long.
_accepted: Memo[Principal] = Memo(1024)


async def list_api_keys(store: Store, org_id: str) -> list[dict[str, Any]]:
    keys = await store.org(org_id).api_keys()
    return [{k: v for k, v in key.items() if k != "secretHash"} for key in keys]


async def principal_for_api_key(store: Store, token: str) -> Principal:
    """The key's principal, remembered (never a refusal) until the key expires and for
    PRINCIPAL_TTL_SECONDS at most; forgotten at once when this process revokes any key."""
    key, seen = (id(store), hashlib.sha256(token.encode()).digest()), generation()
    remembered = _accepted.get(key)
    if remembered is not None:
        return remembered
    principal, expires_at = await _check_api_key(store, token)
    _accepted.remember(key, principal, min(expires_at.timestamp(), time.time() + PRINCIPAL_TTL_SECONDS), seen)
    return principal


async def _check_api_key(store: Store, token: str) -> tuple[Principal, datetime]:
    shape = _KEY_SHAPE.fullmatch(token)
    if shape is None:
        raise ApiKeyRejected("malformed API key")
    org_id, key_id, secret = shape.group("org", "key", "secret")
    try:
        stored = await store.org(org_id).find_api_key(key_id)
    except InvalidId as exc:  # unreachable with the shape above; the store refuses it regardless
        raise ApiKeyRejected("malformed API key") from exc
    if stored is None or stored.body.get("type") != API_KEY:
        raise ApiKeyRejected("unknown API key")
    key = stored.body
    if not hmac.compare_digest(key["secretHash"], _hash(secret)):
        raise ApiKeyRejected("unknown API key")
    if key["revokedAt"]:
        raise ApiKeyRejected("this API key was revoked")
    expires_at = datetime.fromisoformat(key["expiresAt"])
    if expires_at <= datetime.now(UTC):
        raise ApiKeyRejected("this API key has expired")
    role = Role(key["role"])
    if not role.is_msp:
        raise Forbidden("this API key has no usable role")
    principal = Principal(
        tenant_id=f"apikey:{org_id}",
        object_id=key_id,
        name=key["name"],
        email=None,
        memberships=(Membership(org_id, role),),
        api_key_id=key_id,
    )
    return principal, expires_at

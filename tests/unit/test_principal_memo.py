"""core/auth/memo.py: remembered principals never outlive a revocation made in this process, nor a
validated token its expiry."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core.auth import memo as memo_module
from core.auth.memo import Memo, forget_all, generation
from core.auth.principals import Forbidden, Membership, grant_membership, load_principal, revoke_membership
from core.auth.roles import Role
from core.auth.tokens import JwksCache, TokenClaims, TokenValidator
from tests.unit.fakes import FakeStore


def _claims(tid: str = "home-t", oid: str = "oid-1") -> TokenClaims:
    return TokenClaims(tid, oid, "Pat", "pat@example.test", {})


async def _grant(store: FakeStore, claims: TokenClaims, member: Membership) -> None:
    await grant_membership(
        store,
        home_tenant_id=claims.tenant_id,
        object_id=claims.object_id,
        membership=member,
        name=None,
        email=None,
    )


async def test_a_revoked_membership_is_refused_at_once_though_the_principal_was_remembered() -> None:
    store = FakeStore()
    claims = _claims()
    member = Membership("msp-memo", Role.CUSTOMER_VIEWER, "tenant-x")
    await _grant(store, claims, member)
    assert (await load_principal(store, claims)).memberships == (member,)
    assert (await load_principal(store, claims)).memberships == (member,)  # remembered now
    await revoke_membership(
        store,
        home_tenant_id=claims.tenant_id,
        object_id=claims.object_id,
        org_id="msp-memo",
        tenant_id="tenant-x",
    )
    with pytest.raises(Forbidden):
        await load_principal(store, claims)


async def test_a_new_membership_is_seen_at_once_since_a_refusal_is_never_remembered() -> None:
    store = FakeStore()
    claims = _claims(oid="oid-2")
    with pytest.raises(Forbidden):
        await load_principal(store, claims)
    member = Membership("msp-memo", Role.MSP_ANALYST)
    await _grant(store, claims, member)
    assert (await load_principal(store, claims)).memberships == (member,)


def test_a_read_that_raced_a_revocation_is_not_remembered() -> None:
    memo: Memo[str] = Memo(4)
    seen = generation()  # a request reads the principal document here...
    forget_all()  # ...a revocation lands before it remembers what it read
    memo.remember("who", "stale memberships", time.time() + 60, seen)
    assert memo.get("who") is None
    memo.remember("who", "fresh", time.time() + 60, generation())
    assert memo.get("who") == "fresh"


def test_nothing_is_served_past_its_deadline_and_the_memo_is_bounded() -> None:
    memo: Memo[int] = Memo(2, of_principals=False)
    memo.remember("expired", 1, time.time() - 1, generation())
    assert memo.get("expired") is None
    for key in ("a", "b", "c"):
        memo.remember(key, 1, time.time() + 60, generation())
    assert memo.get("a") is None and memo.get("c") == 1


class _OneKey(JwksCache):
    def __init__(self, public_key: object) -> None:
        super().__init__("https://keys.invalid")
        self._public = public_key

    async def key(self, kid: str) -> object:
        return self._public


async def test_a_validated_token_is_remembered_until_its_exp_and_not_past_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    validator = TokenValidator(_OneKey(private.public_key()), "api://memo", "https://issuer/{tid}/v2.0")
    exp = int(time.time()) + 120
    claims = {"tid": "t1", "oid": "o1", "iss": "https://issuer/t1/v2.0", "aud": "api://memo", "exp": exp}
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})
    checked = []
    real = validator._validate

    async def counting(presented: str) -> TokenClaims:
        checked.append(presented)
        return await real(presented)

    monkeypatch.setattr(validator, "_validate", counting)
    assert (await validator.validate(token)).object_id == "o1"
    assert (await validator.validate(token)).object_id == "o1"
    assert len(checked) == 1  # the signature was verified once
    monkeypatch.setattr(memo_module.time, "time", lambda: exp + 1.0)
    await validator.validate(token)  # past exp: verified again (PyJWT's leeway then decides)
    assert len(checked) == 2

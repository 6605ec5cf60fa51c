"""core/auth/memo.py: remembered principals never outlive a revocation made in this process, nor a
validated token its expiry."""

from __future__ import annotations

import time

import pytest

from core.auth.memo import Memo, forget_all, generation
from core.auth.principals import Forbidden, Membership, grant_membership, load_principal, revoke_membership
from core.auth.roles import Role
from core.auth.tokens import TokenClaims
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

"""Token validation against the local sign-in provider's JWKS over HTTP, and forged tokens."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.auth.tokens import InvalidToken, JwksCache, TokenValidator
from devtools.signin.keys import SigningKey, access_token_claims
from devtools.signin.launcher import SignInProvider, start_signin

AUDIENCE = "api-" + uuid.uuid4().hex
TID, OID = str(uuid.uuid4()), str(uuid.uuid4())
USERS = [
    {
        "id": "alice",
        "tid": TID,
        "oid": OID,
        "name": "Alice",
        "email": "alice@msp.example",
        "role": "msp_admin",
        "label": "MSP admin",
    }
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInProvider]:
    running = start_signin(tmp_path_factory.mktemp("signin"), USERS, AUDIENCE)
    yield running
    running.stop()


@pytest.fixture
def validator(provider: SignInProvider) -> TokenValidator:
    return TokenValidator(JwksCache(provider.jwks_url), AUDIENCE, provider.issuer_template)


def _claims(provider: SignInProvider, **overrides: object) -> dict[str, object]:
    claims = access_token_claims(
        issuer_template=provider.issuer_template,
        audience=AUDIENCE,
        tenant_id=TID,
        object_id=OID,
        name="Alice",
        email="alice@msp.example",
    )
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


async def test_a_provider_token_is_accepted(provider: SignInProvider, validator: TokenValidator) -> None:
    claims = await validator.validate(provider.token_for("alice"))
    assert (claims.tenant_id, claims.object_id, claims.email) == (TID, OID, "alice@msp.example")


async def _rejected(validator: TokenValidator, token: str, reason: str) -> None:
    with pytest.raises(InvalidToken, match=reason):
        await validator.validate(token)


async def test_alg_none_is_rejected(provider: SignInProvider, validator: TokenValidator) -> None:
    token = jwt.encode(_claims(provider), key=None, algorithm="none", headers={"kid": "x"})
    await _rejected(validator, token, "algorithm 'none'")


async def test_hs256_with_the_public_key_as_secret_is_rejected(
    provider: SignInProvider, validator: TokenValidator
) -> None:
    token = jwt.encode(
        _claims(provider),
        key="public-key-used-as-an-hmac-secret-32b",
        algorithm="HS256",
        headers={"kid": "x"},
    )
    await _rejected(validator, token, "algorithm 'HS256'")


async def test_a_token_signed_by_another_key_is_rejected(
    provider: SignInProvider, validator: TokenValidator
) -> None:
    await validator.validate(provider.token_for("alice"))  # warm the cache
    known_kid = next(iter(validator._jwks._keys))
    forged = SigningKey(kid=known_kid).sign(_claims(provider))
    await _rejected(validator, forged, "signature is invalid")


async def test_unknown_key_id_refetches_once_then_rejects(provider: SignInProvider) -> None:
    jwks = JwksCache(provider.jwks_url, min_refetch_interval=0)
    validator = TokenValidator(jwks, AUDIENCE, provider.issuer_template)
    await validator.validate(provider.token_for("alice"))
    assert jwks.fetches == 1
    await _rejected(validator, SigningKey().sign(_claims(provider)), "unknown key")
    assert jwks.fetches == 2
    await validator.validate(provider.token_for("alice"))  # the known key is still cached
    assert jwks.fetches == 2


async def test_wrong_audience_is_rejected(provider: SignInProvider) -> None:
    other = TokenValidator(JwksCache(provider.jwks_url), "another-api", provider.issuer_template)
    await _rejected(other, provider.token_for("alice"), "another audience")


async def test_issuer_of_another_tenant_is_rejected() -> None:
    # Validly signed, but the issuer names another tenant than the token's own tid claim.
    key = SigningKey()
    validator = TokenValidator(_StaticJwks(key), AUDIENCE, "https://issuer.test/{tid}/v2.0")
    other_tenant = str(uuid.uuid4())
    token = key.sign({**_static_claims(), "iss": f"https://issuer.test/{other_tenant}/v2.0"})
    await _rejected(validator, token, "issuer does not match")


async def test_expired_token_is_rejected() -> None:
    key = SigningKey()
    validator = TokenValidator(_StaticJwks(key), AUDIENCE, "https://issuer.test/{tid}/v2.0")
    now = int(time.time())
    expired = key.sign({**_static_claims(), "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})
    await _rejected(validator, expired, "expired")
    within_leeway = key.sign({**_static_claims(), "exp": now - 30})
    assert (await validator.validate(within_leeway)).tenant_id == TID


@pytest.mark.parametrize("claim", ["tid", "oid", "exp", "aud"])
async def test_missing_required_claims_are_rejected(claim: str) -> None:
    key = SigningKey()
    validator = TokenValidator(_StaticJwks(key), AUDIENCE, "https://issuer.test/{tid}/v2.0")
    claims = _static_claims()
    del claims[claim]
    await _rejected(validator, key.sign(claims), "lacks the|another audience")


async def test_garbage_is_rejected() -> None:
    validator = TokenValidator(_StaticJwks(SigningKey()), AUDIENCE, "https://issuer.test/{tid}/v2.0")
    await _rejected(validator, "not-a-token", "malformed")


def _static_claims() -> dict[str, object]:
    return access_token_claims(
        issuer_template="https://issuer.test/{tid}/v2.0",
        audience=AUDIENCE,
        tenant_id=TID,
        object_id=OID,
        name="A",
        email="a@x.example",
    )


class _StaticJwks(JwksCache):
    """Keys known up front, for rules that do not depend on fetching (expiry, claims)."""

    def __init__(self, key: SigningKey) -> None:
        super().__init__("unused")
        from jwt.algorithms import RSAAlgorithm

        self._keys = {key.kid: RSAAlgorithm.from_jwk(key.jwk())}
        self._fetched_at = time.monotonic()


# -- generated tokens ----------------------------------------------------------------------------
# Hypothesis drives the real validator (JWKS over HTTP) with garbage, damaged tokens and tokens
# forged with a key of the right id. Each must be refused with InvalidToken, or, for a damaged
# token, decode to exactly the original claims (base64 leaves a few bits of the last character
# unused, so some one-character changes are no change at all).

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def sync_validate(provider: SignInProvider) -> Iterator[Callable[[str], Any]]:
    loop = asyncio.new_event_loop()
    # min_refetch_interval keeps made-up key ids from refetching the JWKS on every example.
    validator = TokenValidator(JwksCache(provider.jwks_url), AUDIENCE, provider.issuer_template)
    yield lambda token: loop.run_until_complete(validator.validate(token))
    loop.close()


def _refused_or_unchanged(
    validate: Callable[[str], Any], token: str, original: dict[str, Any] | None
) -> None:
    try:
        claims = validate(token)
    except InvalidToken:
        return
    assert original is not None and claims.raw == original, f"a damaged or forged token was accepted: {token}"


@FUZZ
@given(
    st.text(max_size=300)
    | st.from_regex(r"\A[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,40}\Z")
)
def test_garbage_is_refused(sync_validate: Callable[[str], Any], token: str) -> None:
    _refused_or_unchanged(sync_validate, token, None)


@FUZZ
@given(st.data())
def test_a_damaged_token_is_refused(
    sync_validate: Callable[[str], Any], provider: SignInProvider, data: st.DataObject
) -> None:
    token = _valid_token(provider)
    original = jwt.decode(token, options={"verify_signature": False})
    where = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    )
    _refused_or_unchanged(sync_validate, token[:where] + replacement + token[where + 1 :], original)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["aud", "iss", "tid", "oid", "exp", "nbf", "iat", "name", "preferred_username"]),
        st.none()
        | st.integers(min_value=-(2**40), max_value=2**40)
        | st.text(max_size=40)
        | st.lists(st.text()),
    )
)
def test_validly_signed_tokens_pass_only_when_every_rule_holds(overrides: dict[str, Any]) -> None:
    key = SigningKey()
    validator = TokenValidator(_StaticJwks(key), AUDIENCE, "https://issuer.test/{tid}/v2.0")
    claims = {**_static_claims(), **overrides}
    # PyJWS signs any payload; PyJWT's own encode would refuse some of these claim types.
    token = jwt.api_jws.PyJWS().encode(
        json.dumps(claims).encode(), key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )
    loop = asyncio.new_event_loop()
    try:
        accepted = loop.run_until_complete(validator.validate(token))
    except InvalidToken:
        return
    finally:
        loop.close()
    now = time.time()
    raw = accepted.raw
    assert raw["aud"] == AUDIENCE or (isinstance(raw["aud"], list) and AUDIENCE in raw["aud"])
    assert raw["iss"] == f"https://issuer.test/{raw['tid']}/v2.0"
    assert isinstance(raw["exp"], int) and raw["exp"] > now - 120
    assert raw.get("tid") is not None and raw.get("oid") is not None


_TOKENS: dict[str, str] = {}


def _valid_token(provider: SignInProvider) -> str:
    # One real token per module: the property is about what is done to it, not about minting.
    if "alice" not in _TOKENS:
        _TOKENS["alice"] = provider.token_for("alice")
    return _TOKENS["alice"]

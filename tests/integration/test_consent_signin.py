"""The consent proof's OpenID Connect sign-in over real HTTPS against the Graph simulator: its
authorize, token, metadata and keys endpoints, and `core.auth.code_flow` and `core.auth.id_tokens`
using what they issue.

The browser is an httpx client that does not follow redirects; `sim_user` stands in for the person
picking an account on the sign-in page."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from core.auth.code_flow import (
    ClientCertificate,
    ClientCredential,
    ClientSecret,
    CodeRedemptionFailed,
    OpenIdMetadata,
    authorize_url,
    client_credential,
    fetch_openid_metadata,
    new_pkce_pair,
    redeem_code,
)
from core.auth.id_tokens import ConsentSignIn, ConsentSignInRefused, validate_consent_id_token
from core.settings import Settings
from devtools.graphsim.admin import read_demo_fixtures
from devtools.graphsim.catalog import GLOBAL_ADMIN, USER_ROLE
from devtools.graphsim.idtokens import CodeBook
from devtools.graphsim.launcher import GraphSimulator
from devtools.signin.keys import SigningKey

CONTOSO = "babd5d49-1067-4712-813b-d4f179d61913"
NORTHWIND = "10e36c9e-9dda-40fb-ab2f-b1889571e188"
FABRIKAM = "fb716fe6-4338-4787-a12c-a6bde4eb4568"
REDIRECT = "http://127.0.0.1:7071/api/consent/signin"


def _people(tenant_id: str) -> dict[str, str]:
    """A Global Administrator, a member with no role and a disabled account, by UPN."""
    fixture = next(f for f in read_demo_fixtures() if f["id"] == tenant_id)
    assignments = fixture["roleAssignments"]
    admins = {a["principalId"] for a in assignments}
    active_ga = {
        a["principalId"]
        for a in assignments
        if a["roleDefinitionId"] == GLOBAL_ADMIN and a.get("kind", "active") == "active"
    }
    users = fixture["users"]
    return {
        "admin": next(u["userPrincipalName"] for u in users if u["id"] in active_ga),
        "member": next(
            u["userPrincipalName"]
            for u in users
            if u["id"] not in admins and u["accountEnabled"] and u["userType"] == "Member"
        ),
        "disabled": next(u["userPrincipalName"] for u in users if not u["accountEnabled"]),
    }


@pytest.fixture(scope="module")
def verify(graphsim: GraphSimulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(graphsim.ca_cert))


@pytest.fixture(scope="module")
def browser(verify: ssl.SSLContext) -> Iterator[httpx.Client]:
    with httpx.Client(verify=verify, timeout=30) as client:
        yield client


@pytest.fixture(autouse=True)
def app_defaults(graphsim: GraphSimulator) -> Iterator[None]:
    yield
    graphsim.set_app()  # groupMembershipClaims "DirectoryRole", ten-minute codes


@dataclass
class SignIn:
    """One sign-in attempt's secrets, as the product keeps them between redirect and callback."""

    tenant: str
    state: str
    nonce: str
    verifier: str
    challenge: str

    @classmethod
    def new(cls, tenant: str) -> SignIn:
        pkce = new_pkce_pair()
        return cls(
            tenant, f"state-{time.time_ns()}", f"nonce-{time.time_ns()}", pkce.verifier, pkce.challenge
        )

    def url(self, sim: GraphSimulator, **extra: str) -> str:
        url = authorize_url(
            authority=sim.authority,
            tenant=self.tenant,
            client_id=sim.client_id,
            redirect_uri=REDIRECT,
            state=self.state,
            nonce=self.nonce,
            code_challenge=self.challenge,
        )
        return url + "".join(f"&{k}={v}" for k, v in extra.items())


def _redirect(browser: httpx.Client, url: str) -> dict[str, str]:
    answer = browser.get(url)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def _code(browser: httpx.Client, sim: GraphSimulator, attempt: SignIn, user: str) -> str:
    answer = _redirect(browser, attempt.url(sim, sim_user=user))
    assert answer["state"] == attempt.state and set(answer) == {"code", "state"}
    return answer["code"]


async def _metadata(sim: GraphSimulator, tenant: str, verify: ssl.SSLContext) -> OpenIdMetadata:
    return await fetch_openid_metadata(sim.authority, tenant, verify=verify)


async def _redeem(
    sim: GraphSimulator,
    attempt: SignIn,
    code: str,
    verify: ssl.SSLContext,
    *,
    at: str | None = None,
    credential: ClientCredential | None = None,
    verifier: str | None = None,
) -> str:
    return await redeem_code(
        token_url=f"{sim.authority}/{at or attempt.tenant}/oauth2/v2.0/token",
        client_id=sim.client_id,
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=attempt.verifier if verifier is None else verifier,
        credential=credential or ClientSecret(sim.client_secret),
        verify=verify,
    )


async def _validate(
    sim: GraphSimulator, id_token: str, tenant: str, nonce: str, verify: ssl.SSLContext
) -> ConsentSignIn:
    metadata = await _metadata(sim, tenant, verify)
    return await validate_consent_id_token(
        id_token,
        tenant_id=tenant,
        client_id=sim.client_id,
        nonce=nonce,
        jwks_url=metadata.jwks_uri,
        issuer=metadata.issuer,
        verify=verify,
    )


async def _sign_in(
    sim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext, tenant: str, user: str
) -> tuple[SignIn, str]:
    """The whole flow up to the ID token: authorize, pick `user`, redeem the code."""
    attempt = SignIn.new(tenant)
    code = _code(browser, sim, attempt, user)
    return attempt, await _redeem(sim, attempt, code, verify)


def _refused(exc: pytest.ExceptionInfo[CodeRedemptionFailed], error: str, code: str) -> None:
    assert (exc.value.error, exc.value.error_code) == (error, code), exc.value.reason


# -- sign-ins that prove, or do not prove, an administrator --------------------------------------


async def test_global_administrator_signs_in_and_can_consent(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    upn = _people(CONTOSO)["admin"]
    attempt, id_token = await _sign_in(graphsim, browser, verify, CONTOSO, upn)
    signed_in = await _validate(graphsim, id_token, CONTOSO, attempt.nonce, verify)
    assert signed_in.tenant_id == CONTOSO and signed_in.username == upn and signed_in.name
    assert GLOBAL_ADMIN in signed_in.wids and USER_ROLE in signed_in.wids
    assert signed_in.can_consent and signed_in.consent_roles == ["Global Administrator"]
    signed_in.require_consent_capable()
    claims = jwt.decode(id_token, options={"verify_signature": False})
    assert claims["ver"] == "2.0" and claims["aud"] == graphsim.client_id
    assert claims["iss"] == f"https://login.microsoftonline.com/{CONTOSO}/v2.0"
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert claims["wids"][-1] == USER_ROLE  # admin roles first, then the User role, as Entra lists them


async def test_member_without_a_role_signs_in_but_cannot_consent(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    attempt, id_token = await _sign_in(graphsim, browser, verify, NORTHWIND, _people(NORTHWIND)["member"])
    signed_in = await _validate(graphsim, id_token, NORTHWIND, attempt.nonce, verify)
    assert signed_in.wids == {USER_ROLE} and not signed_in.can_consent
    with pytest.raises(ConsentSignInRefused, match="not an administrator who can consent") as refused:
        signed_in.require_consent_capable()
    assert refused.value.kind == "not_administrator"


async def test_an_eligible_global_administrator_holds_the_role_only_once_activated(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    # Fabrikam's quinn.kowalski.adm is Global Administrator through PIM eligibility only.
    attempt, id_token = await _sign_in(
        graphsim, browser, verify, FABRIKAM, "quinn.kowalski.adm@fabrikamlegal.onmicrosoft.com"
    )
    signed_in = await _validate(graphsim, id_token, FABRIKAM, attempt.nonce, verify)
    assert signed_in.wids == {USER_ROLE} and not signed_in.can_consent


async def test_without_directory_role_claims_the_sign_in_is_refused_for_that_reason(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    for setting in (None, "SecurityGroup"):  # wids needs "DirectoryRole" or "All"
        graphsim.set_app(group_membership_claims=setting)
        attempt, id_token = await _sign_in(graphsim, browser, verify, CONTOSO, _people(CONTOSO)["admin"])
        assert "wids" not in jwt.decode(id_token, options={"verify_signature": False})
        with pytest.raises(ConsentSignInRefused, match=r"wids absent\): the app registration must") as exc:
            await _validate(graphsim, id_token, CONTOSO, attempt.nonce, verify)
        assert exc.value.kind == "wids_absent"
    graphsim.set_app(group_membership_claims="All")
    attempt, id_token = await _sign_in(graphsim, browser, verify, CONTOSO, _people(CONTOSO)["admin"])
    assert (await _validate(graphsim, id_token, CONTOSO, attempt.nonce, verify)).can_consent


async def test_the_app_certificate_redeems_codes_too(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    env = {k.lower(): v for k, v in graphsim.env().items()}
    # The simulator's settings name the certificate (as Azure's do); without it, the secret is used.
    with_certificate = Settings(**env)  # type: ignore[arg-type]
    from_settings = client_credential(with_certificate)
    assert isinstance(from_settings, ClientCertificate)
    secret_only = with_certificate.model_copy(update={"app_certificate_path": None})
    assert isinstance(client_credential(secret_only), ClientSecret)
    attempt = SignIn.new(CONTOSO)
    code = _code(browser, graphsim, attempt, _people(CONTOSO)["admin"])
    id_token = await _redeem(graphsim, attempt, code, verify, credential=from_settings)
    assert (await _validate(graphsim, id_token, CONTOSO, attempt.nonce, verify)).can_consent
    attempt = SignIn.new(CONTOSO)
    code = _code(browser, graphsim, attempt, _people(CONTOSO)["admin"])
    with pytest.raises(CodeRedemptionFailed) as exc:
        await _redeem(graphsim, attempt, code, verify, credential=ClientSecret("not-the-secret"))
    _refused(exc, "invalid_client", "AADSTS7000215")


# -- the code: single use, short lived, bound to its tenant, redirect and verifier -----------------


async def test_a_code_is_redeemed_once(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    attempt = SignIn.new(CONTOSO)
    code = _code(browser, graphsim, attempt, _people(CONTOSO)["admin"])
    await _redeem(graphsim, attempt, code, verify)
    with pytest.raises(CodeRedemptionFailed, match="already redeemed") as exc:
        await _redeem(graphsim, attempt, code, verify)
    _refused(exc, "invalid_grant", "AADSTS54005")


async def test_the_verifier_must_match_the_challenge(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext, http: httpx.AsyncClient
) -> None:
    attempt = SignIn.new(CONTOSO)
    code = _code(browser, graphsim, attempt, _people(CONTOSO)["admin"])
    with pytest.raises(CodeRedemptionFailed, match="Code_Verifier does not match") as exc:
        await _redeem(graphsim, attempt, code, verify, verifier=new_pkce_pair().verifier)
    _refused(exc, "invalid_grant", "AADSTS501481")
    without = await http.post(
        f"{graphsim.authority}/{CONTOSO}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": graphsim.client_id,
            "client_secret": graphsim.client_secret,
            "code": code,
            "redirect_uri": REDIRECT,
        },
    )
    assert without.status_code == 400 and without.json()["error_codes"] == [501481]
    await _redeem(graphsim, attempt, code, verify)  # a refused verifier does not use the code up


async def test_a_code_is_redeemed_at_the_tenant_it_was_issued_for(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    attempt = SignIn.new(CONTOSO)
    code = _code(browser, graphsim, attempt, _people(CONTOSO)["admin"])
    with pytest.raises(CodeRedemptionFailed, match="intended to use against other tenant") as exc:
        await _redeem(graphsim, attempt, code, verify, at=NORTHWIND)
    _refused(exc, "invalid_grant", "AADSTS700005")
    await _redeem(graphsim, attempt, code, verify, at="contosodental.onmicrosoft.com")  # its domain is fine
    # A code from /organizations is redeemed at /organizations, and its token names the user's tenant.
    attempt = SignIn.new("organizations")
    code = _code(browser, graphsim, attempt, _people(NORTHWIND)["admin"])
    with pytest.raises(CodeRedemptionFailed) as exc:
        await _redeem(graphsim, attempt, code, verify, at=NORTHWIND)
    _refused(exc, "invalid_grant", "AADSTS700005")
    id_token = await _redeem(graphsim, attempt, code, verify)
    assert (await _validate(graphsim, id_token, NORTHWIND, attempt.nonce, verify)).can_consent


async def test_codes_expire_and_keep_their_redirect_uri(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext, http: httpx.AsyncClient
) -> None:
    graphsim.set_app(code_lifetime_seconds=0)
    attempt = SignIn.new(CONTOSO)
    code = _code(browser, graphsim, attempt, _people(CONTOSO)["admin"])
    with pytest.raises(CodeRedemptionFailed, match="expired") as exc:
        await _redeem(graphsim, attempt, code, verify)
    _refused(exc, "invalid_grant", "AADSTS70008")
    graphsim.set_app()
    code = _code(browser, graphsim, attempt, _people(CONTOSO)["admin"])
    form = {
        "grant_type": "authorization_code",
        "client_id": graphsim.client_id,
        "client_secret": graphsim.client_secret,
        "code": code,
        "code_verifier": attempt.verifier,
        "redirect_uri": REDIRECT + "/elsewhere",
    }
    moved = await http.post(f"{graphsim.authority}/{CONTOSO}/oauth2/v2.0/token", data=form)
    assert moved.status_code == 400 and moved.json()["error_codes"] == [500112]
    unknown = await http.post(
        f"{graphsim.authority}/{CONTOSO}/oauth2/v2.0/token", data={**form, "code": "nope"}
    )
    assert unknown.json()["error"] == "invalid_grant" and unknown.json()["error_codes"] == [9002313]


async def test_no_openid_scope_no_id_token(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    attempt = SignIn.new(CONTOSO)
    url = attempt.url(graphsim, sim_user=_people(CONTOSO)["admin"]).replace(
        "scope=openid+profile", "scope=profile"
    )
    code = _redirect(browser, url)["code"]
    with pytest.raises(CodeRedemptionFailed, match="no ID token"):
        await _redeem(graphsim, attempt, code, verify)


# -- the ID token: nonce, issuer and tenant, expiry, audience, signature ---------------------------


async def test_a_token_for_another_request_tenant_or_app_is_refused(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    attempt, id_token = await _sign_in(graphsim, browser, verify, NORTHWIND, _people(NORTHWIND)["admin"])
    with pytest.raises(ConsentSignInRefused) as wrong_nonce:
        await _validate(graphsim, id_token, NORTHWIND, "another-request", verify)
    assert wrong_nonce.value.kind == "nonce"
    with pytest.raises(ConsentSignInRefused, match="another organization") as wrong_tenant:
        await _validate(graphsim, id_token, CONTOSO, attempt.nonce, verify)
    assert wrong_tenant.value.kind == "issuer"
    claims = jwt.decode(id_token, options={"verify_signature": False})
    contoso_issuer = {**claims, "iss": f"https://login.microsoftonline.com/{CONTOSO}/v2.0"}
    with pytest.raises(ConsentSignInRefused) as tid_mismatch:
        await _validate(graphsim, graphsim.sign_id_token(contoso_issuer), CONTOSO, attempt.nonce, verify)
    assert tid_mismatch.value.kind == "tenant"
    other = graphsim.sign_id_token({**claims, "aud": "00000000-0000-0000-0000-000000000001"})
    with pytest.raises(ConsentSignInRefused) as other_app:
        await _validate(graphsim, other, NORTHWIND, attempt.nonce, verify)
    assert other_app.value.kind == "audience"


async def test_expiry_is_checked_with_a_small_leeway(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    attempt, id_token = await _sign_in(graphsim, browser, verify, CONTOSO, _people(CONTOSO)["admin"])
    claims = jwt.decode(id_token, options={"verify_signature": False})
    now = int(time.time())
    stale = graphsim.sign_id_token({**claims, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})
    with pytest.raises(ConsentSignInRefused, match="expired") as expired:
        await _validate(graphsim, stale, CONTOSO, attempt.nonce, verify)
    assert expired.value.kind == "expired"
    just = graphsim.sign_id_token({**claims, "iat": now - 3630, "nbf": now - 3630, "exp": now - 30})
    assert (await _validate(graphsim, just, CONTOSO, attempt.nonce, verify)).can_consent
    early = graphsim.sign_id_token({**claims, "nbf": now + 600, "exp": now + 4200})
    with pytest.raises(ConsentSignInRefused) as not_yet:
        await _validate(graphsim, early, CONTOSO, attempt.nonce, verify)
    assert not_yet.value.kind == "not_yet_valid"


async def test_only_the_tenants_key_signs(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext
) -> None:
    attempt, id_token = await _sign_in(graphsim, browser, verify, CONTOSO, _people(CONTOSO)["admin"])
    claims = jwt.decode(id_token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(id_token)["kid"]
    forged = SigningKey(kid=kid).sign(claims)  # same key id, another key
    with pytest.raises(ConsentSignInRefused) as bad_signature:
        await _validate(graphsim, forged, CONTOSO, attempt.nonce, verify)
    assert bad_signature.value.kind == "signature"
    unknown = SigningKey().sign(claims)
    with pytest.raises(ConsentSignInRefused) as unknown_key:
        await _validate(graphsim, unknown, CONTOSO, attempt.nonce, verify)
    assert unknown_key.value.kind == "signing_key"
    hs256 = jwt.encode(
        claims, "a-shared-secret-of-thirty-two-bytes!", algorithm="HS256", headers={"kid": kid}
    )
    with pytest.raises(ConsentSignInRefused) as symmetric:
        await _validate(graphsim, hs256, CONTOSO, attempt.nonce, verify)
    assert symmetric.value.kind == "signature"


# -- the endpoints themselves --------------------------------------------------------------------


@pytest.fixture(scope="module")
async def http(verify: ssl.SSLContext) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(verify=verify, timeout=30) as client:
        yield client


async def test_metadata_names_the_endpoints_keys_and_issuer_consistently(
    graphsim: GraphSimulator, browser: httpx.Client, verify: ssl.SSLContext, http: httpx.AsyncClient
) -> None:
    by_domain = await _metadata(graphsim, "contoso-dental.example", verify)
    assert by_domain == OpenIdMetadata(
        issuer=f"https://login.microsoftonline.com/{CONTOSO}/v2.0",
        authorization_endpoint=f"{graphsim.authority}/{CONTOSO}/oauth2/v2.0/authorize",
        token_endpoint=f"{graphsim.authority}/{CONTOSO}/oauth2/v2.0/token",
        jwks_uri=f"{graphsim.authority}/{CONTOSO}/discovery/v2.0/keys",
    )
    keys = (await http.get(by_domain.jwks_uri)).json()["keys"]
    assert [(k["kty"], k["use"], k["issuer"]) for k in keys] == [("RSA", "sig", by_domain.issuer)]
    _, id_token = await _sign_in(graphsim, browser, verify, CONTOSO, _people(CONTOSO)["admin"])
    assert jwt.get_unverified_header(id_token) == {"alg": "RS256", "kid": keys[0]["kid"], "typ": "JWT"}
    metadata_url = f"{graphsim.authority}/organizations/v2.0/.well-known/openid-configuration"
    common = (await http.get(metadata_url)).json()
    assert common["issuer"] == "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert common["jwks_uri"] == f"{graphsim.authority}/organizations/discovery/v2.0/keys"
    unknown = await http.get(f"{graphsim.authority}/nowhere.example/discovery/v2.0/keys")
    assert unknown.status_code == 400


def test_the_sign_in_page_offers_administrators_and_members(
    graphsim: GraphSimulator, browser: httpx.Client
) -> None:
    for tenant in (CONTOSO, NORTHWIND, FABRIKAM):
        page = browser.get(SignIn.new(tenant).url(graphsim))
        assert page.status_code == 200
        people = _people(tenant)
        assert people["admin"] in page.text and people["member"] in page.text
        assert "Global Administrator" in page.text and "no administrator role" in page.text
        assert people["disabled"] not in page.text
    everyone = browser.get(SignIn.new("organizations").url(graphsim)).text
    assert "Contoso Dental" in everyone and "Northwind Logistics" in everyone


def test_authorize_errors_are_shown_or_sent_back_as_entra_does(
    graphsim: GraphSimulator, browser: httpx.Client
) -> None:
    attempt = SignIn.new(CONTOSO)
    denied = _redirect(browser, attempt.url(graphsim, sim_outcome="deny"))
    assert denied["error"] == "access_denied" and denied["state"] == attempt.state
    assert denied["error_description"].startswith("AADSTS65004: ")
    wrong_app = browser.get(attempt.url(graphsim).replace(graphsim.client_id, "not-our-app"))
    assert wrong_app.status_code == 400 and "AADSTS700016" in wrong_app.text
    no_redirect = browser.get(attempt.url(graphsim).replace("redirect_uri=", "nothing="))
    assert no_redirect.status_code == 400 and "AADSTS900144" in no_redirect.text
    implicit = _redirect(
        browser, attempt.url(graphsim).replace("response_type=code", "response_type=id_token")
    )
    assert implicit["error"] == "unsupported_response_type" and implicit["state"] == attempt.state
    bad_pkce = _redirect(browser, attempt.url(graphsim).replace("code_challenge=", "code_challenge=x"))
    assert bad_pkce["error"] == "invalid_request" and bad_pkce["error_description"].startswith("AADSTS501491")
    disabled = browser.get(attempt.url(graphsim, sim_user=_people(CONTOSO)["disabled"]))
    assert disabled.status_code == 400 and "AADSTS50057" in disabled.text
    stranger = browser.get(attempt.url(graphsim, sim_user=_people(NORTHWIND)["admin"]))
    assert stranger.status_code == 400 and "AADSTS50034" in stranger.text


# -- pieces without the server -----------------------------------------------------------------


def test_pkce_pair_and_authorize_url_are_rfc_shaped() -> None:
    pair = new_pkce_pair()
    assert 43 <= len(pair.verifier) <= 128 and len(pair.challenge) == 43 and pair.method == "S256"
    assert pair.verifier not in repr(pair)
    url = urlsplit(
        authorize_url(
            authority="https://login.microsoftonline.com/",
            tenant=CONTOSO,
            client_id="app",
            redirect_uri=REDIRECT,
            state="s",
            nonce="n",
            code_challenge=pair.challenge,
        )
    )
    assert url.path == f"/{CONTOSO}/oauth2/v2.0/authorize"
    assert {k: v[0] for k, v in parse_qs(url.query).items()} == {
        "client_id": "app",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "response_mode": "query",
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": pair.challenge,
        "code_challenge_method": "S256",
    }


def test_code_book_forgets_codes_long_past_their_lifetime() -> None:
    book = CodeBook(lifetime=600)
    fields: dict[str, Any] = {
        "client_id": "app",
        "redirect_uri": REDIRECT,
        "authority": CONTOSO,
        "tenant_id": CONTOSO,
        "user_id": "u",
        "scope": "openid",
        "nonce": None,
        "challenge": None,
        "method": "plain",
    }
    old = book.issue(now=1000.0, **fields)
    assert old.expired(1600.0, book.lifetime) and not old.expired(1599.0, book.lifetime)
    book.issue(now=2199.0, **fields)
    assert book.get(old.value) is old  # still known: "expired", not "invalid"
    book.issue(now=2200.0, **fields)
    assert book.get(old.value) is None


def test_the_product_module_stays_out_of_devtools_and_the_hosts() -> None:
    probe = (
        "import sys, core.auth.id_tokens, core.auth.code_flow; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('devtools', 'fastapi')"
        " or m.startswith('azure.functions')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"

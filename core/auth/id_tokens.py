"""Proof that whoever granted admin consent administers that tenant: after Entra's admin-consent
redirect, the same browser signs in with OpenID Connect (authorization code, PKCE S256, nonce, state)
at the customer tenant's authority. The sign-in counts only if its ID token is valid for that tenant
and its `wids` claim holds a role that can grant tenant-wide admin consent.

The pieces: a PKCE pair and the authorize URL; redeeming the code at the token endpoint with the
app's client secret or a client assertion signed with its certificate; validating the ID token.
Protocol: "Microsoft identity platform and OAuth 2.0 authorization code flow"
(learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow). Claims: "ID token claims
reference" (learn.microsoft.com/entra/identity-platform/id-token-claims-reference). `wids` appears
only when the app registration's `groupMembershipClaims` is "DirectoryRole" or "All" ("Access token
claims reference", `wids`, learn.microsoft.com/entra/identity-platform/access-token-claims-reference).

Imports nothing from devtools, FastAPI or Azure Functions: the API and the workers both use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import ssl
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn
from urllib.parse import urlencode

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12

from core.auth.tokens import LEEWAY_SECONDS, InvalidToken, JwksCache
from core.collect.connection import certificate_bytes
from core.settings import Settings

# Directory roles that can grant tenant-wide admin consent to an app asking for application
# permissions (role template ids, "Microsoft Entra built-in roles",
# learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
CONSENT_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
}
SCOPE = "openid profile"  # openid for the ID token; profile for oid, name and preferred_username
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_SECONDS = 300  # "keep it short - 5-10 minutes after nbf at most" (certificate-credentials)
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


class CodeRedemptionFailed(ConsentSignInRefused):
    """The token endpoint refused the code: `error` is the OAuth error, `error_code` Entra's AADSTS."""

    def __init__(self, reason: str, *, error: str | None = None, error_code: str | None = None) -> None:
        super().__init__(reason, kind="code_redemption")
        self.error, self.error_code = error, error_code


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


# -- the authorize request --------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class PkcePair:
    verifier: str = field(repr=False)
    challenge: str
    method: str = "S256"


def new_pkce_pair() -> PkcePair:
    """RFC 7636: a verifier of 43-128 unreserved characters (here 86, from 64 random bytes) and its
    challenge BASE64URL(SHA256(verifier))."""
    verifier = secrets.token_urlsafe(64)
    return PkcePair(verifier, _b64url(hashlib.sha256(verifier.encode("ascii")).digest()))


def authorize_url(
    *,
    authority: str,
    tenant: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_challenge: str,
    scope: str = SCOPE,
) -> str:
    """`{authority}/{tenant}/oauth2/v2.0/authorize` with the code flow's parameters, the challenge
    always S256 (Entra also takes plain; nothing here sends it)."""
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "response_mode": "query",
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{authority.rstrip('/')}/{tenant}/oauth2/v2.0/authorize?{query}"


@dataclass(frozen=True)
class OpenIdMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


async def fetch_openid_metadata(
    authority: str, tenant: str, *, verify: ssl.SSLContext | bool
) -> OpenIdMetadata:
    """The tenant's own issuer and endpoints, from its public OpenID configuration document
    ("OpenID Connect on the Microsoft identity platform", v2-protocols-oidc)."""
    url = f"{authority.rstrip('/')}/{tenant}/v2.0/.well-known/openid-configuration"
    try:
        async with httpx.AsyncClient(verify=verify, timeout=15) as client:
            response = await client.get(url)
        response.raise_for_status()
        document = response.json()
        return OpenIdMetadata(
            str(document["issuer"]),
            str(document["authorization_endpoint"]),
            str(document["token_endpoint"]),
            str(document["jwks_uri"]),
        )
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise ConsentSignInRefused(
            f"the sign-in service's metadata for '{tenant}' is unavailable ({type(exc).__name__})",
            kind="signing_key",
        ) from exc


# -- client authentication and code redemption --------------------------------------------------


@dataclass(frozen=True)
class ClientSecret:
    value: str = field(repr=False)

    def form_fields(self, client_id: str, token_url: str) -> dict[str, str]:
        return {"client_secret": self.value}


@dataclass(frozen=True)
class ClientCertificate:
    """The app's certificate and private key; it authenticates with a signed client assertion
    ("Microsoft identity platform application authentication certificate credentials",
    learn.microsoft.com/entra/identity-platform/certificate-credentials)."""

    private_key: RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate

    @classmethod
    def from_bytes(cls, data: bytes) -> ClientCertificate:
        """PEM holding certificate and key, or PKCS#12 (what a Key Vault certificate's secret holds)."""
        certificate: x509.Certificate | None
        if data.lstrip().startswith(b"-----BEGIN"):
            key: Any = serialization.load_pem_private_key(data, password=None)
            certificate = x509.load_pem_x509_certificate(data)
        else:
            key, certificate, _ = pkcs12.load_key_and_certificates(data, password=None)
        if not isinstance(key, RSAPrivateKey) or certificate is None:
            raise ValueError("the app certificate must hold an RSA private key and its certificate")
        return cls(key, certificate)

    def assertion(self, client_id: str, token_url: str, now: float | None = None) -> str:
        """Header alg PS256, typ JWT, x5t#S256; claims aud (the token endpoint), iss and sub (the
        client id), jti, nbf, iat and a short exp, as the certificate-credentials page lays out."""
        now = int(time.time() if now is None else now)
        thumbprint = _b64url(self.certificate.fingerprint(hashes.SHA256()))
        claims = {
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
        }
        headers = {"typ": "JWT", "x5t#S256": thumbprint}
        return jwt.encode(claims, self.private_key, algorithm="PS256", headers=headers)

    def form_fields(self, client_id: str, token_url: str) -> dict[str, str]:
        return {"client_assertion_type": JWT_BEARER, "client_assertion": self.assertion(client_id, token_url)}


ClientCredential = ClientSecret | ClientCertificate


def client_credential(settings: Settings) -> ClientCredential:
    """The scanner app's credential as the settings give it: the certificate when there is one
    (APP_CERTIFICATE, else APP_CERTIFICATE_PATH), the secret for local development; the same
    preference as `core.collect.connection.app_credential`."""
    if settings.app_certificate is not None and settings.app_certificate.get_secret_value():
        return ClientCertificate.from_bytes(certificate_bytes(settings.app_certificate))
    if settings.app_certificate_path:
        with open(settings.app_certificate_path, "rb") as handle:
            return ClientCertificate.from_bytes(handle.read())
    if settings.app_client_secret is not None:
        return ClientSecret(settings.app_client_secret.get_secret_value())
    raise ValueError("set the app's certificate (or, for local development, its secret)")


async def redeem_code(
    *,
    token_url: str,
    client_id: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    credential: ClientCredential,
    verify: ssl.SSLContext | bool,
    scope: str = SCOPE,
) -> str:
    """The ID token the code buys at `token_url` (the authority's `/{tenant}/oauth2/v2.0/token`)."""
    form = {
        "client_id": client_id,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
        "scope": scope,
        **credential.form_fields(client_id, token_url),
    }
    try:
        async with httpx.AsyncClient(verify=verify, timeout=15) as client:
            response = await client.post(token_url, data=form)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CodeRedemptionFailed(f"the sign-in service did not answer ({type(exc).__name__})") from exc
    if response.status_code != 200 or not isinstance(body, dict):
        _redemption_refused(body)
    id_token = body.get("id_token")
    if not isinstance(id_token, str):
        raise CodeRedemptionFailed("the sign-in returned no ID token (was the openid scope asked for?)")
    return id_token


def _redemption_refused(body: Any) -> NoReturn:
    body = body if isinstance(body, dict) else {}
    codes = body.get("error_codes") or []
    error_code = f"AADSTS{codes[0]}" if codes else None
    description = str(body.get("error_description") or "").split("\r\n")[0]
    raise CodeRedemptionFailed(
        f"the sign-in could not be completed: {description or body.get('error') or 'no reason given'}",
        error=body.get("error"),
        error_code=error_code,
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

"""The OpenID Connect authorization-code flow of the consent sign-in, up to the ID token: a PKCE
pair and the authorize URL, the tenant's OpenID metadata, and redeeming the code at the token
endpoint with the app's client secret or a client assertion signed with its certificate.
Protocol: "Microsoft identity platform and OAuth 2.0 authorization code flow"
(learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow); client assertions:
"Microsoft identity platform application authentication certificate credentials"
(learn.microsoft.com/entra/identity-platform/certificate-credentials). The ID token itself is
validated by `core.auth.id_tokens`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlencode

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12

from core.auth.id_tokens import ConsentSignInRefused
from core.collect.connection import certificate_bytes
from core.settings import Settings

SCOPE = "openid profile"  # openid for the ID token; profile for oid, name and preferred_username
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_SECONDS = 300  # "keep it short - 5-10 minutes after nbf at most" (certificate-credentials)


class CodeRedemptionFailed(ConsentSignInRefused):
    """The token endpoint refused the code: `error` is the OAuth error, `error_code` Entra's AADSTS."""

    def __init__(self, reason: str, *, error: str | None = None, error_code: str | None = None) -> None:
        super().__init__(reason, kind="code_redemption")
        self.error, self.error_code = error, error_code


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

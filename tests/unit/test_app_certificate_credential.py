"""The scanner's certificate credential: parsed once per process, a signed client assertion per token
request (what SharePoint's admin API insists on, and what Azure uses for every channel)."""

from __future__ import annotations

from pathlib import Path

import jwt
from azure.identity.aio import ClientAssertionCredential, ClientSecretCredential
from pydantic import SecretStr

from core.collect.connection import _certificate, app_credential
from core.settings import Settings
from devtools.graphsim.launcher import write_app_certificate

TENANT = "fb716fe6-4338-4787-a12c-a6bde4eb4568"
CLIENT = "5013f6de-4c03-4ec5-85e0-dc4e2938fc0e"


def test_the_certificate_is_parsed_once_and_signs_assertions_for_the_tenants_token_endpoint(
    tmp_path: Path,
) -> None:
    bundle, _ = write_app_certificate(tmp_path)
    first, again = _certificate(None, str(bundle)), _certificate(None, str(bundle))
    assert first is not None and first is again  # one parse per process, not one per tenant scan
    assert _certificate(SecretStr(bundle.read_text()), None) is not None  # PEM in the setting itself
    settings = Settings(authority_host="https://login.example")
    credential = app_credential(settings, TENANT, CLIENT, None, str(bundle), SecretStr("unused"))
    assert isinstance(credential, ClientAssertionCredential)
    assertion = credential._func()  # the callable the credential signs each token request with
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(
        assertion,
        first.certificate.public_key(),
        algorithms=["PS256"],
        audience=(f"https://login.example/{TENANT}/oauth2/v2.0/token"),
    )
    assert header["alg"] == "PS256" and "x5t#S256" in header
    assert claims["iss"] == claims["sub"] == CLIENT


def test_without_a_certificate_the_secret_is_used() -> None:
    credential = app_credential(Settings(), TENANT, CLIENT, None, None, SecretStr("s"))
    assert isinstance(credential, ClientSecretCredential)

"""The scanner's app-only credential, built from settings the way Azure hands them over: the
certificate arrives through a Key Vault reference as PEM or as base64 PKCS#12."""

from __future__ import annotations

import base64

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_pem_x509_certificate
from pydantic import SecretStr

from core.collect.connection import GRAPH_SCOPE, build_credential, certificate_bytes
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator

FABRIKAM = "fb716fe6-4338-4787-a12c-a6bde4eb4568"


def _pkcs12_base64(pem: bytes) -> str:
    key = serialization.load_pem_private_key(pem, password=None)
    certificate = load_pem_x509_certificate(pem)
    bundle = pkcs12.serialize_key_and_certificates(
        b"scanner",
        key,
        certificate,
        None,
        serialization.NoEncryption(),  # type: ignore[arg-type]
    )
    return base64.b64encode(bundle).decode()


@pytest.mark.parametrize("form", ["pem", "pkcs12"])
async def test_a_certificate_setting_gets_an_app_only_token(
    scan_settings: Settings, graphsim: GraphSimulator, form: str
) -> None:
    pem = graphsim.certificate_path.read_bytes()
    value = pem.decode() if form == "pem" else _pkcs12_base64(pem)
    # No secret and no file: the setting alone must be enough, as in Azure.
    settings = scan_settings.model_copy(
        update={"app_certificate": SecretStr(value), "app_client_secret": None, "app_certificate_path": None}
    )
    credential = build_credential(settings, FABRIKAM)
    async with credential:
        token = await credential.get_token(GRAPH_SCOPE)
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert claims["tid"] == FABRIKAM and claims["appidacr"] == "2"  # 2: a certificate, not a secret


def test_a_certificate_setting_that_is_neither_pem_nor_base64_is_refused() -> None:
    with pytest.raises(ValueError, match="neither PEM nor base64"):
        certificate_bytes(SecretStr("not a certificate!"))

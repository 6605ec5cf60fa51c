"""One TLS context per process and CA bundle: building one loads the bundle, which for certifi's
roots costs more CPU than the rest of opening a client."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from core.collect.connection import tls_verification
from devtools.graphsim.launcher import write_self_signed_certificate


def test_the_default_context_is_built_once_and_trusts_certifis_roots() -> None:
    first, second = tls_verification(None), tls_verification("")
    assert first is second and isinstance(first, ssl.SSLContext)
    assert first.verify_mode is ssl.CERT_REQUIRED and first.check_hostname
    assert len(first.get_ca_certs()) > 50  # the public roots, not an empty store


def test_a_bundle_is_loaded_once_and_again_when_rewritten(tmp_path: Path) -> None:
    cert, _ = write_self_signed_certificate(tmp_path / "one")
    context = tls_verification(str(cert))
    assert tls_verification(str(cert)) is context
    assert [c["subject"] for c in context.get_ca_certs()]  # exactly the bundle given
    assert len(context.get_ca_certs()) == 1
    stamp = os.stat(cert).st_mtime_ns
    os.utime(cert, ns=(stamp + 1_000_000_000, stamp + 1_000_000_000))
    assert tls_verification(str(cert)) is not context

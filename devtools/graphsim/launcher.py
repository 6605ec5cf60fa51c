"""Start the Graph simulator in its own process and drive its `/_sim` API.

    sim = start_graph_simulator(workdir)
    try:
        sim.set_faults(None, latency_ms=20)             # every tenant
        sim.set_faults(tenant_id, throttle=3, throttle_path="/v1.0/users")
        ...
    finally:
        sim.stop()

The fault keywords are documented in `devtools.graphsim.faults`. The TLS certificate, the app's
certificate and its client secret are generated at start; nothing secret is written to the repo.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import select
import ssl
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from devtools.graphsim.catalog import PROVIDER_TENANT_ID, SECRET_ENV, SIM_APP_ID
from devtools.processes import ManagedProcess, PidFile, StackError, spawn, wait_until
from devtools.stack import write_self_signed_certificate

_MARKER = "devtools.graphsim.server"


def write_app_certificate(directory: Path) -> tuple[Path, Path]:
    """The app's own credential: an RSA certificate (azure-identity signs assertions with RSA).

    Returns the PEM holding certificate and private key (what `CertificateCredential` reads) and
    the public certificate alone (what the simulator registers for the app)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ScanPosture Scanner (simulated)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    public = cert.public_bytes(serialization.Encoding.PEM)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    bundle, certificate = directory / "app-certificate.pem", directory / "app-certificate.crt"
    bundle.write_bytes(public + private)
    os.chmod(bundle, 0o600)
    certificate.write_bytes(public)
    return bundle, certificate


@dataclass
class GraphSimulator:
    process: ManagedProcess
    port: int
    dns_port: int
    ca_cert: Path
    client_id: str
    client_secret: str
    certificate_path: Path
    _pidfile: PidFile | None = field(default=None, repr=False)
    _client: httpx.Client | None = field(default=None, repr=False)

    # The provider's own tenant (loaded with the demo tenants): the app may send mail there.
    provider_tenant_id: str = PROVIDER_TENANT_ID
    # Plain HTTP on loopback, serving only the consent and sign-in pages (devtools.graphsim.server).
    browser_port: int = 0

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def browser_authority(self) -> str:
        """Where a person's browser opens the consent and sign-in pages without trusting our CA
        (AUTHORITY_BROWSER_HOST); the app still fetches tokens and keys from `authority`."""
        return f"http://127.0.0.1:{self.browser_port}"

    @property
    def graph_url(self) -> str:
        return self.base_url + "/v1.0"

    @property
    def authority(self) -> str:
        return self.base_url

    @property
    def exchange_url(self) -> str:
        return self.base_url

    @property
    def compliance_url(self) -> str:
        return self.base_url + "/compliance"

    @property
    def sharepoint_admin_url(self) -> str:
        """Every tenant's SharePoint admin host, as a path (devtools.graphsim.sharepoint_admin)."""
        return self.base_url + "/sharepoint/{tenant}-admin.sharepoint.com"

    @property
    def teams_url(self) -> str:
        return self.base_url + "/teams"

    @property
    def dns_nameserver(self) -> str:
        return f"127.0.0.1:{self.dns_port}"

    def env(self) -> dict[str, str]:
        """App settings (as environment variables) that point the product at this simulator."""
        return {
            "GRAPH_BASE_URL": self.graph_url,
            "EXCHANGE_BASE_URL": self.exchange_url,
            "COMPLIANCE_BASE_URL": self.compliance_url,
            "SHAREPOINT_ADMIN_URL": self.sharepoint_admin_url,
            "TEAMS_BASE_URL": self.teams_url,
            "AUTHORITY_HOST": self.authority,
            "GRAPH_CA_CERT": str(self.ca_cert),
            "APP_CLIENT_ID": self.client_id,
            "APP_CLIENT_SECRET": self.client_secret,
            # The certificate, as in Azure: SharePoint's admin API refuses tokens from the secret.
            # The credential prefers the certificate, so every channel signs in with it.
            "APP_CERTIFICATE_PATH": str(self.certificate_path),
            "DNS_NAMESERVERS": self.dns_nameserver,
            # The mailer: the same simulated app, consented with Mail.Send in the provider's tenant.
            "MAILER_TENANT_ID": self.provider_tenant_id,
            "MAILER_CLIENT_ID": self.client_id,
            "MAILER_CLIENT_SECRET": self.client_secret,
            "MAIL_SENDER": "reports@scanposture.example",
        }

    @property
    def http(self) -> httpx.Client:
        if self._client is None:
            verify = ssl.create_default_context(cafile=str(self.ca_cert))
            self._client = httpx.Client(base_url=self.base_url, verify=verify, timeout=60)
        return self._client

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise StackError(f"graph simulator: {method} {path} -> {response.status_code} {response.text}")
        return response.json() if response.content else None

    def load_tenant(self, fixture: dict[str, Any]) -> str:
        """Load (or replace, by id) one tenant fixture; returns its tenant id."""
        return str(self._call("POST", "/_sim/tenants", json=fixture)["id"])

    def load_synthetic_tenant(self, n_users: int, seed: int, *, posture: str = "mixed", **names: str) -> str:
        """Have the simulator build `synthetic_tenant(n_users, seed, posture=...)` itself (no upload)."""
        body = {"n_users": n_users, "seed": seed, "posture": posture, **names}
        return str(self._call("POST", "/_sim/tenants/synthetic", json=body)["id"])

    def remove_tenant(self, tenant_id: str) -> None:
        self._call("DELETE", f"/_sim/tenants/{tenant_id}")

    def tenants(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_sim/tenants"))

    def demo_tenants(self) -> list[dict[str, Any]]:
        """id, displayName and defaultDomain of each fixture in tenants/."""
        from devtools.graphsim.admin import read_demo_fixtures

        demo_ids = {fixture["id"].lower() for fixture in read_demo_fixtures()}
        return [t for t in self.tenants() if t["id"] in demo_ids]

    def set_faults(self, tenant_id: str | None, **faults: Any) -> None:
        """Set faults for one tenant, or for every tenant when `tenant_id` is None (merged with
        what is already set; a keyword set to None unsets it)."""
        for key in ("missing_licences", "removed_permissions"):
            if isinstance(faults.get(key), set | frozenset | tuple):
                faults[key] = sorted(faults[key])
        self._call("POST", "/_sim/faults", json={"tenant": tenant_id, "faults": faults})

    def clear_faults(self, tenant_id: str | None = None) -> None:
        """One tenant's faults, or with no tenant every fault the simulator holds."""
        self._call("DELETE", "/_sim/faults", params={"tenant": tenant_id} if tenant_id else None)

    def faults(self) -> dict[str, Any]:
        return dict(self._call("GET", "/_sim/faults"))

    def set_consent(self, tenant_id: str, consent: str) -> None:
        """`granted`, `none` (never consented) or `revoked` (service principal removed)."""
        self._call("POST", f"/_sim/tenants/{tenant_id}/consent", json={"consent": consent})

    def set_app(
        self, *, group_membership_claims: str | None = "DirectoryRole", code_lifetime_seconds: float = 600
    ) -> dict[str, Any]:
        """The app manifest's `groupMembershipClaims` (None: ID tokens carry no `wids`) and the
        authorization codes' lifetime; called with no arguments it restores the defaults."""
        body = {
            "groupMembershipClaims": group_membership_claims,
            "codeLifetimeSeconds": code_lifetime_seconds,
        }
        return dict(self._call("POST", "/_sim/app", json=body))

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        """`claims` signed with the simulator's ID token key (for tokens its endpoints never issue)."""
        return str(self._call("POST", "/_sim/id-tokens", json={"claims": claims})["idToken"])

    def set_policy_state(
        self, tenant_id: str, policy_id: str, state: str, *, by: str, at: str | None = None
    ) -> dict[str, Any]:
        """An administrator (`by`, a UPN) sets a Conditional Access policy's state (recorded `at`,
        an ISO time, or now); returns the directory audit entry the simulator recorded for it
        (devtools/graphsim/audit.py)."""
        body = {"state": state, "by": by, **({"at": at} if at else {})}
        return dict(
            self._call("POST", f"/_sim/tenants/{tenant_id}/conditional-access/{policy_id}", json=body)
        )

    def request_log(self, tenant_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/_sim/tenants/{tenant_id}/requests"))

    def reset_request_log(self, tenant_id: str) -> None:
        self._call("DELETE", f"/_sim/tenants/{tenant_id}/requests")

    def sent_mail(self, tenant_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/_sim/tenants/{tenant_id}/mail"))

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self.process.stop()
        if self._pidfile is not None:
            self._pidfile.clear()


def start_graph_simulator(
    workdir: Path, *, demo_tenants: bool = True, timeout: float = 30.0
) -> GraphSimulator:
    """Start the simulator on free ports (chosen by the server itself) and wait until it answers."""
    home = workdir / "graphsim"
    pidfile = PidFile(home / "pids.json")
    pidfile.stop_leftovers([_MARKER])
    cert, key = write_self_signed_certificate(home / "tls")
    bundle, public = write_app_certificate(home / "app")
    secret = secrets.token_urlsafe(32)
    argv = [
        sys.executable,
        "-m",
        _MARKER,
        "--port",
        "0",
        "--dns-port",
        "0",
        "--cert",
        str(cert),
        "--key",
        str(key),
        "--app-id",
        SIM_APP_ID,
        "--app-certificate",
        str(public),
    ]
    if demo_tenants:
        argv.append("--demo-tenants")
    process = spawn(
        "graphsim", argv, workdir / "logs/graphsim.log", env={SECRET_ENV: secret}, stdout_pipe=True
    )
    pidfile.record([process])
    try:
        assert process.popen.stdout is not None
        ready, _, _ = select.select([process.popen.stdout], [], [], timeout)
        line = process.popen.stdout.readline().decode().split() if ready else []
        if len(line) != 4 or line[0] != "listening":
            raise StackError(f"the Graph simulator did not start; see {process.log_path}")
        https_port, dns_port, browser_port = (int(port) for port in line[1:])
        simulator = GraphSimulator(
            process,
            https_port,
            dns_port,
            cert,
            SIM_APP_ID,
            secret,
            bundle,
            _pidfile=pidfile,
            browser_port=browser_port,
        )

        def healthy() -> bool:
            try:
                return simulator.http.get("/_sim/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, "the Graph simulator", timeout, process)
    except BaseException:
        process.stop()
        pidfile.clear()
        raise
    return simulator

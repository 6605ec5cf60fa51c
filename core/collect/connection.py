"""An app-only connection to one customer tenant: the credential, and Graph and Exchange request
adapters from msgraph-sdk / Kiota with their retry middleware (429/503/504 honour Retry-After).

msgraph is imported here and only here (and only when a scan runs), so HTTP cold starts never
pay for it.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from core.settings import Settings

if TYPE_CHECKING:
    import httpx
    from azure.core.credentials_async import AsyncTokenCredential
    from azure.core.exceptions import ClientAuthenticationError
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

    from core.auth.code_flow import ClientCertificate

# Entra error codes that mean "this tenant no longer lets the app in": the service principal was
# deleted (app removed from the tenant) or the app is unknown there. Anything else is transient
# or our own misconfiguration and must not mark the customer disconnected. Only a refused *Graph* token
# is read this way: AADSTS500011 for Exchange Online means the tenant has no Exchange, and fails the
# Exchange sources alone (collector.py).
REVOKED_CONSENT_CODES = frozenset({"AADSTS7000229", "AADSTS700016", "AADSTS65001", "AADSTS500011"})
_AADSTS = re.compile(r"AADSTS\d+")
# Graph's answer to a token issued before the app was removed from the tenant. Seen in the middle of
# a scan it stops the scan (nothing half-read is recorded) and the queue's retry asks Entra for a
# token, which then says for certain whether consent was revoked.
IDENTITY_GONE_CODE = "Authorization_IdentityNotFound"


class TenantUnreachable(Exception):
    """The token request for a tenant failed."""

    def __init__(self, tenant_id: str, code: str | None, message: str) -> None:
        super().__init__(f"tenant {tenant_id}: {code or 'token request failed'}: {message}")
        self.tenant_id = tenant_id
        self.code = code

    @property
    def consent_revoked(self) -> bool:
        return self.code in REVOKED_CONSENT_CODES


def entra_error_code(message: str) -> str | None:
    match = _AADSTS.search(message)
    return match.group(0) if match else None


def certificate_bytes(certificate: SecretStr) -> bytes:
    """The bytes of a certificate setting: PEM as given, or base64 PKCS#12 decoded.

    Key Vault keeps a certificate's private key in the secret of the same name, as PEM or as
    base64 PKCS#12 depending on the certificate's content type; a Key Vault reference yields that.
    """
    text = certificate.get_secret_value().strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("the certificate setting is neither PEM nor base64 PKCS#12") from None


@lru_cache(maxsize=8)
def _parsed_certificate(data: bytes) -> ClientCertificate:
    """A certificate and its key, parsed once per process. Loading an RSA key validates it, which
    costs tens of milliseconds of CPU, and azure-identity's CertificateCredential loads it twice for
    every credential, i.e. every tenant scan: measured here, 87 ms of CPU per scan for the tokens
    against 12 ms with a secret."""
    from core.auth.code_flow import ClientCertificate  # it imports this module

    return ClientCertificate.from_bytes(data)


def _certificate(certificate: SecretStr | None, certificate_path: str | None) -> ClientCertificate | None:
    if certificate is not None and certificate.get_secret_value():
        return _parsed_certificate(certificate_bytes(certificate))
    if certificate_path:
        with open(certificate_path, "rb") as handle:  # read each time: a rotated file is picked up
            return _parsed_certificate(handle.read())
    return None


def app_credential(
    settings: Settings,
    tenant_id: str,
    client_id: str,
    certificate: SecretStr | None,
    certificate_path: str | None,
    secret: SecretStr | None,
) -> AsyncTokenCredential:
    """An app-only credential: the certificate's signed client assertion (the same one the consent
    sign-in sends, core.auth.code_flow), or a secret for local development. SharePoint's admin API
    takes only the former (core.collect.sharepoint_admin)."""
    from azure.identity.aio import ClientAssertionCredential, ClientSecretCredential

    if not client_id:
        raise ValueError("the app's client id is not set")
    from core.collect.transport import SharedSessionTokenTransport

    kwargs: dict[str, Any] = {
        "authority": settings.authority_host,
        "disable_instance_discovery": True,
        "transport": SharedSessionTokenTransport(tls_verification(settings.graph_ca_cert)),
    }
    signer = _certificate(certificate, certificate_path)
    if signer is not None:
        token_url = f"{settings.authority_host.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        return ClientAssertionCredential(
            tenant_id, client_id, lambda: signer.assertion(client_id, token_url), **kwargs
        )
    if secret is None:
        raise ValueError("set the app's certificate (or, for local development, its secret)")
    return ClientSecretCredential(tenant_id, client_id, secret.get_secret_value(), **kwargs)


def build_credential(settings: Settings, tenant_id: str) -> AsyncTokenCredential:
    """The multi-tenant scanner app's credential for one customer tenant."""
    return app_credential(
        settings,
        tenant_id,
        settings.app_client_id,
        settings.app_certificate,
        settings.app_certificate_path,
        settings.app_client_secret,
    )


GRAPH_SCOPE = "https://graph.microsoft.com/.default"
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"
# Security & Compliance PowerShell's resource: a token for it carries the same Exchange.ManageAsApp
# role (KelvinTegelaar/CIPP-API New-ExoRequest.ps1 -Compliance asks for "<resource>/.default" the same
# way; learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 covers both endpoints).
COMPLIANCE_SCOPE = "https://ps.compliance.protection.outlook.com/.default"
# The "Skype and Teams Tenant Admin API" resource, by its application id: Microsoft's access-token
# example for the MicrosoftTeams module asks for "48ac35b8-.../.default" app-only
# (learn.microsoft.com/microsoftteams/teams-powershell-application-authentication), and so do CIPP
# (KelvinTegelaar/CIPP-API New-TeamsRequestV2.ps1) and AzRanger (HackmichNet/AzRanger TeamsCollector.cs).
TEAMS_SCOPE = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default"


def tls_verification(ca_bundle: str | None) -> ssl.SSLContext:
    """Trust the CAs httpx trusts by default (certifi's), or exactly the bundle given (a local
    simulator's certificate). One context per process and bundle: loading certifi's roots costs
    about 17 ms of CPU, and every scan opens two clients (measured: a fresh httpx client with the
    default verification, 22 ms). A bundle rewritten in place is loaded again."""
    import os

    if not ca_bundle:
        return _tls_context(None, 0)
    return _tls_context(ca_bundle, os.stat(ca_bundle).st_mtime_ns)


@lru_cache(maxsize=8)
def _tls_context(ca_bundle: str | None, _version: int) -> ssl.SSLContext:
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def graph_http_client(settings: Settings) -> httpx.AsyncClient:
    """An httpx client with the msgraph-sdk middleware a scan's requests use, over aiohttp
    (core.collect.transport), whose connections the process's scans share. The collector limits
    the requests in flight to each service.

    The middleware: redirects; retries honouring Retry-After as sent (without it, exponential
    back-off); Graph's telemetry headers (client-request-id, SdkVersion) on requests to Microsoft's
    hosts, which Microsoft support asks for. Left out of msgraph-core's default chain, because no
    scan request uses them: URL replacement (Kiota's /users/me-token-to-replace templates),
    decoding %24select-style names (our URLs and Graph's nextLinks carry $select as written),
    Kiota's user-agent product, and the header and body inspection options. Each handler costs a
    tracing span per request."""
    import httpx
    from kiota_http.middleware import RedirectHandler, RetryHandler
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph_core import GraphClientFactory
    from msgraph_core.middleware.telemetry import GraphTelemetryHandler

    from core.collect.transport import AiohttpTransport

    wire = AiohttpTransport(tls_verification(settings.graph_ca_cert))
    middleware = [
        RedirectHandler(),
        RetryHandler(RetryHandlerOption(delay=0, max_retries=5)),
        GraphTelemetryHandler(),
    ]
    return GraphClientFactory.create_with_custom_middleware(
        middleware, client=httpx.AsyncClient(transport=wire, timeout=httpx.Timeout(60.0))
    )


@dataclass
class TenantConnection:
    tenant_id: str
    credential: AsyncTokenCredential
    graph: HttpxRequestAdapter
    exchange: HttpxRequestAdapter
    graph_base_url: str
    exchange_base_url: str
    http_client: httpx.AsyncClient
    owns_client: bool
    compliance: HttpxRequestAdapter | None = None  # Security & Compliance: same InvokeCommand API
    compliance_base_url: str = ""
    compliance_auth: Any = None  # its authentication provider, whose allowed hosts grow on discovery
    teams: HttpxRequestAdapter | None = None  # the Teams admin service (core/collect/teams.py)
    teams_base_url: str = ""

    async def probe_token(self, *scopes: str) -> None:
        """Ask Entra for tokens (Graph by default) and nothing else: cheap, and it fails at once
        when consent is gone. The credential caches what it gets, so a scan that probes first
        makes one token request per resource instead of one per concurrent request."""
        import asyncio

        from azure.core.exceptions import ClientAuthenticationError

        try:
            # The same arguments Kiota's token provider passes (CAE on), so this fills the very cache
            # entry every request then hits: otherwise the first wave of concurrent requests each
            # misses the cache and asks Entra again.
            await asyncio.gather(
                *(
                    self.credential.get_token(s, claims=None, enable_cae=True)
                    for s in scopes or (GRAPH_SCOPE,)
                )
            )
        except ClientAuthenticationError as exc:
            raise TenantUnreachable(self.tenant_id, entra_error_code(str(exc)), _first_line(exc)) from exc

    async def exchange_token_refusal(self, scope: str = EXCHANGE_SCOPE) -> ClientAuthenticationError | None:
        """Entra's refusal of an Exchange Online (or, given COMPLIANCE_SCOPE or TEAMS_SCOPE, a
        Security & Compliance or Teams admin) token, or None when it issues one (and caches it for
        the requests, as `probe_token` does for Graph)."""
        from azure.core.exceptions import ClientAuthenticationError

        try:
            await self.credential.get_token(scope, claims=None, enable_cae=True)
        except ClientAuthenticationError as exc:
            return exc
        return None

    def use_compliance_base(self, base_url: str) -> None:
        """Send Security & Compliance calls to the tenant's regional endpoint (core.collect.compliance
        has checked it is a host of the configured one), and let its token go there."""
        host = urlsplit(base_url).hostname or ""
        if self.compliance_auth is not None:
            validator = self.compliance_auth.access_token_provider.get_allowed_hosts_validator()
            validator.set_allowed_hosts([*validator.get_allowed_hosts(), host])
        self.compliance_base_url = base_url.rstrip("/")

    def sharepoint_adapter(self, resource: str, base_url: str) -> HttpxRequestAdapter:
        """An adapter for one tenant's SharePoint admin API: tokens for `resource` (its admin host,
        core.collect.sharepoint_admin), sent only to the host of `base_url` (the same host in Azure,
        the simulator locally)."""
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from msgraph.graph_request_adapter import GraphRequestAdapter

        host = urlsplit(base_url).hostname or ""
        auth = AzureIdentityAuthenticationProvider(
            self.credential, scopes=[f"{resource}/.default"], allowed_hosts=[host]
        )
        adapter = GraphRequestAdapter(auth, client=self.http_client)
        adapter.base_url = base_url
        return adapter

    def invoke_adapter(self, endpoint: str) -> tuple[HttpxRequestAdapter, str]:
        """The adapter and base URL for an InvokeCommand source's endpoint."""
        if endpoint == "compliance" and self.compliance is not None:
            return self.compliance, self.compliance_base_url
        if endpoint == "compliance":
            raise ValueError("this connection has no Security & Compliance adapter")
        return self.exchange, self.exchange_base_url

    async def close(self) -> None:
        await self.credential.close()
        if self.owns_client:
            await self.http_client.aclose()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def open_connection(
    settings: Settings, tenant_id: str, client: httpx.AsyncClient | None = None
) -> TenantConnection:
    """Credential and adapters for one tenant (a given `client` is used, and not closed)."""
    from kiota_abstractions.api_client_builder import register_default_deserializer
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.graph_request_adapter import GraphRequestAdapter

    # GraphServiceClient registers this on construction; we use the adapter without the fluent
    # client (raw JSON, not models), so register it ourselves: error bodies parse into ODataError.
    register_default_deserializer(JsonParseNodeFactory)
    credential = build_credential(settings, tenant_id)
    owns_client = client is None
    client = client or graph_http_client(settings)
    graph_host = urlsplit(settings.graph_base_url).hostname or ""
    exchange_host = urlsplit(settings.exchange_base_url).hostname or ""
    compliance_host = urlsplit(settings.compliance_base_url).hostname or ""
    graph_auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[GRAPH_SCOPE], allowed_hosts=[graph_host]
    )
    exchange_auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[EXCHANGE_SCOPE], allowed_hosts=[exchange_host]
    )
    graph = GraphRequestAdapter(graph_auth, client=client)
    graph.base_url = settings.graph_base_url
    exchange = GraphRequestAdapter(exchange_auth, client=client)
    exchange.base_url = settings.exchange_base_url
    compliance_auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[COMPLIANCE_SCOPE], allowed_hosts=[compliance_host]
    )
    compliance = GraphRequestAdapter(compliance_auth, client=client)
    compliance.base_url = settings.compliance_base_url
    teams_host = urlsplit(settings.teams_base_url).hostname or ""
    teams_auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[TEAMS_SCOPE], allowed_hosts=[teams_host]
    )
    teams = GraphRequestAdapter(teams_auth, client=client)
    teams.base_url = settings.teams_base_url
    return TenantConnection(
        tenant_id=tenant_id,
        credential=credential,
        graph=graph,
        exchange=exchange,
        graph_base_url=settings.graph_base_url.rstrip("/"),
        exchange_base_url=settings.exchange_base_url.rstrip("/"),
        http_client=client,
        owns_client=owns_client,
        compliance=compliance,
        compliance_base_url=settings.compliance_base_url.rstrip("/"),
        compliance_auth=compliance_auth,
        teams=teams,
        teams_base_url=settings.teams_base_url.rstrip("/"),
    )


_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


async def resolve_tenant_id(settings: Settings, tenant: str) -> str:
    """A tenant id as given, or the id behind a verified domain, from Entra's public OpenID
    configuration for that domain (no credentials needed)."""
    if _GUID.match(tenant):
        return tenant.lower()
    import httpx

    url = f"{settings.authority_host.rstrip('/')}/{tenant}/v2.0/.well-known/openid-configuration"
    async with httpx.AsyncClient(verify=tls_verification(settings.graph_ca_cert), timeout=15) as client:
        response = await client.get(url)
    if response.status_code != 200:
        raise TenantUnreachable(tenant, entra_error_code(response.text), f"no tenant found for '{tenant}'")
    issuer = str(response.json().get("issuer", ""))
    match = re.search(r"/([0-9a-fA-F-]{36})/", issuer)
    if not match:
        raise TenantUnreachable(tenant, None, f"unexpected issuer {issuer!r} for '{tenant}'")
    return match.group(1).lower()

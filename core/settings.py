"""The one settings model. Every key here is an app setting in Azure (Bicep) and a key in
`local.settings.example.json`; `tests/unit/test_settings.py` keeps the three in step."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # An empty app setting means "not set": Bicep gives every key, local-only ones as ''. Without
    # this an empty COSMOS_KEY would be a (wrong) key instead of "use the managed identity".
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_ignore_empty=True)

    environment: Literal["local", "azure"] = Field(
        default="local",
        description="'local' uses connection strings and keys; 'azure' uses managed identity.",
    )

    # Cosmos DB for NoSQL.
    cosmos_endpoint: str = Field(
        default="", description="Account endpoint, https://….documents.azure.com:443/"
    )
    cosmos_key: SecretStr | None = Field(
        default=None, description="Local stand-in only; Azure uses managed identity."
    )
    cosmos_database: str = "scanposture"
    # Customer principals reach relationship data only through resource tokens (docs/deploy.md).
    customer_resource_tokens: bool = Field(
        default=True, description="Customer principals use per-relationship Cosmos resource tokens."
    )
    cosmos_broker_key: SecretStr | None = Field(
        default=None,
        description="Cosmos account key for the resource-token broker only (a Key Vault reference in Azure).",
    )
    resource_token_seconds: int = Field(
        default=3600, ge=10, le=18000, description="Validity of a minted resource token (at most 5 h)."
    )
    cosmos_ca_cert: str | None = Field(
        default=None, description="CA bundle that signed the local stand-in's TLS certificate."
    )

    # Blob and Queue storage. The queue trigger's `connection` names this setting too, so in Azure
    # it is given as the identity-based pair STORAGE_CONNECTION__blobServiceUri/__queueServiceUri.
    storage_connection: SecretStr | None = Field(default=None, description="Connection string (local only).")
    storage_blob_url: str | None = Field(default=None, description="Blob service URL (managed identity).")
    storage_queue_url: str | None = Field(default=None, description="Queue service URL (managed identity).")
    scan_queue_name: str = "scan-requests"
    webhook_queue_name: str = "webhook-deliveries"
    email_queue_name: str = "email-summaries"
    webhooks_allow_loopback: bool = Field(default=False, description="Local development only.")
    reports_container: str = "reports"
    logos_container: str = "logos"
    report_link_minutes: int = Field(default=15, ge=1, le=60)
    # The storage SDKs' default waits 15 s, then 18 s, then 24 s between tries: a request would hang
    # for a minute while storage is down. These tries are 1, 3 and 5 s apart; after them the call
    # fails (503 on a request, a retried message on a queue).
    storage_retry_total: int = Field(
        default=3, ge=0, le=10, description="Tries after a failed Blob/Queue call."
    )

    # Microsoft Graph, the Exchange Online admin API and Entra sign-in. The very same code scans the
    # real cloud or the local simulator; only these addresses (and the CA bundle) differ.
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    exchange_base_url: str = "https://outlook.office365.com"
    # The Security & Compliance PowerShell endpoint: the same InvokeCommand API, its own token resource.
    compliance_base_url: str = "https://ps.compliance.protection.outlook.com"
    # A tenant's SharePoint admin API; `{tenant}` is its initial domain prefix (contoso for
    # contoso.onmicrosoft.com). The simulator serves every tenant's host under one path of its own.
    sharepoint_admin_url: str = "https://{tenant}-admin.sharepoint.com"
    # The Teams admin service behind the MicrosoftTeams module's Get-Cs* cmdlets (core/collect/teams.py).
    teams_base_url: str = "https://api.interfaces.records.teams.microsoft.com"
    authority_host: str = "https://login.microsoftonline.com"
    # Where a person's browser reaches the authority (the consent link, the tenant admin's sign-in);
    # empty means authority_host. Local development only: the simulator's plain-HTTP loopback port,
    # so a browser that does not trust the simulator's certificate can still consent.
    authority_browser_host: str = Field(default="", description="Local development only.")
    graph_ca_cert: str | None = Field(default=None, description="CA bundle for a local Graph simulator.")
    app_client_id: str = Field(default="", description="The multi-tenant scanner app's client id.")
    app_client_secret: SecretStr | None = Field(default=None, description="Local development only.")
    # In Azure the certificate lives in Key Vault and reaches the app as a Key Vault reference
    # (`@Microsoft.KeyVault(...)`), resolved by the platform with the app's managed identity; the
    # secret behind a Key Vault certificate is its PEM or base64 PKCS#12, so both are accepted.
    app_certificate: SecretStr | None = Field(
        default=None, description="The app's certificate and private key: PEM or base64 PKCS#12."
    )
    app_certificate_path: str | None = Field(
        default=None, description="Or a file holding it (PEM or PKCS#12), for local development."
    )
    dns_nameservers: str = Field(
        default="",
        description="Comma-separated ip[:port] resolvers (SPF/DMARC/DKIM, webhook hosts); empty = system.",
    )
    # Requests in flight per tenant and per service (Graph, Exchange Online, Security & Compliance):
    # eight keep the critical path (the longest chain of pages) the limit while halving httpcore's pool
    # bookkeeping, measured in bench/scan.py.
    scan_request_concurrency: int = Field(default=8, ge=1, le=64)

    # Sign-in: Entra ID v2 access tokens from any tenant (locally, the development sign-in
    # provider's, validated by the very same code).
    auth_audience: str = Field(default="", description="The API's application (client) id.")
    auth_jwks_url: str = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
    auth_issuer_template: str = "https://login.microsoftonline.com/{tid}/v2.0"
    signin_url: str = Field(default="", description="Local sign-in chooser; empty in Azure (MSAL.js).")

    # The mailer: an app in the MSP's own tenant with Mail.Send, sending as one mailbox.
    mailer_tenant_id: str = ""
    mailer_client_id: str = ""
    mailer_client_secret: SecretStr | None = Field(default=None, description="Local development only.")
    mailer_certificate: SecretStr | None = Field(default=None, description="As app_certificate, for mail.")
    mailer_certificate_path: str | None = None
    mail_sender: str = Field(default="", description="The mailbox summaries are sent from (UPN).")
    mail_attachment_limit_bytes: int = Field(default=3_000_000, ge=1, description="Above it, link instead.")

    consent_link_days: int = Field(default=7, ge=1, le=30)
    invitation_days: int = Field(default=7, ge=1, le=30)

    # The public address of the API and portal (links in mail, consent redirect).
    public_base_url: str = "http://127.0.0.1:7071"
    health_timeout_seconds: float = Field(default=3.0, gt=0)

    @property
    def browser_authority(self) -> str:
        """The authority host for the pages a person opens (in Azure: Entra, authority_host)."""
        return self.authority_browser_host or self.authority_host


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

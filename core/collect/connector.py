"""The real `core.ports.TenantConnector`: a customer's tenant as ScanPosture reaches it, through
Entra (tokens, the administrator's consent sign-in) and Microsoft Graph / Exchange Online."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.auth.code_flow import client_credential, fetch_openid_metadata, redeem_code
from core.auth.id_tokens import ConsentSignIn, validate_consent_id_token
from core.collect.connection import open_connection, tls_verification
from core.settings import Settings

if TYPE_CHECKING:
    from datetime import datetime

    from core.scan.assess import Assessment
    from core.scan.attribution import ChangeLog


class GraphTenantConnector:
    """Each call opens its own connection (a credential is per tenant) and closes it. The collectors
    and the catalogue load on the first scan, not when bootstrap builds this for an HTTP request."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def assess(self, tenant_id: str) -> Assessment:
        from core.collect.memory import collect_less_often_while_scanning
        from core.scan.assess import assess_tenant

        collect_less_often_while_scanning()

        connection = open_connection(self._settings, tenant_id)
        try:
            return await assess_tenant(connection, self._settings)
        finally:
            await connection.close()

    async def probe(self, tenant_id: str) -> None:
        connection = open_connection(self._settings, tenant_id)
        try:
            await connection.probe_token()
        finally:
            await connection.close()

    async def verified_domains(self, tenant_id: str) -> list[str]:
        from core.collect.readers import read_graph_source
        from core.collect.sources import graph_source

        connection = open_connection(self._settings, tenant_id)
        try:
            await connection.probe_token()
            rows = await read_graph_source(
                connection.graph, connection.graph_base_url, graph_source("organization")
            )
        finally:
            await connection.close()
        return [d["name"].lower() for row in rows for d in row.get("verifiedDomains", [])]

    async def directory_changes(
        self,
        tenant_id: str,
        since: datetime,
        until: datetime,
        categories: tuple[str, ...],
        premium: bool | None = None,
    ) -> ChangeLog:
        from core.collect.audit_log import read_directory_changes

        connection = open_connection(self._settings, tenant_id)
        try:
            return await read_directory_changes(
                connection.graph, connection.graph_base_url, since, until, categories, premium
            )
        finally:
            await connection.close()

    async def prove_admin_sign_in(
        self, tenant_id: str, *, code: str, code_verifier: str, nonce: str, redirect_uri: str
    ) -> ConsentSignIn:
        settings = self._settings
        verify = tls_verification(settings.graph_ca_cert)
        metadata = await fetch_openid_metadata(settings.authority_host, tenant_id, verify=verify)
        id_token = await redeem_code(
            token_url=metadata.token_endpoint,
            client_id=settings.app_client_id,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
            credential=client_credential(settings),
            verify=verify,
        )
        return await validate_consent_id_token(
            id_token,
            tenant_id=tenant_id,
            client_id=settings.app_client_id,
            nonce=nonce,
            jwks_url=metadata.jwks_uri,
            issuer=metadata.issuer,
            verify=verify,
        )

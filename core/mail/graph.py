"""Sending mail through Microsoft Graph `sendMail`, as the MSP's mailer app (an app registration in
the MSP's own tenant with Mail.Send) from one configured mailbox. msgraph is imported only here,
when mail is actually sent."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from core import errors
from core.collect.connection import GRAPH_SCOPE, app_credential, graph_http_client
from core.settings import Settings


class MailFailed(errors.ScanPostureError):
    """Graph did not accept the message; the message says why."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


def message_body(
    to: Sequence[str], subject: str, html: str, attachments: Sequence[Attachment] = ()
) -> dict[str, object]:
    """The sendMail request body, as Graph documents it."""
    return {
        "message": {
            "subject": subject,
            "body": {"contentType": "HTML", "content": html},
            "toRecipients": [{"emailAddress": {"address": address}} for address in to],
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": a.name,
                    "contentType": a.content_type,
                    "contentBytes": base64.b64encode(a.data).decode(),
                }
                for a in attachments
            ],
        },
        "saveToSentItems": False,
    }


class GraphMailer:
    """The mailer app's Graph client, made on the first mail and kept for the process (Azure's
    guidance for Functions: create clients once); `Services.mailer` is the one instance."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._adapter: Any = None
        self._closing: list[Any] = []

    def _open(self) -> Any:
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from msgraph.graph_request_adapter import GraphRequestAdapter

        settings = self._settings
        credential = app_credential(
            settings,
            str(settings.mailer_tenant_id),
            settings.mailer_client_id,
            settings.mailer_certificate,
            settings.mailer_certificate_path,
            settings.mailer_client_secret,
        )
        client = graph_http_client(settings)
        self._closing = [credential, client]
        host = urlsplit(settings.graph_base_url).hostname or ""
        provider = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE], allowed_hosts=[host])
        return GraphRequestAdapter(provider, client=client)

    async def send(
        self, *, to: Sequence[str], subject: str, html: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        """Send one message from the configured mailbox, or raise MailFailed saying why not."""
        from core.collect.readers import SourceError, classify, send_json

        settings = self._settings
        if not (settings.mail_sender and settings.mailer_tenant_id):
            raise MailFailed("mail is not configured (MAIL_SENDER, MAILER_TENANT_ID)")
        if self._adapter is None:
            self._adapter = self._open()
        url = f"{settings.graph_base_url.rstrip('/')}/users/{quote(settings.mail_sender)}/sendMail"
        body = json.dumps(message_body(to, subject, html, attachments)).encode()
        try:
            await send_json(self._adapter, "POST", url, body)
        except SourceError as exc:
            raise MailFailed(exc.failure.reason) from exc
        except Exception as exc:
            raise MailFailed(classify(exc, permission="Mail.Send", licence=None).reason) from exc

    async def close(self) -> None:
        for resource in self._closing:
            await (resource.aclose() if hasattr(resource, "aclose") else resource.close())
        self._adapter, self._closing = None, []

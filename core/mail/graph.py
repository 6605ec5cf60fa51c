"""Sending mail through Microsoft Graph `sendMail`, as the MSP's mailer app (an app registration in
the MSP's own tenant with Mail.Send) from one configured mailbox. msgraph is imported only here,
when mail is actually sent."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
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


async def send_mail(
    settings: Settings, *, to: Sequence[str], subject: str, html: str, attachments: Sequence[Attachment] = ()
) -> None:
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter

    from core.collect.readers import SourceError, classify, send_json

    if not (settings.mail_sender and settings.mailer_tenant_id):
        raise MailFailed("mail is not configured (MAIL_SENDER, MAILER_TENANT_ID)")
    credential = app_credential(
        settings,
        settings.mailer_tenant_id,
        settings.mailer_client_id,
        settings.mailer_certificate,
        settings.mailer_certificate_path,
        settings.mailer_client_secret,
    )
    client = graph_http_client(settings)
    try:
        provider = AzureIdentityAuthenticationProvider(
            credential, scopes=[GRAPH_SCOPE], allowed_hosts=[urlsplit(settings.graph_base_url).hostname or ""]
        )
        adapter = GraphRequestAdapter(provider, client=client)
        url = f"{settings.graph_base_url.rstrip('/')}/users/{quote(settings.mail_sender)}/sendMail"
        body = json.dumps(message_body(to, subject, html, attachments)).encode()
        try:
            await send_json(adapter, "POST", url, body)
        except SourceError as exc:
            raise MailFailed(exc.failure.reason) from exc
        except Exception as exc:
            raise MailFailed(classify(exc, permission="Mail.Send", licence=None).reason) from exc
    finally:
        await credential.close()
        await client.aclose()

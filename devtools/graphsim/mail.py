"""`POST /v1.0/users/{id | userPrincipalName}/sendMail`: accepted (202) and kept per tenant for tests.

Errors are the ones Exchange-backed Graph calls give: `ErrorInvalidUser`, `ErrorAccessDenied`,
`MailboxNotEnabledForRESTAPI`, `ErrorInvalidRecipients`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from devtools.graphsim.graph_access import GraphError, holds
from devtools.graphsim.responses import Ids, new_id
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import AccessToken

MAX_REQUEST_BYTES = 4 * 1024 * 1024  # sendMail's inline-attachment limit


def _recipients(message: dict[str, Any]) -> list[str]:
    found = []
    for field in ("toRecipients", "ccRecipients", "bccRecipients"):
        for recipient in message.get(field) or []:
            address = ((recipient or {}).get("emailAddress") or {}).get("address")
            if not address or "@" not in str(address):
                raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
            found.append(str(address))
    if not found:
        raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
    return found


def _attachments(message: dict[str, Any]) -> list[dict[str, Any]]:
    described = []
    for attachment in message.get("attachments") or []:
        kind = attachment.get("@odata.type", "")
        if kind != "#microsoft.graph.fileAttachment":
            raise GraphError(
                400, "ErrorInvalidRequest", f"The attachment type '{kind}' is not supported here."
            )
        name = attachment.get("name")
        if not name:
            raise GraphError(400, "ErrorInvalidRequest", "The attachment name is required.")
        try:
            content = base64.b64decode(attachment.get("contentBytes") or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise GraphError(
                400, "ErrorInvalidRequest", f"The contentBytes of attachment '{name}' is not valid base64."
            ) from exc
        described.append({"name": name, "contentType": attachment.get("contentType"), "size": len(content)})
    return described


async def send_mail(
    state: SimState, tenant: Tenant, token: AccessToken, path: str, request: Request, ids: Ids
) -> Response:
    reference = unquote(request.url.path).split("/")[-2]
    if reference.lower() == "me":
        raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
    if not holds(token.roles & state.permissions(tenant), "Mail.Send"):
        raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    user = tenant.users_by_key.get(reference.lower())
    if user is None:
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{reference}' is invalid.")
    if not user.get("mailbox"):
        raise GraphError(
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
    raw = await request.body()
    if len(raw) > MAX_REQUEST_BYTES:
        raise GraphError(
            413, "ErrorRequestEntityTooLarge", "The request exceeds the maximum supported size of 4 MB."
        )
    if not raw.strip():
        raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise GraphError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is "
            "of valid JSON format.",
        ) from exc
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        raise GraphError(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.")
    recipients = _recipients(message)
    attachments = _attachments(message)
    state.mail.setdefault(tenant.id, []).append(
        {
            "id": new_id(),
            "sentDateTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "from": user["userPrincipalName"],
            "userId": user["id"],
            "recipients": recipients,
            "subject": message.get("subject"),
            "attachments": attachments,
            "saveToSentItems": body.get("saveToSentItems", True),
            "message": message,
        }
    )
    return Response(status_code=202, headers=ids.headers())

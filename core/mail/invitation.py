"""The admin-consent link, mailed to a customer's administrator."""

from __future__ import annotations

import html

from core.customers import Customer
from core.onboarding import ConsentLink
from core.orgs import get_org
from core.ports import Services


async def send_consent_email(
    services: Services, customer: Customer, link: ConsentLink, to: list[str]
) -> None:
    org = await get_org(services.store, customer.org_id)
    provider = html.escape((org or {}).get("name") or "your IT provider")
    body = (
        '<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif">'
        f"<p>{provider} asks you, as a Global Administrator of {html.escape(customer.display_name)}, "
        "to grant "
        "ScanPosture read-only access to your Microsoft 365 security settings.</p>"
        f'<p><a href="{html.escape(link.url)}">Review and grant consent</a></p>'
        f"<p>The link works once and expires on {link.expires_at:%d %B %Y}. If you did not expect this, "
        "ignore this message.</p></body></html>"
    )
    await services.mailer.send(to=to, subject=f"{customer.display_name}: connect to ScanPosture", html=body)

"""The demo tenants in `tenants/*.json` (and the provider's in `provider/`), and how they were made.

`python -m devtools.graphsim.demo` rewrites the files from the specs below (deterministically), so a
change of posture is a reviewed change here, not a hand edit of thousands of JSON lines.

- Contoso Dental: a weak small business. 12 users, Microsoft 365 Business Standard (no Entra ID P1),
  security defaults off, 5 Global Administrators (one synced from on-premises AD), SMTP AUTH on,
  automatic external forwarding allowed, SPF soft-fail and no DMARC or DKIM, users may consent to
  apps and register them, an expired app secret, passwords expiring every 90 days, anyone links
  that never expire and can edit, edit links by default, custom script kept on;
  no Defender for Office 365, and loosened default threat policies (defender_data.py).
- Northwind Logistics: a mixed posture. 250 users on Business Premium (P1), MFA for administrators
  and browser/mobile users by Conditional Access, legacy authentication blocked in report-only mode,
  SMS still enabled, number matching on, DMARC p=none, DKIM on the main domain only, a second
  domain with no mail records, some mailboxes with SMTP AUTH switched back on; Defender Plan 1 with
  the Standard preset switched off and custom threat policies for the main domain only; new
  sharing links open to the whole organisation by default, guests kept for 90 days.
- Fabrikam Legal: well secured. 80 users on Microsoft 365 E5 (P2), the complete Conditional Access
  baseline (phishing-resistant MFA for administrators, risk policies, device code flow blocked),
  PIM eligible assignments, two cloud-only break-glass Global Administrators, DMARC p=reject, DKIM
  on, SMTP AUTH off, no forwarding, auditing on; the Standard preset for all recipients; SharePoint
  and OneDrive sharing locked down.
- Tailwind Traders: looks well secured and is not (devtools/graphsim/traps.py). 60 users on
  Enterprise Mobility + Security E5 (P2) with mail on another provider, so no Exchange Online; the
  strong baseline undone by a role exclusion, a guest exclusion, a custom strength a password meets,
  a beta-only policy, Global Administrators through a group of a guest and a synced account, a
  dormant account under password spray, and SharePoint (its own subscription) letting infected files
  download and keeping custom script on.
- ScanPosture Operations: the provider's own tenant (where the app is registered); its app grant
  includes Mail.Send, so the product can send reports from reports@scanposture.example.
"""

from __future__ import annotations

import json
from typing import Any

from devtools.graphsim.admin import PROVIDER_FIXTURE, TENANTS_DIR
from devtools.graphsim.catalog import PROVIDER_TENANT_ID
from devtools.graphsim.people import TenantSpec
from devtools.graphsim.synthetic import DEFAULT_PERMISSIONS, build_tenant
from devtools.graphsim.traps import set_traps

SPECS: dict[str, TenantSpec] = {
    "contoso-dental": TenantSpec(
        n_users=12,
        seed=11,
        posture="weak",
        tenant_id="babd5d49-1067-4712-813b-d4f179d61913",
        display_name="Contoso Dental",
        slug="contosodental",
        custom_domains=["contoso-dental.example"],
        sku="O365_BUSINESS_PREMIUM",
        global_admins=5,
        synced_global_admin=True,
        partner_domain="dental-lab.example",
        description="Weak small business: no P1, security defaults off, 5 Global Administrators, one synced.",
    ),
    "northwind-logistics": TenantSpec(
        n_users=250,
        seed=22,
        posture="mixed",
        tenant_id="10e36c9e-9dda-40fb-ab2f-b1889571e188",
        display_name="Northwind Logistics",
        slug="northwindlogistics",
        custom_domains=["northwind-logistics.example", "northwind-freight.test"],
        unverified_domains=["northwind-eu.test"],
        sku="SPB",
        global_admins=4,
        partner_domain="carrier-partner.example",
        description="Mixed posture: P1, MFA for admins, legacy auth block only report-only, DMARC p=none.",
    ),
    "fabrikam-legal": TenantSpec(
        n_users=80,
        seed=33,
        posture="strong",
        tenant_id="fb716fe6-4338-4787-a12c-a6bde4eb4568",
        display_name="Fabrikam Legal",
        slug="fabrikamlegal",
        custom_domains=["fabrikam-legal.example"],
        sku="SPE_E5",
        global_admins=2,
        eligible_admins=3,
        partner_domain="counsel-partner.example",
        description="Well secured: P2, full CA baseline, PIM, break-glass GAs, DMARC p=reject, DKIM on.",
    ),
    "tailwind-traders": TenantSpec(
        n_users=60,
        seed=55,
        posture="strong",
        tenant_id="7a3c9e21-4b6d-4f80-a2c5-9d1e3f5b7c04",
        display_name="Tailwind Traders",
        slug="tailwindtraders",
        custom_domains=["tailwind-traders.example"],
        sku="EMSPREMIUM",
        global_admins=2,
        eligible_admins=2,
        partner_domain="freight-partner.example",
        description="Looks strong, is not: exclusions, a weak strength, admins through a group, no Exchange.",
    ),
    "scanposture-operations": TenantSpec(
        n_users=6,
        seed=44,
        posture="strong",
        tenant_id=PROVIDER_TENANT_ID,
        display_name="ScanPosture Operations",
        slug="scanposture",
        custom_domains=["scanposture.example"],
        sku="SPE_E5",
        global_admins=2,
        eligible_admins=1,
        permissions=[*DEFAULT_PERMISSIONS, "Mail.Send"],
        partner_domain="msp-partner.example",
        description="The provider's own tenant; the app may send mail as reports@scanposture.example.",
    ),
}


def _provider_mailbox(fixture: dict[str, Any]) -> None:
    for user in fixture["users"]:
        mailbox = user.get("mailbox") or {}
        if mailbox.get("RecipientTypeDetails") == "SharedMailbox":
            user.update(
                userPrincipalName="reports@scanposture.example",
                mail="reports@scanposture.example",
                displayName="ScanPosture Reports",
            )
            return


def build_all() -> dict[str, dict[str, Any]]:
    fixtures = {name: build_tenant(spec) for name, spec in SPECS.items()}
    _provider_mailbox(fixtures["scanposture-operations"])
    set_traps(fixtures["tailwind-traders"])
    return fixtures


def main() -> int:
    for name, fixture in build_all().items():
        path = PROVIDER_FIXTURE if fixture["id"] == PROVIDER_TENANT_ID else TENANTS_DIR / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path} ({len(fixture['users'])} users)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

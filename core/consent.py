"""Proving a customer's consent: the anonymous callback's two steps.

The scanner app is shared by every MSP, so "the app can read the tenant" proves nothing about who
asked for it: once any org's customer consented, a forged redirect naming that tenant would pass.
The proof is the tenant's own administrator signing in. After Entra's admin-consent redirect the
callback sends the same browser (bound by a cookie) through an OpenID Connect authorization-code
sign-in at that tenant, with PKCE and a nonce tied to the consent link's single-use state. Only an
ID token that Entra signed for this app and this tenant, carrying this request's nonce and a
directory role able to grant application permissions (`wids`), connects the customer.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.audit import Actor, record
from core.auth.id_tokens import ConsentSignIn, ConsentSignInRefused
from core.collect.connection import TenantUnreachable
from core.collect.failures import SourceError
from core.customers import (
    Connection,
    ConnectionState,
    Customer,
    find_customer,
    get_customer_by_id,
    update_customer_by_id,
)
from core.lazy import lazy_module
from core.onboarding import ConsentRefused, consent_redirect_uri, consent_state_id, hash_secret
from core.ports import Services
from core.scan.requests import ScanRequest
from core.store import Conflict, NotFound, OrgRepository, StoredItem
from core.store.documents import consent_secret_hash
from core.webhooks.events import emit

if TYPE_CHECKING:
    from core.auth import code_flow
else:
    # httpx, PyJWT and cryptography: loaded by the first consent sign-in, not with the API (issue 24).
    code_flow = lazy_module("core.auth.code_flow")

_GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")
# The browser that saw the consent step must be the one that signs in.
CONSENT_COOKIE = "scanposture_consent"
SIGN_IN_MINUTES = 15


@dataclass(frozen=True)
class SignInStep:
    """Where to send the browser next, and the secret its cookie carries to the second step."""

    url: str
    browser_secret: str


@dataclass(frozen=True)
class _State:
    org: OrgRepository
    stored: StoredItem
    customer: Customer

    @property
    def sign_in(self) -> dict[str, Any] | None:
        return self.stored.body.get("signIn")


async def _load_state(services: Services, state: str | None) -> _State:
    org_id, _, secret = (state or "").partition(".")
    if not org_id or not secret:
        raise ConsentRefused("this consent link is not valid")
    org = services.store.org(org_id)
    stored = await org.find(consent_state_id(secret))
    if stored is None:
        raise ConsentRefused("this consent link is not valid")
    if stored.body["usedAt"]:
        raise ConsentRefused("this consent link was already used; ask your provider for a new one")
    if datetime.fromisoformat(stored.body["expiresAt"]) <= services.clock.now():
        raise ConsentRefused("this consent link has expired; ask your provider for a new one")
    try:
        customer, _ = await get_customer_by_id(org, stored.body["customerId"])
    except NotFound as exc:
        raise ConsentRefused("the customer this link was made for no longer exists") from exc
    return _State(org, stored, customer)


async def _check_tenant(state: _State, tenant_id: str) -> None:
    if state.customer.tenant_id and state.customer.tenant_id != tenant_id:
        raise ConsentRefused("consent came from a different Microsoft 365 tenant than this customer's")
    other = await find_customer(state.org, tenant_id)
    if other is not None and other[0].customer_id != state.customer.customer_id:
        raise ConsentRefused(f"tenant {tenant_id} is already a customer of this organisation")


async def begin_consent_sign_in(
    services: Services,
    *,
    state: str | None,
    tenant: str | None,
    error: str | None,
    error_description: str | None,
) -> SignInStep:
    """Step one, after Entra's admin-consent redirect: nothing is trusted or changed yet except a
    fresh nonce and PKCE verifier on the link's state; the browser goes to sign in at the tenant."""
    if error:
        raise ConsentRefused(f"consent was not granted: {error_description or error}")
    loaded = await _load_state(services, state)
    tenant_id = (tenant or "").lower()
    if not _GUID.match(tenant_id):
        raise ConsentRefused("the sign-in service did not say which tenant consented")
    await _check_tenant(loaded, tenant_id)
    pkce = code_flow.new_pkce_pair()
    nonce, browser_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    sign_in = {
        "tenantId": tenant_id,
        "nonce": nonce,
        "verifier": pkce.verifier,
        "browser": hash_secret(browser_secret),
        "startedAt": services.clock.now().isoformat(),
    }
    try:  # a retried step one replaces the earlier attempt, whose nonce then no longer matches
        await loaded.org.replace({**loaded.stored.body, "signIn": sign_in}, loaded.stored.etag)
    except Conflict as exc:
        raise ConsentRefused("this consent link is being used right now; try again") from exc
    settings = services.settings
    url = code_flow.authorize_url(
        authority=settings.browser_authority,  # the browser goes there; the code is redeemed over HTTPS
        tenant=tenant_id,
        client_id=settings.app_client_id,
        redirect_uri=consent_redirect_uri(settings),
        state=str(state),
        nonce=nonce,
        code_challenge=pkce.challenge,
    )
    return SignInStep(url, browser_secret)


def _pending_sign_in(loaded: _State, browser_secret: str | None, now: datetime) -> dict[str, Any]:
    sign_in = loaded.sign_in
    if sign_in is None:
        raise ConsentRefused("this sign-in was not started from a consent link; open the link again")
    started = datetime.fromisoformat(sign_in["startedAt"])
    if now - started > timedelta(minutes=SIGN_IN_MINUTES):
        raise ConsentRefused("this sign-in took too long; open the consent link again")
    presented = hash_secret(browser_secret or "")
    if not browser_secret or not hmac.compare_digest(presented, str(sign_in["browser"])):
        raise ConsentRefused("finish the sign-in in the browser that opened the consent link")
    return sign_in


async def _prove_admin(services: Services, sign_in: dict[str, Any], code: str) -> ConsentSignIn:
    """Redeem the code (with the PKCE verifier) and validate the ID token it returns."""
    try:
        signed_in = await services.tenants.prove_admin_sign_in(
            str(sign_in["tenantId"]),
            code=code,
            code_verifier=str(sign_in["verifier"]),
            nonce=str(sign_in["nonce"]),
            redirect_uri=consent_redirect_uri(services.settings),
        )
        signed_in.require_consent_capable()
    except ConsentSignInRefused as exc:
        raise ConsentRefused(f"the sign-in did not prove an administrator of the tenant: {exc}") from exc
    return signed_in


async def _verified_domains(services: Services, tenant_id: str, attempts: int, delay: float) -> list[str]:
    """The app really was consented: an app-only read of the tenant, retried while Entra
    replicates the new service principal (tokens are refused for a short while after consent)."""
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            return await services.tenants.verified_domains(tenant_id)
        except (TenantUnreachable, SourceError) as exc:
            last = exc
        if attempt + 1 < attempts:
            await asyncio.sleep(delay)
    raise ConsentRefused(f"ScanPosture could not read the tenant after consent: {last}")


async def finish_consent(
    services: Services,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    error_description: str | None,
    browser_secret: str | None,
    source_ip: str | None,
    proof_attempts: int = 6,
    proof_delay: float = 2.0,
) -> Customer:
    """Step two, back from the tenant's sign-in: connect the customer, or raise ConsentRefused
    leaving it exactly as it was."""
    if error:
        raise ConsentRefused(f"the sign-in was not completed: {error_description or error}")
    if not code:
        raise ConsentRefused("the sign-in service sent no authorization code")
    loaded = await _load_state(services, state)
    sign_in = _pending_sign_in(loaded, browser_secret, services.clock.now())
    tenant_id = str(sign_in["tenantId"])
    await _check_tenant(loaded, tenant_id)
    admin = await _prove_admin(services, sign_in, code)
    domains = await _verified_domains(services, tenant_id, proof_attempts, proof_delay)
    if loaded.customer.primary_domain.lower() not in domains:
        raise ConsentRefused(
            f"the tenant that consented does not own {loaded.customer.primary_domain}; "
            "sign in with an administrator of the customer's own tenant"
        )
    try:  # single use, even against a replay racing this very request
        used = {**loaded.stored.body, "usedAt": services.clock.now().isoformat(), "signIn": None}
        await loaded.org.replace(used, loaded.stored.etag)
    except Conflict as exc:
        raise ConsentRefused("this consent link was already used") from exc
    actor = Actor("tenant_admin", admin.tenant_id, admin.object_id, admin.name, admin.username, source_ip)
    return await _connect(services, loaded, tenant_id, actor)


async def _connect(services: Services, loaded: _State, tenant_id: str, actor: Actor) -> Customer:
    customer = loaded.customer
    reconnect = customer.connection.state is ConnectionState.CONNECTION_LOST

    def connect(c: Customer) -> None:
        c.tenant_id = tenant_id
        c.connection = Connection(state=ConnectionState.CONNECTED, since=services.clock.now())

    connected = await update_customer_by_id(loaded.org, customer.customer_id, connect)
    request = ScanRequest(
        org_id=loaded.org.org_id,
        tenant_id=tenant_id,
        customer_id=customer.customer_id,
        request_id=f"consent-{consent_secret_hash(loaded.stored.id)[:16]}",
        reason="consent",
    )
    await services.scan_queue.send(request.to_message())
    event = {"tenantId": tenant_id, "customerId": customer.customer_id, "reconnected": reconnect}
    await emit(services, loaded.org.org_id, [("tenant.connected", event)])
    await record(
        services.store,
        org_id=loaded.org.org_id,
        actor=actor,
        tenant_id=tenant_id,
        relationship_id=customer.relationship_id,
        action="consent.reconnected" if reconnect else "consent.granted",
        target={"customerId": customer.customer_id, "tenantId": tenant_id},
    )
    return connected

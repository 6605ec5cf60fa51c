"""Everything the simulator process knows: tenants, the app registration, faults, logs and caches."""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from devtools.graphsim.catalog import SIM_APP_ID
from devtools.graphsim.faults import FaultBook
from devtools.graphsim.idtokens import DIRECTORY_ROLE_CLAIMS, CodeBook, SigningKeys
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import TokenIssuer

LOG_LIMIT = 50_000  # per tenant; far more than one scan makes


@dataclass
class AppRegistration:
    """The multi-tenant scanner app: its id, its secret and its certificate's public part, and the
    manifest's `groupMembershipClaims`. That defaults to "DirectoryRole", as the product's setup guide
    has the app registered, so ID tokens carry `wids`; tests set it otherwise through `/_sim/app`."""

    client_id: str
    client_secret: str
    certificate: x509.Certificate | None
    group_membership_claims: str | None = "DirectoryRole"

    @property
    def emits_directory_roles(self) -> bool:
        return self.group_membership_claims in DIRECTORY_ROLE_CLAIMS

    @property
    def thumbprints(self) -> set[str]:
        """The base64url SHA-256 and SHA-1 thumbprints a client assertion may name (x5t#S256, x5t)."""
        if self.certificate is None:
            return set()
        return {
            base64.urlsafe_b64encode(self.certificate.fingerprint(algorithm)).decode().rstrip("=")
            for algorithm in (hashes.SHA256(), hashes.SHA1())  # noqa: S303 - x5t is SHA-1 by definition
        }

    def secret_matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self.client_secret.encode())

    @classmethod
    def from_files(cls, client_id: str | None, secret: str, certificate_path: str | None) -> AppRegistration:
        certificate = None
        if certificate_path:
            with open(certificate_path, "rb") as handle:
                certificate = x509.load_pem_x509_certificate(handle.read())
        return cls(client_id or SIM_APP_ID, secret, certificate)


class ByteCache:
    """Serialized responses, least recently used first out once `limit` bytes are held."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: collections.OrderedDict[tuple[Any, ...], bytes] = collections.OrderedDict()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        if len(body) > self.limit:
            return
        old = self._items.pop(key, None)
        self.size += len(body) - (len(old) if old else 0)
        self._items[key] = body
        while self.size > self.limit and self._items:
            _, dropped = self._items.popitem(last=False)
            self.size -= len(dropped)


class SimState:
    def __init__(self, app: AppRegistration, *, cache_bytes: int = 768 * 1024 * 1024) -> None:
        self.app = app
        self.tenants: dict[str, Tenant] = {}
        self._by_domain: dict[str, str] = {}
        self.faults = FaultBook()
        self.tokens = TokenIssuer()
        self.signing = SigningKeys()  # ID tokens and their JWKS
        self.codes = CodeBook()  # authorization codes from /authorize, for /token
        self.cache = ByteCache(cache_bytes)
        self.logs: dict[str, collections.deque[dict[str, Any]]] = {}
        self.mail: dict[str, list[dict[str, Any]]] = {}
        self.zone: dict[str, dict[str, list[str]]] = {}
        self.generation = 0  # per loaded tenant object, so a reloaded tenant never sees old pages

    # -- tenants --------------------------------------------------------------------------------

    def add_tenant(self, fixture: dict[str, Any], *, today: dt.date | None = None) -> Tenant:
        tenant = Tenant(fixture, today=today)
        self.generation += 1
        tenant.generation = self.generation
        self.remove_tenant(tenant.id)
        self.tenants[tenant.id] = tenant
        for name in tenant.domain_names:
            self._by_domain[name] = tenant.id
        self._add_zone(tenant)
        return tenant

    def remove_tenant(self, tenant_id: str) -> None:
        tenant = self.tenants.pop(tenant_id.lower(), None)
        if tenant is None:
            return
        for name in tenant.domain_names:
            if self._by_domain.get(name) == tenant.id:
                del self._by_domain[name]
        self.zone = {}
        for other in self.tenants.values():
            self._add_zone(other)

    def resolve(self, reference: str) -> Tenant | None:
        """A tenant by id or by any of its domain names, as Entra accepts either in the authority."""
        key = reference.lower()
        tenant = self.tenants.get(key)
        if tenant is None and key in self._by_domain:
            tenant = self.tenants.get(self._by_domain[key])
        return tenant

    def _add_zone(self, tenant: Tenant) -> None:
        def add(name: str, rdtype: str, value: str) -> None:
            self.zone.setdefault(name.lower().rstrip("."), {}).setdefault(rdtype, []).append(value)

        for domain, records in tenant.data["dns"].items():
            self.zone.setdefault(domain.lower(), {})
            for value in [*records.get("txt", []), *records.get("spf", [])]:
                add(domain, "TXT", value)
            for value in records.get("mx", []):
                add(domain, "MX", value)
            for value in records.get("dmarc", []):
                add(f"_dmarc.{domain}", "TXT", value)
            for selector, target in (records.get("dkim") or {}).items():
                if target:
                    add(f"{selector}._domainkey.{domain}", "CNAME", target)

    # -- what a tenant currently grants ---------------------------------------------------------

    def permissions(self, tenant: Tenant) -> frozenset[str]:
        return tenant.permissions - self.faults.removed_permissions(tenant.id)

    def consent_error(self, tenant: Tenant) -> str | None:
        """The Entra error a token request for this tenant gets, or None if the app may sign in."""
        revoked = self.faults.revoked(tenant.id)
        if revoked:
            return revoked
        return None if tenant.consent == "granted" else tenant.consent_error

    def grant_consent(self, tenant: Tenant) -> None:
        tenant.consent = "granted"
        own = self.faults.tenants.get(tenant.id)
        if own is not None and own.has("revoked_consent"):
            own.update({"revoked_consent": None})
            self.faults.generation += 1

    # -- request log and mail -------------------------------------------------------------------

    def log(self, tenant_id: str, method: str, path: str, status: int, cmdlet: str | None = None) -> None:
        entry: dict[str, Any] = {"method": method, "path": path, "status": status}
        if cmdlet:
            entry["cmdlet"] = cmdlet
        log = self.logs.get(tenant_id)
        if log is None:
            log = self.logs[tenant_id] = collections.deque(maxlen=LOG_LIMIT)
        log.append(entry)

    def request_log(self, tenant_id: str) -> list[dict[str, Any]]:
        return list(self.logs.get(tenant_id.lower(), ()))

    def summaries(self) -> Iterator[dict[str, Any]]:
        for tenant in self.tenants.values():
            yield tenant.summary()

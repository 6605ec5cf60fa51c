"""Faults injected per tenant (or for every tenant) at run time.

Fault keywords (the same names in `GraphSimulator.set_faults` and `POST /_sim/faults`):

- `latency_ms`: delay every token, Graph and Exchange request by this many milliseconds.
- `throttle`: answer the next K requests with 429 and the service's throttling body.
- `throttle_retry_after`: the `Retry-After` seconds sent with those 429s (default 1).
- `throttle_path`: only requests whose target starts with this prefix are throttled (see below).
- `fail_status`: 500, 503 or 504 for requests matching `fail_path`.
- `fail_path`: the target prefix that fails (default: every request).
- `fail_count`: fail only the next K matching requests (default: always, until cleared).
- `missing_licences`: service plans switched off, e.g. `["AAD_PREMIUM_P2"]` or `["AAD_PREMIUM"]`.
- `removed_permissions`: permissions withdrawn from the app, e.g. `["Policy.Read.All"]` or
  `["Exchange.ManageAsApp"]`; tokens issued afterwards lack them and Graph refuses older tokens too.
- `revoked_consent`: the Entra error the token endpoint answers with: `"AADSTS7000229"` (service
  principal deleted), `"AADSTS700016"` (app not found in the directory) or `"AADSTS65001"`.
- `licence_check_fails`: signInActivity and the registration report refuse as if the tenant had no
  premium licence although it has one, as Graph does intermittently (see `graph_access.py`).
- `sharepoint_settings_wrapped`: `/admin/sharepoint/settings` answers in the shape Microsoft Learn's
  example shows, the settings object inside `value` (see `graph.py`).
- `exchange_proxy_errors`: the next K `InvokeCommand` calls answer Exchange's "Cmdlet needs proxy"
  refusal even though they carry the anchor header (see `exchange.py`).

A request's target is its URL path (`/v1.0/users`, `/{tenant}/oauth2/v2.0/token`,
`/adminapi/beta/{tenant}/InvokeCommand`); an Exchange call is also matched as `exchange:<Cmdlet>`, so
`fail_path="exchange:Get-Mailbox"` fails that cmdlet alone, and a Graph call as `graph:<path>` whatever
its API version, so `fail_path="graph:"` fails every Graph read, v1.0 and beta. Counters of a default
fault (tenant `None`) are shared by every tenant that has no fault of its own of that kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

REVOKE_CODES = ("AADSTS7000229", "AADSTS700016", "AADSTS65001")
# Faults that change what an endpoint returns (subscribedSkus, the app's grants); others do not,
# so setting them keeps the serialized pages.
_CONTENT_FAULTS = frozenset({"missing_licences", "removed_permissions"})
FAIL_STATUSES = (500, 503, 504)


@dataclass
class Faults:
    latency_ms: float | None = None
    throttle: int | None = None
    throttle_retry_after: int | None = None
    throttle_path: str | None = None
    fail_status: int | None = None
    fail_path: str | None = None
    fail_count: int | None = None
    missing_licences: frozenset[str] | None = None
    removed_permissions: frozenset[str] | None = None
    revoked_consent: str | None = None
    licence_check_fails: bool | None = None
    sharepoint_settings_wrapped: bool | None = None
    exchange_proxy_errors: int | None = None
    _set: set[str] = field(default_factory=set, repr=False)

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self) if not f.name.startswith("_")}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault keyword(s): {', '.join(sorted(unknown))}")
        for name, value in values.items():
            setattr(self, name, _validate(name, value))
            if value is None:
                self._set.discard(name)
            else:
                self._set.add(name)

    def has(self, name: str) -> bool:
        return name in self._set

    def describe(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in sorted(self._set)}


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value


def _validate(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "revoked_consent":
        if value is True:
            return REVOKE_CODES[0]
        code = str(value) if str(value).startswith("AADSTS") else f"AADSTS{value}"
        if code not in REVOKE_CODES:
            raise ValueError(f"revoked_consent must be one of {REVOKE_CODES}")
        return code
    if name in ("missing_licences", "removed_permissions"):
        if isinstance(value, str):
            value = [value]
        return frozenset(str(v) for v in value)
    if name == "fail_status":
        if int(value) not in FAIL_STATUSES:
            raise ValueError(f"fail_status must be one of {FAIL_STATUSES}")
        return int(value)
    if name in ("licence_check_fails", "sharepoint_settings_wrapped"):
        return bool(value)
    if name in ("throttle", "throttle_retry_after", "fail_count", "exchange_proxy_errors"):
        if int(value) < 0:
            raise ValueError(f"{name} must not be negative")
        return int(value)
    if name == "latency_ms":
        return max(0.0, float(value))
    return str(value)


@dataclass(frozen=True)
class Injection:
    """What to do to one request instead of (or before) serving it."""

    status: int  # 429, 500, 503 or 504
    retry_after: int | None


class FaultBook:
    def __init__(self) -> None:
        self.default = Faults()
        self.tenants: dict[str, Faults] = {}
        self.generation = 0  # bumped on every change: cached responses that depend on faults expire

    def set(self, tenant_id: str | None, values: dict[str, Any]) -> None:
        target = self.default if tenant_id is None else self.tenants.setdefault(tenant_id.lower(), Faults())
        target.update(values)
        if _CONTENT_FAULTS & set(values):
            self.generation += 1

    def clear(self, tenant_id: str | None) -> None:
        """One tenant's faults, or (no tenant) every fault: the default ones and each tenant's, so a
        test that cleans up after itself leaves no tenant fault to the next."""
        if tenant_id is None:
            self.default = Faults()
            self.tenants.clear()
        else:
            self.tenants.pop(tenant_id.lower(), None)
        self.generation += 1

    def _owner(self, tenant_id: str | None, name: str) -> Faults | None:
        own = self.tenants.get(tenant_id or "")
        if own is not None and own.has(name):
            return own
        return self.default if self.default.has(name) else None

    def value(self, tenant_id: str | None, name: str) -> Any:
        owner = self._owner(tenant_id, name)
        return getattr(owner, name) if owner else None

    def latency(self, tenant_id: str | None) -> float:
        return float(self.value(tenant_id, "latency_ms") or 0.0)

    def missing_licences(self, tenant_id: str) -> frozenset[str]:
        return self.value(tenant_id, "missing_licences") or frozenset()

    def removed_permissions(self, tenant_id: str) -> frozenset[str]:
        return self.value(tenant_id, "removed_permissions") or frozenset()

    def revoked(self, tenant_id: str) -> str | None:
        return self.value(tenant_id, "revoked_consent")

    def flag(self, tenant_id: str, name: str) -> bool:
        return bool(self.value(tenant_id, name))

    def take_proxy_error(self, tenant_id: str) -> bool:
        """Consume one injected "Cmdlet needs proxy" answer, if any are left."""
        owner = self._owner(tenant_id, "exchange_proxy_errors")
        if owner is None or not owner.exchange_proxy_errors:
            return False
        owner.exchange_proxy_errors -= 1
        return True

    def inject(self, tenant_id: str | None, targets: tuple[str, ...]) -> Injection | None:
        """Consume one throttle or failure for this request, if one applies."""
        throttle = self._owner(tenant_id, "throttle")
        if throttle and throttle.throttle and _matches(throttle.throttle_path, targets):
            throttle.throttle -= 1
            return Injection(
                429, throttle.throttle_retry_after if throttle.throttle_retry_after is not None else 1
            )
        failing = self._owner(tenant_id, "fail_status")
        if failing and failing.fail_status and _matches(failing.fail_path, targets):
            if failing.fail_count is not None:
                if failing.fail_count <= 0:
                    return None
                failing.fail_count -= 1
            return Injection(failing.fail_status, None)
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "default": self.default.describe(),
            "tenants": {tid: faults.describe() for tid, faults in self.tenants.items()},
        }


def _matches(prefix: str | None, targets: tuple[str, ...]) -> bool:
    if not prefix:
        return True
    lowered = prefix.lower()
    return any(target.lower().startswith(lowered) for target in targets)

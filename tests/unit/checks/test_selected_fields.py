"""A source that asks for only some properties ($select) must ask for every property a check reads:
a property left out of the answer reads as missing, and the verdict would be judged on nothing.

Each check runs over the good tenant and over a tenant where every selected row is as bad as it can
be (so the branches that name failing rows in the evidence run too), with every row recording what
is read from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from core.checks.catalogue import CATALOGUE
from core.checks.model import run_check
from core.collect.sources import EXCHANGE_SOURCES, GRAPH_SOURCES
from tests.unit.checks.support import good_data, snapshot


def _graph_selects() -> dict[str, set[str]]:
    selects = {}
    for source in GRAPH_SOURCES:
        value = dict(parse_qsl(urlsplit(source.path).query)).get("$select")
        if value and source.kind == "collection":
            selects[source.name] = set(value.split(","))
    return selects


SELECTED: dict[str, set[str]] = {
    **_graph_selects(),
    # PowerShell property names match whatever their case (devtools/graphsim/exchange.py).
    **{s.name: {f.lower() for f in s.select} for s in EXCHANGE_SOURCES if s.select},
}
CASE_FOLDED = {s.name for s in EXCHANGE_SOURCES if s.select}


class _Recording(dict[str, Any]):
    """A row that notes every property asked of it."""

    def __init__(self, row: dict[str, Any], reads: set[str]) -> None:
        super().__init__(row)
        self._reads = reads

    def get(self, key: str, default: Any = None) -> Any:
        self._reads.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._reads.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._reads.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self._reads.add("<every property>")
        return super().__iter__()

    def items(self) -> Any:
        self._reads.add("<every property>")
        return super().items()

    def keys(self) -> Any:
        self._reads.add("<every property>")
        return super().keys()


def _worst(data: dict[str, Any]) -> dict[str, Any]:
    """Every selected row failing whatever it can fail, alternating shared and user mailboxes."""
    for i, row in enumerate(data["exo_mailboxes"]):
        row.update(
            RecipientTypeDetails="SharedMailbox" if i % 2 else "UserMailbox",
            AuditEnabled=False,
            AuditOwner=[],
            AuditDelegate=[],
            AuditAdmin=[],
            ForwardingSmtpAddress="smtp:someone@elsewhere.example",
            DeliverToMailboxAndForward=False,
        )
    for row in data["exo_cas_mailboxes"]:
        row["SmtpClientAuthenticationDisabled"] = False
    for row in data["exo_mailbox_audit_bypass"]:
        row["AuditBypassEnabled"] = True
    for row in data["user_registration_details"]:
        row.update(isAdmin=True, isMfaCapable=False, isSystemPreferredAuthenticationMethodEnabled=False)
    for row in data["users"] + data["user_sign_ins"]:
        row.update(accountEnabled=True, signInActivity=None, passwordPolicies="DisablePasswordExpiration")
    return data


@pytest.mark.parametrize("variant", ["good", "worst"])
def test_checks_read_only_selected_properties(variant: str) -> None:
    data = good_data() if variant == "good" else _worst(good_data())
    reads: dict[str, set[str]] = {name: set() for name in SELECTED}
    for name in SELECTED:
        assert isinstance(data.get(name), list), f"the good tenant has no rows for {name}"
        data[name] = [_Recording(row, reads[name]) for row in data[name]]
    tenant = snapshot(data)
    for check in CATALOGUE:
        run_check(check, tenant)
    for name, wanted in SELECTED.items():
        asked = {r.lower() for r in reads[name]} if name in CASE_FOLDED else reads[name]
        assert asked <= wanted, f"{name}: checks read {sorted(asked - wanted)}, which its $select leaves out"

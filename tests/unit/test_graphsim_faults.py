"""The simulator's fault book: clearing without a tenant clears every tenant's faults too."""

from __future__ import annotations

from devtools.graphsim.faults import FaultBook


def test_clearing_everything_clears_each_tenants_faults() -> None:
    book = FaultBook()
    book.set("T1", {"removed_permissions": ["Sites.FullControl.All"]})
    book.set(None, {"latency_ms": 20})
    book.clear(None)
    assert book.tenants == {}
    assert book.default.latency_ms is None


def test_clearing_one_tenant_leaves_the_others() -> None:
    book = FaultBook()
    book.set("T1", {"removed_permissions": ["Sites.FullControl.All"]})
    book.set("T2", {"missing_licences": ["SHAREPOINTSTANDARD"]})
    book.clear("t1")
    assert set(book.tenants) == {"t2"}

"""`core/store/` owns document ids and Cosmos SQL (DESIGN.md): outside it, no code in core/ or
functions/ spells a document id prefix or a query fragment. A source scan, like the import check
in test_errors.py; a new read or id gets a method or a function in core/store instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "core" / "store"

# An id prefix in a string literal ("finding:…", f"scan:{…}"), or SQL over the document alias `c`.
ID_PREFIXES = (
    "finding",
    "scan",
    "report",
    "delivery",
    "audit",
    "customer",
    "member",
    "invitation",
    "consent",
    "usage",
    "webhook",
    "webhook-delivery",
    "principal",
    "branding",
    "billing",
    "roster",
    "scan-request",
)  # not "apikey": an API key's principal is named "apikey:{org}", which is no document id
_PREFIX = "|".join(re.escape(p) for p in ID_PREFIXES)
SPELLED_ID = re.compile(rf"""["'](?:{_PREFIX}):|["'](?:scan-lease|fleet-version)["']""")
SQL = re.compile(r"""["'][^"'\n]*\bc\.\w+(?:\.[\w{}]+)*\s*(?:=|!=|<>|<=|>=|<|>)|\bSELECT\b.*\bFROM\s+c\b""")


def _sources() -> list[Path]:
    files = [*(ROOT / "core").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    return sorted(p for p in files if STORE not in p.parents)


def _offences(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_the_scan_sees_core_and_functions() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _sources()}
    assert "core/drilldown.py" in names and "functions/mcp_server.py" in names
    assert not any(n.startswith("core/store/") for n in names)


@pytest.mark.parametrize(
    "line",
    [
        'await tenant.get(f"finding:{check_id}")',
        'repo.find(f"scan:{scan_id}")',
        'LEASE_ID = "scan-lease"',
        '{"id": "report:" + scan_id}',
        'query_all("c.type = @t", {"@t": "finding"})',
        'query_all("c.type = @t AND c.enabled = true")',
        '"(c.acceptance = null OR c.acceptance.expiresAt <= @now)"',
        'f"c.frameworks.{name} != null"',
    ],
)
def test_the_patterns_catch_what_they_are_for(line: str) -> None:
    assert SPELLED_ID.search(line) or SQL.search(line)


def test_no_document_id_is_spelled_outside_the_store() -> None:
    assert _offences(SPELLED_ID) == []


def test_no_cosmos_sql_outside_the_store() -> None:
    assert _offences(SQL) == []


def test_only_the_peer_position_reads_the_whole_org_past_a_customers_view() -> None:
    # OrgRepository.for_aggregates() hands a customer principal's request the app's view of its
    # provider's partition; the peer position returns two numbers from it, and nothing else may.
    callers = [
        line for line in _offences(re.compile(r"\.for_aggregates\(")) if not line.startswith("core/peers.py:")
    ]
    assert callers == []
    assert _offences(re.compile(r"\.for_aggregates\(")), "the peer position no longer reads past the view"

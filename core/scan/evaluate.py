"""Run the catalogue over one snapshot."""

from __future__ import annotations

from collections.abc import Sequence

from core.checks.model import Check, TenantSnapshot, run_check
from core.scan.findings import CheckResult


def evaluate_catalogue(snapshot: TenantSnapshot, checks: Sequence[Check] | None = None) -> list[CheckResult]:
    if checks is None:
        from core.checks.catalogue import CATALOGUE

        checks = CATALOGUE
    return [CheckResult(check.metadata, run_check(check, snapshot)) for check in checks]

"""The posture score and finding priorities.

Severity-weighted over `pass` and `fail` only: checks that could not be assessed (error,
not_applicable, manual) and accepted risks neither help nor hurt. The method's version is stored on
every scan so that a change of weights never silently reinterprets old scores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from core.checks.model import Severity, Status

SCORING_METHOD = "severity-weighted/v1"
WEIGHTS: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
}

Priority = Literal["P1", "P2", "P3"]


def priority_for(severity: Severity) -> Priority:
    """P1: fix now (critical, high); P2: plan (medium); P3: when convenient (low)."""
    if severity in (Severity.CRITICAL, Severity.HIGH):
        return "P1"
    return "P2" if severity is Severity.MEDIUM else "P3"


@dataclass(frozen=True)
class Scored:
    """What the score needs to know about one check result."""

    status: Status
    severity: Severity
    accepted: bool = False


def posture_score(results: Iterable[Scored]) -> float | None:
    """0 to 100, one decimal; None when nothing could be assessed (never a misleading 100)."""
    earned = possible = 0
    for result in results:
        if result.accepted or result.status not in (Status.PASS, Status.FAIL):
            continue
        weight = WEIGHTS[result.severity]
        possible += weight
        if result.status is Status.PASS:
            earned += weight
    return score_of(earned, possible)


def score_of(earned: int, possible: int) -> float | None:
    """The score from severity weights earned of those possible: one decimal, None when nothing
    was assessed."""
    return round(100 * earned / possible, 1) if possible > 0 else None


def open_priority_count(results: Iterable[Scored]) -> int:
    """Open P1 findings that nobody accepted as a risk."""
    return sum(
        1 for r in results if r.status is Status.FAIL and not r.accepted and priority_for(r.severity) == "P1"
    )


def format_score(score: float | None) -> str:
    """A posture score as every surface shows it (PDF, mail, CSV): one decimal, "72.0" as well
    as "72.5", so the portal's "72.5" never reads as "73" in the report; "-" when there is none."""
    if score is None or not math.isfinite(score):
        return "-"
    return f"{score:.1f}"


def format_score_change(change: float) -> str:
    """A change of posture score with its sign: "+2.5", "-1.0", "0.0"."""
    text = f"{change:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


# Score bands: the one definition of what counts as a good, fair or poor score. The tenant
# gauge, the fleet's score pills, tiles and distribution all use it (the portal reads it from
# GET /api/config). Each band holds the scores from its floor up to the next band's floor.
ScoreBand = Literal["good", "fair", "poor"]
UNSCORED = "unscored"
SCORE_BANDS: tuple[tuple[ScoreBand, float, str], ...] = (
    ("good", 80.0, "Good"),
    ("fair", 50.0, "Fair"),
    ("poor", 0.0, "Poor"),
)


def band_of(score: float | None) -> ScoreBand | None:
    """The band a score falls in; None for a customer without a score."""
    if score is None:
        return None
    for band, floor, _ in SCORE_BANDS:
        if score >= floor:
            return band
    return SCORE_BANDS[-1][0]

"""A framework scorecard: every control of a profile (core.frameworks.profiles) with its state for
one tenant, per section and overall the share met of those assessed.

A control's state builds on `coverage.control_status` (the one rule for what its checks say):
- met: every check behind it passed and the mapping covers the whole control;
- not met: a check behind it failed (acceptance is not compliance; a failure of a partial
  mapping still fails the control, or it would not be mapped: docs/frameworks.md);
- partly assessed: its checks passed but the mapping is partial, or some passed and the others
  could not be assessed;
- not assessable: none of its checks could be assessed, with why (licence, permission, source
  error, not scanned yet, manual);
- not automated: no check is mapped to it. Listed, never hidden.

The share met is met / (met + not met): a partly assessed control is neither counted as met nor
held against the tenant, and is shown beside the share. The same function gives the tenant's page,
its CSV, its PDF section and, at scan time, the per-section shares the fleet matrix reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from core.checks.model import Status
from core.collect.unreadable import explain_summary
from core.frameworks.coverage import control_status
from core.frameworks.mappings import Control, ListedControl, mapping
from core.frameworks.profiles import PROFILES, Profile
from core.scan.findings import Finding

ControlState = Literal["met", "not_met", "partly_assessed", "not_assessable", "not_automated"]
STATES: tuple[ControlState, ...] = ("met", "not_met", "partly_assessed", "not_assessable", "not_automated")
Why = Literal["licence", "permission", "source_error", "not_scanned", "manual"]
NOT_SCANNED = "not_scanned"
# What a scan stores per profile for the fleet matrix: each section with something assessed as
# "key=met/assessed", space-separated ("1.1=2/2 5.2=3/4"; assessed = met + not met). One short
# string per profile, keyed by the section's number rather than its title: the customer documents
# the fleet view parses stay small (a nested object per section doubled their parse time).
Shares = dict[str, str]


def control_state(statuses: list[str], partial: bool) -> ControlState:
    """The state of one control from the statuses of the checks mapped to it (none: not automated)."""
    if not statuses:
        return "not_automated"
    verdict = control_status(statuses)
    if verdict == "failed":
        return "not_met"
    if verdict == "passed":
        return "partly_assessed" if partial else "met"
    return "partly_assessed" if Status.PASS.value in statuses else "not_assessable"


def share(met: int, assessed: int) -> float | None:
    """Percent met of those assessed, one decimal; None when nothing was assessed."""
    return round(100 * met / assessed, 1) if assessed else None


@dataclass(frozen=True)
class CheckLine:
    check_id: str
    status: str  # the finding's status, or not_scanned
    accepted: bool
    why: Why | None  # for a check that could not be assessed
    reason: str | None  # that, in words, when the scan said more


@dataclass(frozen=True)
class ControlLine:
    control: ListedControl
    mapped: Control | None
    state: ControlState
    checks: tuple[CheckLine, ...]

    @property
    def why(self) -> list[str]:
        return sorted({c.why for c in self.checks if c.why is not None})


@dataclass(frozen=True)
class SectionLine:
    section: str
    counts: dict[str, int]

    @property
    def met(self) -> int:
        return self.counts["met"]

    @property
    def assessed(self) -> int:
        return self.counts["met"] + self.counts["not_met"]

    @property
    def share(self) -> float | None:
        return share(self.met, self.assessed)


@dataclass(frozen=True)
class Scorecard:
    profile: Profile
    title: str  # the framework version's title
    version: str
    controls: tuple[ControlLine, ...]
    sections: tuple[SectionLine, ...] = field(default=())

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.controls if c.state == s) for s in STATES}

    @property
    def share(self) -> float | None:
        counts = self.counts
        return share(counts["met"], counts["met"] + counts["not_met"])


def _why(finding: Finding | None) -> tuple[Why | None, str | None]:
    if finding is None:
        return "not_scanned", None
    if finding.status == Status.NOT_APPLICABLE.value:
        return "licence", finding.summary or None
    if finding.status == Status.MANUAL.value:
        return "manual", finding.summary or None
    if finding.status != Status.ERROR.value:
        return None, None
    explained = explain_summary(finding.summary)
    sentence = explained.sentence if explained else finding.summary
    return ("permission" if "permission" in sentence.lower() else "source_error"), sentence or None


def _lines(profile: Profile, findings: Mapping[str, Finding], now: datetime) -> list[ControlLine]:
    data = mapping(profile.framework)
    lines = []
    for listed in profile.controls(data.listed):
        control = data.mapped(listed.id)
        checks = []
        for check_id in control.checks if control else ():
            finding = findings.get(check_id)
            why, reason = _why(finding)
            status = finding.status if finding else NOT_SCANNED
            checks.append(
                CheckLine(check_id, status, bool(finding and finding.accepted_on(now)), why, reason)
            )
        state = control_state([c.status for c in checks], bool(control and control.partial))
        lines.append(ControlLine(listed, control, state, tuple(checks)))
    return lines


def _sections(lines: Iterable[tuple[str, ControlState]]) -> tuple[SectionLine, ...]:
    counts: dict[str, dict[str, int]] = {}
    for section, state in lines:
        counts.setdefault(section, dict.fromkeys(STATES, 0))[state] += 1
    return tuple(SectionLine(s, c) for s, c in counts.items())


def scorecard(profile: Profile, findings: Iterable[Finding], now: datetime) -> Scorecard:
    """One tenant's scorecard for one profile, from its findings as stored."""
    lines = _lines(profile, {f.check_id: f for f in findings}, now)
    data = mapping(profile.framework)
    return Scorecard(
        profile,
        data.title,
        data.version,
        tuple(lines),
        _sections((line.control.section, line.state) for line in lines),
    )


def section_key(control: ListedControl) -> str:
    """A section's short key: its number for CIS ("5.2"), the policy group for SCuBA ("MS.AAD.3")."""
    if control.id.startswith("MS."):
        return control.id.rsplit(".", 1)[0]
    return control.section.split(" ", 1)[0]


def pack_shares(cells: Mapping[str, tuple[int, int] | list[int]]) -> str:
    return " ".join(f"{key}={met}/{assessed}" for key, (met, assessed) in cells.items())


def unpack_shares(packed: str) -> dict[str, tuple[int, int]]:
    """The cells of a stored string; a cell that does not parse is left out, never guessed."""
    cells = {}
    for cell in packed.split():
        key, _, counts = cell.partition("=")
        met, _, assessed = counts.partition("/")
        if met.isdigit() and assessed.isdigit():
            cells[key] = (int(met), int(assessed))
    return cells


def shares_of(statuses: Mapping[str, str]) -> Shares:
    """Per profile, each section's met and assessed counts (packed): what a scan stores on the
    customer's summary so the fleet matrix is one read. `statuses`: each check's status then."""
    states: dict[str, ControlState] = {}
    result: Shares = {}
    for profile in PROFILES:
        data = mapping(profile.framework)
        sections: dict[str, list[int]] = {}
        for listed in profile.controls(data.listed):
            if listed.id not in states:
                control = data.mapped(listed.id)
                checks = control.checks if control else ()
                states[listed.id] = control_state(
                    [statuses.get(c, NOT_SCANNED) for c in checks], bool(control and control.partial)
                )
            if states[listed.id] in ("met", "not_met"):  # a section with nothing assessed has no share
                cell = sections.setdefault(section_key(listed), [0, 0])
                cell[0] += states[listed.id] == "met"
                cell[1] += 1
        result[profile.key] = pack_shares(sections)
    return result

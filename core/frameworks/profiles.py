"""The scorecard profiles: which of a framework's controls one scorecard holds.

CIS Microsoft 365 Foundations v5.0.0 defines four profiles. Level 2 extends Level 1 (defence in
depth, at some cost to usability), and the E5 profiles extend the E3 ones with controls that need
an E5 plan (Defender for Office 365 Plan 2, Entra ID P2, Defender for Cloud Apps...). So
"E3 Level 1" holds the level-1 controls an E3 tenant can meet, and "E5 Level 2" holds every control.
SCuBA policies are SHALL (the baseline) or SHOULD (recommended): the baseline profile holds the
SHALL policies, the full one both. Each control's level, licence and criticality are data, in the
framework's file (`allControls`, core.frameworks.mappings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from core.frameworks.mappings import FrameworkKey, ListedControl

ProfileKey = Literal["cis-e3-l1", "cis-e3-l2", "cis-e5-l1", "cis-e5-l2", "scuba-shall", "scuba-all"]


@dataclass(frozen=True)
class Profile:
    key: ProfileKey
    framework: FrameworkKey
    name: str  # what a person reads: "CIS v5.0.0 E3 Level 1"
    holds: Callable[[ListedControl], bool]

    def controls(self, listed: tuple[ListedControl, ...]) -> tuple[ListedControl, ...]:
        return tuple(c for c in listed if self.holds(c))


def _cis(level: int, licence: str) -> Callable[[ListedControl], bool]:
    def holds(control: ListedControl) -> bool:
        return (control.level or 2) <= level and (licence == "E5" or control.licence == "E3")

    return holds


def _required(control: ListedControl) -> bool:
    """A SCuBA policy its baseline words with SHALL (one without a criticality counts as required)."""
    return control.criticality != "SHOULD"


PROFILES: tuple[Profile, ...] = (
    # A CIS control without a level or licence counts as Level 2, E5: it is left out of a profile
    # rather than claimed by one it may not belong to.
    Profile("cis-e3-l1", "cis", "CIS v5.0.0 E3 Level 1", _cis(1, "E3")),
    Profile("cis-e3-l2", "cis", "CIS v5.0.0 E3 Level 2", _cis(2, "E3")),
    Profile("cis-e5-l1", "cis", "CIS v5.0.0 E5 Level 1", _cis(1, "E5")),
    Profile("cis-e5-l2", "cis", "CIS v5.0.0 E5 Level 2", _cis(2, "E5")),
    Profile("scuba-shall", "scuba", "CISA SCuBA baseline (SHALL)", _required),
    Profile("scuba-all", "scuba", "CISA SCuBA, SHALL and SHOULD", lambda c: True),
)
PROFILE_KEYS: tuple[str, ...] = tuple(p.key for p in PROFILES)
_BY_KEY = {p.key: p for p in PROFILES}


def profile(key: str) -> Profile:
    """The profile named `key`; KeyError for any other name (the API refuses it first)."""
    return _BY_KEY[key]  # type: ignore[index]

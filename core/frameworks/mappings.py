"""Framework mappings as data: one JSON file per framework version, read once per process.

Each file in this package names its framework (`cis` or `scuba`), the version it cites, and the
controls the catalogue covers: id, title, section, the checks behind it, and `coverage` — `full`
when those checks together assess the whole control, `partial` (with a `note` saying what is left
out) when a pass here does not prove the control passes. `notClaimed` records look-alike pairs the
framework assesses another way, so nobody maps them by mistake later; a file that claims one of
them is refused. `allControlIds`, when given, lists every control id of the cited version (the
SCuBA file carries it, copied from the baselines), and a mapped id outside it is refused: that is
how a superseded suffix such as MS.AAD.3.2v1 is caught.

Exactly one file per framework is in use, so every id cited anywhere comes from one version:
moving to a new version means replacing the file. The check catalogue does not carry framework
ids; everything that shows them asks this module (`framework_ids`, `control_ids`).

Check ids are not resolved here (this module must not import the catalogue, which the scan and
search modules import too); tests/unit/test_framework_mappings.py proves every one exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

FrameworkKey = Literal["cis", "scuba"]
FRAMEWORK_KEYS: tuple[FrameworkKey, ...] = ("cis", "scuba")
Coverage = Literal["full", "partial"]
# What finding documents and API answers carry per framework: one control id, several (a list, in
# control order) when a check covers more than one control, or None.
FrameworkIds = str | list[str] | None

DATA_DIR = Path(__file__).parent


class MappingError(ValueError):
    """A mapping file that cannot be trusted; raised when the files are loaded."""


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    section: str
    checks: tuple[str, ...]
    coverage: Coverage
    note: str | None = None

    @property
    def partial(self) -> bool:
        return self.coverage == "partial"


@dataclass(frozen=True)
class ListedControl:
    """One control of the cited version, mapped or not (`allControls`): what a scorecard lists,
    with the profile data each framework gives it. CIS: `level` (1 or 2) and `licence` (the
    smallest plan, E3 or E5, whose profile includes it); SCuBA: `criticality` (SHALL or SHOULD)."""

    id: str
    title: str
    section: str
    level: int | None = None
    licence: str | None = None
    criticality: str | None = None


@dataclass(frozen=True)
class NotClaimed:
    control: str
    check: str
    reason: str


@dataclass(frozen=True)
class FrameworkMapping:
    framework: FrameworkKey
    name: str
    version: str
    title: str
    source: str
    file: str
    id_pattern: str
    controls: tuple[Control, ...]
    not_claimed: tuple[NotClaimed, ...] = ()
    all_control_ids: frozenset[str] | None = None  # every id of the cited version, when listed
    listed: tuple[ListedControl, ...] = ()  # every control of the version, in control order
    _by_check: dict[str, tuple[Control, ...]] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[str, list[Control]] = {}
        for control in self.controls:
            for check_id in control.checks:
                index.setdefault(check_id, []).append(control)
        object.__setattr__(self, "_by_check", {k: tuple(v) for k, v in index.items()})

    def controls_for(self, check_id: str) -> tuple[Control, ...]:
        return self._by_check.get(check_id, ())

    def control(self, control_id: str) -> Control:
        found = self.mapped(control_id)
        if found is None:
            raise KeyError(f"{self.framework} {self.version} does not map {control_id}")
        return found

    def mapped(self, control_id: str) -> Control | None:
        """The mapping of one control, or None when no check is mapped to it."""
        for control in self.controls:
            if control.id == control_id:
                return control
        return None

    @property
    def check_ids(self) -> frozenset[str]:
        return frozenset(self._by_check)


def control_sort_key(control_id: str) -> tuple[object, ...]:
    """Numeric order for dotted ids: 5.2.2.2 before 5.2.2.12, MS.AAD.3.2v2 before MS.AAD.3.10v1."""
    return tuple(int(p) if p.isdigit() else p for p in control_id.replace("v", ".v.").split("."))


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{where}: '{key}' must be a non-empty string")
    return value


def _control(raw: Any, pattern: re.Pattern[str], where: str) -> Control:
    if not isinstance(raw, Mapping):
        raise MappingError(f"{where}: each control must be an object")
    control_id = _text(raw, "id", where)
    where = f"{where} {control_id}"
    if not pattern.fullmatch(control_id):
        raise MappingError(f"{where}: id does not match the framework's id pattern {pattern.pattern}")
    checks = raw.get("checks")
    if not isinstance(checks, list) or not checks or not all(isinstance(c, str) and c for c in checks):
        raise MappingError(f"{where}: 'checks' must be a non-empty list of check ids")
    if len(set(checks)) != len(checks):
        raise MappingError(f"{where}: a check is listed twice")
    coverage = raw.get("coverage")
    if coverage not in ("full", "partial"):
        raise MappingError(f"{where}: 'coverage' must be 'full' or 'partial'")
    note = raw.get("note")
    if coverage == "partial" and not (isinstance(note, str) and note.strip()):
        raise MappingError(f"{where}: partial coverage needs a note saying what is not assessed")
    if coverage == "full" and note is not None:
        raise MappingError(f"{where}: a note belongs to partial coverage only")
    unknown = set(raw) - {"id", "title", "section", "checks", "coverage", "note"}
    if unknown:
        raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
    return Control(
        id=control_id,
        title=_text(raw, "title", where),
        section=_text(raw, "section", where),
        checks=tuple(checks),
        coverage=cast(Coverage, coverage),
        note=note,
    )


_LISTED_KEYS = {"id", "title", "section", "level", "licence", "criticality"}


def _listed(raw: Any, pattern: re.Pattern[str], where: str) -> ListedControl:
    if not isinstance(raw, Mapping) or set(raw) - _LISTED_KEYS:
        raise MappingError(f"{where}: each of allControls is an object with keys {sorted(_LISTED_KEYS)}")
    control_id = _text(raw, "id", where)
    if not pattern.fullmatch(control_id):
        raise MappingError(f"{where} {control_id}: id does not match the framework's id pattern")
    level, licence, criticality = raw.get("level"), raw.get("licence"), raw.get("criticality")
    if (
        level not in (None, 1, 2)
        or licence not in (None, "E3", "E5")
        or criticality not in (None, "SHALL", "SHOULD")
    ):
        raise MappingError(
            f"{where} {control_id}: level is 1 or 2, licence E3 or E5, criticality SHALL or SHOULD"
        )
    return ListedControl(
        control_id, _text(raw, "title", where), _text(raw, "section", where), level, licence, criticality
    )


def parse_listing(
    raw: Any, pattern: re.Pattern[str], file: str, mapped: tuple[Control, ...]
) -> tuple[ListedControl, ...]:
    """`allControls`: every control of the cited version. A mapped control the list lacks is
    listed from its mapping, without profile data (tests/unit/test_scorecards.py holds the
    shipped files to listing every mapped control)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise MappingError(f"{file}: 'allControls' must be a list")
    listed = [_listed(item, pattern, f"{file} allControls") for item in raw]
    ids = {c.id for c in listed}
    if len(ids) != len(listed):
        raise MappingError(f"{file}: a control is listed twice in allControls")
    listed += [ListedControl(c.id, c.title, c.section) for c in mapped if c.id not in ids]
    return tuple(sorted(listed, key=lambda c: control_sort_key(c.id)))


def parse_mapping(raw: Any, file: str) -> FrameworkMapping:
    """One file's contents, validated; MappingError names the file and the control at fault."""
    if not isinstance(raw, Mapping):
        raise MappingError(f"{file}: the file must hold one JSON object")
    framework = raw.get("framework")
    if framework not in FRAMEWORK_KEYS:
        raise MappingError(f"{file}: 'framework' must be one of {list(FRAMEWORK_KEYS)}")
    try:
        pattern = re.compile(_text(raw, "idPattern", file))
    except re.error as exc:
        raise MappingError(f"{file}: idPattern is not a regular expression ({exc})") from None
    controls = tuple(_control(c, pattern, file) for c in raw.get("controls") or [])
    if not controls:
        raise MappingError(f"{file}: no controls")
    ids = [c.id for c in controls]
    if len(set(ids)) != len(ids):
        raise MappingError(f"{file}: a control is listed twice")
    all_ids = raw.get("allControlIds")
    if all_ids is not None:
        if not isinstance(all_ids, list) or not all(
            isinstance(i, str) and pattern.fullmatch(i) for i in all_ids
        ):
            raise MappingError(f"{file}: 'allControlIds' must list ids matching the id pattern")
        outside = sorted(set(ids) - set(all_ids), key=control_sort_key)
        if outside:
            raise MappingError(f"{file}: {outside} are not controls of {raw.get('version')}")
    not_claimed = tuple(
        NotClaimed(_text(n, "control", file), _text(n, "check", file), _text(n, "reason", file))
        for n in raw.get("notClaimed") or []
    )
    for excluded in not_claimed:
        if not pattern.fullmatch(excluded.control) or (
            all_ids is not None and excluded.control not in all_ids
        ):
            raise MappingError(f"{file}: notClaimed {excluded.control} is not a control of this version")
        claimed = [c for c in controls if c.id == excluded.control and excluded.check in c.checks]
        if claimed:
            raise MappingError(
                f"{file}: {excluded.check} claims {excluded.control}, which notClaimed rules out: "
                f"{excluded.reason}"
            )
    return FrameworkMapping(
        framework=cast(FrameworkKey, framework),
        name=_text(raw, "name", file),
        version=_text(raw, "version", file),
        title=_text(raw, "title", file),
        source=_text(raw, "source", file),
        file=file,
        id_pattern=pattern.pattern,
        controls=tuple(sorted(controls, key=lambda c: control_sort_key(c.id))),
        not_claimed=not_claimed,
        all_control_ids=frozenset(all_ids) if all_ids is not None else None,
        listed=_agreeing(parse_listing(raw.get("allControls"), pattern, file, controls), all_ids, file),
    )


def _agreeing(listed: tuple[ListedControl, ...], all_ids: Any, file: str) -> tuple[ListedControl, ...]:
    """allControls and allControlIds, when a file has both, name the same controls."""
    if listed and all_ids is not None and {c.id for c in listed} != set(all_ids):
        raise MappingError(f"{file}: allControls and allControlIds list different controls")
    return listed


def load_mappings(paths: Iterable[Path]) -> dict[FrameworkKey, FrameworkMapping]:
    found: dict[FrameworkKey, FrameworkMapping] = {}
    for path in sorted(paths):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise MappingError(f"{path.name}: not valid JSON ({exc})") from None
        parsed = parse_mapping(raw, path.name)
        if parsed.framework in found:
            raise MappingError(
                f"two mapping files for {parsed.framework}: {found[parsed.framework].file} and {path.name}; "
                "keep one version per framework"
            )
        found[parsed.framework] = parsed
    missing = [key for key in FRAMEWORK_KEYS if key not in found]
    if missing:
        raise MappingError(f"no mapping file for {missing}")
    return found


@cache
def mappings() -> dict[FrameworkKey, FrameworkMapping]:
    """Every framework's mapping, read from this package once per process."""
    return load_mappings(DATA_DIR.glob("*.json"))


def mapping(framework: FrameworkKey) -> FrameworkMapping:
    return mappings()[framework]


def control_ids(framework: FrameworkKey, check_id: str) -> tuple[str, ...]:
    return tuple(c.id for c in mapping(framework).controls_for(check_id))


def framework_ids(check_id: str) -> dict[str, FrameworkIds]:
    """The `frameworks` value of a finding document (and the `cis` / `scuba` fields of the API): per
    framework the control id as a string, a list of ids when the check covers several, or None."""
    result: dict[str, FrameworkIds] = {}
    for key in FRAMEWORK_KEYS:
        ids = control_ids(key, check_id)
        result[key] = None if not ids else ids[0] if len(ids) == 1 else list(ids)
    return result


def ids_text(value: FrameworkIds, separator: str = ", ") -> str:
    """A `frameworks` value as text for people and CSV cells: '' for none, ids joined otherwise."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return separator.join(value)

"""The framework mapping files: one version per framework, every id from that version, every check
real, partial coverage explained, and no control claimed by a check the framework assesses another
way. Also the shape finding documents get, and the scorecard built from the files."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.checks.catalogue import CATALOGUE, get_check
from core.checks.model import CheckMetadata
from core.exports import to_csv
from core.frameworks import mappings as module
from core.frameworks.coverage import framework_coverage
from core.frameworks.mappings import (
    DATA_DIR,
    FRAMEWORK_KEYS,
    FrameworkMapping,
    MappingError,
    control_ids,
    framework_ids,
    ids_text,
    load_mappings,
    mapping,
    mappings,
    parse_mapping,
)
from core.scan.findings import Finding

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "frameworks.md"
CHECK_IDS = {c.id for c in CATALOGUE}
NOW = datetime(2026, 9, 1, tzinfo=UTC)

# ScubaGear's removedpolicies.md at the cited commit: none of these may be cited any more.
SCUBA_REMOVED = {
    "MS.AAD.5.4v1",
    *(f"MS.DEFENDER.{n}" for n in ("1.1v1", "1.2v1", "1.3v1", "1.4v1", "1.5v1", "2.1v1", "2.2v1")),
    *(f"MS.DEFENDER.{n}" for n in ("2.3v1", "3.1v1", "4.1v2", "4.2v1", "4.3v1", "4.4v1", "4.5v1")),
    *(f"MS.DEFENDER.{n}" for n in ("4.6v1", "5.1v1", "5.2v1", "6.1v1", "6.2v1", "6.3v1")),
    "MS.EXO.2.1v1",
    "MS.EXO.17.1v1",
    "MS.EXO.17.2v1",
    "MS.EXO.17.3v1",
}


def _raw(framework: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / mapping(framework).file).read_text(encoding="utf-8"))


def _base(control_id: str) -> str:
    """MS.AAD.3.2v2 -> MS.AAD.3.2: the policy without its version suffix."""
    return control_id.rsplit("v", 1)[0]


def test_there_is_exactly_one_file_per_framework_and_it_names_its_version() -> None:
    files = sorted(p.name for p in DATA_DIR.glob("*.json"))
    assert files == sorted(m.file for m in mappings().values())
    assert set(mappings()) == set(FRAMEWORK_KEYS)
    cis, scuba = mapping("cis"), mapping("scuba")
    assert (cis.file, cis.version) == ("cis_m365_v5_0_0.json", "5.0.0")
    assert cis.title == "CIS Microsoft 365 Foundations Benchmark v5.0.0"
    # SCuBA is cited as ScubaGear main at one commit; the file name carries that commit's date.
    date = re.search(r"\((\d{4})-(\d{2})-(\d{2})\)$", scuba.version)
    assert date and scuba.file == f"scuba_m365_main_{'_'.join(date.groups())}.json"


def test_the_files_are_read_once() -> None:
    assert mappings() is mappings()


@pytest.mark.parametrize("framework", FRAMEWORK_KEYS)
def test_every_mapped_check_exists(framework: str) -> None:
    data = mapping(framework)
    assert data.check_ids <= CHECK_IDS, sorted(data.check_ids - CHECK_IDS)
    assert {n.check for n in data.not_claimed} <= CHECK_IDS


def test_cis_ids_are_v5_recommendations_under_their_own_section() -> None:
    for control in mapping("cis").controls:
        assert re.fullmatch(r"[1-9]\d*(\.\d+){1,3}", control.id), control.id
        section_number = control.section.split(" ", 1)[0]
        assert control.id.startswith(section_number + "."), (control.id, control.section)
        assert control.title.startswith(("Ensure", "Enable")), control.id


def test_scuba_ids_all_come_from_the_cited_baselines() -> None:
    scuba = mapping("scuba")
    raw = _raw("scuba")
    assert scuba.all_control_ids is not None and len(scuba.all_control_ids) == 109
    assert len(raw["allControlIds"]) == len(scuba.all_control_ids)  # no id listed twice
    # One suffix per policy in the version itself, so a mapped id cannot pick an older one.
    bases = [_base(i) for i in scuba.all_control_ids]
    assert len(bases) == len(set(bases))
    mapped = {c.id for c in scuba.controls}
    assert mapped <= scuba.all_control_ids
    assert not mapped & SCUBA_REMOVED
    assert not scuba.all_control_ids & SCUBA_REMOVED
    # Security Suite replaced the Defender baseline; the AAD revisions the catalogue relies on.
    assert {"MS.AAD.3.2v2", "MS.AAD.3.5v2", "MS.SECURITYSUITE.5.1v1"} <= mapped
    assert not {"MS.AAD.3.2v1", "MS.AAD.3.5v1", "MS.DEFENDER.6.1v1"} & mapped


def test_a_superseded_suffix_is_refused() -> None:
    raw = _raw("scuba")
    for control in raw["controls"]:
        if control["id"] == "MS.AAD.3.2v2":
            control["id"] = "MS.AAD.3.2v1"
    with pytest.raises(MappingError, match=r"MS\.AAD\.3\.2v1.*not controls of"):
        parse_mapping(raw, "stale.json")


@pytest.mark.parametrize("framework", FRAMEWORK_KEYS)
def test_partial_coverage_is_flagged_and_explained(framework: str) -> None:
    data = mapping(framework)
    for control in data.controls:
        assert control.coverage in ("full", "partial")
        if control.partial:
            assert control.note and len(control.note) > 40, control.id
        else:
            assert control.note is None, control.id


def test_the_known_gaps_stay_marked_partial() -> None:
    partial = {k: {c.id for c in mapping(k).controls if c.partial} for k in FRAMEWORK_KEYS}
    # The check reads outbound spam policies but not transport rules; DMARC reporting addresses.
    assert {"6.2.1", "2.1.10", "5.2.2.2"} <= partial["cis"]
    # Security defaults and Conditional Access exclusions are judged differently by ScubaGear.
    assert {"MS.AAD.1.1v1", "MS.AAD.3.2v2", "MS.AAD.3.3v2"} <= partial["scuba"]


@pytest.mark.parametrize("framework", FRAMEWORK_KEYS)
def test_no_control_is_claimed_by_a_check_the_notes_rule_out(framework: str) -> None:
    data = mapping(framework)
    for excluded in data.not_claimed:
        assert excluded.control not in control_ids(data.framework, excluded.check), excluded
        assert len(excluded.reason) > 40


def test_external_sender_tagging_claims_cis_6_2_3_but_not_scuba_7_1() -> None:
    assert framework_ids("exo.external_sender_tagging") == {"cis": "6.2.3", "scuba": None}
    reasons = {(n.control, n.check): n.reason for n in mapping("scuba").not_claimed}
    assert "Get-TransportRule" in reasons[("MS.EXO.7.1v1", "exo.external_sender_tagging")]


def test_a_file_claiming_a_ruled_out_control_is_refused() -> None:
    raw = _raw("scuba")
    seven_one = next(c for c in raw["controls"] if c["id"] == "MS.EXO.7.1v1")
    seven_one["checks"].append("exo.external_sender_tagging")
    with pytest.raises(MappingError, match="notClaimed rules out"):
        parse_mapping(raw, "claims-too-much.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("note"), "partial coverage needs a note"),
        (lambda c: c.update(coverage="most"), "'coverage' must be"),
        (lambda c: c.update(id="6.2"), "does not match"),  # fine for CIS; here a SCuBA-shaped file
        (lambda c: c.update(checks=[]), "non-empty list"),
        (lambda c: c.update(checks=["a.b", "a.b"]), "listed twice"),
        (lambda c: c.update(extra=True), "unknown keys"),
    ],
)
def test_malformed_controls_are_refused(change: Any, message: str) -> None:
    raw = _raw("scuba")
    partial = next(c for c in raw["controls"] if c["coverage"] == "partial")
    change(partial)
    with pytest.raises(MappingError, match=message):
        parse_mapping(raw, "broken.json")


def test_two_files_for_one_framework_are_refused(tmp_path: Path) -> None:
    for name in ("cis_m365_v5_0_0.json", "cis_m365_v6_0_0.json", "scuba.json"):
        source = "cis" if name.startswith("cis") else "scuba"
        (tmp_path / name).write_text(json.dumps(_raw(source)), encoding="utf-8")
    with pytest.raises(MappingError, match="two mapping files for cis"):
        load_mappings(tmp_path.glob("*.json"))
    (tmp_path / "cis_m365_v6_0_0.json").unlink()
    assert set(load_mappings(tmp_path.glob("*.json"))) == {"cis", "scuba"}


def test_check_metadata_carries_no_framework_ids() -> None:
    names = {f.name for f in fields(CheckMetadata)}
    assert not names & {"cis", "scuba"}


def _with(monkeypatch: pytest.MonkeyPatch, extra_control: dict[str, Any]) -> None:
    raw = _raw("cis")
    raw["controls"].append(extra_control)
    patched: dict[str, FrameworkMapping] = {**mappings(), "cis": parse_mapping(raw, "test.json")}
    monkeypatch.setattr(module, "mappings", lambda: patched)


def test_framework_ids_are_a_string_a_list_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    assert framework_ids("exo.smtp_auth_disabled") == {"cis": "6.5.4", "scuba": "MS.EXO.5.1v1"}
    assert framework_ids("apps.secrets_long_lived") == {"cis": None, "scuba": None}
    _with(
        monkeypatch,
        {
            "id": "6.5.5",
            "title": "A second control for the same check",
            "section": "6.5 Settings",
            "checks": ["exo.smtp_auth_disabled"],
            "coverage": "partial",
            "note": "Only here to prove a check that covers two controls lists both, in control order.",
        },
    )
    assert framework_ids("exo.smtp_auth_disabled") == {"cis": ["6.5.4", "6.5.5"], "scuba": "MS.EXO.5.1v1"}
    assert ids_text(["6.5.4", "6.5.5"]) == "6.5.4, 6.5.5"
    assert ids_text(None) == "" and ids_text("6.5.4") == "6.5.4"
    row = {"checkId": "exo.smtp_auth_disabled", **framework_ids("exo.smtp_auth_disabled")}
    assert "6.5.4; 6.5.5,MS.EXO.5.1v1" in to_csv([row])


class _Findings:
    """A tenant partition holding only finding documents (all framework_coverage reads)."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    async def findings(self) -> list[Finding]:
        return [Finding.model_validate(d) for d in self.docs]  # as the repository reads them


def _finding(check_id: str, status: str) -> dict[str, Any]:
    return {
        "id": f"finding:{check_id}",
        "checkId": check_id,
        "title": check_id,
        "severity": "high",
        "status": status,
        "acceptance": None,
    }


async def test_the_scorecard_lists_every_mapped_control_with_its_coverage() -> None:
    docs = [_finding(c.id, "pass") for c in CATALOGUE]
    docs[[d["checkId"] for d in docs].index("exo.smtp_auth_disabled")]["status"] = "fail"
    card = await framework_coverage(_Findings(docs), "cis", NOW)
    assert card["title"] == mapping("cis").title and card["version"] == "5.0.0"
    by_id = {c["id"]: c for c in card["controls"]}
    assert list(by_id) == [c.id for c in mapping("cis").controls]
    assert by_id["6.5.4"]["status"] == "failed"
    assert by_id["6.2.1"]["coverage"] == "partial" and "transport rules" in by_id["6.2.1"]["note"]
    assert by_id["6.2.1"]["status"] == "passed"  # by the part checked, and flagged as partial
    assert by_id["1.1.1"]["coverage"] == "full" and by_id["1.1.1"]["note"] is None
    assert by_id["5.2.2.2"]["checks"][0]["title"] == get_check("entra.mfa_all_users").metadata.title
    assert card["partialControls"] == sum(1 for c in mapping("cis").controls if c.partial)
    assert card["counts"] == {"passed": len(by_id) - 1, "failed": 1, "not_assessed": 0}


async def test_an_unscanned_tenant_has_every_control_not_assessed() -> None:
    card = await framework_coverage(_Findings([]), "scuba", NOW)
    assert card["counts"]["not_assessed"] == len(mapping("scuba").controls)
    assert all(c["checks"][0]["status"] == "not_scanned" for c in card["controls"])
    seven_one = next(c for c in card["controls"] if c["id"] == "MS.EXO.7.1v1")
    assert [c["checkId"] for c in seven_one["checks"]] == ["exo.external_sender_tag_rule"]


def test_the_guide_names_the_files_and_every_partial_control() -> None:
    text = DOC.read_text(encoding="utf-8")
    for data in mappings().values():
        assert data.file in text
        for control in data.controls:
            if control.partial:
                assert f"`{control.id}`" in text, f"docs/frameworks.md does not explain {control.id}"
        for excluded in data.not_claimed:
            assert f"`{excluded.control}`" in text
    assert "docs/frameworks.md" in (ROOT / "README.md").read_text(encoding="utf-8")

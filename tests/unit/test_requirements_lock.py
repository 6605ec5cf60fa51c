"""The locks (requirements.txt, requirements-dev.txt) pin every package with its hashes, hold the
human-edited lists' pins (requirements.in, requirements-dev.in), agree with each other, and name no
package index: `make lock` writes them, and this catches a list edited without it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})\b")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lines(path: Path) -> list[str]:
    """The file's logical lines: comments dropped, backslash continuations joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in _lines(path):
        match = PIN.match(line)
        if match:
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _locked(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    locked = {}
    for line in _lines(path):
        match = PIN.match(line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        hashes = frozenset(HASH.findall(line))
        assert hashes, f"{path.name}: {match.group(1)} has no hash"
        locked[_name(match.group(1))] = (match.group(2), hashes)
    return locked


@pytest.mark.parametrize(
    ("listed", "lock"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_the_lock_holds_every_pin_of_its_list(listed: str, lock: str) -> None:
    locked = _locked(ROOT / lock)
    for name, version in _pins(ROOT / listed).items():
        assert name in locked, f"{name} is in {listed} but not in {lock}: run `make lock`"
        assert locked[name][0] == version, (
            f"{name}: {listed} pins {version}, {lock} {locked[name][0]}: run `make lock`"
        )


def test_the_dev_lock_has_the_runtime_lock_s_versions_and_hashes() -> None:
    runtime = _locked(ROOT / "requirements.txt")
    dev = _locked(ROOT / "requirements-dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_the_lock_names_no_index(lock: str) -> None:
    text = (ROOT / lock).read_text(encoding="utf-8")
    assert not re.search(r"--(extra-)?index-url|--find-links|--trusted-host|://|^-[if] ", text, re.M)

"""The scanning process's garbage-collection threshold (core.collect.memory)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from core.collect.memory import SCANNING_GEN0_THRESHOLD, collect_less_often_while_scanning


@pytest.fixture
def threshold() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_scanning_raises_the_youngest_threshold_and_keeps_the_others(threshold: None) -> None:
    gc.set_threshold(700, 11, 12)
    collect_less_often_while_scanning()
    assert gc.get_threshold() == (SCANNING_GEN0_THRESHOLD, 11, 12)
    assert gc.isenabled()


def test_a_higher_threshold_set_by_the_host_is_left_alone(threshold: None) -> None:
    gc.set_threshold(SCANNING_GEN0_THRESHOLD * 5, 10, 10)
    collect_less_often_while_scanning()
    assert gc.get_threshold()[0] == SCANNING_GEN0_THRESHOLD * 5

"""How many HTTP worker processes `scanposture serve` runs: FUNCTIONS_WORKER_PROCESS_COUNT, as the
Functions host reads it (1 unless set, at most 10), or `--workers`."""

from __future__ import annotations

import pytest

from functions.cli import build_parser
from functions.local_host import WORKER_PROCESS_COUNT, worker_process_count


def test_one_worker_process_unless_the_host_setting_says_otherwise() -> None:
    assert worker_process_count({}) == 1
    assert worker_process_count({WORKER_PROCESS_COUNT: ""}) == 1  # Bicep's "not set"
    assert worker_process_count({WORKER_PROCESS_COUNT: "4"}) == 4


@pytest.mark.parametrize("value", ["0", "11", "-1", "two"])
def test_a_count_the_host_would_refuse_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=WORKER_PROCESS_COUNT):
        worker_process_count({WORKER_PROCESS_COUNT: value})


def test_serve_takes_a_worker_count_of_1_to_10() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).workers is None  # then the environment's setting
    assert parser.parse_args(["serve", "--workers", "3", "--no-worker"]).workers == 3
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--workers", "11"])

"""bench/run_all's summary puts each target beside the measured figure and says which were missed."""

from __future__ import annotations

from typing import Any

from bench.run_all import FIGURES, summary


def _results(**api: Any) -> dict[str, Any]:
    return {
        "when": "2026-11-26T21:00:00+00:00",
        "machine": {"cpus": 2, "python": "3.11.7"},
        "quick": False,
        "seconds": {"api": 95.0},
        "api": {
            "fleet_view": {"p95_ms": api.get("fleet", 40.5)},
            "search_by_check": {"p95_ms": 19.5},
            "search_by_text": {"p95_ms": 101.1},
            "drill_down_findings_page": {"p95_ms": 59.2},
            "drill_down_dashboard": {"p95_ms": 57.5},
        },
    }


def _row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {name}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_each_figure_is_judged_against_its_target() -> None:
    text = summary(_results())
    assert _row(text, "API: fleet view p95") == ["API: fleet view p95", "5", "≤ 50 ms", "40.5 ms", "met"]
    search = _row(text, "API: cross-tenant search p95")
    assert search[2:] == ["≤ 100 ms", "101.1 ms", "MISSED"]  # the worse of the two searches counts
    assert _row(summary(_results(fleet=50.1)), "API: fleet view p95")[-1] == "MISSED"


def test_a_benchmark_that_did_not_run_is_reported_as_not_measured() -> None:
    text = summary(_results())
    assert _row(text, "Scan (b)")[3:] == ["not measured", ""]
    assert text.count("| ") >= len(FIGURES)
    assert "Wall time per benchmark: api 95 s." in text


def test_the_load_is_judged_against_issue_24s_targets() -> None:
    results = _results()
    load = {"requests_per_second": 151.2, "all": {"p95_ms": 401.0}, "error_rate": 0.0, "workers": 2}
    results["api"]["load"] = {**load, "machine_cpu": {"busy_share": 0.97}}
    text = summary(results)
    assert _row(text, "Load target, 50 users for 60 s: throughput")[2:] == [
        "≥ 150 requests/s",
        "151.2 requests/s",
        "met",
    ]
    assert _row(text, "Load target, 50 users for 60 s: p95")[2:] == ["≤ 400 ms", "401 ms", "MISSED"]
    assert _row(text, "Load target, 50 users for 60 s: error rate")[2:] == ["≤ 0", "0", "met"]
    assert _row(text, "Load: throughput")[2:] == ["(recorded)", "151.2 requests/s", ""]  # issue 11's stays
    assert _row(text, "Load: HTTP worker processes")[3] == "2"

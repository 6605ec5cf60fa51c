"""Every benchmark in one command (issue 11): scanning, the API (with the 50-user load), reports,
the fleet page in the browser and cold start, each in its own process one after another (never two
at once on this machine), then one file of every figure and one summary with each issue's target
beside the measured figure.

Run: bench/run_all [--quick]     (or .venv/bin/python -m bench.run_all)
Writes bench/results/latest.json and bench/results/latest.md, and prints the summary.
`--quick` runs smaller sizes to check the machinery; its figures are not the issues' figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# name -> (module arguments at full size, at --quick size)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "scan": (["--tenants", "300"], ["--tenants", "20"]),
    "api": (
        ["--customers", "1000", "--fleet-sizes", "10000"],
        ["--customers", "100", "--requests", "40", "--load-seconds", "5", "--fleet-sizes", "500"],
    ),
    "reports": ([], ["--runs", "3"]),
    "portal": (["--customers", "1000"], ["--customers", "100", "--visits", "5"]),
    "coldstart": (["--runs", "7"], ["--runs", "2"]),
}


@dataclass(frozen=True)
class Figure:
    name: str
    issue: int
    unit: str
    read: Callable[[dict[str, Any]], Any]
    at_most: float | None = None
    at_least: float | None = None

    @property
    def target(self) -> str:
        if self.at_most is not None:
            return f"≤ {self.at_most:g} {self.unit}".strip()
        if self.at_least is not None:
            return f"≥ {self.at_least:g} {self.unit}".strip()
        return "(recorded)"

    def verdict(self, value: Any) -> str:
        if not isinstance(value, int | float):
            return ""
        if self.at_most is not None:
            return "met" if value <= self.at_most else "MISSED"
        if self.at_least is not None:
            return "met" if value >= self.at_least else "MISSED"
        return ""


def _report_60(results: dict[str, Any]) -> dict[str, Any]:
    return next(size for size in results["reports"]["sizes"] if size["findings"] == 60)


def _cpu_of(route: str) -> Callable[[dict[str, Any]], Any]:
    """The in-process CPU per request of one route of the load mix (bench/api_requests.py)."""
    return lambda r: r["api"]["cpu_per_request"][route]["p50_ms"]


FIGURES: tuple[Figure, ...] = (
    Figure(
        "Scan (a): 5,000-user tenant, wall time / critical path",
        3,
        "x",
        lambda r: r["scan"]["a_one_tenant_5000_users"]["ratio_to_critical_path"],
        at_most=1.5,
    ),
    Figure(
        "Scan (a) again, the tenant's first scan (the simulator builds its answers during it)",
        3,
        "x",
        lambda r: r["scan"]["a_one_tenant_5000_users"]["first_scan"]["ratio_to_critical_path"],
    ),
    Figure(
        "Scan (a): 5,000-user tenant, wall time / critical path",
        24,
        "x",
        lambda r: r["scan"]["a_one_tenant_5000_users"]["ratio_to_critical_path"],
        at_most=1.2,
    ),
    Figure(
        "Scan (c): scanner CPU per 1,000 users (worst of the 5,000- and 1,000-user tenants)",
        24,
        "ms",
        lambda r: max(
            r["scan"]["a_one_tenant_5000_users"]["cpu_ms_per_1000_users"],
            r["scan"]["c_one_tenant_1000_users"]["cpu_ms_per_1000_users"],
        ),
        at_most=50,
    ),
    Figure(
        "Scan (b): 1,000-user tenants through the queue into the store",
        3,
        "tenants/min",
        lambda r: r["scan"]["b_fleet_through_queue"]["tenants_per_minute"],
        at_least=300,
    ),
    Figure(
        "Scan (c): scanner CPU per 1,000 users (worst of the 5,000- and 1,000-user tenants)",
        3,
        "ms",
        lambda r: max(
            r["scan"]["a_one_tenant_5000_users"]["cpu_ms_per_1000_users"],
            r["scan"]["c_one_tenant_1000_users"]["cpu_ms_per_1000_users"],
        ),
        at_most=150,
    ),
    Figure("API: fleet view p95", 5, "ms", lambda r: r["api"]["fleet_view"]["p95_ms"], at_most=50),
    Figure(
        "API: cross-tenant search p95 (worst of by check and by text)",
        5,
        "ms",
        lambda r: max(r["api"]["search_by_check"]["p95_ms"], r["api"]["search_by_text"]["p95_ms"]),
        at_most=100,
    ),
    Figure(
        "API: drill-down p95 (worst of findings page and dashboard)",
        5,
        "ms",
        lambda r: max(
            r["api"]["drill_down_findings_page"]["p95_ms"], r["api"]["drill_down_dashboard"]["p95_ms"]
        ),
        at_most=100,
    ),
    Figure(
        "API: a customer viewer's dashboard through its resource token (p95)",
        23,
        "ms",
        lambda r: r["api"]["customer_dashboard"]["as_customer_viewer"]["p95_ms"],
        at_most=100,
    ),
    Figure(
        "API: fleet compliance matrix p95 (worst of every customer and those below 80%)",
        22,
        "ms",
        lambda r: max(
            r["api"]["fleet_compliance_matrix"]["p95_ms"], r["api"]["fleet_compliance_below_80"]["p95_ms"]
        ),
        at_most=15,
    ),
    Figure(
        "Portal: fleet page of 1,000 customers, tiles, chart and every row drawn (p95)",
        18,
        "ms",
        lambda r: r["portal"]["fleet_page"]["every_row"]["p95_ms"],
    ),
    Figure(
        "Report of 60 findings: median render", 6, "ms", lambda r: _report_60(r)["median_ms"], at_most=300
    ),
    Figure(
        "Report of 60 findings: peak memory (worst of traced and RSS growth)",
        6,
        "MB",
        lambda r: max(_report_60(r)["tracemalloc_peak_mb"], _report_60(r)["ru_maxrss_delta_mb"]),
        at_most=150,
    ),
    Figure(
        "Load: 50 portal users for 60 s, p95 of every request",
        11,
        "ms",
        lambda r: r["api"]["load"]["all"]["p95_ms"],
    ),
    Figure("Load: error rate", 11, "", lambda r: r["api"]["load"]["error_rate"]),
    Figure("Load: throughput", 11, "requests/s", lambda r: r["api"]["load"]["requests_per_second"]),
    Figure(
        "API: fleet view p95, 1,000 customers",
        24,
        "ms",
        lambda r: r["api"]["fleet_view"]["p95_ms"],
        at_most=15,
    ),
    Figure(
        "API: fleet view p95, 10,000 customers",
        24,
        "ms",
        lambda r: r["api"]["fleet_view_at_size"]["10000"]["p95_ms"],
        at_most=60,
    ),
    Figure(
        "Load target, 50 users for 60 s: throughput",
        24,
        "requests/s",
        lambda r: r["api"]["load"]["requests_per_second"],
        at_least=150,
    ),
    Figure(
        "Load target, 50 users for 60 s: p95 of every request",
        24,
        "ms",
        lambda r: r["api"]["load"]["all"]["p95_ms"],
        at_most=400,
    ),
    Figure(
        "Load target, 50 users for 60 s: error rate",
        24,
        "",
        lambda r: r["api"]["load"]["error_rate"],
        at_most=0,
    ),
    Figure("Load: HTTP worker processes serving it", 24, "", lambda r: r["api"]["load"]["workers"]),
    Figure(
        "Load: share of the machine's CPU busy during it (the load generator and stand-ins included)",
        24,
        "",
        lambda r: r["api"]["load"]["machine_cpu"]["busy_share"],
    ),
    *(
        Figure(f"API: CPU per request in-process, {route.replace('_', ' ')} (p50)", 24, "ms", _cpu_of(route))
        for route in ("fleet_view", "search_by_check", "drill_down_findings_page", "drill_down_dashboard")
    ),
    Figure(
        "Cold start: import function_app and answer the first request (median)",
        11,
        "ms",
        lambda r: r["coldstart"]["cold_start_ms_median"],
    ),
    Figure(
        "Cold start: modules of msgraph imported on HTTP paths",
        11,
        "",
        lambda r: len(r["coldstart"]["graph_modules_loaded_on_http_paths"]),
        at_most=0,
    ),
    Figure(
        "Cold start: import function_app + answer the first request (median)",
        24,
        "ms",
        lambda r: r["coldstart"]["cold_start_ms_median"],
        at_most=400,
    ),
    Figure(
        "Cold start: heavy modules (scanning, PDF, MCP, mail) loaded by import + first request",
        24,
        "",
        lambda r: len(r["coldstart"]["heavy_modules_loaded_by_first_request"]),
        at_most=0,
    ),
)


def run_benchmark(name: str, quick: bool) -> tuple[dict[str, Any], float]:
    full, small = BENCHMARKS[name]
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", f"bench.{name}", *(small if quick else full)], cwd=ROOT, check=True)
    figures: dict[str, Any] = json.loads((RESULTS / f"{name}.json").read_text())
    return figures, time.perf_counter() - began


def summary(results: dict[str, Any]) -> str:
    """The Markdown table: each figure, the issue that set it, its target, what was measured."""
    lines = [
        f"# Benchmarks, {results['when']}",
        "",
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}"
        + (" — QUICK sizes, not the issues' figures" if results["quick"] else ""),
        "",
        "| figure | issue | target | measured | |",
        "|---|---|---|---|---|",
    ]
    for figure in FIGURES:
        try:
            value = figure.read(results)
        except (KeyError, StopIteration, TypeError):
            value = None
        shown = "not measured" if value is None else f"{value:g} {figure.unit}".strip()
        lines.append(
            f"| {figure.name} | {figure.issue} | {figure.target} | {shown} | {figure.verdict(value)} |"
        )
    seconds = ", ".join(f"{name} {s:.0f} s" for name, s in results["seconds"].items())
    lines += ["", f"Wall time per benchmark: {seconds}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the machinery")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run just these")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "quick": args.quick,
        "seconds": {},
    }
    for name in args.only or BENCHMARKS:
        print(f"== bench.{name}", flush=True)
        results[name], results["seconds"][name] = run_benchmark(name, args.quick)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    text = summary(results)
    (RESULTS / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

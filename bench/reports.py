"""PDF report benchmark: render_report on reports of 60 and 500 findings.

For each size, in a fresh Python process (so one size's memory high-water mark cannot hide the
other's):
  - generation time: a first (cold) render that also reads the fonts, then --runs warm renders;
    median and max of the warm ones                                    target (60) <= 300 ms
  - peak memory: tracemalloc over one more render (kept apart from the timed runs, because tracing
    slows Python down) and the growth of ru_maxrss across all renders  target (60) <= 150 MB

Run: .venv/bin/python -m bench.reports [--runs 15]
Prints the figures and saves them to bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (60, 500)
TARGETS = {60: {"median_ms": 300, "peak_mb": 150}}


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def measure(findings: int, runs: int) -> dict[str, Any]:
    """One size, in this process. Imports and the test data are built before the baseline."""
    from core.reports.pdf import render_report
    from tests.unit.reports.support import report

    data = report(findings)
    rss_before = _maxrss_mb()
    start = time.perf_counter()
    pdf = render_report(data)
    cold_ms = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_report(data)
        times.append((time.perf_counter() - start) * 1000)
    rss_delta = _maxrss_mb() - rss_before

    tracemalloc.start()
    render_report(data)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    from pypdf import PdfReader  # only to count pages, after the measurements

    return {
        "findings": findings,
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "pdf_kb": round(len(pdf) / 1024, 1),
        "runs": runs,
        "cold_first_ms": round(cold_ms, 1),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "tracemalloc_peak_mb": round(traced_peak / 1024 / 1024, 1),
        "ru_maxrss_delta_mb": round(rss_delta, 1),
        "targets": TARGETS.get(findings, {}),
    }


def _in_child(findings: int, runs: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.reports", "--child", str(findings), "--runs", str(runs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.runs)))
        return

    sizes = [_in_child(n, args.runs if n <= 100 else max(3, args.runs // 3)) for n in SIZES]
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "sizes": sizes,
    }
    for size in sizes:
        target = size["targets"]
        verdict = ""
        if target:
            peak = max(size["tracemalloc_peak_mb"], size["ru_maxrss_delta_mb"])
            ok = size["median_ms"] <= target["median_ms"] and peak <= target["peak_mb"]
            met = "met" if ok else "MISSED"
            verdict = f"  target <= {target['median_ms']} ms, <= {target['peak_mb']} MB: {met}"
        print(
            f"{size['findings']:>4} findings, {size['pages']:>3} pages: median {size['median_ms']} ms, "
            f"max {size['max_ms']} ms (cold {size['cold_first_ms']} ms); "
            f"peak {size['tracemalloc_peak_mb']} MB traced, "
            f"ru_maxrss +{size['ru_maxrss_delta_mb']} MB{verdict}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

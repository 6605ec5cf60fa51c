"""Cold start (issues 11 and 24): the wall time for a fresh Python process to import `function_app`
and answer its first HTTP request through the Functions HTTP trigger, the way the host calls it,
split into the import and the first request, and which heavy modules (scanning, PDF and reports,
MCP, mail; `HEAVY_MODULES`) each phase loaded: an HTTP cold start should load none of them.

Each run is a new interpreter against the local stack. The first request is GET /api/health (it
reaches Cosmos DB, Blob and Queue storage); then GET /api/config, with no I/O. The app's modules are
compiled to bytecode first, as the deployment compiles them (`compile_like_the_deployment`).

Run: .venv/bin/python -m bench.coldstart [--runs 7]
Prints the figures and saves them to bench/results/coldstart.json.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from core.bootstrap import build_services, prepare_local_resources
from devtools.stack import LocalStack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GRAPH_MODULES = ("msgraph", "msgraph_core", "kiota_http")
# What importing `function_app` and answering GET /api/health must not load: each is paid for by
# the one route, queue or timer that uses it, at first use. Packages match with their submodules.
HEAVY_MODULES: dict[str, tuple[str, ...]] = {
    "scanning": (
        "core.collect",
        "core.checks",
        "core.scan",
        "msgraph",
        "msgraph_core",
        "kiota_abstractions",
        "kiota_http",
        "kiota_authentication_azure",
        "kiota_serialization_json",
    ),
    "reports": ("core.reports", "core.billing.pdf", "fpdf", "PIL"),
    "mcp": ("functions.mcp_server", "mcp"),
    "mail": ("core.mail",),
}
# Modules of those packages that the API's routes name for their types and constants: pure data
# and pydantic models, importing nothing heavy (tests/unit/test_import_boundaries.py checks it).
# Importing `function_app` loads only the first two (core.messages names the scan request model).
LIGHT_EXCEPTIONS = (
    "core.scan",
    "core.scan.requests",
    "core.scan.scoring",  # score bands, GET /api/config
    "core.scan.findings",  # the stored finding and the scan document: views read them
    "core.scan.record",
    "core.scan.attribution",
    "core.checks",
    "core.checks.model",  # Severity, Status, CheckMetadata: query parameters and views
    "core.checks.licensing",
    "core.checks.vocabulary",  # search words
    "core.collect",
    "core.collect.connection",  # the TLS settings and TenantUnreachable, for auth and consent
    "core.collect.failures",
    "core.collect.unreadable",  # why a source could not be read, in words
    "core.collect.sources",
    "core.collect.cmdlet_sources",
    "core.collect.admin_sources",
    "core.reports",
    "core.reports.model",  # Brand
    "core.reports.logo",  # the logo size limit and check; Pillow loads at the first logo
)

# Runs in the fresh interpreter. Times are from just before `import function_app`.
PROBE = """
import asyncio, json, sys, time

def heavy():
    # The loaded modules HEAVY_MODULES names, apart from LIGHT_EXCEPTIONS.
    prefixes = [p for group in HEAVY_MODULES.values() for p in group]
    return sorted(
        m for m in sys.modules
        if m not in LIGHT_EXCEPTIONS and any(m == p or m.startswith(p + ".") for p in prefixes)
    )

started = time.perf_counter()
import function_app
imported = time.perf_counter()
heavy_after_import = heavy()
resumed = time.perf_counter()  # the first request's clock leaves out the look at sys.modules
import azure.functions as func

functions = function_app.app.get_functions()
http = next(f for f in functions if f.get_trigger().get_binding_name() == "httpTrigger")
handler = http.get_user_function()

class Context:
    invocation_id = "bench"
    function_name = "http_app_func"
    function_directory = "."
    trace_context = None
    retry_context = None
    thread_local_storage = None

def call(path):
    request = func.HttpRequest("GET", "http://localhost" + path, headers={}, body=b"")
    return asyncio.run(handler(request, Context()))

first = call("/api/health")
answered = time.perf_counter()
heavy_after_first_request = heavy()
second = call("/api/config")
done = time.perf_counter()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "first_request_ms": (answered - resumed) * 1000,
    "cold_start_ms": (imported - started + answered - resumed) * 1000,
    "second_request_ms": (done - answered) * 1000,
    "statuses": [first.status_code, second.status_code],
    "graph_modules_loaded": sorted({m.split(".")[0] for m in sys.modules} & set(GRAPH_MODULES)),
    "heavy_after_import": heavy_after_import,
    "heavy_after_first_request": heavy_after_first_request,
}))
"""


def one_run(env: dict[str, str]) -> dict[str, Any]:
    began = time.perf_counter()
    script = (
        f"GRAPH_MODULES = {GRAPH_MODULES!r}\nHEAVY_MODULES = {HEAVY_MODULES!r}\n"
        f"LIGHT_EXCEPTIONS = {LIGHT_EXCEPTIONS!r}\n{PROBE}"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["process_ms"] = (time.perf_counter() - began) * 1000
    return figures


async def _prepare(stack: LocalStack) -> None:
    """What Bicep creates in Azure (database, containers, queues), so health can answer 200."""
    services = build_services(stack.settings())
    try:
        await prepare_local_resources(services)
    finally:
        await services.close()


def compile_like_the_deployment() -> None:
    """Bytecode for the app's own modules, made as docs/deploy.md makes it for the package: a
    deployed instance never compiles them at a cold start. The warm-up run would write it as well,
    but not where PYTHONDONTWRITEBYTECODE is set (it is on some machines), and then every run
    compiled whichever modules had no bytecode yet (tens of ms, more for newer ones)."""
    checked = py_compile.PycInvalidationMode.CHECKED_HASH
    compileall.compile_file(ROOT / "function_app.py", quiet=1, invalidation_mode=checked)
    for package in ("core", "functions"):
        compileall.compile_dir(ROOT / package, quiet=1, invalidation_mode=checked)


def run(runs: int) -> dict[str, Any]:
    compile_like_the_deployment()
    with tempfile.TemporaryDirectory() as scratch, LocalStack(Path(scratch)) as stack:
        asyncio.run(_prepare(stack))
        env = {**os.environ, **stack.env()}
        one_run(env)  # warms the OS file cache once, as a deployed instance's image would be
        samples = [one_run(env) for _ in range(runs)]
    statuses = {tuple(s["statuses"]) for s in samples}
    loaded = sorted({m for s in samples for m in s["graph_modules_loaded"]})

    def union(key: str) -> list[str]:
        return sorted({m for s in samples for m in s[key]})

    def median(key: str) -> float:
        return round(statistics.median(s[key] for s in samples), 1)

    return {
        "benchmark": "coldstart",
        "runs": runs,
        "import_function_app_ms_median": median("import_ms"),
        "first_request_ms_median": median("first_request_ms"),
        "cold_start_ms_median": median("cold_start_ms"),
        "cold_start_ms_max": round(max(s["cold_start_ms"] for s in samples), 1),
        "second_request_ms_median": median("second_request_ms"),
        "process_wall_ms_median": median("process_ms"),
        "statuses": sorted(list(s) for s in statuses),
        "graph_modules_loaded_on_http_paths": loaded,
        "heavy_modules_loaded_by_import": union("heavy_after_import"),
        "heavy_modules_loaded_by_first_request": union("heavy_after_first_request"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    figures = run(args.runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coldstart.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

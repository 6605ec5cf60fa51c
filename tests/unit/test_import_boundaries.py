"""Cold start (issue 24): importing `function_app` loads no FastAPI, no storage SDK and nothing of
scanning, reports, MCP or mail; the HTTP app is built at its first request, and answering requests
of every route family still loads none of those heavy modules. Each check runs in a fresh
interpreter, so what other tests imported does not count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.coldstart import HEAVY_MODULES, LIGHT_EXCEPTIONS

ROOT = Path(__file__).resolve().parents[2]

# Defines heavy(allowed) in the fresh interpreter: the loaded modules HEAVY_MODULES names.
_HEAVY = f"""
import sys
HEAVY = {[p for group in HEAVY_MODULES.values() for p in group]!r}
def heavy(allowed):
    return sorted(
        m for m in sys.modules
        if m not in allowed and any(m == p or m.startswith(p + ".") for p in HEAVY)
    )
"""

_IMPORT = (
    _HEAVY
    + """
import json, function_app
print(json.dumps({
    "heavy": heavy({"core.scan", "core.scan.requests"}),
    "packages": sorted({m.split(".")[0] for m in sys.modules}),
    "storage": sorted(m for m in sys.modules if m.startswith(("azure.storage", "azure.cosmos"))),
}))
"""
)

# Calls the HTTP function as the host does: the public config, the OpenAPI document, then one
# route of every router and the MCP mount without a credential (the 401 comes before any I/O).
_REQUESTS = (
    _HEAVY
    + """
import asyncio, json, re
import azure.functions as func
import function_app

http = next(f for f in function_app.app.get_functions() if f.get_function_name() == "http_app_func")
handler = http.get_user_function()

class Context:
    invocation_id = "boundaries"
    function_name = "http_app_func"
    function_directory = "."
    trace_context = retry_context = thread_local_storage = None

def call(method, path):
    request = func.HttpRequest(method, "http://localhost" + path, headers={}, body=b"")
    return asyncio.run(handler(request, Context())).status_code

statuses = {"/api/config": call("GET", "/api/config")}
from functions.api import ROUTER_MODULES
first = sorted(m for m in ROUTER_MODULES if "functions.api." + m in sys.modules)
auth_after_first = sorted(m for m in sys.modules if m.startswith(("functions.api.auth", "core.auth")))
statuses["/api/openapi.json"] = call("GET", "/api/openapi.json")
from functions.api import ROUTERS
from functions.api.gate import PUBLIC_PATHS
public_only = []
for router in ROUTERS:
    route = next((r for r in router.routes if "/api" + r.path not in PUBLIC_PATHS), None)
    if route is None:
        public_only.append(router.tags[0])
        continue
    path = "/api" + re.sub(r"{[^}]+}", "x", route.path)
    statuses[f"{router.tags[0]} {path}"] = call(sorted(route.methods)[0], path)
statuses["mcp /api/mcp"] = call("POST", "/api/mcp")
print(json.dumps({
    "statuses": statuses,
    "public_only": public_only,
    "routers_after_first_request": first,
    "auth_after_first_request": auth_after_first,
    "heavy": heavy(set(LIGHT_EXCEPTIONS)),
    "packages": sorted({m.split(".")[0] for m in sys.modules}),
}))
"""
)


def _fresh(script: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", f"LIGHT_EXCEPTIONS = {LIGHT_EXCEPTIONS!r}\n{script}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_importing_function_app_loads_nothing_heavy() -> None:
    loaded = _fresh(_IMPORT)
    # core.messages names the scan queue's message model (core.scan.requests) for the triggers.
    assert loaded["heavy"] == []
    assert not {"fastapi", "starlette", "httpx", "jwt", "PIL", "fpdf", "aiohttp"} & set(loaded["packages"])
    assert loaded["storage"] == []


def test_every_route_family_answers_its_first_request_without_heavy_modules() -> None:
    answered = _fresh(_REQUESTS)
    statuses = answered["statuses"]
    assert statuses.pop("/api/config") == 200
    # The first request imported its own router only (functions.api.families).
    assert answered["routers_after_first_request"] == ["config"]
    # A public request does not load sign-in: token validation, API keys, principals.
    assert answered["auth_after_first_request"] == []
    assert statuses.pop("/api/openapi.json") == 200
    assert sorted(answered["public_only"]) == ["config", "consent", "health"]
    assert len(statuses) == 12  # a route of each of the other eleven routers, and the MCP mount
    assert set(statuses.values()) == {401}, statuses
    assert answered["heavy"] == []
    # Nor do the light exceptions bring in what the heavy modules would: Graph, PDF, images, MCP,
    # and httpx and PyJWT, which wait for the first outbound call or token.
    late = {"msgraph", "kiota_abstractions", "fpdf", "PIL", "mcp", "httpx", "jwt"}
    assert not late & set(answered["packages"])

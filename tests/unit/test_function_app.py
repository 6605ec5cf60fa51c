"""The Functions app as the host would index it."""

import functools
import json
import subprocess
import sys
from pathlib import Path

import azure.functions as func

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _functions() -> dict[str, dict[str, object]]:
    """Index the app once: the library refuses to index the same app twice."""
    import function_app

    app: func.FunctionApp = function_app.app
    found = {}
    for function in app.get_functions():
        (trigger,) = [b for b in function.get_bindings() if b.direction == 0]  # the one input trigger
        found[function.get_function_name()] = trigger.get_dict_repr()
    return found


def test_http_function_serves_every_route_anonymously() -> None:
    http = _functions()["http_app_func"]
    assert http["type"] == "httpTrigger"
    assert http["route"] == "/{*route}"
    assert http["authLevel"] == func.AuthLevel.ANONYMOUS


def test_hourly_timer_schedule() -> None:
    timer = _functions()["hourly_scan_timer"]
    assert timer["type"] == "timerTrigger"
    assert timer["schedule"] == "0 0 * * * *"
    assert timer["runOnStartup"] is False


def test_queue_trigger_names_queue_and_connection_from_settings() -> None:
    queue = _functions()["scan_request_trigger"]
    assert queue["type"] == "queueTrigger"
    # Binding expressions resolve from app settings, so both must be fields of the settings model.
    assert queue["queueName"] == "%SCAN_QUEUE_NAME%"
    assert queue["connection"] == "STORAGE_CONNECTION"
    assert {"scan_queue_name", "storage_connection"} <= set(Settings.model_fields)
    assert Settings().scan_queue_name == "scan-requests"


def test_http_path_does_not_import_msgraph() -> None:
    # A fresh interpreter, so modules other tests imported do not count.
    probe = (
        "import sys, function_app; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'msgraph', 'kiota_http', 'msgraph_core'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_host_json_queue_settings_and_route_prefix() -> None:
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    queues = host["extensions"]["queues"]
    assert 1 <= queues["batchSize"] <= 32
    assert 1 <= queues["maxDequeueCount"] <= 10
    assert queues["messageEncoding"] == "base64"
    # FastAPI owns the /api prefix; the host must not add a second one.
    assert host["extensions"]["http"]["routePrefix"] == ""
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert host["extensionBundle"]["version"].startswith("[4.")


def test_daily_summary_timer_schedule() -> None:
    timer = _functions()["daily_summary_timer"]
    assert timer["type"] == "timerTrigger"
    assert timer["schedule"] == "0 0 7 * * *"


def test_webhook_delivery_trigger_reads_its_queue_from_settings() -> None:
    queue = _functions()["webhook_delivery_trigger"]
    assert (queue["queueName"], queue["connection"]) == ("%WEBHOOK_QUEUE_NAME%", "STORAGE_CONNECTION")
    assert "webhook_queue_name" in Settings.model_fields


def test_email_summary_trigger_reads_its_queue_from_settings() -> None:
    queue = _functions()["email_summary_trigger"]
    assert (queue["queueName"], queue["connection"]) == ("%EMAIL_QUEUE_NAME%", "STORAGE_CONNECTION")
    assert "email_queue_name" in Settings.model_fields

"""`make demo`: the local stack, the app on http://127.0.0.1:7071, until Ctrl-C.

`make demo ARGS=--once` does the demo's job and exits 0 (or non-zero, saying what failed).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from devtools.processes import REPO_ROOT, ManagedProcess, StackError, port_open, spawn, wait_until
from devtools.stack import LocalStack

DEMO_PORT = 7071
BASE_URL = f"http://127.0.0.1:{DEMO_PORT}"
STATE_DIR = REPO_ROOT / ".devstack"


def start_app(stack: LocalStack, log_path: Path) -> ManagedProcess:
    if port_open(DEMO_PORT):
        raise StackError(f"port {DEMO_PORT} is already in use; stop whatever serves {BASE_URL} first")
    app = spawn(
        "app",
        [sys.executable, "-m", "functions.cli", "serve", "--port", str(DEMO_PORT)],
        log_path,
        env=stack.env(),
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"{BASE_URL}/api/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, "the app", 60, app)
    return app


def print_banner(stack: LocalStack, app_log: Path) -> None:
    health = httpx.get(f"{BASE_URL}/api/health", timeout=5).json()
    print(f"\nScanPosture is running at {BASE_URL}")
    print(f"  API docs      {BASE_URL}/api/docs")
    print(f"  OpenAPI       {BASE_URL}/api/openapi.json")
    print(f"  health        {health['status']} ({health['message']})")
    print(f"  app log       {app_log}")
    print(f"  stack state   {stack.workdir}")


def run(once: bool) -> int:
    stack = LocalStack(STATE_DIR, in_memory=False)
    app: ManagedProcess | None = None
    try:
        stack.start()
        app_log = STATE_DIR / "logs/app.log"
        app = start_app(stack, app_log)
        print_banner(stack, app_log)
        if once:
            return 0
        print("\nPress Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while app.popen.poll() is None:
            time.sleep(0.5)
        print(f"the app exited with {app.popen.returncode}; see {app_log}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except StackError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if app is not None:
            app.stop()
        stack.stop()
        print("stopped the app and the local stack")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--once", action="store_true", help="do the demo's job, then exit")
    return run(parser.parse_args(argv).once)


if __name__ == "__main__":
    sys.exit(main())

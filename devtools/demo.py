"""`make demo`: the local stack, the Graph simulator, the sign-in provider and the app on
http://127.0.0.1:7071.

It onboards the simulator's demo customers to a demo MSP through the real admin-consent flow, lets
the app's own worker run their first scans from the queue, prints the fleet table, the sign-in page
and the demo users, and serves until Ctrl-C. `make demo ARGS=--once` stops
after the fleet table and exits 0 (or non-zero, saying what failed).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from core.settings import Settings
from devtools.demo_seed import (
    AWAITING_CONSENT,
    DemoUser,
    add_customer_awaiting_consent,
    demo_users,
    onboard_demo,
    write_demo_reports,
)
from devtools.graphsim.launcher import GraphSimulator, start_graph_simulator
from devtools.processes import REPO_ROOT, ManagedProcess, StackError, port_open, spawn, wait_until
from devtools.signin.launcher import SignInProvider, start_signin
from devtools.stack import LocalStack

DEMO_PORT = 7071
BASE_URL = f"http://127.0.0.1:{DEMO_PORT}"
STATE_DIR = REPO_ROOT / ".devstack"
DEMO_AUDIENCE = "api://scanposture-demo"
DEMO_OUT = REPO_ROOT / "demo-out"


def start_app(env: dict[str, str], log_path: Path) -> ManagedProcess:
    if port_open(DEMO_PORT):
        raise StackError(f"port {DEMO_PORT} is already in use; stop whatever serves {BASE_URL} first")
    app = spawn(
        "app",
        [sys.executable, "-m", "functions.cli", "serve", "--port", str(DEMO_PORT)],
        log_path,
        env=env,
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


def print_people(signin: SignInProvider, users: list[DemoUser]) -> None:
    print(f"\nSign in at {signin.base_url}/authorize?redirect_uri={BASE_URL}/ as one of the demo users:")
    for user in users:
        print(f"  {user.name:<34} {user.email:<38} {user.label}")


def print_consent_link(link: str) -> None:
    # Plain HTTP on loopback (AUTHORITY_BROWSER_HOST): any browser opens it, no certificate to trust.
    print(f"\n{AWAITING_CONSENT['name']} waits for its administrator's consent. To onboard it as they would,")
    print("open this consent link in a browser, accept, and sign in as its Global Administrator:")
    print(f"  {link}")


def _interrupted(*_: object) -> None:
    raise KeyboardInterrupt


def run(once: bool) -> int:
    # SIGTERM (what `make` or a service manager sends) stops the demo as Ctrl-C does, from the start.
    signal.signal(signal.SIGTERM, _interrupted)
    stack = LocalStack(STATE_DIR, in_memory=False)
    simulator: GraphSimulator | None = None
    signin: SignInProvider | None = None
    app: ManagedProcess | None = None
    try:
        stack.start()
        simulator = start_graph_simulator(STATE_DIR / "graphsim")
        users = demo_users(simulator.demo_tenants())
        signin = start_signin(STATE_DIR / "signin", [u.signin_user() for u in users], DEMO_AUDIENCE, BASE_URL)
        env = {
            **stack.env(),
            **simulator.env(),
            **signin.env(),
            "PUBLIC_BASE_URL": BASE_URL,
            # Consent links a person opens point at the simulator's loopback HTTP pages: no
            # certificate error in a browser that does not trust the local CA.
            "AUTHORITY_BROWSER_HOST": simulator.browser_authority,
        }
        app_log = STATE_DIR / "logs/app.log"
        app = start_app(env, app_log)
        print_banner(stack, app_log)
        settings = Settings(**{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        print(
            "\nOnboarding the demo customers through admin consent; first scans run through the queue ...\n"
        )
        print(asyncio.run(onboard_demo(settings, BASE_URL, simulator, signin, users)))
        reports = write_demo_reports(BASE_URL, signin, simulator.demo_tenants(), DEMO_OUT)
        print("\nExecutive reports:")
        for path in reports:
            print(f"  {path}")
        print_people(signin, users)
        print_consent_link(add_customer_awaiting_consent(BASE_URL, simulator, signin))
        if once:
            return 0
        print("\nPress Ctrl-C to stop.")
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
        # A second Ctrl-C or SIGTERM must not cut the cleanup short and leave the services running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in (app, signin, simulator):
            if process is not None:
                process.stop()
        stack.stop()
        print("stopped the app, the sign-in provider, the Graph simulator and the local stack", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--once", action="store_true", help="do the demo's job, then exit")
    return run(parser.parse_args(argv).once)


if __name__ == "__main__":
    sys.exit(main())

"""The `scanposture` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from core.bootstrap import build_services
from core.health import check_health


async def _health() -> int:
    services = build_services()
    try:
        report = await check_health(services)
    finally:
        await services.close()
    for dep in report.dependencies:
        print(f"{dep.name:<8} {'up' if dep.ok else 'DOWN':<5} {dep.detail}")
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scanposture", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("health", help="check that Cosmos DB, Blob and Queue storage answer")
    serve = commands.add_parser(
        "serve", help="serve the API and portal and drain the scan queue (local stand-in for the host)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--no-worker", action="store_true", help="serve HTTP only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "health":
        return asyncio.run(_health())
    if args.command == "serve":
        from core.settings import get_settings
        from functions.local_host import serve

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(serve(get_settings(), args.host, args.port, worker=not args.no_worker))
        return 0
    return 2  # argparse rejects unknown commands before this


if __name__ == "__main__":
    sys.exit(main())

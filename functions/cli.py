"""The `scanposture` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.bootstrap import build_services
from core.health import check_health
from core.settings import Settings, get_settings


async def _health() -> int:
    services = build_services()
    try:
        report = await check_health(services)
    finally:
        await services.close()
    for dep in report.dependencies:
        print(f"{dep.name:<8} {'up' if dep.ok else 'DOWN':<5} {dep.detail}")
    return 0 if report.ok else 1


async def _bootstrap_msp(args: argparse.Namespace) -> int:
    from core.orgs import bootstrap_msp

    services = build_services()
    try:
        if services.settings.environment == "local":  # Bicep creates them in Azure
            await services.store.ensure_containers()
        org = await bootstrap_msp(
            services.store,
            org_id=args.org_id,
            name=args.name,
            admin_tenant_id=args.admin_tenant_id,
            admin_object_id=args.admin_object_id,
            admin_name=args.admin_name,
            admin_email=args.admin_email,
        )
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        await services.close()
    print(f"MSP {org['name']} ({args.org_id}): {args.admin_email or args.admin_object_id} is an MSP admin")
    return 0


async def _migrate(step: str) -> int:
    from core.migrations import migrate_relationships

    services = build_services()
    try:
        if services.settings.environment == "local":  # Bicep creates them in Azure
            await services.store.ensure_containers()
        report = await migrate_relationships(services)
    finally:
        await services.close()
    print("\n".join(report.lines()))
    return 0


def _checks(as_json: bool) -> int:
    from core.checks.catalogue import CATALOGUE
    from core.frameworks.mappings import framework_ids, ids_text

    if as_json:
        rows: list[dict[str, Any]] = []
        for check in CATALOGUE:
            meta = check.metadata
            rows.append(
                {
                    "id": meta.id,
                    "title": meta.title,
                    "category": meta.category,
                    "severity": meta.severity.value,
                    "rationale": meta.rationale,
                    "remediation": meta.remediation,
                    **framework_ids(meta.id),
                    "permissions": list(meta.permissions),
                    "licence": meta.licence,
                    "sources": list(meta.sources),
                    "references": list(meta.references),
                }
            )
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':<48} {'severity':<9} {'CIS':<10} {'SCuBA':<22} title")
    for check in CATALOGUE:
        meta = check.metadata
        ids = framework_ids(meta.id)
        frameworks = f"{ids_text(ids['cis']) or '-':<10} {ids_text(ids['scuba']) or '-':<22}"
        print(f"{meta.id:<48} {meta.severity.value:<9} {frameworks} {meta.title}")
    print(f"\n{len(CATALOGUE)} checks")
    return 0


def _print_assessment(assessment: Any, name: str) -> None:
    counts = assessment.counts()
    score = "n/a" if assessment.score is None else f"{assessment.score:.1f}"
    print(
        f"\n{name}\n  score {score}   open P1 {assessment.open_priority_count}   "
        + "   ".join(f"{k} {v}" for k, v in counts.items())
    )
    failures = assessment.failures()
    if failures:
        print("\n  top failures")
        for result in failures[:10]:
            print(f"  - [{result.check.severity.value:<8}] {result.check.id}: {result.outcome.summary}")
    errors = [r for r in assessment.results if r.outcome.status.value == "error"]
    if errors:
        example = f"{errors[0].check.id}: {errors[0].outcome.summary}"
        print(f"\n  {len(errors)} checks could not be assessed, e.g. {example}")


async def _assess(settings: Settings, tenant: str) -> tuple[str, Any]:
    from core.collect.connection import resolve_tenant_id
    from core.collect.connector import GraphTenantConnector

    tenant_id = await resolve_tenant_id(settings, tenant)
    return tenant_id, await GraphTenantConnector(settings).assess(tenant_id)


def _scan(settings: Settings, tenant: str, json_path: str | None) -> int:
    from core.collect.connection import TenantUnreachable

    try:
        tenant_id, assessment = asyncio.run(_assess(settings, tenant))
    except TenantUnreachable as exc:
        print(f"cannot scan {tenant}: {exc}", file=sys.stderr)
        return 3
    _print_assessment(assessment, f"{tenant} ({tenant_id})")
    if json_path:
        Path(json_path).write_text(json.dumps(assessment.to_json(), indent=2))
        print(f"\n  results written to {json_path}")
    return 0


def _scan_with_simulator(tenant: str, json_path: str | None) -> int:
    # A developer convenience: start the local Graph simulator, scan one of its tenants, stop it.
    # The simulator is dev tooling, so it is imported only for this flag.
    import tempfile

    from devtools.graphsim.launcher import start_graph_simulator

    with tempfile.TemporaryDirectory(prefix="scanposture-sim-") as workdir:
        simulator = start_graph_simulator(Path(workdir))
        try:
            settings = Settings(**{k.lower(): v for k, v in simulator.env().items()})  # type: ignore[arg-type]
            return _scan(settings, tenant, json_path)
        finally:
            simulator.stop()


def _serve(args: argparse.Namespace) -> int:
    from functions.local_host import configure_logging, serve, worker_process_count

    configure_logging()
    try:
        workers = args.workers or worker_process_count()
    except ValueError as exc:  # the environment's FUNCTIONS_WORKER_PROCESS_COUNT
        print(exc, file=sys.stderr)
        return 2
    settings = get_settings()
    return asyncio.run(serve(settings, args.host, args.port, worker=not args.no_worker, workers=workers))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scanposture", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("health", help="check that Cosmos DB, Blob and Queue storage answer")
    checks = commands.add_parser("checks", help="list the check catalogue with its metadata")
    checks.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    bootstrap = commands.add_parser(
        "bootstrap-msp", help="create the MSP's org and make its first MSP admin (once, after deploying)"
    )
    bootstrap.add_argument("--org-id", required=True, help="a short, stable id for the MSP, e.g. contoso-msp")
    bootstrap.add_argument("--name", required=True, help="the MSP's name, as reports show it")
    bootstrap.add_argument(
        "--admin-tenant-id",
        required=True,
        help="the admin's home Entra tenant id (recorded as the MSP's home tenant)",
    )
    bootstrap.add_argument("--admin-object-id", required=True, help="the admin's Entra user object id")
    bootstrap.add_argument("--admin-email", help="the admin's email address")
    bootstrap.add_argument("--admin-name", help="the admin's display name")
    migrate = commands.add_parser(
        "migrate", help="move data written by earlier versions into this version's shape (idempotent)"
    )
    migrate.add_argument(
        "step",
        choices=["relationships"],
        help="relationships: tenant data from the raw tenant id to the relationship that owns it",
    )
    permissions = commands.add_parser(
        "permissions", help="the application permissions the scanner app needs, from the check catalogue"
    )
    permissions.add_argument(
        "--json", action="store_true", help="print the app registration's requiredResourceAccess"
    )
    permissions.add_argument(
        "--with-optional",
        action="store_true",
        help="include the optional, write-capable permissions (SharePoint admin checks) in --json",
    )
    scan = commands.add_parser(
        "scan", help="scan one tenant with the app's credentials from the environment and print a summary"
    )
    scan.add_argument("--tenant", required=True, help="tenant id or a verified domain")
    scan.add_argument("--json", metavar="FILE", help="also write every result to FILE")
    scan.add_argument("--simulator", action="store_true", help="scan the local Graph simulator")
    commands.add_parser(
        "mcp",
        help="an MCP server over stdio for AI assistants, acting with the API key in SCANPOSTURE_API_KEY",
    )
    serve = commands.add_parser(
        "serve", help="serve the API and portal and drain the scan queue (local stand-in for the host)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--no-worker", action="store_true", help="serve HTTP only")
    serve.add_argument(
        "--workers",
        type=_worker_count,
        help="HTTP worker processes (1-10), as a Functions host instance runs; "
        "default: FUNCTIONS_WORKER_PROCESS_COUNT, else 1. The queue worker runs once either way",
    )
    return parser


def _worker_count(text: str) -> int:
    from functions.local_host import MAX_WORKER_PROCESSES, WORKER_PROCESS_COUNT, worker_process_count

    try:
        return worker_process_count({WORKER_PROCESS_COUNT: text})
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_WORKER_PROCESSES}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "health":
        return asyncio.run(_health())
    if args.command == "checks":
        return _checks(args.json)
    if args.command == "bootstrap-msp":
        return asyncio.run(_bootstrap_msp(args))
    if args.command == "migrate":
        return asyncio.run(_migrate(args.step))
    if args.command == "permissions":
        from core.permissions import permissions_markdown, required_resource_access, roles_markdown

        text = f"{permissions_markdown()}\n\n{roles_markdown()}"
        access = required_resource_access(optional=args.with_optional)
        print(json.dumps(access, indent=2) if args.json else text)
        return 0
    if args.command == "scan":
        if args.simulator:
            return _scan_with_simulator(args.tenant, args.json)
        return _scan(get_settings(), args.tenant, args.json)
    if args.command == "mcp":
        import os

        from core.bootstrap import LazyServices
        from functions.mcp_server import build_mcp_server

        key = os.environ.get("SCANPOSTURE_API_KEY", "")
        if not key:
            print("set SCANPOSTURE_API_KEY to an API key (spk....)", file=sys.stderr)
            return 2
        build_mcp_server(LazyServices(get_settings()), key).run("stdio")
        return 0
    if args.command == "serve":
        return _serve(args)
    return 2  # argparse rejects unknown commands before this


if __name__ == "__main__":
    sys.exit(main())

"""Run the Graph simulator: `python -m devtools.graphsim.server --port N --cert C --key K ...`.

It binds its HTTPS port, its UDP DNS port and its plain-HTTP browser port itself (port 0 means
"any free one"), then prints one line, `listening <https-port> <dns-port> <browser-port>`, so a
launcher never races another process for a port. The browser port serves only the admin-consent
and sign-in pages, on loopback, so a person's browser can follow a consent link without trusting
the simulator's certificate authority.
The app's client secret comes from the GRAPHSIM_CLIENT_SECRET environment variable, never argv.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import socket
import sys
from collections.abc import Generator, Sequence

import uvicorn

from devtools.graphsim.admin import read_demo_fixtures, read_provider_fixture
from devtools.graphsim.app import create_app, create_browser_app
from devtools.graphsim.catalog import SECRET_ENV, SIM_APP_ID
from devtools.graphsim.dnsserver import DnsProtocol
from devtools.graphsim.state import AppRegistration, SimState


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.graphsim.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="HTTPS port (0: any free port)")
    parser.add_argument("--dns-port", type=int, default=0, help="UDP DNS port (0: any free port)")
    parser.add_argument(
        "--browser-port", type=int, default=0, help="plain-HTTP port for the consent pages (0: any free port)"
    )
    parser.add_argument("--cert", required=True, help="TLS certificate (PEM)")
    parser.add_argument("--key", required=True, help="TLS private key (PEM)")
    parser.add_argument("--app-id", default=SIM_APP_ID, help="the multi-tenant app's client id")
    parser.add_argument("--app-certificate", help="the app's registered certificate (public PEM)")
    parser.add_argument(
        "--demo-tenants", action="store_true", help="load the demo customers and the provider's tenant"
    )
    parser.add_argument("--cache-mb", type=int, default=1024, help="memory for serialized pages")
    return parser.parse_args(argv)


def _bind(host: str, port: int, kind: socket.SocketKind) -> socket.socket:
    if kind == socket.SOCK_STREAM:
        # proto must say TCP: asyncio only sets TCP_NODELAY on sockets whose proto is IPPROTO_TCP,
        # and without it every response waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, kind, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    else:
        sock = socket.socket(socket.AF_INET, kind)
    sock.bind((host, port))
    return sock


class _QuietServer(uvicorn.Server):
    """A second server in the same loop: the HTTPS one handles SIGTERM and then stops this one."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        yield


async def _serve(
    state: SimState, args: argparse.Namespace, tcp: socket.socket, udp: socket.socket, browser: socket.socket
) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: DnsProtocol(state), sock=udp)
    config = uvicorn.Config(
        create_app(state),
        ssl_certfile=args.cert,
        ssl_keyfile=args.key,
        log_level="warning",
        access_log=False,  # nothing is logged per request: the benchmark drives tens of thousands
        lifespan="off",
        timeout_keep_alive=60,
        backlog=4096,
    )
    pages = _QuietServer(
        uvicorn.Config(create_browser_app(state), log_level="warning", access_log=False, lifespan="off")
    )
    pages_task = asyncio.create_task(pages.serve(sockets=[browser]))
    try:
        await uvicorn.Server(config).serve(sockets=[tcp])
    finally:
        pages.should_exit = True
        await pages_task
        transport.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    secret = os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
    state = SimState(
        AppRegistration.from_files(args.app_id, secret, args.app_certificate),
        cache_bytes=args.cache_mb * 1024 * 1024,
    )
    if args.demo_tenants:
        for fixture in [*read_demo_fixtures(), read_provider_fixture()]:
            state.add_tenant(fixture)
    tcp = _bind(args.host, args.port, socket.SOCK_STREAM)
    udp = _bind(args.host, args.dns_port, socket.SOCK_DGRAM)
    # Loopback only, whatever --host says: browsers treat http://127.0.0.1 as a secure context.
    browser = _bind("127.0.0.1", args.browser_port, socket.SOCK_STREAM)
    ports = [sock.getsockname()[1] for sock in (tcp, udp, browser)]
    print("listening", *ports, flush=True)
    # The launcher reads that one line from a pipe it never drains again: nothing more goes there.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    asyncio.run(_serve(state, args, tcp, udp, browser))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

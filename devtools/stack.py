"""The local stack: Azurite (blob + queue) and the Cosmos DB stand-in on 127.0.0.1.

Used by `make demo`, the pytest session fixture and the benchmarks alike. Every key and
certificate is generated at start, so nothing secret is ever committed.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import secrets
import select
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.settings import Settings
from devtools.processes import (
    NODE_MODULES,
    REPO_ROOT,
    ManagedProcess,
    PidFile,
    StackError,
    free_port,
    port_open,
    spawn,
    wait_until,
)

AZURITE_ACCOUNT = "scanposture"
_MARKERS = ("azurite", "devtools/cosmos/server.js")


def _random_key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


def _node_modules_ready() -> None:
    if not (NODE_MODULES / "azurite").is_dir() or not (NODE_MODULES / "@vercel/cosmosdb-server").is_dir():
        raise StackError("node_modules is missing: run `make setup` (or `npm ci`) first")


@dataclass
class Azurite:
    process: ManagedProcess
    blob_port: int
    queue_port: int
    table_port: int
    account_key: str

    def connection_string(self) -> str:
        base = "http://127.0.0.1"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={self.account_key};"
            f"BlobEndpoint={base}:{self.blob_port}/{AZURITE_ACCOUNT};"
            f"QueueEndpoint={base}:{self.queue_port}/{AZURITE_ACCOUNT};"
        )

    def stop(self) -> None:
        self.process.stop()


def start_azurite(
    workdir: Path, *, in_memory: bool, attempts: int = 3, again: Azurite | None = None
) -> Azurite:
    """Blob and queue services; in memory for tests, on disk under `workdir` for the demo.

    `again` starts a stopped Azurite anew on its ports and with its key (with its data too, when
    on disk), as a restarted service comes back at the same address."""
    _node_modules_ready()
    key = again.account_key if again else _random_key()
    data_dir = workdir / "azurite"
    data_dir.mkdir(parents=True, exist_ok=True)
    last_error: StackError | None = None
    for _ in range(1 if again else attempts):  # a free port can be taken between choosing and binding it
        if again:
            blob_port, queue_port, table_port = again.blob_port, again.queue_port, again.table_port
        else:
            blob_port, queue_port, table_port = free_port(), free_port(), free_port()
        argv = [
            "node",
            str(NODE_MODULES / "azurite/dist/src/azurite.js"),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(blob_port),
            "--queueHost",
            "127.0.0.1",
            "--queuePort",
            str(queue_port),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(table_port),
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
            "--loose",
        ]
        argv += ["--inMemoryPersistence"] if in_memory else ["--location", str(data_dir)]
        process = spawn(
            "azurite",
            argv,
            workdir / "logs/azurite.log",
            env={"AZURITE_ACCOUNTS": f"{AZURITE_ACCOUNT}:{key}"},
        )

        def both_ports_open(blob: int = blob_port, queue: int = queue_port) -> bool:
            return port_open(blob) and port_open(queue)

        try:
            wait_until(both_ports_open, "Azurite", 30, process)
        except StackError as exc:
            process.stop()
            last_error = exc
            continue
        return Azurite(process, blob_port, queue_port, table_port, key)
    raise last_error or StackError("Azurite did not start")


def write_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost that is its own CA, so clients can trust exactly it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ScanPosture local Cosmos stand-in")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cosmos-cert.pem", directory / "cosmos-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(key_path, 0o600)
    return cert_path, key_path


@dataclass
class CosmosStandIn:
    process: ManagedProcess
    port: int
    key: str
    ca_cert: Path
    tls_key: Path
    data_file: Path | None = None  # durable across restarts when set (see server.js, fix 4)

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.process.stop()


def start_cosmos(
    workdir: Path, timeout: float = 30.0, *, data_file: Path | None = None, again: CosmosStandIn | None = None
) -> CosmosStandIn:
    """The stand-in on a port of its own choosing, or `again` on the port, certificate and data of a
    stopped one, as a restarted service comes back at the same address."""
    _node_modules_ready()
    if again:
        cert, key, data_file = again.ca_cert, again.tls_key, again.data_file
    else:
        cert, key = write_self_signed_certificate(workdir / "tls")
    argv = ["node", str(REPO_ROOT / "devtools/cosmos/server.js"), "--cert", str(cert), "--key", str(key)]
    argv += ["--port", str(again.port)] if again else []
    argv += ["--data", str(data_file)] if data_file else []
    process = spawn("cosmos", argv, workdir / "logs/cosmos.log", stdout_pipe=True)
    # The server binds port 0 and prints the port it got: no race over a chosen port.
    assert process.popen.stdout is not None
    ready, _, _ = select.select([process.popen.stdout], [], [], timeout)
    line = process.popen.stdout.readline().decode().strip() if ready else ""
    if not line.startswith("listening "):
        process.stop()
        raise StackError(f"the Cosmos stand-in did not start; see {process.log_path}")
    return CosmosStandIn(
        process, int(line.split()[1]), again.key if again else _random_key(), cert, key, data_file
    )


class LocalStack:
    """Azurite and the Cosmos stand-in together, with the settings that point at them."""

    def __init__(
        self, workdir: Path | None = None, *, in_memory: bool = True, durable_cosmos: bool = False
    ) -> None:
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="scanposture-stack-"))
        self.in_memory = in_memory
        self.durable_cosmos = durable_cosmos
        self.azurite: Azurite | None = None
        self.cosmos: CosmosStandIn | None = None
        self._pidfile = PidFile(self.workdir / "pids.json")

    def start(self) -> LocalStack:
        self._pidfile.stop_leftovers(_MARKERS)
        try:
            self.azurite = start_azurite(self.workdir, in_memory=self.in_memory)
            durable = self.workdir / "cosmos-data.json" if self.durable_cosmos else None
            self.cosmos = start_cosmos(self.workdir, data_file=durable)
        except BaseException:
            self.stop()
            raise
        self._pidfile.record([self.azurite.process, self.cosmos.process])
        return self

    def stop_azurite(self) -> None:
        """Take Azurite down, keeping its address for `start_azurite_again` (fault tests)."""
        if self.azurite is None:
            raise StackError("the stack is not running")
        self.azurite.stop()

    def start_azurite_again(self) -> None:
        """Azurite back at the same address, with its data when the stack is on disk."""
        if self.azurite is None or self.cosmos is None:
            raise StackError("the stack is not running")
        self.azurite = start_azurite(self.workdir, in_memory=self.in_memory, again=self.azurite)
        self._pidfile.record([self.azurite.process, self.cosmos.process])

    def restart_cosmos(self, down_seconds: float = 0.0) -> None:
        """Stop the Cosmos stand-in and, `down_seconds` later, start it again at the same address
        (fault tests); with `durable_cosmos` it keeps what it stored."""
        if self.azurite is None or self.cosmos is None:
            raise StackError("the stack is not running")
        self.cosmos.stop()
        time.sleep(down_seconds)
        self.cosmos = start_cosmos(self.workdir, again=self.cosmos)
        self._pidfile.record([self.azurite.process, self.cosmos.process])

    def stop(self) -> None:
        for service in (self.cosmos, self.azurite):
            if service is not None:
                service.stop()
        self._pidfile.clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """App settings (as environment variables) that point the app at this stack."""
        if self.azurite is None or self.cosmos is None:
            raise StackError("the stack is not running")
        return {
            "ENVIRONMENT": "local",
            "COSMOS_ENDPOINT": self.cosmos.endpoint,
            "COSMOS_KEY": self.cosmos.key,
            "COSMOS_CA_CERT": str(self.cosmos.ca_cert),
            "STORAGE_CONNECTION": self.azurite.connection_string(),
        }

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {k.lower(): v for k, v in self.env().items()}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

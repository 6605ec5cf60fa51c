"""Start, await and stop local service processes by process id."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"


class StackError(RuntimeError):
    """A local service did not start or stop as expected."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(ready: Callable[[], bool], what: str, timeout: float, process: ManagedProcess) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise StackError(f"{what} exited with {process.popen.returncode}; see {process.log_path}")
        if ready():
            return
        time.sleep(0.1)
    raise StackError(f"{what} was not ready within {timeout:g} s; see {process.log_path}")


@dataclass
class ManagedProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    stopped: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left after `timeout`."""
        if self.stopped:
            return
        self.stopped = True
        if self.popen.poll() is not None:
            return
        _signal_group(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def spawn(
    name: str,
    argv: Sequence[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    stdout_pipe: bool = False,
) -> ManagedProcess:
    """Start `argv` in its own session, so stopping it stops its children too."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it for its whole life
    popen = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE if stdout_pipe else log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    log.close()
    return ManagedProcess(name=name, popen=popen, log_path=log_path)


class PidFile:
    """Records what a stack started, so a run that died without cleaning up is cleaned up next
    time. Only processes whose command line still names what we started are signalled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, processes: Sequence[ManagedProcess]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({p.name: p.pid for p in processes}))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def stop_leftovers(self, markers: Sequence[str]) -> list[int]:
        if not self.path.exists():
            return []
        stopped = []
        for pid in json.loads(self.path.read_text()).values():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if any(marker in cmdline for marker in markers):
                _signal_group(int(pid), signal.SIGKILL)
                stopped.append(int(pid))
        self.clear()
        return stopped

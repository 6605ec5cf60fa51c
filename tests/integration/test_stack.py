"""The launcher starts on free ports, stops by process id and leaves nothing running."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from devtools.processes import PidFile, port_open
from devtools.stack import LocalStack


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "X"
    return state not in ("Z", "X")


def test_stack_stops_everything_it_started(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path).start()
    assert stack.azurite is not None and stack.cosmos is not None
    pids = [stack.azurite.process.pid, stack.cosmos.process.pid]
    ports = [stack.azurite.blob_port, stack.azurite.queue_port, stack.cosmos.port]
    assert all(port_open(p) for p in ports)
    assert (tmp_path / "pids.json").exists()
    stack.stop()
    assert not any(_alive(pid) for pid in pids)
    assert not any(port_open(p) for p in ports)
    assert not (tmp_path / "pids.json").exists()


def test_leftovers_of_a_crashed_run_are_stopped(tmp_path: Path) -> None:
    # A process whose command line names azurite, left behind as if its launcher had died.
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "azurite"], start_new_session=True
    )
    unrelated = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        pidfile = PidFile(tmp_path / "pids.json")
        pidfile.path.write_text(f'{{"azurite": {leftover.pid}, "other": {unrelated.pid}}}')
        assert pidfile.stop_leftovers(["azurite"]) == [leftover.pid]
        leftover.wait(timeout=5)
        assert unrelated.poll() is None  # not ours: never signalled
    finally:
        for process in (leftover, unrelated):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()

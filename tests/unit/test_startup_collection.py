"""Start-up pauses the cyclic collector and freezes what it made (core.startup, issue 24): the
collector is on again afterwards, also when building fails, and what start-up left alive is
frozen. The import check runs in a fresh interpreter, so what other tests did does not count."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.startup import collection_paused
from functions.runtime import LazyAsgi

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_leaves_the_collector_on_and_its_modules_frozen() -> None:
    probe = (
        "import gc, json; before = gc.get_freeze_count(); import function_app; "
        "print(json.dumps({'on': gc.isenabled(), 'frozen': gc.get_freeze_count() - before}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout)
    assert seen["on"] is True
    assert seen["frozen"] > 50_000  # the modules' functions, classes and constants


def test_the_collector_stays_off_inside_and_comes_back_after_a_failure() -> None:
    inside: list[bool] = []

    def build() -> None:
        with collection_paused():
            inside.append(gc.isenabled())
            raise RuntimeError("building failed")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        build()
    assert inside == [False] and gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_the_first_call_builds_with_the_collector_paused() -> None:
    seen: list[bool] = []

    async def app(scope: object, receive: object, send: object) -> None:
        seen.append(gc.isenabled())

    def build() -> object:
        seen.append(gc.isenabled())
        return app

    lazy = LazyAsgi(build)  # type: ignore[arg-type]
    await lazy({}, None, None)  # type: ignore[arg-type]
    await lazy({}, None, None)  # type: ignore[arg-type]
    assert seen == [False, True, True]  # built once, paused; answered with the collector on


def test_a_block_that_loads_no_module_freezes_nothing() -> None:
    """Apps and clients built again (as tests do) must not freeze, and so leak, what they made."""
    frozen = gc.get_freeze_count()
    with collection_paused():
        made = [[object()] for _ in range(1000)]
    assert gc.get_freeze_count() == frozen and len(made) == 1000


def test_the_storage_clients_are_built_with_the_collector_paused() -> None:
    """Their SDKs are most of a cold start's imports (core.bootstrap.Services)."""
    probe = (
        "import gc, json, sys\n"
        "from core.bootstrap import Services\n"
        "from core.settings import Settings\n"
        "services = Services(Settings(storage_connection='UseDevelopmentStorage=true'))\n"
        "before = gc.get_freeze_count()\n"
        "services.blobs\n"
        "print(json.dumps({'on': gc.isenabled(), 'frozen': gc.get_freeze_count() - before,"
        " 'sdk': 'azure.storage.blob' in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout)
    assert seen == {"on": True, "frozen": seen["frozen"], "sdk": True} and seen["frozen"] > 10_000

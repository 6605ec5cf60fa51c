"""Start-up without the cyclic garbage collector (issue 24, cold start).

Importing the app and building the HTTP app at its first request create a few hundred thousand
objects, nearly all of them module-level and alive for the life of the process, and the collector
walks them again and again while they are made (measured with bench/coldstart.py). Collecting is
paused while they are made; afterwards they are frozen (`gc.freeze`): moved to a generation the
collector never walks, so no later full collection in a request or a scan walks them either.
Only a block that loaded modules freezes: one that loaded none (an app or a client built again, as
tests do hundreds of times) made nothing that lives for the process.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """Run the block with the collector off (if it was on); if it loaded modules, freeze what is
    alive after it."""
    was_on, loaded = gc.isenabled(), len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            if len(sys.modules) > loaded:
                gc.freeze()
            gc.enable()

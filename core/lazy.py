"""Import on first use (issue 24: cold start).

A module that only some calls need (the check catalogue, the PDF drawing, the Graph clients) is
named with `lazy_module` and imported when one of its attributes is first read; after that it is
the real module from `sys.modules`. Type checkers see the real module through `TYPE_CHECKING`:

    if TYPE_CHECKING:
        from core.checks import catalogue
    else:
        catalogue = lazy_module("core.checks.catalogue")
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module called `name` until one of its attributes is read."""

    def __init__(self, name: str) -> None:
        self.__name = name

    def _load(self) -> ModuleType:
        return importlib.import_module(self.__name)  # sys.modules makes every later call a lookup

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name!r}>"


def lazy_module(name: str) -> Any:
    """The module `name`, imported when first used. Typed `Any`: declare its type under
    `TYPE_CHECKING` as the module docstring shows."""
    return LazyModule(name)

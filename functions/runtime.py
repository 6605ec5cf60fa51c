"""The services shared by every trigger in one worker process."""

from core.bootstrap import LazyServices

services = LazyServices()

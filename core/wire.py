"""How the app's outbound HTTP finds its proxy: the proxy variables httpx and azure-core honour by
default (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY), read once per process.

aiohttp's own `trust_env`, which azure-core turns on for every Azure SDK client, reads them and
~/.netrc afresh for every request, each in a thread of the default executor: two thread hand-offs
per request. For the scanner that was about a fifth of a scan's CPU (py-spy, a 1,000-user tenant,
issue 24); every Cosmos and Storage call of the API paid the same.
"""

from __future__ import annotations

from typing import Any
from urllib.request import (  # type: ignore[attr-defined]  # urllib's own NO_PROXY rule, untyped
    getproxies_environment,
    proxy_bypass_environment,
)

from azure.core.pipeline.transport import AioHttpTransport
from yarl import URL


class EnvironmentProxies:
    def __init__(self) -> None:
        self._proxies: dict[str, str] | None = None

    def for_url(self, scheme: str, host: str) -> str | None:
        """The proxy a request to `host` goes through, or None to go direct."""
        if self._proxies is None:
            self._proxies = getproxies_environment()
        if not self._proxies or proxy_bypass_environment(host, self._proxies):
            return None
        return self._proxies.get(scheme) or self._proxies.get("all")

    def forget(self) -> None:
        """Read the variables again at the next request (tests that set them)."""
        self._proxies = None


ENVIRONMENT_PROXIES = EnvironmentProxies()


class ProxyAwareTransport(AioHttpTransport):
    """azure-core's aiohttp transport without aiohttp's per-request environment reads: the
    environment's proxy comes from ENVIRONMENT_PROXIES unless the client configured one, and no
    netrc credentials are wanted on APIs that authenticate with keys or bearer tokens."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(use_env_settings=False, **kwargs)

    def _build_ssl_config(self, cert: Any, verify: Any) -> Any:
        """A CA bundle path's TLS context from `tls_verification`, made once per bundle: azure-core
        makes a new one for every request, and aiohttp pools connections by context, so with a
        CA path (the local Cosmos stand-in's) every request paid for a new TLS connection."""
        if cert is None and isinstance(verify, str):
            from core.collect.connection import tls_verification

            return tls_verification(verify)
        return super()._build_ssl_config(cert, verify)

    async def send(self, request: Any, **config: Any) -> Any:
        if not config.get("proxy") and not config.get("proxies"):
            url = URL(request.url)
            config["proxy"] = ENVIRONMENT_PROXIES.for_url(url.scheme, url.host or "")
        return await super().send(request, **config)


def azure_client_options(**options: Any) -> dict[str, Any]:
    """Keyword arguments for an Azure SDK client: `options` and a transport of its own made with
    them (a client closes its transport when it closes, so none is shared)."""
    return {**options, "transport": ProxyAwareTransport(**options)}

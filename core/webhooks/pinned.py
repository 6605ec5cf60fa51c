"""The transport of `core.webhooks.egress.pinned_client`: it connects to a vetted target's
addresses only. A module of its own because it subclasses httpx's transport, and egress, which the
API imports, must not load httpx before a webhook is sent (issue 24)."""

from __future__ import annotations

import ssl

import httpx

from core.webhooks.egress import EndpointRefused, VettedTarget


class PinnedTransport(httpx.AsyncHTTPTransport):
    """Sends requests for one vetted host to its vetted addresses, and nothing else anywhere."""

    def __init__(self, target: VettedTarget, *, tls: ssl.SSLContext | None = None) -> None:
        # trust_env here only lets SSL_CERT_FILE/SSL_CERT_DIR name the CAs (local receivers);
        # proxies from the environment are switched off on the client (see pinned_client).
        super().__init__(verify=tls if tls is not None else True, trust_env=True, retries=0)
        self.target = target

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        asked = (url.scheme, url.raw_host.decode("ascii").lower(), url.port or 443)
        if asked != ("https", self.target.host, self.target.port):
            # A redirect or any other host was never vetted: refuse rather than resolve it.
            raise EndpointRefused(f"url: {url.host}:{url.port or 443} was not vetted for this delivery")
        last_error: httpx.ConnectError | None = None
        for address in self.target.addresses:
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=address),  # the socket goes to the vetted address ...
                headers=request.headers,  # ... the Host header keeps the name (httpx set it) ...
                stream=request.stream,
                # ... and so does TLS: SNI and the certificate's name check use the host name.
                extensions={**request.extensions, "sni_hostname": self.target.host},
            )
            try:
                return await super().handle_async_request(pinned)
            except httpx.ConnectError as exc:
                last_error = exc  # nothing was sent; the next vetted address may answer
        if last_error is None:  # vet never returns a target without addresses
            raise EndpointRefused(f"url: {self.target.host} has no vetted address")
        raise last_error

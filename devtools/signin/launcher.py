"""Start and stop the local sign-in provider by process id."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devtools.processes import ManagedProcess, StackError, free_port, spawn, wait_until


@dataclass
class SignInProvider:
    process: ManagedProcess
    port: int
    audience: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/common/discovery/v2.0/keys"

    @property
    def issuer_template(self) -> str:
        return f"{self.base_url}/{{tid}}/v2.0"

    def env(self) -> dict[str, str]:
        return {
            "AUTH_JWKS_URL": self.jwks_url,
            "AUTH_ISSUER_TEMPLATE": self.issuer_template,
            "AUTH_AUDIENCE": self.audience,
            "SIGNIN_URL": f"{self.base_url}/authorize",
        }

    def token_for(self, user_id: str) -> str:
        response = httpx.post(f"{self.base_url}/token", json={"user": user_id}, timeout=10)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def stop(self) -> None:
        self.process.stop()


def start_signin(
    workdir: Path, users: list[dict[str, Any]], audience: str, portal_origin: str = "http://127.0.0.1:7071"
) -> SignInProvider:
    workdir.mkdir(parents=True, exist_ok=True)
    users_file = workdir / "signin-users.json"
    users_file.write_text(json.dumps(users))
    for _ in range(3):
        port = free_port()
        process = spawn(
            "signin",
            [
                sys.executable,
                "-m",
                "devtools.signin.server",
                "--port",
                str(port),
                "--users",
                str(users_file),
                "--audience",
                audience,
                "--portal-origin",
                portal_origin,
            ],
            workdir / "logs/signin.log",
        )

        def ready(p: int = port) -> bool:
            try:
                return (
                    httpx.get(f"http://127.0.0.1:{p}/common/discovery/v2.0/keys", timeout=1).status_code
                    == 200
                )
            except httpx.HTTPError:
                return False

        try:
            wait_until(ready, "the sign-in provider", 30, process)
        except StackError:
            process.stop()
            continue
        return SignInProvider(process, port, audience)
    raise StackError("the sign-in provider did not start")

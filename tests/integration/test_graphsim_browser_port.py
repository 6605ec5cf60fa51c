"""The Graph simulator's plain-HTTP loopback port (what `make demo`'s consent links point at): the
pages a person's browser opens, and nothing that hands out tokens, keys or tenant data."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from devtools.graphsim.launcher import GraphSimulator

CALLBACK = "http://127.0.0.1:7071/api/consent/callback"


def test_the_browser_port_serves_the_consent_and_sign_in_pages(graphsim: GraphSimulator) -> None:
    base = graphsim.browser_authority
    assert urlsplit(base).scheme == "http" and urlsplit(base).hostname == "127.0.0.1"
    tenant = graphsim.demo_tenants()[0]
    consent = {"client_id": graphsim.client_id, "redirect_uri": CALLBACK, "state": "s"}
    sign_in = {
        **consent,
        "response_type": "code",
        "scope": "openid profile",
        "nonce": "n",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    with httpx.Client(timeout=30) as browser:  # no CA bundle: plain HTTP needs none
        page = browser.get(f"{base}/organizations/v2.0/adminconsent", params=consent)
        assert page.status_code == 200 and tenant["displayName"] in page.text
        # The page's own links stay on the port it was reached at.
        assert f"href='{base}/organizations/v2.0/adminconsent?" in page.text
        chooser = browser.get(f"{base}/{tenant['id']}/oauth2/v2.0/authorize", params=sign_in)
        assert chooser.status_code == 200 and "Global Administrator" in chooser.text


def test_the_browser_port_hands_out_no_tokens_keys_or_data(graphsim: GraphSimulator) -> None:
    base = graphsim.browser_authority
    tenant = graphsim.demo_tenants()[0]["id"]
    form = {"grant_type": "client_credentials", "client_id": graphsim.client_id, "client_secret": "x"}
    with httpx.Client(base_url=base, timeout=30) as browser:
        assert browser.post(f"/{tenant}/oauth2/v2.0/token", data=form).status_code == 404
        assert browser.get(f"/{tenant}/discovery/v2.0/keys").status_code == 404
        assert browser.get(f"/{tenant}/v2.0/.well-known/openid-configuration").status_code == 404
        assert browser.get("/v1.0/users").status_code == 404
        assert browser.get("/_sim/tenants").status_code == 404

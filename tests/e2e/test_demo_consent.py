"""`make demo`'s consent link, followed by a person: a plain browser that does not trust the local
certificate authority opens the link the demo prints, accepts on the consent page, signs in as
the tenant's Global Administrator and lands back in the portal with the customer connected."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from devtools.demo import BASE_URL
from devtools.demo_seed import AWAITING_CONSENT
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"^\s+(http\S+/adminconsent\?\S+)$")


@pytest.fixture(scope="module")
def demo_link() -> Iterator[str]:
    """The demo, running until the test is done; yields the consent link it printed."""
    demo = subprocess.Popen(
        [sys.executable, "-u", "-m", "devtools.demo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    seen: list[str] = []
    link = None
    deadline = time.monotonic() + 240
    try:
        for line in demo.stdout:
            seen.append(line)
            if match := LINK.match(line.rstrip("\n")):
                link = match.group(1)
            if "Press Ctrl-C to stop." in line or time.monotonic() > deadline:
                break
        assert link is not None, "".join(seen)
        yield link
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.communicate(timeout=120)


@pytest.mark.slow
def test_a_browser_without_the_local_ca_completes_the_demos_consent(demo_link: str) -> None:
    from playwright.sync_api import sync_playwright

    # The link a person opens is plain HTTP on loopback: nothing for a browser to distrust.
    assert urlsplit(demo_link).scheme == "http" and urlsplit(demo_link).hostname == "127.0.0.1"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context()  # the local CA is not trusted, and no errors are ignored
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(demo_link)
            page.get_by_role("heading", name="Permissions requested").wait_for()
            row = page.locator("li", has_text=AWAITING_CONSENT["name"])
            row.get_by_role("link", name="Accept").click()
            # ScanPosture's callback sends the same browser on to sign in at the tenant.
            admin = page.locator("li", has_text="Global Administrator").first
            admin.get_by_role("link").click()
            page.wait_for_url(re.compile(re.escape(BASE_URL) + r"/#/customers\?consent=granted"))
            page.screenshot(path=str(ARTIFACTS / "demo-consent-landed.png"))
        finally:
            chromium.close()

"""Branding through the API: logos are re-encoded, bad files are refused and change nothing,
colours are validated, customer admins brand only when their MSP allows it."""

from __future__ import annotations

import io
import zlib

import httpx
from PIL import Image, PngImagePlugin

from tests.world import World


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (120, 60), text: str | None = None) -> bytes:
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    Image.new("RGB", size, colour).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _bomb() -> bytes:
    """A small PNG that declares 20,000 x 20,000 pixels (the size is in the header)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 2_001 * 50, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


async def _logo(client: httpx.AsyncClient, tokens: dict[str, str], world: World) -> bytes:
    response = await client.get(
        f"/api/tenants/{world.tenant_x}/branding/logo", headers=_bearer(tokens["msp_admin_a"])
    )
    assert response.status_code == 200, response.text
    return response.content


async def test_a_logo_is_re_encoded_and_bad_files_change_nothing(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    admin = _bearer(tokens["msp_admin_a"])
    good = _png((11, 110, 79), text="metadata that must not survive")
    uploaded = await client.put(
        "/api/branding/logo", headers={**admin, "content-type": "image/png"}, content=good
    )
    assert uploaded.status_code == 200, uploaded.text
    stored = await _logo(client, tokens, world)
    assert stored.startswith(b"\x89PNG") and b"metadata that must not survive" not in stored
    assert Image.open(io.BytesIO(stored)).getpixel((5, 5))[:3] == (11, 110, 79)

    truncated = _png((1, 2, 3), (300, 300))[:200]
    bad_files = {
        "not an image": b"hello, this is text",
        "decompression bomb": _bomb(),
        "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "truncated png": truncated,
        "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    }
    for what, data in bad_files.items():
        response = await client.put("/api/branding/logo", headers=admin, content=data)
        assert response.status_code == 400, (what, response.status_code, response.text)
        assert "logo" in response.json()["detail"], what
    # Too large is refused before it is read (functions.api.bodies), with the limit in words.
    too_large = b"\x89PNG" + b"\x00" * 1_100_000
    refused = await client.put("/api/branding/logo", headers=admin, content=too_large)
    assert refused.status_code == 413, refused.text
    assert refused.json()["detail"] == "logo: at most 1,000,000 bytes"
    assert await _logo(client, tokens, world) == stored  # the previous branding stays


async def test_colours_are_validated_and_customer_admins_need_their_msps_leave(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    admin, customer_admin = _bearer(tokens["msp_admin_a"]), _bearer(tokens["customer_admin_x"])
    bad = await client.put("/api/branding", headers=admin, json={"primary": "green"})
    assert bad.status_code == 400 and "primary" in bad.json()["detail"]
    assert (
        await client.put("/api/branding", headers=admin, json={"primary": "#0B6E4F", "secondary": "#F2C14E"})
    ).status_code == 200

    own = await client.put(
        f"/api/tenants/{world.tenant_x}/branding", headers=customer_admin, json={"primary": "#7A1F5C"}
    )
    assert own.status_code == 200
    view = (await client.get(f"/api/tenants/{world.tenant_x}/branding", headers=customer_admin)).json()
    assert view["effective"]["primary"] == "#7A1F5C"  # their own colour
    assert view["effective"]["secondary"] == "#F2C14E"  # the fleet's where they set none

    off = await client.put(f"/api/tenants/{world.tenant_x}/branding", headers=admin, json={"enabled": False})
    assert off.status_code == 200
    neutral = (await client.get(f"/api/tenants/{world.tenant_x}/branding", headers=admin)).json()["effective"]
    assert neutral["enabled"] is False and neutral["primary"] == "#1F3A5F"
    await client.put(f"/api/tenants/{world.tenant_x}/branding", headers=admin, json={"enabled": True})

    await client.put("/api/branding", headers=admin, json={"customerAdminsMayBrand": False})
    try:
        refused = await client.put(
            f"/api/tenants/{world.tenant_x}/branding", headers=customer_admin, json={"primary": "#000000"}
        )
        assert refused.status_code == 403
        sneaky = await client.put(
            f"/api/tenants/{world.tenant_x}/branding", headers=admin, json={"customerAdminsMayBrand": True}
        )
        assert sneaky.status_code == 400  # not a per-customer setting
    finally:
        await client.put("/api/branding", headers=admin, json={"customerAdminsMayBrand": True})
    log = (await client.get("/api/audit", headers=admin)).json()
    assert sum(1 for e in log if e["action"] == "branding.changed") >= 4

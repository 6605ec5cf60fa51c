"""Logo uploads: only real PNG or JPEG image data survives.

The upload is decoded and re-encoded as PNG, so whatever else the file carried (metadata, trailing
bytes, a polyglot payload) is dropped. Size, dimensions and decoded pixel count are bounded
before any pixel is decoded, which is what stops decompression bombs.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from core import errors
from core.lazy import lazy_module

if TYPE_CHECKING:
    from PIL import Image
else:
    Image = lazy_module("PIL.Image")  # Pillow loads with the first logo, not with the API (issue 24)

MAX_LOGO_BYTES = 1_000_000
MAX_SIDE = 2_000  # pixels
MAX_PIXELS = 2_000_000
ACCEPTED_FORMATS = ("PNG", "JPEG")
OUTPUT_MAX_SIDE = 600  # a report cover never needs more


class LogoRejected(errors.Refused, ValueError):
    """The upload is not an acceptable logo; the message says why (HTTP 400, field `logo`)."""


def sanitise_logo(data: bytes) -> bytes:
    if not data:
        raise LogoRejected("logo: the file is empty")
    if len(data) > MAX_LOGO_BYTES:
        raise LogoRejected(f"logo: at most {MAX_LOGO_BYTES // 1_000_000} MB ({len(data):,} bytes given)")
    head = data[:256].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")):
        raise LogoRejected("logo: SVG is not accepted (it can carry scripts); upload PNG or JPEG")
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat the warning as refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (
            Image.UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as exc:
            raise LogoRejected("logo: not a PNG or JPEG image") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            # Pillow reads a recognised header eagerly; a damaged one fails here, not in load().
            raise LogoRejected("logo: the image is truncated or corrupt") from exc
        if image.format not in ACCEPTED_FORMATS:
            raise LogoRejected(f"logo: {image.format} is not accepted; upload PNG or JPEG")
        width, height = image.size
        if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
            raise LogoRejected(f"logo: {width}x{height} pixels is too large (at most {MAX_SIDE} per side)")
        try:
            image.load()
        except (OSError, SyntaxError, Image.DecompressionBombWarning) as exc:
            raise LogoRejected("logo: the image is truncated or corrupt") from exc
    clean = image.convert("RGBA")
    clean.thumbnail((OUTPUT_MAX_SIDE, OUTPUT_MAX_SIDE))
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()

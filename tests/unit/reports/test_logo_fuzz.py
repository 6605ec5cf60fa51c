"""Logo parsing under generated input: whatever bytes are uploaded, `sanitise_logo` either returns a
clean PNG or refuses with LogoRejected (a 400 naming the field), never anything else."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.reports.logo import LogoRejected, sanitise_logo


def _image(fmt: str, size: tuple[int, int] = (64, 24), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 40, 90) if mode == "RGB" else 0).save(out, format=fmt)
    return out.getvalue()


VALID = [_image("PNG"), _image("JPEG"), _image("PNG", mode="L"), _image("GIF")]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(data: bytes) -> str:
    try:
        cleaned = sanitise_logo(data)
    except LogoRejected as exc:
        reason = str(exc)
        if not reason.startswith("logo:"):
            raise AssertionError(f"the refusal does not name the field: {reason}") from exc
        return "refused"
    assert cleaned.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(cleaned)).verify()
    return "accepted"


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_refused_or_cleaned(data: bytes) -> None:
    _outcome(data)


@FUZZ
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=12),
    st.integers(min_value=0, max_value=4096),
)
def test_damaged_images_are_refused_or_cleaned(
    original: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    damaged = bytearray(original[: max(cut, 8)] if cut else original)
    for where, value in flips:
        damaged[where % len(damaged)] = value
    _outcome(bytes(damaged))


@given(st.sampled_from([b"<svg", b"  <?xml version='1.0'?><svg", b"<!DOCTYPE svg"]), st.binary(max_size=200))
def test_svg_in_any_wrapping_is_refused(head: bytes, rest: bytes) -> None:
    with pytest.raises(LogoRejected, match="SVG"):
        sanitise_logo(head + rest)


def test_the_undamaged_images_are_accepted() -> None:
    assert [_outcome(data) for data in VALID[:3]] == ["accepted"] * 3

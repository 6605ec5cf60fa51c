"""The report's Unicode font: located in the installed Debian package, measured once per process,
and the text handling that depends on it (cleaning hostile strings, measuring, wrapping).

The renderer lays text out itself rather than through fpdf2's multi_cell: multi_cell re-measures
the line on every character (about 0.7 ms per call), which alone would spend the 300 ms budget of
a 60-finding report. Here a line is measured with one dictionary lookup per character and drawn
with FPDF.text()."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_DIRS: tuple[Path, ...] = (Path("/usr/share/fonts/truetype/dejavu"),)
FONT_PACKAGE = "fonts-dejavu-core"
FONT_FAMILY = "dejavu"
FONT_FILES: dict[str, str] = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

PT_TO_MM = 25.4 / 72
REPLACEMENT = "\ufffd"
ELLIPSIS = "\u2026"

# Points where a word too long for the line may be split without looking arbitrary
# (URLs, UPNs, identifiers, paths).
_BREAK_AFTER = frozenset("/-_.,;:@=&?\\|")
# Variation selectors only pick a glyph variant; with no glyph for them they would each turn
# into a replacement character after the emoji they modify.
_VARIATION_SELECTORS = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0xE0100, 0xE01F0))


class FontMissingError(RuntimeError):
    """The report font is not installed."""


@dataclass(frozen=True)
class FontFace:
    path: Path
    widths: dict[int, int]  # code point -> advance in 1/1000 em, rounded exactly as fpdf2 rounds
    missing_width: int


@dataclass(frozen=True)
class ReportFont:
    faces: dict[str, FontFace]  # style ("" or "B") -> face
    supported: frozenset[int]  # code points every style can draw
    replacement: str

    def width(self, text: str, style: str, size_pt: float) -> float:
        """Width in mm of `text` drawn at `size_pt`."""
        face = self.faces[style]
        widths, missing = face.widths, face.missing_width
        units = sum(widths.get(ord(ch), missing) for ch in text)
        return units * size_pt / 1000 * PT_TO_MM

    def clean(self, text: object, *, multiline: bool = False, limit: int = 4000) -> str:
        return clean_text(text, self.supported, self.replacement, multiline=multiline, limit=limit)

    def wrap(self, text: str, style: str, size_pt: float, width_mm: float) -> list[str]:
        """Greedy word wrap of already cleaned text; newlines start new lines, words longer than
        the line are split (at a punctuation mark near the end where there is one)."""
        face = self.faces[style]
        widths, missing = face.widths, face.missing_width
        limit = width_mm / PT_TO_MM * 1000 / size_pt  # in font units, so no conversion per word
        space = widths.get(32, missing)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line: list[str] = []
            used = 0
            for word in paragraph.split():
                w = sum(widths.get(ord(ch), missing) for ch in word)
                if line and used + space + w <= limit:
                    line.append(word)
                    used += space + w
                    continue
                if line:
                    lines.append(" ".join(line))
                if w <= limit:
                    line, used = [word], w
                    continue
                pieces = _split_word(word, widths, missing, limit)
                lines.extend(pieces[:-1])
                line = [pieces[-1]]
                used = sum(widths.get(ord(ch), missing) for ch in pieces[-1])
            lines.append(" ".join(line))
        return lines

    def fit(self, text: str, style: str, size_pt: float, width_mm: float) -> str:
        """One line: the text itself, or as much as fits followed by an ellipsis."""
        if self.width(text, style, size_pt) <= width_mm:
            return text
        room = width_mm - self.width(ELLIPSIS, style, size_pt)
        lo, hi = 0, len(text)
        while lo < hi:  # the longest prefix that fits
            mid = (lo + hi + 1) // 2
            if self.width(text[:mid], style, size_pt) <= room:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + ELLIPSIS


def _split_word(word: str, widths: dict[int, int], missing: int, limit: float) -> list[str]:
    pieces: list[str] = []
    start = 0
    used = 0
    i = start
    while i < len(word):
        w = widths.get(ord(word[i]), missing)
        if used + w > limit and i > start:
            cut = i
            # Prefer the last natural break point in the final third of the piece.
            for j in range(i - 1, start + (i - start) * 2 // 3, -1):
                if word[j] in _BREAK_AFTER:
                    cut = j + 1
                    break
            pieces.append(word[start:cut])
            start = cut
            used = sum(widths.get(ord(ch), missing) for ch in word[start:i])
            continue
        used += w
        i += 1
    pieces.append(word[start:])
    return pieces


def clean_text(
    text: object, supported: frozenset[int], replacement: str, *, multiline: bool = False, limit: int = 4000
) -> str:
    """Text that can be drawn: control and format characters removed, tabs and (unless multiline)
    newlines turned into spaces, characters the font lacks replaced by one replacement mark per run,
    and at most `limit` characters so one hostile value cannot turn into hundreds of pages."""
    if text is None:
        return ""
    raw = text if isinstance(text, str) else str(text)
    if len(raw) > limit:
        raw = raw[:limit] + ELLIPSIS
    raw = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    if raw.isascii() and raw.isprintable():
        return raw
    out: list[str] = []
    for ch in raw:
        code = ord(ch)
        if ch == "\n":
            out.append("\n" if multiline else " ")
        elif ch == "\t" or (code < 0x80 and ch.isspace()) or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif code in _VARIATION_SELECTORS or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            if unicodedata.category(ch) in ("Zl", "Zp"):
                out.append("\n" if multiline else " ")
        elif code in supported:
            out.append(ch)
        elif not out or out[-1] != replacement:
            out.append(replacement)
    return "".join(out)


@functools.cache
def report_font() -> ReportFont:
    """The report font, read and measured once per process."""
    faces = {style: _load_face(_font_path(name)) for style, name in FONT_FILES.items()}
    supported = frozenset.intersection(*(frozenset(face.widths) for face in faces.values()))
    # Drawable text never contains these: the cleaner removes them before drawing.
    supported -= {code for code in supported if code < 0x20 or 0x7F <= code < 0xA0}
    replacement = REPLACEMENT if ord(REPLACEMENT) in supported else "?"
    return ReportFont(faces=faces, supported=supported, replacement=replacement)


def font_paths() -> dict[str, Path]:
    return {style: face.path for style, face in report_font().faces.items()}


def _font_path(name: str) -> Path:
    for directory in FONT_DIRS:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in FONT_DIRS)
    raise FontMissingError(
        f"report font {name} not found in {searched}; install the Debian package {FONT_PACKAGE} "
        f"(apt-get install {FONT_PACKAGE}, or devtools/ensure-system.sh)"
    )


def _load_face(path: Path) -> FontFace:
    font = TTFont(path, lazy=True)
    try:
        scale = 1000 / font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap()
        widths: dict[int, int] = {}
        for code, glyph in cmap.items():
            advance = metrics[glyph][0]
            # fpdf2 counts an advance of 65535 as zero and rounds half up; matching it keeps our
            # line measurements identical to what fpdf2 draws.
            widths[code] = round(scale * (0 if advance == 65535 else advance) + 0.001)
        missing = round(scale * metrics[".notdef"][0])
    finally:
        font.close()
    return FontFace(path=path, widths=widths, missing_width=missing)

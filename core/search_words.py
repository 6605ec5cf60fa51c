"""Which checks a search question means, ranked (core.search answers with their customers).

A check id or a framework id in the question (`exo.smtp_auth_disabled`, `MS.EXO.5.1v1`, `6.5.1`) is
taken literally. Otherwise the question's words, without filler and with synonyms folded
(core.checks.vocabulary), are looked for in each check's id, title, extra words and category, a
word also matching the longer words it starts ("forw" finds "forward"). The checks covering the most
of the question's words are the answer, best placed first; a question whose words match nothing
gets the nearest checks as suggestions instead.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.checks.model import CheckMetadata
from core.checks.vocabulary import CHECK_WORDS, STOP_WORDS, fold
from core.frameworks.mappings import framework_ids, ids_text
from core.lazy import lazy_module

if TYPE_CHECKING:
    from core.checks import catalogue
else:
    catalogue = lazy_module("core.checks.catalogue")  # every check module, at the first search

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Where a word appears says how surely the check is meant.
ID_WEIGHT, TITLE_WEIGHT, EXTRA_WEIGHT, CATEGORY_WEIGHT = 3, 2, 2, 1
MIN_PREFIX = 3
SUGGESTIONS = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(w) for w in _WORD.findall(text.lower().replace("_", " ").replace(".", " ")))


@dataclass(frozen=True)
class _Indexed:
    meta: CheckMetadata
    ids: frozenset[str]  # the check id and its framework ids, lower case
    fields: tuple[tuple[int, frozenset[str]], ...]

    def weight_of(self, word: str) -> int:
        """The weight of the best field where `word` (or a word it starts) appears; 0 if none."""
        return max((w for w, words in self.fields if _found(word, words)), default=0)


def _found(word: str, words: frozenset[str]) -> bool:
    return word in words or (len(word) >= MIN_PREFIX and any(w.startswith(word) for w in words))


@functools.cache
def _index() -> tuple[_Indexed, ...]:
    indexed = []
    for check in catalogue.CATALOGUE:
        meta = check.metadata
        ids = {meta.id.lower()} | {
            i.lower() for v in framework_ids(meta.id).values() for i in ids_text(v, " ").split()
        }
        fields = (
            (ID_WEIGHT, _words(meta.id)),
            (TITLE_WEIGHT, _words(meta.title)),
            (EXTRA_WEIGHT, frozenset(fold(w) for w in CHECK_WORDS.get(meta.id, ()))),
            (CATEGORY_WEIGHT, _words(meta.category)),
        )
        indexed.append(_Indexed(meta, frozenset(ids), fields))
    return tuple(indexed)


def question_words(text: str) -> list[str]:
    """The words that say which check is meant, folded, in order, once each."""
    words = [fold(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
    return list(dict.fromkeys(w for w in words if w not in STOP_WORDS))


def _literal_ids(text: str) -> list[CheckMetadata]:
    tokens = {t.strip("?!,;:()\"'").lower() for t in text.split()}
    return [c.meta for c in _index() if c.ids & tokens]


def rank_checks(text: str) -> list[CheckMetadata]:
    literal = _literal_ids(text)
    if literal:
        return literal
    words = question_words(text)
    if not words:
        return []
    scored = []
    for order, check in enumerate(_index()):
        weights = [check.weight_of(w) for w in words]
        covered = sum(1 for w in weights if w)
        if covered:
            scored.append((covered, sum(weights), -order, check.meta))
    if not scored:
        return []
    best = max(covered for covered, *_ in scored)
    if best * 2 < len(words):  # fewer than half of the question's words found anywhere together
        return []
    ranked = sorted((s for s in scored if s[0] == best), key=lambda s: (s[1], s[2]), reverse=True)
    return [meta for *_, meta in ranked]


def suggest_checks(text: str) -> list[CheckMetadata]:
    """The nearest checks to a question that matched none: its words spelled the nearest way the
    catalogue spells them, then ranked as a question would be."""
    vocabulary = sorted({w for c in _index() for _, words in c.fields for w in words})
    near = [m for w in question_words(text) for m in difflib.get_close_matches(w, vocabulary, 1, 0.75)]
    if not near:
        return []
    scored = []
    for order, check in enumerate(_index()):
        weight = sum(check.weight_of(w) for w in near)
        if weight:
            scored.append((weight, -order, check.meta))
    return [meta for *_, meta in sorted(scored, key=lambda s: (s[0], s[1]), reverse=True)[:SUGGESTIONS]]

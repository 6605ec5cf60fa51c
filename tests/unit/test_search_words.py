"""Search questions as people type them: filler dropped, synonyms folded, partial words, ranking."""

from __future__ import annotations

import pytest

from core.checks.catalogue import CATALOGUE
from core.checks.vocabulary import CHECK_WORDS, fold
from core.search_words import question_words, rank_checks, suggest_checks


def test_filler_goes_and_synonyms_fold_onto_the_catalogues_words() -> None:
    assert question_words("Which customers still have BASIC authentication enabled?") == ["legacy", "auth"]
    assert question_words("who has no multi-factor for administrators") == ["mfa", "admin"]
    assert fold("mailboxes") == "mailbox" and fold("Guests") == "guest" and fold("access") == "access"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "which customers still have legacy SMTP auth enabled?",
            ["exo.smtp_auth_disabled", "exo.smtp_auth_mailboxes"],
        ),
        ("SMTP", ["exo.smtp_auth_disabled", "exo.smtp_auth_mailboxes"]),
        ("MS.EXO.5.1v1", ["exo.smtp_auth_disabled"]),  # a framework id is taken literally
        ("exo.mailbox_external_forwarding", ["exo.mailbox_external_forwarding"]),
    ],
)
def test_questions_find_exactly_the_checks_meant(question: str, expected: list[str]) -> None:
    assert [m.id for m in rank_checks(question)] == expected


def test_a_word_found_in_the_id_ranks_above_one_found_only_in_the_category() -> None:
    ranked = [m.id for m in rank_checks("guest")]
    assert ranked[0] == "privileged.no_guest_admins" or ranked[0].startswith("guests.")
    assert set(ranked) >= {"guests.inactive", "guests.access_restricted", "privileged.no_guest_admins"}


def test_fewer_than_half_the_words_found_together_is_no_answer() -> None:
    assert rank_checks("smtp quantum teleportation forecast") == []
    assert rank_checks("the of which") == []  # filler only


def test_nothing_matching_suggests_the_nearest_checks() -> None:
    assert [m.id for m in suggest_checks("smpt")][:2] == ["exo.smtp_auth_disabled", "exo.smtp_auth_mailboxes"]
    assert suggest_checks("zzzz") == []


def test_every_extra_word_belongs_to_a_check_that_exists() -> None:
    assert set(CHECK_WORDS) <= {c.id for c in CATALOGUE}

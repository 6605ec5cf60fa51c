"""The resolver of Defender / EOP threat policies: Strict, then Standard, then custom rules by priority,
then the default (or Built-in protection); coverage by accepted domain; the verdict naming the policy."""

from __future__ import annotations

from typing import Any

from core.checks.defender_policies import (
    BUILT_IN,
    CUSTOM,
    DEFAULT,
    STANDARD,
    STRICT,
    judge,
    resolve,
    rule_scope,
    setting_gaps,
)
from core.checks.helpers import is_true
from core.checks.model import Status

DOMAINS = [{"DomainName": "contoso.com"}, {"DomainName": "contoso.onmicrosoft.com"}]
ACCEPTED = frozenset({"contoso.com", "contoso.onmicrosoft.com"})
KEY = "HostedContentFilterPolicy"


def policy(name: str, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "Identity": name, "Good": True, **extra}


def rule(
    name: str, target: str, priority: int = 0, state: str = "Enabled", **conditions: Any
) -> dict[str, Any]:
    return {"Identity": name, "Name": name, "State": state, "Priority": priority, KEY: target, **conditions}


POLICIES = [
    policy("Default", IsDefault=True),
    policy("Standard Preset Security Policy1", RecommendedPolicyType="Standard"),
    policy("Strict Preset Security Policy2", RecommendedPolicyType="Strict"),
    policy("Finance"),
    policy("Everyone else"),
]


def kinds(found: Any) -> list[tuple[str, str]]:
    return [(e.kind, e.name) for e in found.chain]


def test_a_rule_without_recipient_conditions_covers_everyone() -> None:
    assert rule_scope({}, ACCEPTED).everyone


def test_domains_cover_everyone_only_when_every_accepted_domain_is_named() -> None:
    assert not rule_scope({"RecipientDomainIs": ["contoso.com"]}, ACCEPTED).everyone
    assert rule_scope({"RecipientDomainIs": ["CONTOSO.com", "contoso.onmicrosoft.com"]}, ACCEPTED).everyone


def test_users_groups_and_exceptions_never_cover_everyone() -> None:
    assert not rule_scope({"SentTo": ["ceo@contoso.com"]}, ACCEPTED).everyone
    assert not rule_scope({"SentToMemberOf": "Finance"}, ACCEPTED).everyone
    excepted = rule_scope({"ExceptIfSentTo": ["svc@contoso.com"]}, ACCEPTED)
    assert not excepted.everyone and "except" in excepted.described


def test_without_rules_the_default_policy_decides() -> None:
    found = resolve(POLICIES, [], [], DOMAINS, policy_key=KEY)
    assert kinds(found) == [(DEFAULT, "Default")]
    assert found.deciding is not None and found.deciding.name == "Default"


def test_strict_wins_over_standard_over_custom_over_default() -> None:
    presets = [
        rule("Standard Preset Security Policy", "Standard Preset Security Policy1", SentTo=["a@contoso.com"]),
        rule("Strict Preset Security Policy", "Strict Preset Security Policy2", SentTo=["ceo@contoso.com"]),
    ]
    customs = [
        rule("Everyone else", "Everyone else", 1),
        rule("Finance", "Finance", 0, SentToMemberOf=["Fin"]),
    ]
    found = resolve(POLICIES, customs, presets, DOMAINS, policy_key=KEY)
    assert kinds(found) == [
        (STRICT, "Strict Preset Security Policy2"),
        (STANDARD, "Standard Preset Security Policy1"),
        (CUSTOM, "Finance"),
        (CUSTOM, "Everyone else"),
    ]
    assert found.deciding is not None and found.deciding.name == "Everyone else"  # the default never applies


def test_disabled_rules_are_ignored() -> None:
    presets = [rule("Standard Preset Security Policy", "Standard Preset Security Policy1", state="Disabled")]
    customs = [rule("Everyone else", "Everyone else", state="Disabled")]
    assert kinds(resolve(POLICIES, customs, presets, DOMAINS, policy_key=KEY)) == [(DEFAULT, "Default")]


def test_a_preset_for_all_recipients_stops_the_chain() -> None:
    presets = [rule("Standard Preset Security Policy", "Standard Preset Security Policy1")]
    found = resolve(POLICIES, [rule("Finance", "Finance")], presets, DOMAINS, policy_key=KEY)
    assert kinds(found) == [(STANDARD, "Standard Preset Security Policy1")]


def test_a_preset_rule_without_the_policy_property_finds_its_policy_by_type() -> None:
    presets = [{"Identity": "Strict Preset Security Policy", "State": "Enabled"}]
    assert kinds(resolve(POLICIES, [], presets, DOMAINS, policy_key="SafeLinksPolicy")) == [
        (STRICT, "Strict Preset Security Policy2")
    ]


def test_uncovered_domains_are_named_when_no_policy_covers_everyone() -> None:
    found = resolve(
        [policy("Main")],
        [rule("Main", "Main", RecipientDomainIs=["contoso.com"])],
        [],
        DOMAINS,
        policy_key=KEY,
    )
    assert found.deciding is None
    assert found.uncovered() == {"contoso.onmicrosoft.com"}
    outcome = judge(found, lambda p: [], what="anti-spam")
    assert outcome.status is Status.FAIL and "contoso.onmicrosoft.com" in outcome.summary


def test_built_in_protection_is_the_last_resort_where_there_is_no_default() -> None:
    found = resolve(
        [policy("Built-In Protection Policy", IsBuiltInProtection=True)], [], [], DOMAINS, policy_key=KEY
    )
    assert kinds(found) == [(BUILT_IN, "Built-In Protection Policy")]


def good(p: Any) -> list[dict[str, Any]]:
    return setting_gaps(p, {"Good": is_true})


def test_judge_passes_naming_the_deciding_policy() -> None:
    outcome = judge(resolve(POLICIES, [], [], DOMAINS, policy_key=KEY), good, what="anti-spam")
    assert outcome.status is Status.PASS
    assert "default policy (Default)" in outcome.summary
    assert outcome.evidence[0]["policy"] == "Default"  # type: ignore[index]


def test_judge_fails_on_a_weak_scoped_policy_even_when_the_deciding_one_is_good() -> None:
    weak = [*POLICIES[:3], policy("Finance", Good=False)]
    found = resolve(weak, [rule("Finance", "Finance", SentToMemberOf=["Fin"])], [], DOMAINS, policy_key=KEY)
    outcome = judge(found, good, what="anti-spam")
    assert outcome.status is Status.FAIL
    assert "Finance" in outcome.summary and "default policy (Default) decides" in outcome.summary
    assert outcome.evidence[0] == {  # type: ignore[comparison-overlap]
        "policy": "Finance",
        "kind": CUSTOM,
        "appliesTo": "only Fin",
        "gaps": [{"setting": "Good", "value": False}],
    }


def test_judge_fails_when_a_rule_names_a_policy_that_was_not_returned() -> None:
    found = resolve(POLICIES, [rule("Gone", "Gone", SentTo=["x@contoso.com"])], [], DOMAINS, policy_key=KEY)
    assert judge(found, good, what="anti-spam").status is Status.FAIL

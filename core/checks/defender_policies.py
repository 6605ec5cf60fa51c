"""Which Defender for Office 365 / EOP threat policy applies to whom, the way Exchange Online decides it.

Microsoft applies one policy of a kind to each recipient, in this order (learn.microsoft.com/
defender-office-365/preset-security-policies, "Order of precedence for preset security policies and
other policies"): the Strict preset security policy, then the Standard preset, then custom policies by
the Priority of their rules (0 first), then the default policy (for Safe Links and Safe Attachments,
which have no default policy, the Built-in protection preset). A recipient is matched by the first
enabled rule whose conditions hold and whose exceptions do not.

A rule's recipient conditions are SentTo (users), SentToMemberOf (groups) and RecipientDomainIs
(domains); different conditions must all hold, values of one condition are alternatives; the
ExceptIf* properties are the same three as exceptions (Get-HostedContentFilterRule and the other
Get-*Rule cmdlets; Get-EOPProtectionPolicyRule / Get-ATPProtectionPolicyRule for the presets, whose
Identity is "Strict Preset Security Policy" or "Standard Preset Security Policy"). A rule with no
recipient condition applies to everyone: that is how the portal saves a preset for "All recipients".
ScubaGear reads coverage the same way (cisagov/ScubaGear Rego/Utils/SecuritySuite.rego,
PresetPolicyCoversAllRecipients and CustomRuleCoversAllRecipients).

`resolve` is pure: given the policies, their rules, the preset rules and the accepted domains it
returns the chain of policies in effect, from the highest precedence down to the first one that
covers every recipient, so a check can judge each and say in its evidence which policy decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.checks.helpers import is_true, objects
from core.checks.model import Evidence, Outcome, TenantSnapshot, failed, passed

STRICT = "Strict preset"
STANDARD = "Standard preset"
CUSTOM = "custom"
DEFAULT = "default"
BUILT_IN = "Built-in protection"
PRESETS = (
    (STRICT, "strict preset security policy", "Strict"),
    (STANDARD, "standard preset security policy", "Standard"),
)
CONDITIONS = ("SentTo", "SentToMemberOf", "RecipientDomainIs")
EXCEPTIONS = ("ExceptIfSentTo", "ExceptIfSentToMemberOf", "ExceptIfRecipientDomainIs")


def values(value: object) -> list[str]:
    """A multi-valued property: Exchange sends a list, a single string, or null."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Iterable):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)]


def accepted_domain_names(domains: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    return frozenset(
        str(d.get("DomainName") or d.get("Name")).strip().lower()
        for d in domains
        if d.get("DomainName") or d.get("Name")
    )


@dataclass(frozen=True)
class Scope:
    """Who a rule applies to, as far as domains go."""

    everyone: bool  # every recipient in every accepted domain, with no exception
    domains: frozenset[str]  # accepted domains whose every recipient it covers
    described: str


def rule_scope(rule: Mapping[str, Any], accepted: frozenset[str]) -> Scope:
    users, groups = values(rule.get("SentTo")), values(rule.get("SentToMemberOf"))
    domains = frozenset(d.lower() for d in values(rule.get("RecipientDomainIs")))
    exceptions = [f"{key}: {', '.join(values(rule.get(key)))}" for key in EXCEPTIONS if values(rule.get(key))]
    if users or groups:
        named = ", ".join([*users, *groups])
        return Scope(False, frozenset(), f"only {named}" + _except(exceptions))
    if exceptions:
        return Scope(False, frozenset(), f"{_domains(domains)}{_except(exceptions)}")
    if not domains:
        return Scope(True, accepted, "all recipients")
    covered = domains & accepted
    return Scope(bool(accepted) and accepted <= domains, covered, _domains(domains))


def _domains(domains: frozenset[str]) -> str:
    return f"recipients in {', '.join(sorted(domains))}" if domains else "all recipients"


def _except(exceptions: list[str]) -> str:
    return f", except {'; '.join(exceptions)}" if exceptions else ""


@dataclass(frozen=True)
class InEffect:
    """One policy that applies to some or all recipients."""

    name: str
    kind: str  # STRICT, STANDARD, CUSTOM, DEFAULT or BUILT_IN
    policy: Mapping[str, Any] | None  # None when the policy its rule names was not returned
    scope: Scope
    priority: int | None = None

    def label(self) -> str:
        if self.kind in (STRICT, STANDARD, BUILT_IN):
            return f"the {self.kind} policy"
        if self.kind == DEFAULT:
            return f"the default policy ({self.name})"
        return f"custom policy '{self.name}' (priority {self.priority})"

    def evidence(self) -> dict[str, Any]:
        return {"policy": self.name, "kind": self.kind, "appliesTo": self.scope.described}


@dataclass(frozen=True)
class Resolution:
    chain: tuple[InEffect, ...]  # highest precedence first, ending at the first that covers everyone
    accepted: frozenset[str]

    @property
    def deciding(self) -> InEffect | None:
        """The policy for everyone no earlier policy took: None when no policy covers everyone."""
        return self.chain[-1] if self.chain and self.chain[-1].scope.everyone else None

    def uncovered(self) -> frozenset[str]:
        covered: set[str] = set()
        for entry in self.chain:
            covered |= entry.scope.domains
        return self.accepted - covered


def _name(policy: Mapping[str, Any]) -> str:
    return str(policy.get("Name") or policy.get("Identity") or "")


def _find(policies: Sequence[Mapping[str, Any]], name: object) -> Mapping[str, Any] | None:
    wanted = str(name or "").lower()
    return next(
        (p for p in policies if wanted and wanted in (_name(p).lower(), str(p.get("Identity", "")).lower())),
        None,
    )


def _preset_policy(
    policies: Sequence[Mapping[str, Any]], rule: Mapping[str, Any], policy_key: str, recommended: str
) -> Mapping[str, Any] | None:
    named = _find(policies, rule.get(policy_key))
    if named is not None:
        return named
    return next((p for p in policies if str(p.get("RecommendedPolicyType")) == recommended), None)


def _enabled(rule: Mapping[str, Any]) -> bool:
    return str(rule.get("State") or "").lower() == "enabled"


def _presets(
    policies: Sequence[Mapping[str, Any]],
    preset_rules: Sequence[Mapping[str, Any]],
    policy_key: str,
    accepted: frozenset[str],
) -> list[InEffect]:
    found: list[InEffect] = []
    for kind, marker, recommended in PRESETS:
        for rule in preset_rules:
            if _enabled(rule) and marker in str(rule.get("Identity") or rule.get("Name") or "").lower():
                policy = _preset_policy(policies, rule, policy_key, recommended)
                name = _name(policy) if policy else str(rule.get(policy_key) or kind)
                found.append(InEffect(name, kind, policy, rule_scope(rule, accepted)))
    return found


def _priority(rule: Mapping[str, Any]) -> int:
    value = str(rule.get("Priority"))
    return int(value) if value.isdigit() else 1_000_000


def _fallback(policies: Sequence[Mapping[str, Any]], accepted: frozenset[str]) -> InEffect | None:
    everyone = Scope(True, accepted, "everyone no other policy applies to")
    for policy in policies:
        if is_true(policy.get("IsDefault")):
            return InEffect(_name(policy), DEFAULT, policy, everyone)
    for policy in policies:
        if is_true(policy.get("IsBuiltInProtection")):
            return InEffect(_name(policy), BUILT_IN, policy, everyone)
    return None


def resolve(
    policies: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]],
    preset_rules: Sequence[Mapping[str, Any]],
    accepted_domains: Sequence[Mapping[str, Any]],
    *,
    policy_key: str,
) -> Resolution:
    """The policies in effect, in Microsoft's order; `policy_key` is the rule property that names its
    policy (HostedContentFilterPolicy, AntiPhishPolicy, MalwareFilterPolicy, SafeLinksPolicy,
    SafeAttachmentPolicy; the preset rules carry the same properties for their own policies)."""
    accepted = accepted_domain_names(accepted_domains)
    chain: list[InEffect] = []
    candidates = _presets(policies, preset_rules, policy_key, accepted)
    for rule in sorted((r for r in rules if _enabled(r)), key=_priority):
        policy = _find(policies, rule.get(policy_key))
        name = _name(policy) if policy else str(rule.get(policy_key) or rule.get("Name"))
        candidates.append(InEffect(name, CUSTOM, policy, rule_scope(rule, accepted), _priority(rule)))
    fallback = _fallback(policies, accepted)
    if fallback is not None:
        candidates.append(fallback)
    for entry in candidates:
        chain.append(entry)
        if entry.scope.everyone:
            break
    return Resolution(tuple(chain), accepted)


Gaps = Callable[[Mapping[str, Any]], list[dict[str, Any]]]


def judge(resolution: Resolution, gaps: Gaps, *, what: str) -> Outcome:
    """Pass when every policy in effect meets the requirement (`gaps` lists what a policy lacks) and
    some policy covers every recipient; the evidence names each policy and whom it applies to."""
    failing: list[Evidence] = []
    checked: list[Evidence] = []
    for entry in resolution.chain:
        found = gaps(entry.policy) if entry.policy is not None else [{"missing": "policy not returned"}]
        (failing if found else checked).append({**entry.evidence(), **({"gaps": found} if found else {})})
    deciding = resolution.deciding
    if deciding is None:
        return failed(
            f"No {what} policy applies to every recipient: accepted domains "
            f"{', '.join(sorted(resolution.uncovered())) or '(none read)'} are not covered.",
            [*failing, *checked],
        )
    if failing:
        names = ", ".join(str(f["policy"]) for f in failing if isinstance(f, Mapping))
        count = len(failing)
        return failed(
            f"{count} {what} polic{'y' if count == 1 else 'ies'} in effect fall{'s' if count == 1 else ''} "
            f"short ({names}); {deciding.label()} decides for everyone no earlier policy applies to.",
            [*failing, *checked],
        )
    scoped = len(resolution.chain) - 1
    comply = "y that also complies" if scoped == 1 else "ies that also comply"
    before = f", after {scoped} higher-precedence polic{comply}" if scoped else ""
    label = deciding.label()
    return passed(
        f"{label[:1].upper()}{label[1:]} decides the {what} settings for everyone{before}.", checked
    )


# -- reading the snapshot ------------------------------------------------------------------------

ACCEPTED_DOMAINS = "exo_accepted_domains"
EOP_PRESETS = "defender_eop_preset_rules"
ATP_PRESETS = "defender_atp_preset_rules"
CATEGORY = "Defender for Office 365"
THREAT_POLICIES = "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies"


def optional_rows(snapshot: TenantSnapshot, source: str) -> list[Mapping[str, Any]] | None:
    """A source that only some tenants have: its rows, or None when the tenant's licences lack the
    plan it needs; any other failure to read it raises, so the check is an error, never a pass."""
    if snapshot.has(source):
        return objects(snapshot.get(source))
    failure = snapshot.failures.get(source)
    if failure is not None and failure.kind == "not_licensed":
        return None
    snapshot.get(source)  # raises SourceMissing with the reason
    return None  # pragma: no cover - get() raised


def resolution(
    snapshot: TenantSnapshot, policies: str, rules: str, presets: str, *, policy_key: str
) -> Resolution:
    return resolve(
        objects(snapshot.get(policies)),
        objects(snapshot.get(rules)),
        objects(snapshot.get(presets)),
        objects(snapshot.get(ACCEPTED_DOMAINS)),
        policy_key=policy_key,
    )


def setting_gaps(
    policy: Mapping[str, Any], wanted: Mapping[str, Callable[[Any], bool]]
) -> list[dict[str, Any]]:
    """The settings of `policy` that fail their test, with the value found."""
    return [
        {"setting": key, "value": policy.get(key)} for key, ok in wanted.items() if not ok(policy.get(key))
    ]


def one_of(*allowed: str) -> Callable[[Any], bool]:
    folded = {a.lower() for a in allowed}
    return lambda value: str(value or "").lower() in folded


def empty(value: Any) -> bool:
    return not values(value)

"""Email authentication DNS records (SPF, DMARC, DKIM) for every custom verified domain.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Source shape (core.collect.sources, "dns"): domain -> {"spf": [TXT strings starting v=spf1],
"dmarc": [TXT strings at _dmarc.<domain>], "dkim": {"selector1": CNAME target or None, "selector2": ...}}
for every verified domain that is not *.onmicrosoft.com. No custom domain means not applicable. A domain
without its own DMARC record inherits the record of a parent domain in the same map (using its sp= tag),
as receivers do for the organisational domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.checks.helpers import capped, check, is_true, metadata, objects, plural, shown, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, not_applicable, passed

CATEGORY = "Email authentication (DNS)"
DNS = "dns"
NO_DOMAINS = "The tenant has no custom verified domains; *.onmicrosoft.com records are managed by Microsoft."
SPF_DOCS = "https://learn.microsoft.com/en-us/defender-office-365/email-authentication-spf-configure"
DMARC_DOCS = "https://learn.microsoft.com/en-us/defender-office-365/email-authentication-dmarc-configure"
DKIM_DOCS = "https://learn.microsoft.com/en-us/defender-office-365/email-authentication-dkim-configure"

Problem = dict[str, Any]


def _domains(snapshot: TenantSnapshot) -> dict[str, Mapping[str, Any]]:
    return {str(k).lower(): v or {} for k, v in (snapshot.get(DNS) or {}).items()}


def _per_domain(
    snapshot: TenantSnapshot, judge: Callable[[str], Problem | None], good: str, bad: str
) -> Outcome:
    domains = _domains(snapshot)
    if not domains:
        return not_applicable(NO_DOMAINS)
    problems = [problem for domain in sorted(domains) if (problem := judge(domain)) is not None]
    if not problems:
        return passed(f"{good} for all {plural(len(domains), 'custom domain')}.")
    return failed(
        f"{bad} for {plural(len(problems), 'custom domain')} of {len(domains)}.{shown(len(problems))}",
        capped(problems),
    )


def spf_records(entry: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in entry.get("spf") or [] if str(r).lower().startswith("v=spf1")]


def spf_all_qualifier(record: str) -> str | None:
    """The qualifier of the terminal 'all' mechanism ('+' when written bare), 'redirect', or None."""
    for token in record.split()[1:]:
        lowered = token.lower()
        if lowered.lstrip("+-~?") == "all":
            return lowered[0] if lowered[0] in "+-~?" else "+"
    if any(token.lower().startswith("redirect=") for token in record.split()):
        return "redirect"
    return None


@check(
    metadata(
        id="dns.spf_published",
        title="An SPF record is published for every custom domain",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(DNS,),
        rationale=(
            "SPF lists the servers allowed to send mail for a domain; without it receivers cannot tell "
            "spoofed mail from real mail. A domain must publish exactly one v=spf1 TXT record (two or more "
            "is a permanent error that receivers treat as none)."
        ),
        remediation=steps(
            "At the domain's DNS host, publish one TXT record at the domain apex, e.g. "
            "'v=spf1 include:spf.protection.outlook.com -all', adding any other legitimate senders.",
            "Merge duplicate v=spf1 records into one.",
            "Domains that never send mail: publish 'v=spf1 -all'.",
        ),
        references=(SPF_DOCS,),
    )
)
def spf_published(snapshot: TenantSnapshot) -> Outcome:
    domains = _domains(snapshot)

    def judge(domain: str) -> Problem | None:
        records = spf_records(domains[domain])
        if len(records) == 1:
            return None
        problem = "no SPF record" if not records else f"{len(records)} SPF records (permanent error)"
        return {"domain": domain, "problem": problem, "records": records}

    return _per_domain(snapshot, judge, "One SPF record is published", "No single SPF record is published")


@check(
    metadata(
        id="dns.spf_fails_unauthorised",
        title="SPF records fail mail from unlisted senders (-all or ~all)",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(DNS,),
        rationale=(
            "An SPF record ending in +all (or a bare 'all') authorises every server on the internet, and "
            "?all or no 'all' expresses no opinion: either way spoofed mail passes SPF. The record must "
            "end in -all or ~all (or redirect= to a record that does; redirects are not followed here)."
        ),
        remediation=steps(
            "At the domain's DNS host, edit the domain's v=spf1 TXT record.",
            "Replace the final +all, ?all or bare all with -all (or ~all while DMARC is being rolled out).",
            "Check the record with a validator, e.g. Resolve-DnsName <domain> -Type TXT.",
        ),
        references=(SPF_DOCS,),
    )
)
def spf_fails_unauthorised(snapshot: TenantSnapshot) -> Outcome:
    domains = _domains(snapshot)

    def judge(domain: str) -> Problem | None:
        records = spf_records(domains[domain])
        if len(records) != 1:
            return {"domain": domain, "problem": "no single SPF record", "records": records}
        qualifier = spf_all_qualifier(records[0])
        if qualifier in ("-", "~", "redirect"):
            return None
        problem = {"+": "ends in +all (allows any sender)", "?": "ends in ?all (neutral)"}.get(
            qualifier or "", "has no 'all' mechanism (neutral)"
        )
        return {"domain": domain, "problem": problem, "record": records[0]}

    return _per_domain(snapshot, judge, "SPF fails unlisted senders", "SPF does not fail unlisted senders")


def parse_dmarc(record: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in record.split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            tags[key.strip().lower()] = value.strip()
    return tags


def dmarc_policy(domains: Mapping[str, Mapping[str, Any]], domain: str) -> tuple[dict[str, str] | None, str]:
    """The DMARC tags that govern `domain` (own record or a parent's), and a problem when there are none."""
    labels = domain.split(".")
    for depth in range(len(labels) - 1):
        candidate = ".".join(labels[depth:])
        if candidate not in domains:
            continue
        records = [
            str(r) for r in domains[candidate].get("dmarc") or [] if str(r).lower().startswith("v=dmarc1")
        ]
        if len(records) > 1:
            return None, f"{len(records)} DMARC records at _dmarc.{candidate} (receivers ignore them)"
        if not records:
            continue
        tags = parse_dmarc(records[0])
        if candidate != domain:
            tags = {**tags, "p": tags.get("sp", tags.get("p", "")), "inheritedFrom": candidate}
        if tags.get("p", "").lower() not in ("none", "quarantine", "reject"):
            return None, f"DMARC record at _dmarc.{candidate} has no valid p= policy"
        return tags, ""
    return None, f"no DMARC record at _dmarc.{domain}"


def _dmarc_judge(
    snapshot: TenantSnapshot, accept: Callable[[dict[str, str]], bool], wanted: str
) -> Callable[[str], Problem | None]:
    domains = _domains(snapshot)

    def judge(domain: str) -> Problem | None:
        tags, problem = dmarc_policy(domains, domain)
        if tags is None:
            return {"domain": domain, "problem": problem}
        if accept(tags):
            return None
        entry: Problem = {
            "domain": domain,
            "problem": wanted,
            "p": tags.get("p"),
            "pct": tags.get("pct", "100"),
        }
        if "inheritedFrom" in tags:
            entry["inheritedFrom"] = tags["inheritedFrom"]
        return entry

    return judge


@check(
    metadata(
        id="dns.dmarc_published",
        title="A DMARC record is published for every custom domain",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(DNS,),
        rationale=(
            "DMARC tells receivers what to do with mail that fails SPF and DKIM alignment and where to "
            "send reports; without it, spoofing of the domain goes unhandled and unseen."
        ),
        remediation=steps(
            "At the domain's DNS host, publish a TXT record at _dmarc.<domain>, starting with "
            "'v=DMARC1; p=none; rua=mailto:<reporting address>' to collect reports.",
            "Review the aggregate reports, fix legitimate senders, then move to p=quarantine and p=reject.",
        ),
        references=(DMARC_DOCS,),
    )
)
def dmarc_published(snapshot: TenantSnapshot) -> Outcome:
    judge = _dmarc_judge(snapshot, lambda tags: True, "invalid")
    return _per_domain(snapshot, judge, "A DMARC policy applies", "No valid DMARC policy applies")


def _enforced(tags: dict[str, str]) -> bool:
    return tags.get("p", "").lower() in ("quarantine", "reject") and tags.get("pct", "100").strip() == "100"


@check(
    metadata(
        id="dns.dmarc_enforced",
        title="DMARC policies quarantine or reject failing mail",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(DNS,),
        rationale=(
            "p=none only monitors: spoofed mail is still delivered. Protection starts at p=quarantine or "
            "p=reject applied to all mail (pct=100, the default)."
        ),
        remediation=steps(
            "Confirm from DMARC aggregate reports that all legitimate senders pass SPF or DKIM aligned.",
            "Change the _dmarc.<domain> TXT record to p=quarantine (then p=reject) and remove any pct "
            "value below 100.",
            "Keep rua= (and ruf=) reporting addresses so new failures are noticed.",
        ),
        references=(DMARC_DOCS,),
    )
)
def dmarc_enforced(snapshot: TenantSnapshot) -> Outcome:
    judge = _dmarc_judge(snapshot, _enforced, "policy does not quarantine or reject all mail")
    return _per_domain(
        snapshot,
        judge,
        "DMARC quarantines or rejects failing mail",
        "DMARC does not quarantine or reject all mail",
    )


@check(
    metadata(
        id="dns.dmarc_reject",
        title="DMARC policies reject failing mail",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(DNS,),
        rationale=(
            "p=reject is the strongest DMARC policy: receivers refuse spoofed mail outright instead of "
            "filing it as junk, where users may still open it. CISA SCuBA requires it."
        ),
        remediation=steps(
            "After running at p=quarantine without legitimate failures, change the _dmarc.<domain> TXT "
            "record to p=reject.",
            "Watch the aggregate reports for a few weeks after the change.",
        ),
        references=(DMARC_DOCS,),
    )
)
def dmarc_reject(snapshot: TenantSnapshot) -> Outcome:
    judge = _dmarc_judge(
        snapshot, lambda tags: tags.get("p", "").lower() == "reject", "policy is not p=reject"
    )
    return _per_domain(snapshot, judge, "DMARC rejects failing mail", "DMARC does not reject failing mail")


@check(
    metadata(
        id="dns.dkim_enabled",
        title="DKIM signing is enabled and published for every custom domain",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(DNS, "exo_dkim_signing_config"),
        rationale=(
            "DKIM signs outgoing mail so receivers can verify it came from the domain unaltered, and lets "
            "DMARC pass when forwarding breaks SPF. Both selector1 and selector2 CNAMEs must be published "
            "(for key rotation) and the domain's DkimSigningConfig must be enabled."
        ),
        remediation=steps(
            "Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > "
            "Email authentication settings > DKIM, and open the domain.",
            "Publish the two CNAME records shown (selector1._domainkey and selector2._domainkey) at the "
            "domain's DNS host.",
            "Once DNS has propagated, switch 'Sign messages for this domain with DKIM signatures' on "
            "(or Set-DkimSigningConfig -Identity <domain> -Enabled $true).",
        ),
        references=(DKIM_DOCS,),
    )
)
def dkim_enabled(snapshot: TenantSnapshot) -> Outcome:
    domains = _domains(snapshot)
    configs = {
        str(c.get("Domain") or c.get("Name") or "").lower(): c
        for c in objects(snapshot.get("exo_dkim_signing_config"))
    }

    def judge(domain: str) -> Problem | None:
        dkim = domains[domain].get("dkim") or {}
        missing = [s for s in ("selector1", "selector2") if not dkim.get(s)]
        config = configs.get(domain)
        problems = []
        if missing:
            problems.append("CNAME not published for " + " and ".join(missing))
        if config is None:
            problems.append("no DKIM signing configuration in Exchange Online")
        elif not is_true(config.get("Enabled")):
            problems.append("DKIM signing disabled in Exchange Online")
        return {"domain": domain, "problem": "; ".join(problems)} if problems else None

    return _per_domain(snapshot, judge, "DKIM signs mail", "DKIM is not fully set up")


CHECKS = (spf_published, spf_fails_unauthorised, dmarc_published, dmarc_enforced, dmarc_reject, dkim_enabled)

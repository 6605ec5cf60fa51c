"""The people of a generated tenant: users, guests, shared mailboxes and their directory roles.

Part of the synthetic tenant builder (`synthetic.py`). Every choice is drawn from a seeded random
generator, so the same spec always gives the same tenant.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from devtools.graphsim.catalog import GLOBAL_ADMIN, ROLE
from devtools.graphsim.policies import POSTURES, Json, PolicyContext, Posture
from devtools.graphsim.views import stable_id

AS_OF = "2026-11-01T00:00:00Z"
_FIRST = (  # noqa: SIM905 - a list of names reads best as one string
    "Ava Ben Chloe Daniel Ella Finn Grace Hugo Isla Jack Kate Liam Maya Noah Olivia Paul Quinn Rosa "
    "Sam Tara Uma Victor Wendy Xavier Yara Zane Amir Bianca Carlos Dana Emre Fatima Gustav Hana Ivan "
    "Jonas Keiko Lars Mei Nadia Omar Priya Rafael Sofia Tomas Ulla Vera Wei Yusuf Zoe"
).split()
_LAST = (  # noqa: SIM905 - a list of names reads best as one string
    "Andersen Baker Chen Dubois Evans Fischer Garcia Hansen Ito Jensen Kowalski Larsen Martin "
    "Nakamura Olsen Patel Quist Rossi Schmidt Tanaka Usman Varga Weber Xu Young Zimmermann Ali Berg "
    "Costa Diaz Eriksen Ferrari Gomez Horvat Ivanova Jovanovic Kim Lopez Moreau Novak"
).split()
_DEPARTMENTS = ("Sales", "Finance", "Operations", "Legal", "HR", "IT", "Marketing", "Support")
_TITLES = ("Associate", "Specialist", "Manager", "Coordinator", "Analyst", "Consultant", "Assistant")


@dataclass
class TenantSpec:
    """Everything that distinguishes one tenant; the rest follows from the posture."""

    n_users: int
    seed: int
    posture: Posture = "mixed"
    tenant_id: str | None = None
    display_name: str | None = None
    slug: str | None = None  # the <slug>.onmicrosoft.com initial domain
    custom_domains: list[str] | None = None
    unverified_domains: list[str] = field(default_factory=list)
    sku: str | None = None
    global_admins: int | None = None
    eligible_admins: int | None = None
    synced_global_admin: bool | None = None
    permissions: list[str] | None = None
    consent: str = "granted"
    partner_domain: str = "partner-firm.example"
    description: str = ""
    as_of: str = AS_OF  # the date the tenant's other dates are relative to


class PeopleBuilder:
    def __init__(self, spec: TenantSpec) -> None:
        if spec.posture not in POSTURES:
            raise ValueError(f"posture must be one of {POSTURES}, not {spec.posture!r}")
        self.spec = spec
        self.rng = random.Random(  # noqa: S311 - seeded on purpose: test data, not secrets
            f"{spec.seed}:{spec.posture}:{spec.n_users}"
        )
        self.as_of = dt.datetime.fromisoformat(spec.as_of.replace("Z", "+00:00"))
        self.tid = spec.tenant_id or self.new_id()
        self.slug = spec.slug or f"synthetic{spec.seed}{spec.posture}"
        self.initial = f"{self.slug}.onmicrosoft.com"
        self.custom_domains = (
            spec.custom_domains if spec.custom_domains is not None else [f"{self.slug}.example"]
        )
        self.mail_domain = self.custom_domains[0] if self.custom_domains else self.initial
        self.ctx = PolicyContext(spec.posture, self.tid, spec.as_of, self.new_id)
        self.used_names: set[str] = set()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ago(self, days: float) -> str:
        return (self.as_of - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _when(self, low: float, high: float) -> str:
        return self.ago(self.rng.uniform(low, high))

    def _pick(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    # -- people ---------------------------------------------------------------------------------

    def _person(self, *, upn: str | None = None, name: str | None = None) -> Json:
        first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        display = name or f"{first} {last}"
        upn = upn or f"{self._local_part(first, last)}@{self.mail_domain}"
        return {
            "id": self.new_id(),
            "displayName": display,
            "givenName": None if name else first,
            "surname": None if name else last,
            "userPrincipalName": upn,
            "mail": upn if not upn.endswith(".onmicrosoft.com") else None,
            "accountEnabled": True,
            "userType": "Member",
            "onPremisesSyncEnabled": True if self.synced else None,
            "createdDateTime": self._when(30, 2200),
            "passwordPolicies": None,
            "lastPasswordChangeDateTime": self._when(1, 420),
            "externalUserState": None,
            "jobTitle": None if name else self.rng.choice(_TITLES),
            "department": None if name else self.rng.choice(_DEPARTMENTS),
            "usageLocation": "US",
            "signInActivity": self._sign_ins(),
            "authMethods": [],
            "ssprRegistered": False,
            "mailbox": None,
        }

    def _local_part(self, first: str, last: str) -> str:
        base = f"{first.lower()}.{last.lower()}"
        local, n = base, 1
        while local in self.used_names:
            n += 1
            local = f"{base}{n}"
        self.used_names.add(local)
        return local

    def _sign_ins(self, *, stale: float | None = None) -> Json | None:
        stale_share = (
            stale if stale is not None else {"weak": 0.25, "mixed": 0.12, "strong": 0.04}[self.spec.posture]
        )
        roll = self.rng.random()
        if roll < 0.04:
            return None  # never signed in
        last = self._when(95, 600) if roll < 0.04 + stale_share else self._when(0.01, 20)
        non_interactive = self._when(0.01, 5) if roll >= 0.04 + stale_share else last
        return {
            "lastSignInDateTime": last,
            "lastNonInteractiveSignInDateTime": non_interactive,
            "lastSuccessfulSignInDateTime": last,
        }

    def _register_mfa(self, user: Json, *, admin: bool = False) -> None:
        posture = self.spec.posture
        share = {"weak": 0.3, "mixed": 0.82, "strong": 0.985}[posture]
        if admin and posture != "weak":
            share = 1.0
        if self.rng.random() >= share:
            user["authMethods"] = ["email"] if self.rng.random() < 0.3 else []
            return
        if posture == "weak":
            methods = (
                ["mobilePhone"] if self.rng.random() < 0.7 else ["microsoftAuthenticatorPush", "mobilePhone"]
            )
        elif posture == "mixed":
            methods = (
                ["microsoftAuthenticatorPush", "softwareOneTimePasscode", "mobilePhone"]
                if self.rng.random() < 0.75
                else ["mobilePhone", "email"]
            )
        else:
            methods = [
                "microsoftAuthenticatorPush",
                "microsoftAuthenticatorPasswordless",
                "softwareOneTimePasscode",
            ]
            if admin or self.rng.random() < 0.3:
                methods = ["fido2SecurityKey", "windowsHelloForBusiness", *methods]
        user["authMethods"] = methods
        user["ssprRegistered"] = True

    def _mailbox(self, user: Json, kind: str = "UserMailbox") -> None:
        posture = self.spec.posture
        smtp_auth = None
        if posture == "mixed" and self.rng.random() < 0.06:
            smtp_auth = False  # explicitly allowed for an old scanner or line-of-business app
        elif posture == "strong" and self.rng.random() < 0.1:
            smtp_auth = True
        user["mailbox"] = {
            "RecipientTypeDetails": kind,
            "AuditEnabled": not (posture == "weak" and self.rng.random() < 0.15),
            "SmtpClientAuthenticationDisabled": smtp_auth,
            "ForwardingSmtpAddress": None,
            "DeliverToMailboxAndForward": False,
            "PopEnabled": posture != "strong",
            "ImapEnabled": posture != "strong",
        }

    def users(self) -> tuple[list[Json], list[Json], list[str]]:
        spec, posture = self.spec, self.spec.posture
        n = spec.n_users
        n_ga = min(
            n,
            spec.global_admins
            if spec.global_admins is not None
            else {"weak": 5, "mixed": 4, "strong": 2}[posture],
        )
        n_eligible = (
            spec.eligible_admins if spec.eligible_admins is not None else (3 if posture == "strong" else 0)
        )
        n_eligible = min(n_eligible, n - n_ga)
        rest = n - n_ga - n_eligible
        n_shared = min(rest, {"weak": 1, "mixed": max(2, n // 50), "strong": max(1, n // 60)}[posture])
        n_guest = min(
            rest - n_shared, {"weak": max(1, n // 12), "mixed": n // 20, "strong": n // 25}[posture]
        )
        n_member = rest - n_shared - n_guest
        users: list[Json] = []
        assignments: list[Json] = []
        break_glass: list[str] = []
        synced_ga = spec.synced_global_admin if spec.synced_global_admin is not None else posture == "weak"
        for i in range(n_ga):
            if posture == "strong":
                user = self._person(
                    upn=f"bg-admin{i + 1:02d}@{self.initial}", name=f"Break Glass {i + 1:02d}"
                )
                user["onPremisesSyncEnabled"] = None
                user["signInActivity"] = self._sign_ins(stale=0.0)
                self._register_mfa(user, admin=True)
                user["authMethods"] = ["fido2SecurityKey"]
                break_glass.append(user["id"])
            else:
                user = self._person()
                user["onPremisesSyncEnabled"] = True if (synced_ga and i == n_ga - 1) else None
                self._register_mfa(user, admin=True)
                self._mailbox(user)
            users.append(user)
            assignments.append(self._assignment(user["id"], GLOBAL_ADMIN, "active"))
        for i in range(n_eligible):
            user = self._person()
            user["userPrincipalName"] = (
                user["userPrincipalName"].replace("@", ".adm@").replace(self.mail_domain, self.initial)
            )
            user["mail"], user["onPremisesSyncEnabled"] = None, None
            self._register_mfa(user, admin=True)
            users.append(user)
            role = (
                GLOBAL_ADMIN
                if i == 0
                else self.rng.choice(
                    [
                        ROLE["Security Administrator"],
                        ROLE["Exchange Administrator"],
                        ROLE["User Administrator"],
                    ]
                )
            )
            assignments.append(self._assignment(user["id"], role, "eligible"))
        for _ in range(n_member):
            user = self._person()
            user["accountEnabled"] = self.rng.random() > 0.04
            if posture == "weak" and self.rng.random() < 0.2:
                user["passwordPolicies"] = "DisablePasswordExpiration"
            self._register_mfa(user)
            if user["accountEnabled"] or self.rng.random() < 0.5:
                self._mailbox(user)
            users.append(user)
        helpers = [u for u in users[n_ga + n_eligible :] if u["mailbox"]][: max(1, n // 40)]
        for user in helpers:  # a few day-to-day admins besides the Global Administrators
            role = self.rng.choice(
                [ROLE["Helpdesk Administrator"], ROLE["User Administrator"], ROLE["Exchange Administrator"]]
            )
            assignments.append(
                self._assignment(user["id"], role, "eligible" if posture == "strong" else "active")
            )
        for i in range(n_shared):
            name = ("Info", "Accounts", "Reception", "Support", "Scanner")[i % 5] + (
                f" {i // 5 + 1}" if i >= 5 else ""
            )
            user = self._person(upn=f"{name.lower().replace(' ', '')}@{self.mail_domain}", name=name)
            user["accountEnabled"] = posture == "weak"
            user["signInActivity"] = None if posture != "weak" else user["signInActivity"]
            self._mailbox(user, "SharedMailbox")
            users.append(user)
        for i in range(n_guest):
            first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
            home = self.rng.choice(["partner-firm.example", "contractor.test", "mailbox.example"])
            external = f"{first.lower()}.{last.lower()}{i}@{home}"
            user = self._person(
                upn=f"{external.replace('@', '_')}#EXT#@{self.initial}", name=f"{first} {last}"
            )
            user.update(
                userType="Guest",
                mail=external,
                onPremisesSyncEnabled=None,
                jobTitle=None,
                department=None,
                externalUserState="Accepted" if self.rng.random() < 0.85 else "PendingAcceptance",
            )
            user["signInActivity"] = self._sign_ins(
                stale={"weak": 0.5, "mixed": 0.35, "strong": 0.1}[posture]
            )
            self._register_mfa(user)
            users.append(user)
        self._spray_one_dormant(users[n_ga + n_eligible :])
        forwards = {"weak": 2, "mixed": 1, "strong": 0}[posture]
        for user in [
            u for u in users if u["mailbox"] and u["mailbox"]["RecipientTypeDetails"] == "UserMailbox"
        ][:forwards]:
            local = user["userPrincipalName"].split("@")[0]
            user["mailbox"].update(
                ForwardingSmtpAddress=f"smtp:{local}@mailbox.example", DeliverToMailboxAndForward=True
            )
        return users, assignments, break_glass

    def _spray_one_dormant(self, people: list[Json]) -> None:
        """Below strong posture, one dormant member is under password spray: failed interactive
        attempts keep lastSignInDateTime recent, while lastSuccessfulSignInDateTime, which only
        successful sign-ins move, stays months old (signInActivity resource type,
        learn.microsoft.com/graph/api/resources/signinactivity). Chosen without the random generator,
        so every other generated value stays as it was."""
        if self.spec.posture == "strong":
            return
        cutoff = self.ago(95)
        for user in people:
            activity = user.get("signInActivity") or {}
            last_success = activity.get("lastSuccessfulSignInDateTime")
            if (
                user["userType"] == "Member"
                and user["accountEnabled"]
                and last_success
                and last_success < cutoff
            ):
                activity["lastSignInDateTime"] = self.ago(0.3)
                return

    def role_groups(self, users: list[Json], assignments: list[Json]) -> list[Json]:
        """Role-assignable groups holding a role (they need Entra ID P1, so none below mixed posture):
        a mixed tenant's helpdesk team, active members; a strong tenant's Exchange operators, one
        cloud-only admin account eligible through PIM for Groups (P2). Ids and members are picked
        without the random generator, so every other generated value stays as it was."""
        posture = self.spec.posture
        if posture == "weak":
            return []
        holders = {a["principalId"] for a in assignments}
        if posture == "mixed":
            name, role = "Helpdesk operators", ROLE["Helpdesk Administrator"]
            members = [
                u["id"]
                for u in users
                if u["userType"] == "Member"
                and u["accountEnabled"]
                and u["mailbox"]
                and u["id"] not in holders
            ][:2]
            eligible: list[str] = []
        else:
            name, role = "PIM - Exchange operators", ROLE["Exchange Administrator"]
            members = []
            eligible = [u["id"] for u in users if ".adm@" in u["userPrincipalName"]][-1:]
        group_id = stable_id(self.tid, "role-group", name)
        group = {
            "id": group_id,
            "displayName": name,
            "isAssignableToRole": True,
            "members": members,
            "eligibleMembers": eligible,
            "eligibleSince": self.ago(200),
        }
        assignment = {
            "id": stable_id(self.tid, "role-group-assignment", name),
            "principalId": group_id,
            "principalType": "group",
            "roleDefinitionId": role,
            "directoryScopeId": "/",
            "kind": "active",
            "startDateTime": self.ago(300),
            "endDateTime": None,
        }
        assignments.append(assignment)
        return [group]

    def _assignment(self, principal: str, role: str, kind: str, principal_type: str = "user") -> Json:
        return {
            "id": self.new_id(),
            "principalId": principal,
            "principalType": principal_type,
            "roleDefinitionId": role,
            "directoryScopeId": "/",
            "kind": kind,
            "startDateTime": self._when(60, 700),
            "endDateTime": None,
        }

    @property
    def synced(self) -> bool:
        return True  # every posture here is hybrid (Entra Connect) except where a user says otherwise

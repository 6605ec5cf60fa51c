"""In-memory adapters behind core.ports, so use cases run in unit tests without the local stack.

The store is the real `CosmosStore` and its real repositories over `FakeContainer`s: a fake of just
the async `ContainerProxy` methods core/store calls, raising the exceptions the real client raises
(404, 409, and 412 for a failed If-Match), giving every write a new `_etag`, and evaluating the small
Cosmos SQL grammar core/store emits. Anything outside that grammar raises `UnsupportedQuery`, so a
new query shape fails loudly here instead of being answered wrongly.

Integration tests still run against the real local services (DESIGN.md).
"""

from __future__ import annotations

import copy
import itertools
import json
import operator
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from core.auth.id_tokens import ConsentSignIn, ConsentSignInRefused
from core.collect.connection import TenantUnreachable
from core.mail.graph import Attachment, MailFailed
from core.scan.assess import Assessment
from core.scan.attribution import ChangeLog
from core.settings import Settings
from core.store.cosmos import CONTAINERS, CosmosStore
from core.store.errors import NotFound
from core.store.queues import ReceivedMessage

Item = dict[str, Any]


class UnsupportedQuery(ValueError):
    """A query outside the grammar core/store emits (and the fake evaluates)."""


# --- the query grammar ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^'\\]|\\.)*')|(?P<param>@[A-Za-z_]\w*)"
    r"|(?P<op><=|>=|!=|=|<|>|\(|\)|\*|\.|,)|(?P<word>[A-Za-z_]\w*))"
)
_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "ORDER", "BY", "ASC", "DESC", "NULL", "TRUE", "FALSE"}


class _Undefined:
    """Cosmos's `undefined`: a missing path, or a comparison that has no answer."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise UnsupportedQuery(f"cannot read the query at {text[pos:]!r}")
        kind = match.lastgroup
        assert kind is not None
        value = match.group(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            kind, value = "kw", value.upper()
        out.append((kind, value))
        pos = match.end()
    return out


def _kind(value: Any) -> int:
    """Cosmos's type order: null < boolean < number < string (other types are not compared)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return 2
    if isinstance(value, str):
        return 3
    return 4


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, left: Any, right: Any) -> Any:
    if left is UNDEFINED or right is UNDEFINED:
        return UNDEFINED
    if _kind(left) != _kind(right):
        return {"=": False, "!=": True}.get(op, UNDEFINED)
    if _kind(left) == 4:
        if op in ("=", "!="):
            return (left == right) == (op == "=")
        return UNDEFINED
    if _kind(left) == 0:  # null = null; nulls are not ordered
        return {"=": True, "!=": False}.get(op, UNDEFINED)
    return bool(_OPERATORS[op](left, right))


def _and(left: Any, right: Any) -> Any:
    if left is False or right is False:
        return False
    if left is True and right is True:
        return True
    return UNDEFINED


def _or(left: Any, right: Any) -> Any:
    if left is True or right is True:
        return True
    if left is False and right is False:
        return False
    return UNDEFINED


Expr = Callable[[Item], Any]


@dataclass(frozen=True)
class ParsedQuery:
    where: Expr | None
    order_by: tuple[str, ...] | None
    descending: bool


class _Parser:
    def __init__(self, text: str, parameters: dict[str, Any]) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.parameters = parameters
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise UnsupportedQuery(
                f"expected {value or kind} at token {self.at} of {self.text!r}, got {token}"
            )
        self.at += 1
        return token[1]

    def accept(self, kind: str, value: str) -> bool:
        if self.peek() == (kind, value):
            self.at += 1
            return True
        return False

    def query(self) -> ParsedQuery:
        for kind, value in (("kw", "SELECT"), ("op", "*"), ("kw", "FROM")):
            self.take(kind, value)
        if self.take("word") != "c":
            raise UnsupportedQuery("the collection alias must be c")
        where = self.or_expr() if self.accept("kw", "WHERE") else None
        order_by, descending = None, False
        if self.accept("kw", "ORDER"):
            self.take("kw", "BY")
            order_by = self.path()
            if self.accept("kw", "DESC"):
                descending = True
            else:
                self.accept("kw", "ASC")
        if self.peek() is not None:
            raise UnsupportedQuery(f"unexpected {self.peek()} in {self.text!r}")
        return ParsedQuery(where, order_by, descending)

    def path(self) -> tuple[str, ...]:
        if self.take("word") != "c":
            raise UnsupportedQuery("a path starts at c")
        parts: list[str] = []
        self.take("op", ".")
        parts.append(self.take("word"))
        while self.accept("op", "."):
            parts.append(self.take("word"))
        return tuple(parts)

    def or_expr(self) -> Expr:
        left = self.and_expr()
        while self.accept("kw", "OR"):
            right = self.and_expr()
            left = (lambda a, b: lambda item: _or(a(item), b(item)))(left, right)
        return left

    def and_expr(self) -> Expr:
        left = self.comparison()
        while self.accept("kw", "AND"):
            right = self.comparison()
            left = (lambda a, b: lambda item: _and(a(item), b(item)))(left, right)
        return left

    def comparison(self) -> Expr:
        if self.accept("word", "CONTAINS"):  # CONTAINS(text, part): the findings' text filter
            self.take("op", "(")
            whole = self.operand()
            self.take("op", ",")
            part = self.operand()
            self.take("op", ")")
            return lambda item: _contains(whole(item), part(item))
        if self.accept("op", "("):
            inner = self.or_expr()
            self.take("op", ")")
            return inner
        left = self.operand()
        token = self.peek()
        if token is None or token[0] != "op" or token[1] not in ("=", "!=", "<", "<=", ">", ">="):
            raise UnsupportedQuery(f"expected a comparison at token {self.at} of {self.text!r}")
        self.at += 1
        right = self.operand()
        op = token[1]
        return lambda item: _compare(op, left(item), right(item))

    def operand(self) -> Expr:
        token = self.peek()
        if token is None:
            raise UnsupportedQuery(f"the query ends too soon: {self.text!r}")
        kind, value = token
        if token == ("word", "LOWER"):
            self.at += 1
            self.take("op", "(")
            inner = self.operand()
            self.take("op", ")")
            return lambda item: _lower(inner(item))
        if kind == "word":
            parts = self.path()
            return lambda item: _resolve(item, parts)
        self.at += 1
        if kind == "param":
            if value not in self.parameters:
                raise UnsupportedQuery(f"parameter {value} is not given")
            bound = self.parameters[value]
            return lambda item: bound
        if kind == "str":
            text = value[1:-1].replace("\\'", "'")
            return lambda item: text
        if kind == "num":
            number = float(value) if "." in value else int(value)
            return lambda item: number
        if kind == "kw" and value in ("NULL", "TRUE", "FALSE"):
            literal = {"NULL": None, "TRUE": True, "FALSE": False}[value]
            return lambda item: literal
        raise UnsupportedQuery(f"unexpected {value!r} in {self.text!r}")


def _lower(value: Any) -> Any:
    # Cosmos DB's LOWER of a non-string is undefined, and so is anything compared with it.
    return value.lower() if isinstance(value, str) else UNDEFINED


def _contains(whole: Any, part: Any) -> Any:
    if not isinstance(whole, str) or not isinstance(part, str):
        return UNDEFINED
    return part in whole


def _resolve(item: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if not isinstance(item, dict) or part not in item:
            return UNDEFINED
        item = item[part]
    return item


def parse_query(text: str, parameters: Sequence[dict[str, Any]] | None = None) -> ParsedQuery:
    """Parse one query of core/store's grammar; `parameters` as the SDK takes them."""
    bound = {p["name"]: p["value"] for p in parameters or []}
    return _Parser(text, bound).query()


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is UNDEFINED:
        return (-1, 0)
    kind = _kind(value)
    return (kind, value if kind < 4 else 0)


# --- the container -------------------------------------------------------------------------------


class _Page:
    def __init__(self, items: list[Item]) -> None:
        self._items = items

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Item]:
        for item in self._items:
            yield item


class _Pager:
    """`by_page(continuation)`: an async iterator of pages, with the token after the last one."""

    def __init__(self, items: list[Item], size: int, start: int) -> None:
        self._items, self._size, self._next = items, size, start
        self.continuation_token: str | None = None

    def __aiter__(self) -> _Pager:
        return self

    async def __anext__(self) -> _Page:
        if self._next >= len(self._items):
            raise StopAsyncIteration
        page = self._items[self._next : self._next + self._size]
        self._next += self._size
        self.continuation_token = str(self._next) if self._next < len(self._items) else None
        return _Page(page)


class _QueryResult:
    def __init__(self, items: list[Item], max_item_count: int | None) -> None:
        self._items = items
        self._size = max_item_count or 100

    def __aiter__(self) -> AsyncIterator[Item]:
        return _Page(self._items).__aiter__()

    def by_page(self, continuation_token: str | None = None) -> _Pager:
        start = int(continuation_token) if continuation_token else 0
        return _Pager(self._items, self._size, start)


class FakeContainer:
    """The async ContainerProxy methods core/store calls, in memory. Items are kept per
    (partition value, id), as Cosmos keys them; reads hand out copies."""

    def __init__(self, name: str, partition_path: str) -> None:
        if not partition_path.startswith("/") or "/" in partition_path[1:]:
            raise ValueError("a top-level partition path like /orgId")
        self.id = name
        self.partition_field = partition_path[1:]
        self._items: dict[tuple[Any, str], Item] = {}
        self._etags = itertools.count(1)
        self.queries: list[str] = []  # every query text sent, for tests that care

    # Reads and writes.
    def _key_of(self, body: Item) -> tuple[Any, str]:
        return (body.get(self.partition_field), str(body["id"]))

    def _stamp(self, body: Item) -> Item:
        stored = copy.deepcopy(body)
        stored["_etag"] = f'"{next(self._etags):08x}"'
        stored["_ts"] = 0
        self._items[self._key_of(stored)] = stored
        return copy.deepcopy(stored)

    def _missing(self, item_id: str) -> CosmosResourceNotFoundError:
        return CosmosResourceNotFoundError(
            status_code=404, message=f"Entity with the specified id {item_id!r} does not exist"
        )

    def _check_etag(self, current: Item, etag: str | None, match_condition: Any) -> None:
        if etag is None and match_condition is None:
            return
        if match_condition is not MatchConditions.IfNotModified or etag is None:
            raise NotImplementedError("only etag with MatchConditions.IfNotModified is faked")
        if current["_etag"] != etag:
            raise CosmosAccessConditionFailedError(status_code=412, message="the etag does not match")

    async def create_item(self, body: Item, **_: Any) -> Item:
        if self._key_of(body) in self._items:
            raise CosmosResourceExistsError(status_code=409, message=f"id {body['id']!r} already exists")
        return self._stamp(body)

    async def read_item(self, item: str, partition_key: Any, **_: Any) -> Item:
        found = self._items.get((partition_key, item))
        if found is None:
            raise self._missing(item)
        return copy.deepcopy(found)

    async def replace_item(
        self, item: str, body: Item, *, etag: str | None = None, match_condition: Any = None, **_: Any
    ) -> Item:
        if str(body["id"]) != item:
            raise ValueError("replace_item: the body's id differs from the item named")
        current = self._items.get(self._key_of(body))
        if current is None:
            raise self._missing(item)
        self._check_etag(current, etag, match_condition)
        return self._stamp(body)

    async def upsert_item(self, body: Item, **_: Any) -> Item:
        return self._stamp(body)

    async def delete_item(
        self, item: str, partition_key: Any, *, etag: str | None = None, match_condition: Any = None, **_: Any
    ) -> None:
        current = self._items.get((partition_key, item))
        if current is None:
            raise self._missing(item)
        self._check_etag(current, etag, match_condition)
        del self._items[(partition_key, item)]

    async def execute_item_batch(
        self, batch_operations: Sequence[tuple[str, tuple[Any, ...]]], partition_key: Any, **_: Any
    ) -> list[dict[str, Any]]:
        """Upserts only (what core/store batches); all of one partition, applied together."""
        bodies = []
        for operation, args in batch_operations:
            if operation != "upsert":
                raise NotImplementedError(f"batch operation {operation!r} is not faked")
            (body,) = args
            if body.get(self.partition_field) != partition_key:
                raise ValueError("a batch operation outside the batch's partition")
            bodies.append(body)
        results = []
        for body in bodies:
            status = 200 if self._key_of(body) in self._items else 201
            stored = self._stamp(body)
            results.append({"statusCode": status, "eTag": stored["_etag"], "resourceBody": stored})
        return results

    def query_items(
        self,
        query: str,
        *,
        parameters: Sequence[dict[str, Any]] | None = None,
        partition_key: Any = None,
        max_item_count: int | None = None,
        **_: Any,
    ) -> _QueryResult:
        """Without `partition_key` the query is cross-partition, as on Cosmos DB."""
        self.queries.append(query)
        parsed = parse_query(query, parameters)
        candidates = [
            item
            for (pk, _id), item in sorted(self._items.items(), key=lambda kv: (repr(kv[0][0]), kv[0][1]))
            if partition_key is None or pk == partition_key
        ]
        matched = [copy.deepcopy(i) for i in candidates if parsed.where is None or parsed.where(i) is True]
        if parsed.order_by is not None:
            order = parsed.order_by
            matched.sort(key=lambda i: _sort_key(_resolve(i, order)), reverse=parsed.descending)
        return _QueryResult(matched, max_item_count)

    # For tests.
    def items(self) -> list[Item]:
        return [copy.deepcopy(i) for i in self._items.values()]


class _FakeDatabase:
    def __init__(self, name: str) -> None:
        self.id = name
        self.containers = {n: FakeContainer(n, path) for n, path in CONTAINERS.items()}

    def get_container_client(self, name: str) -> FakeContainer:
        return self.containers[name]

    async def read(self) -> dict[str, Any]:
        return {"id": self.id}


class _FakeCosmosClient:
    def __init__(self) -> None:
        self.databases: dict[str, _FakeDatabase] = {}

    def get_database_client(self, name: str) -> _FakeDatabase:
        return self.databases.setdefault(name, _FakeDatabase(name))

    async def close(self) -> None:
        return None


class FakeStore(CosmosStore):
    """The real CosmosStore (and so the real repositories) over three FakeContainers."""

    def __init__(self, database_name: str = "scanposture") -> None:
        client = _FakeCosmosClient()
        super().__init__(client, database_name)  # type: ignore[arg-type]
        self.containers = client.get_database_client(database_name).containers

    async def ensure_containers(self) -> None:
        return None


# --- blobs, queues, mail -------------------------------------------------------------------------


class FakeBlobs:
    def __init__(self) -> None:
        self.blobs: dict[tuple[str, str], tuple[bytes, str]] = {}

    async def put(self, container: str, name: str, data: bytes, content_type: str) -> None:
        self.blobs[(container, name)] = (bytes(data), content_type)

    async def get(self, container: str, name: str) -> bytes:
        try:
            return self.blobs[(container, name)][0]
        except KeyError as exc:
            raise NotFound("blob", f"{container}/{name}") from exc

    async def list(self, container: str, prefix: str = "") -> list[str]:
        return sorted(n for c, n in self.blobs if c == container and n.startswith(prefix))

    async def delete(self, container: str, name: str) -> None:
        if self.blobs.pop((container, name), None) is None:
            raise NotFound("blob", f"{container}/{name}")

    async def read_url(self, container: str, name: str, valid_for: timedelta) -> str:
        return f"https://blobs.test/{container}/{name}?validFor={int(valid_for.total_seconds())}"

    async def ping(self) -> None:
        return None


class FakeQueue:
    """Records what is sent; `receive` hands the unreceived messages out once, in order."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.sent: list[Any] = []
        self.delays: list[int | None] = []  # each send's visibility delay, in step with `sent`
        self.poisoned: list[tuple[str, str]] = []
        self._received = 0

    @property
    def name(self) -> str:
        return self._name

    async def send(self, payload: Any, *, visibility_delay: int | None = None) -> str:
        self.sent.append(copy.deepcopy(payload))
        self.delays.append(visibility_delay)
        return uuid.uuid4().hex

    async def send_to_poison(self, text: str, reason: str, dequeue_count: int = 1) -> None:
        self.poisoned.append((text, reason))

    async def receive(self, max_messages: int = 1, visibility_timeout: int = 60) -> list[ReceivedMessage]:
        batch = self.sent[self._received : self._received + max_messages]
        self._received += len(batch)
        return [ReceivedMessage(uuid.uuid4().hex, "receipt", json.dumps(p), 1) for p in batch]

    async def delete(self, message: ReceivedMessage) -> None:
        return None

    async def ping(self) -> None:
        return None


@dataclass(frozen=True)
class SentMail:
    to: list[str]
    subject: str
    html: str
    attachments: list[Attachment]


class FakeMailer:
    """Records each mail; `fail_with = "reason"` makes the next sends raise MailFailed(reason)."""

    def __init__(self) -> None:
        self.sent: list[SentMail] = []
        self.fail_with: str | None = None

    async def send(
        self, *, to: Sequence[str], subject: str, html: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        if self.fail_with is not None:
            raise MailFailed(self.fail_with)
        self.sent.append(SentMail(list(to), subject, html, list(attachments)))


class FakeClock:
    """A clock that stands still (at the real time it was made) until moved: `advance(days=1)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@dataclass
class FakeTenant:
    """What one customer tenant answers: an assessment, its verified domains and who signs in."""

    assessment: Assessment | None = None
    domains: list[str] = field(default_factory=list)
    admin: ConsentSignIn | None = None
    unreachable: TenantUnreachable | None = None  # consent revoked or Entra refusing the app
    codes: list[str] = field(default_factory=list)  # sign-in codes redeemed, in order
    # The directory audit log: what `directory_changes` answers (entries are filtered by the
    # interval and categories asked for, as Graph's $filter does), and every read asked for.
    audit: ChangeLog = field(default_factory=ChangeLog)
    audit_reads: list[tuple[datetime, datetime, tuple[str, ...]]] = field(default_factory=list)


class FakeTenants:
    """core.ports.TenantConnector over `FakeTenant`s keyed by tenant id; an unknown tenant is one
    Entra has never heard of (AADSTS90002)."""

    def __init__(self) -> None:
        self.tenants: dict[str, FakeTenant] = {}
        self.assessed: list[str] = []

    def add(self, tenant_id: str, **answers: Any) -> FakeTenant:
        self.tenants[tenant_id] = FakeTenant(**answers)
        return self.tenants[tenant_id]

    def _reach(self, tenant_id: str) -> FakeTenant:
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise TenantUnreachable(tenant_id, "AADSTS90002", f"tenant {tenant_id} not found")
        if tenant.unreachable is not None:
            raise tenant.unreachable
        return tenant

    async def assess(self, tenant_id: str) -> Assessment:
        tenant = self._reach(tenant_id)
        if tenant.assessment is None:
            raise AssertionError(f"the test gave tenant {tenant_id} no assessment")
        self.assessed.append(tenant_id)
        return tenant.assessment

    async def probe(self, tenant_id: str) -> None:
        self._reach(tenant_id)

    async def verified_domains(self, tenant_id: str) -> list[str]:
        return [d.lower() for d in self._reach(tenant_id).domains]

    async def directory_changes(
        self,
        tenant_id: str,
        since: datetime,
        until: datetime,
        categories: tuple[str, ...],
        premium: bool | None = None,
    ) -> ChangeLog:
        tenant = self._reach(tenant_id)
        tenant.audit_reads.append((since, until, categories))
        log = tenant.audit
        entries = tuple(e for e in log.entries if since <= e.at <= until and e.category in categories)
        return ChangeLog(entries, log.unreadable, log.capped, log.beyond_retention)

    async def prove_admin_sign_in(
        self, tenant_id: str, *, code: str, code_verifier: str, nonce: str, redirect_uri: str
    ) -> ConsentSignIn:
        tenant = self.tenants.get(tenant_id)
        if tenant is None or tenant.admin is None:
            raise ConsentSignInRefused("nobody signed in at this tenant")
        tenant.codes.append(code)
        return tenant.admin


def fake_settings(**overrides: Any) -> Settings:
    """Settings that reach nothing real, whatever the environment says."""
    values: dict[str, Any] = {
        "cosmos_endpoint": "https://cosmos.invalid:443/",
        "cosmos_key": None,
        "storage_connection": None,
        "public_base_url": "https://portal.test",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class FakeServices:
    """core.ports.Services, all in memory."""

    settings: Settings = field(default_factory=fake_settings)
    store: FakeStore = field(default_factory=FakeStore)
    blobs: FakeBlobs = field(default_factory=FakeBlobs)
    scan_queue: FakeQueue = field(default_factory=lambda: FakeQueue("scan-requests"))
    webhook_queue: FakeQueue = field(default_factory=lambda: FakeQueue("webhook-deliveries"))
    email_queue: FakeQueue = field(default_factory=lambda: FakeQueue("email-summaries"))
    mailer: FakeMailer = field(default_factory=FakeMailer)
    tenants: FakeTenants = field(default_factory=FakeTenants)
    clock: FakeClock = field(default_factory=FakeClock)


def fake_services(settings: Settings | None = None) -> FakeServices:
    return FakeServices(settings=settings or fake_settings())


def all_items(services: FakeServices) -> Iterator[Item]:
    for container in services.store.containers.values():
        yield from container.items()

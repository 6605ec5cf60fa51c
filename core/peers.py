"""Peer position: where one customer's posture score stands among its MSP's other customers —
a percentile and the fleet's median — without naming, counting or scoring any other customer.

A customer principal reads this, so what it returns must not let them work out another
customer's score. With few peers, a median and a percentile give others' scores away (with two
customers, the median and your own score are the other's score), so the position is shown only
when at least MIN_PEERS other customers have a score, and the median is rounded to a whole number.
The fleet's size is never returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from core.customers import Customer, list_customers
from core.posture import effective
from core.store import OrgRepository

MIN_PEERS = 5


@dataclass(frozen=True)
class PeerPosition:
    score: float | None  # the customer's own score, as its dashboard shows it
    percentile: int | None  # share of scored peers scoring below it, 0-100; None: not shown
    median: int | None  # the median score of the fleet (itself included), rounded
    shown: bool  # False: no score yet, or too few scored peers to show a position safely


def _score(customer: Customer, now: datetime) -> float | None:
    if not customer.grants_access(now.date()):
        return None
    return effective(customer.summary, now).score


def position_among(own: float | None, peers: list[float]) -> PeerPosition:
    """The position of `own` among `peers` (the other customers' scores)."""
    if own is None or len(peers) < MIN_PEERS:
        return PeerPosition(own, None, None, False)
    below = sum(1 for p in peers if p < own)
    level = sum(1 for p in peers if p == own)
    # Mid-rank for ties, so two customers with the same score share one position.
    percentile = round(100 * (below + level / 2) / len(peers))
    return PeerPosition(own, percentile, round(median([own, *peers])), True)


async def peer_position(org: OrgRepository, customer_id: str, now: datetime) -> PeerPosition:
    """`customer_id`'s position in its org's fleet, from the cached customer list (one read)."""
    own: float | None = None
    peers: list[float] = []
    # The whole fleet even for a customer's own people, whose view of the org shows only their
    # own record: what leaves here is two numbers, never a record (see the module docstring).
    for customer in await list_customers(org.for_aggregates()):
        score = _score(customer, now)
        if customer.customer_id == customer_id:
            own = score
        elif score is not None:
            peers.append(score)
    return position_among(own, peers)

"""The fleet: an org's customers with their posture summaries, from one single-partition read."""

from __future__ import annotations

from core.customers import CUSTOMER_TYPE, Customer
from core.store import OrgRepository


async def list_customers(org: OrgRepository) -> list[Customer]:
    documents = await org.query_all("c.type = @type", {"@type": CUSTOMER_TYPE})
    return sorted((Customer.model_validate(d) for d in documents), key=lambda c: c.display_name.lower())


def fleet_table(customers: list[Customer]) -> str:
    """A plain-text table for the terminal (demo, CLI)."""
    rows = [f"{'customer':<34} {'score':>6} {'open P1':>8} {'failing':>8}  state"]
    for c in customers:
        score = "-" if c.summary.score is None else f"{c.summary.score:.1f}"
        rows.append(
            f"{c.display_name[:34]:<34} {score:>6} {c.summary.open_priority_count:>8} "
            f"{c.summary.failing_count:>8}  {c.connection.state.value}"
        )
    return "\n".join(rows)

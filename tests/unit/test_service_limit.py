"""A scan's per-service limit (core.collect.limits.ServiceLimit): never more than its slots in
flight, first come first served, a chain's link ahead of the waiting one-request reads, and no slot
lost to a reader cancelled while waiting or as it was handed one."""

from __future__ import annotations

import asyncio

import pytest

from core.collect.limits import ServiceLimit


async def _hold(
    limit: ServiceLimit, name: str, order: list[str], gate: asyncio.Event, *, ahead: bool = False
) -> None:
    async with limit.ahead if ahead else limit:
        order.append(name)
        await gate.wait()


async def test_slots_go_first_come_first_served_and_never_over_the_limit() -> None:
    limit, gate = ServiceLimit(2), asyncio.Event()
    order: list[str] = []
    tasks = [asyncio.create_task(_hold(limit, f"r{i}", order, gate)) for i in range(5)]
    await asyncio.sleep(0.01)
    assert order == ["r0", "r1"]  # two in flight, the rest waiting
    gate.set()
    await asyncio.gather(*tasks)
    assert order == ["r0", "r1", "r2", "r3", "r4"]


async def test_a_chain_link_goes_ahead_of_the_reads_already_waiting() -> None:
    limit, first, rest = ServiceLimit(1), asyncio.Event(), asyncio.Event()
    order: list[str] = []
    holder = asyncio.create_task(_hold(limit, "holder", order, first))
    waiting = [asyncio.create_task(_hold(limit, f"w{i}", order, rest)) for i in range(3)]
    await asyncio.sleep(0.01)
    link = asyncio.create_task(_hold(limit, "link", order, rest, ahead=True))
    await asyncio.sleep(0.01)
    first.set()
    rest.set()
    await asyncio.gather(holder, *waiting, link)
    assert order == ["holder", "link", "w0", "w1", "w2"]


@pytest.mark.parametrize("when", ["waiting", "as it is handed the slot"])
async def test_a_cancelled_reader_loses_no_slot(when: str) -> None:
    limit = ServiceLimit(1)
    order: list[str] = []
    await limit.__aenter__()  # held here
    cancelled = asyncio.create_task(_hold(limit, "cancelled", order, asyncio.Event()))
    await asyncio.sleep(0.01)
    if when == "as it is handed the slot":
        await limit.__aexit__(None, None, None)  # hands the slot to the waiting reader...
    cancelled.cancel()  # ...cancelled before it runs again; or cancelled still waiting
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    if when == "waiting":
        await limit.__aexit__(None, None, None)
    assert order == [] and limit._free == 1  # the one slot is free again
    after: list[str] = []
    done = asyncio.Event()
    done.set()
    await asyncio.wait_for(_hold(limit, "after", after, done), timeout=1)
    assert after == ["after"]

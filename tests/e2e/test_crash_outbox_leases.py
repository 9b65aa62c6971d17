"""Outbox rows caught mid-send by a kill -9 go out within 2 s, not after their 60 s lease.

On SQLite the server is killed and started again; on PostgreSQL a second server process
is running beside the one killed, and releases the dead one's leases (and only those).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support import api
from tests.support.databases import point_channels_at
from tests.support.peek import Peek
from tests.support.waiting import wait_until
from wms.domain.orders import ChannelKind
from wms.loopback import ProcessServer
from wms.models import Outbox
from wms.models.common import utcnow

SHIP_TO = {"name": "A B", "line1": "1 St", "city": "X", "postal_code": "1", "country": "GB"}
HANG_S = 30.0  # longer than the test: a push caught by the kill never comes back by itself


@pytest.fixture(scope="module")
def channels(database_url: str, fake_channels) -> Iterator:
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    yield fake_channels
    fake_channels.fast_again()


def _counts(s: Session) -> dict[str, int]:
    """How many outbox rows in each state: `leased` is `sending` with its lease running."""
    conn = s.connection()
    counts = dict(conn.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())
    counts["leased"] = conn.execute(
        select(func.count()).where(Outbox.status == "sending", Outbox.next_attempt_at > utcnow())
    ).scalar_one()
    return counts


def _wait(what: str, until: float, test) -> float:
    """When `test` came true, by the monotonic time `until` (else the test fails naming it)."""
    wait_until(test, what, max(0.0, until - time.monotonic()), every=0.05)
    return time.monotonic()


def _order_pushing_stock(url: str, skus: int) -> None:
    """One order, so every push it causes is queued at once and goes out in one pass."""
    body = {
        "order_id": f"LEASE-{uuid.uuid4().hex[:10]}",
        "currency": "USD",
        "lines": [{"sku": f"SKU-00{10 + i}", "qty": 1, "unit_price": "9.90"} for i in range(skus)],
        "ship_to": SHIP_TO,
    }
    with api.client(url, api.INTEGRATION_TOKEN) as c:
        r = c.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
        assert r.status_code == 201, r.text


def _all_leased(peek: Peek) -> bool:
    counts = peek.read(_counts)
    return counts["leased"] > 0 and not counts.get("pending")


def _all_out(peek: Peek) -> bool:
    counts = peek.read(_counts)
    return counts.get("sent", 0) > 0 and not counts.get("pending") and not counts.get("sending")


def test_pushes_a_killed_server_had_out_go_within_two_seconds_of_its_restart(
    backend, database_url, channels
):
    first = ProcessServer(database_url)
    first.start()
    second: ProcessServer | None = None
    peek = Peek(database_url)
    try:
        channels.slow_next(200, HANG_S)  # every push hangs on the channel: caught mid-send
        _order_pushing_stock(first.url, 3)
        _wait("pushes out", time.monotonic() + 20, lambda: _all_leased(peek))
        if backend == "postgres":
            # Another process on the same database: it must leave a live worker's leases.
            second = ProcessServer(database_url)
            second.start()
            assert _all_leased(peek)
        first.kill()
        channels.fast_again()
        if second is None:
            first.start()  # SQLite: one server, started again on the same file
        up = time.monotonic()
        done = _wait("every push delivered", up + 10, lambda: _all_out(peek))
        assert done - up <= 2.0, f"pushes delivered {done - up:.1f} s after the restart"
    finally:
        peek.close()
        channels.fast_again()
        for srv in (first, second):
            if srv is not None:
                srv.stop()

"""A server killed between a change's commit and its answer: the retry gets the first answer.

The server here is `wms serve` in its own process with one fault injected
(tests/support/crashing_server.py): a request whose Idempotency-Key starts with "die-" ends
the process, as kill -9 would, right after its change commits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from terminal.client import FloorClient
from terminal.journal import Journal
from tests.support import api
from tests.support.databases import point_channels_at
from tests.support.peek import Peek
from wms.api.idempotency import STALE_CLAIM
from wms.db import Database
from wms.domain.orders import ChannelKind
from wms.loopback import ProcessServer
from wms.models import Idempotency
from wms.models.common import utcnow
from wms.services.check import violations

SHIP_TO = {"name": "A B", "line1": "1 St", "city": "X", "postal_code": "1", "country": "GB"}


@pytest.fixture(scope="module")
def server(database_url: str, fake_channels) -> Iterator[ProcessServer]:
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    srv = ProcessServer(database_url, module="tests.support.crashing_server")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _order(url: str, sku: str = "SKU-0003") -> int:
    body = {
        "order_id": f"CRASH-{uuid.uuid4().hex[:10]}",
        "currency": "USD",
        "lines": [{"sku": sku, "qty": 1, "unit_price": "9.90"}],
        "ship_to": SHIP_TO,
    }
    with api.client(url, api.INTEGRATION_TOKEN) as c:
        r = c.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def _die(srv: ProcessServer, client: httpx.Client, path: str, key: str, **kw: Any) -> None:
    """Send a call the server dies on after its commit; the caller hears nothing back."""
    with pytest.raises(httpx.TransportError):
        client.post(path, headers={"Idempotency-Key": key}, **kw)
    assert srv.exited(10) == 137, "the server did not die where it was told to"
    srv.start()


def _clean(database_url: str) -> list[str]:
    async def go() -> list[str]:
        db = Database(database_url)
        try:
            return await violations(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_a_claimed_batch_whose_answer_died_with_the_server_is_answered_after_the_restart(
    server, database_url
):
    url = server.url
    order_id = _order(url)
    with api.client(url, api.login(url, "supervisor")) as sup:
        r = sup.post("/api/v1/waves/", json={"order_ids": [order_id]}, headers=api.idem())
        assert r.status_code == 201, r.text
    token = api.login(url, "picker2")
    key = f"die-{uuid.uuid4().hex}"
    with api.client(url, token) as picker:
        _die(server, picker, "/api/v1/picking/next", key)
    with api.client(url, token) as picker:
        # The retry (the terminal's journal sends the same key) gets the first answer:
        # the batch the dead request claimed, not "still running" for ever.
        r = picker.post("/api/v1/picking/next", headers={"Idempotency-Key": key})
        assert r.status_code == 200, r.text
        assert r.headers.get("idempotent-replayed") == "true"
        batch = r.json()
        assert [s["order_id"] for s in batch["slots"]] == [order_id]
        assert batch == picker.get(f"/api/v1/picking/batches/{batch['id']}").json()
        slot = batch["slots"][0]["slot"]
        bind = f"/api/v1/picking/batches/{batch['id']}/totes"
        tote = {"slot": slot, "tote": f"T{batch['id'] % 10000:04d}77"}
        key = f"die-{uuid.uuid4().hex}"
        _die(server, picker, bind, key, json=tote)
    with api.client(url, token) as picker:
        r = picker.post(bind, json=tote, headers={"Idempotency-Key": key})
        assert r.status_code == 200, r.text
        assert r.json()["slots"][0]["tote"] == tote["tote"]
        assert r.json() == picker.get(f"/api/v1/picking/batches/{batch['id']}").json()
    assert _clean(database_url) == []


def _backdate(s: Session, key: str) -> int:
    return s.execute(
        update(Idempotency)
        .where(Idempotency.key == key, Idempotency.status_code == 0)
        .values(created_at=utcnow() - STALE_CLAIM - timedelta(seconds=1))
    ).rowcount


def _backdate_claim(database_url: str, key: str) -> None:
    """Make the dead request's claim older than the bound, as if the retry came later."""
    with Peek(database_url) as peek:
        assert peek.write(_backdate, key) == 1


def test_a_lost_answer_that_could_not_be_kept_ends_as_outcome_unknown_not_busy_for_ever(
    server, database_url, tmp_path: Path
):
    """Calls whose answer is stored after the change (a wave's release) fall back to a bound."""
    url = server.url
    order_id = _order(url)
    token = api.login(url, "supervisor")
    key = f"die-{uuid.uuid4().hex}"
    body = {"order_ids": [order_id]}
    with api.client(url, token) as sup:
        _die(server, sup, "/api/v1/waves/", key, json=body)
    with api.client(url, token) as sup:
        r = sup.post("/api/v1/waves/", json=body, headers={"Idempotency-Key": key})
        api.problem(r, 409, "request_in_progress")  # it may yet be running somewhere
    _backdate_claim(database_url, key)

    async def flush() -> tuple[list[dict[str, Any]], int]:
        # The terminal's journal holds the step; it must end, or logout is refused for good.
        journal = await Journal.open(tmp_path / "journal.sqlite")
        await journal.add("/waves/", body, "release", token=token, key=key)
        client = FloorClient(url, token)
        try:
            done = await journal.flush(client)
        finally:
            await client.aclose()
        return done.rejected, await journal.waiting()

    rejected, waiting = asyncio.run(flush())
    assert [step["code"] for step in rejected] == ["request_outcome_unknown"]
    assert len(rejected[0]["title"]) <= 20
    assert waiting == 0
    with api.client(url, token) as sup:
        again = sup.post("/api/v1/waves/", json=body, headers={"Idempotency-Key": key})
        api.problem(again, 409, "request_outcome_unknown")
        assert again.headers.get("idempotent-replayed") == "true"
        # The change was made once: the order is in the wave the dead request released.
        assert sup.get(f"/api/v1/orders/{order_id}").json()["status"] != "ready"
    assert _clean(database_url) == []

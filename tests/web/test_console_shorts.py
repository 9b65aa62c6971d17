"""Short picks in the console: re-allocate the line, or cancel it and tell the channel."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.api import idem
from tests.web.conftest import new_order, violations
from wms.db import Database, reads
from wms.loopback import ThreadServer
from wms.models import Channel, Outbox


def short_on_the_floor(
    integration: httpx.Client, supervisor: httpx.Client, picker: httpx.Client,
    lines: list[tuple[str, int]], sku: str, found: int,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:  # fmt: skip
    """An order released alone, its batch claimed, `sku` found short: (order, batch, exception)."""
    order = new_order(integration, *lines)
    r = supervisor.post("/api/v1/waves/", json={"order_ids": [order["id"]], "iterations": 5},
                        headers=idem())  # fmt: skip
    assert r.status_code == 201, r.text
    batch = picker.post("/api/v1/picking/next", headers=idem()).json()
    r = picker.post(f"/api/v1/picking/batches/{batch['id']}/totes",
                    json={"slot": 1, "tote": f"T{batch['id']:04d}"}, headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    batch = r.json()
    stop = next(s for s in batch["stops"] if s["sku"] == sku)
    body = {"found": found, "item": stop["barcodes"][0] if found else None, "tote": stop["tote"]}
    r = picker.post(f"/api/v1/picking/tasks/{stop['task_id']}/short", json=body, headers=idem())
    assert r.status_code == 200, r.text
    [exc] = [e for e in supervisor.get("/api/v1/exceptions").json() if e["order_id"] == order["id"]]
    assert exc["kind"] == "short_pick" and exc["status"] == "open", exc
    return order, r.json(), exc


def line_of(supervisor: httpx.Client, order_id: int, sku: str) -> dict[str, Any]:
    lines = supervisor.get(f"/api/v1/orders/{order_id}").json()["lines"]
    return next(x for x in lines if x["sku"] == sku)


def exception(supervisor: httpx.Client, exception_id: int) -> dict[str, Any]:
    found = supervisor.get("/api/v1/exceptions", params={"status": "all"}).json()
    return next(e for e in found if e["id"] == exception_id)


@reads
def _buffers_and_newest(s: Session, sku: str) -> tuple[dict[str, int], dict[str, int]]:
    buffers = dict(s.execute(select(Channel.code, Channel.buffer)).all())
    rows = s.execute(
        select(Outbox.payload).where(Outbox.kind == "stock_push").order_by(Outbox.id)
    ).scalars()
    newest = {p["channel"]: p["quantity"] for p in rows if p["sku"] == sku}
    return buffers, newest


async def told_sellable(database_url: str, sku: str, sellable: int) -> None:
    """The newest stock push of `sku` to each channel says `sellable` less its buffer."""
    db = Database(database_url)
    try:
        buffers, newest = await db.run(_buffers_and_newest, sku)
    finally:
        await db.dispose()
    assert newest, f"no stock push for {sku}"
    assert newest == {c: max(0, sellable - buffers[c]) for c in newest}


def confirm(picker: httpx.Client, stop: dict[str, Any], qty: int) -> dict[str, Any]:
    r = picker.post(f"/api/v1/picking/tasks/{stop['task_id']}/confirm", json={
        "location": stop["location"], "item": stop["barcodes"][0], "qty": qty,
        "tote": stop["tote"]}, headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_short_line_is_cancelled_the_order_keeps_its_other_lines_and_the_channel_hears(
    server: ThreadServer, console: httpx.Client, integration: httpx.Client,
    supervisor: httpx.Client, picker: httpx.Client,
):  # fmt: skip
    order, batch, exc = short_on_the_floor(
        integration, supervisor, picker, [("SKU-0003", 3), ("SKU-0002", 1)], "SKU-0003", 1
    )
    page = console.get("/ui/exceptions").text
    row = re.search(rf'<tr data-short="{exc["id"]}">.*?</tr>', page, re.S)
    assert row and "Re-allocate" in row.group(0) and "Cancel line" in row.group(0)
    done = console.post(f"/ui/exceptions/shorts/{exc['id']}/cancel-line")
    assert done.status_code == 200, done.text
    assert f"Order {order['id']}: 2 units cancelled" in done.text
    assert "order cancelled" not in done.text and f'data-short="{exc["id"]}"' not in done.text
    line = line_of(supervisor, order["id"], "SKU-0003")
    assert (line["qty"], line["picked"], line["reserved"]) == (1, 1, 0)
    assert line_of(supervisor, order["id"], "SKU-0002")["qty"] == 1
    closed = exception(supervisor, exc["id"])
    assert closed["status"] == "resolved" and closed["resolution"] == "line cancelled by super"
    sellable = supervisor.get("/api/v1/stock/availability/SKU-0003").json()["sellable"]
    await told_sellable(server.database_url, "SKU-0003", sellable)
    again = console.post(f"/ui/exceptions/shorts/{exc['id']}/cancel-line")
    assert again.status_code == 409 and 'data-code="exception_closed"' in again.text
    assert await violations(server.database_url) == []
    # The rest of the order goes on: its other line picked, the batch finished, it is picked.
    other = next(s for s in batch["stops"] if s["sku"] == "SKU-0002")
    confirm(picker, other, 1)
    r = picker.post(f"/api/v1/picking/batches/{batch['id']}/finish",
                    json={"drop": batch["drop_location"]}, headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "picked"
    assert await violations(server.database_url) == []


async def test_an_order_whose_only_line_is_cancelled_is_cancelled(
    server: ThreadServer, console: httpx.Client, integration: httpx.Client,
    supervisor: httpx.Client, picker: httpx.Client,
):  # fmt: skip
    order, batch, exc = short_on_the_floor(
        integration, supervisor, picker, [("SKU-0005", 2)], "SKU-0005", 0
    )
    done = console.post(f"/ui/exceptions/shorts/{exc['id']}/cancel-line")
    assert done.status_code == 200, done.text
    assert f"Order {order['id']}: 2 units cancelled, order cancelled" in done.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "cancelled"
    line = line_of(supervisor, order["id"], "SKU-0005")
    assert (line["qty"], line["reserved"], line["allocated"]) == (2, 0, 0)  # as ordered
    sellable = supervisor.get("/api/v1/stock/availability/SKU-0005").json()["sellable"]
    await told_sellable(server.database_url, "SKU-0005", sellable)
    r = picker.post(f"/api/v1/picking/batches/{batch['id']}/finish",
                    json={"drop": batch["drop_location"]}, headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "cancelled"
    assert await violations(server.database_url) == []


async def test_a_short_line_is_re_allocated_as_new_stops_once_stock_comes_back(
    server: ThreadServer, console: httpx.Client, integration: httpx.Client,
    supervisor: httpx.Client, picker: httpx.Client,
):  # fmt: skip
    order, batch, exc = short_on_the_floor(
        integration, supervisor, picker, [("SKU-0006", 5)], "SKU-0006", 1
    )
    r = supervisor.post("/api/v1/stock/receive", json={"sku": "SKU-0006", "location": "A01-06-1",
                        "qty": 2, "ref": "PO-77"}, headers=idem())  # fmt: skip
    assert r.status_code == 201, r.text
    line = line_of(supervisor, order["id"], "SKU-0006")
    # The receipt held two more units for the line, but no stop brings them yet.
    assert (line["picked"], line["reserved"], line["allocated"]) == (1, 2, 1)
    done = console.post(f"/ui/exceptions/shorts/{exc['id']}/reallocate")
    assert done.status_code == 200, done.text
    assert f"Order {order['id']}: 0 units reserved, 2 given new stops, 2 still missing" in done.text
    line = line_of(supervisor, order["id"], "SKU-0006")
    assert (line["picked"], line["reserved"], line["allocated"]) == (1, 2, 3)
    assert exception(supervisor, exc["id"])["status"] == "open"  # two units still missing
    view = picker.get(f"/api/v1/picking/batches/{batch['id']}").json()
    new = [s for s in view["stops"] if s["sku"] == "SKU-0006" and s["status"] == "open"]
    assert [(s["location"], s["qty"]) for s in new] == [("A01-06-1", 2)]
    assert await violations(server.database_url) == []
    confirm(picker, new[0], 2)
    assert line_of(supervisor, order["id"], "SKU-0006")["picked"] == 3
    r = picker.post(f"/api/v1/picking/batches/{batch['id']}/finish",
                    json={"drop": batch["drop_location"]}, headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    # Two units still wait: the order is backordered, holding what it has.
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "backordered"
    assert await violations(server.database_url) == []


async def test_a_short_line_with_nothing_picked_goes_and_the_order_ships_the_rest(
    server: ThreadServer, console: httpx.Client, integration: httpx.Client,
    supervisor: httpx.Client, picker: httpx.Client,
):  # fmt: skip
    order, batch, exc = short_on_the_floor(
        integration, supervisor, picker, [("SKU-0009", 2), ("SKU-0002", 1)], "SKU-0009", 0
    )
    done = console.post(f"/ui/exceptions/shorts/{exc['id']}/cancel-line")
    assert done.status_code == 200 and f"Order {order['id']}: 2 units cancelled" in done.text
    got = supervisor.get(f"/api/v1/orders/{order['id']}").json()
    assert [x["sku"] for x in got["lines"]] == ["SKU-0002"] and got["status"] == "in_wave"
    sellable = supervisor.get("/api/v1/stock/availability/SKU-0009").json()["sellable"]
    await told_sellable(server.database_url, "SKU-0009", sellable)
    assert await violations(server.database_url) == []
    confirm(picker, next(s for s in batch["stops"] if s["sku"] == "SKU-0002"), 1)
    r = picker.post(f"/api/v1/picking/batches/{batch['id']}/finish",
                    json={"drop": batch["drop_location"]}, headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    assert supervisor.get(f"/api/v1/orders/{order['id']}").json()["status"] == "picked"
    assert await violations(server.database_url) == []

"""Fixtures for packing, shipping, print and returns tests: stations on a virtual printer,
picked orders set up through the services (so these tests do not wait for picking)."""

from __future__ import annotations

import itertools
import os
import pty
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from printers.simulator import SimulatorThread
from tests.support import api
from tests.support.waiting import wait_until
from wms.db import Database, reads
from wms.domain.orders import Address, ChannelKind, OrderIn, OrderLineIn, OrderStatus
from wms.loopback import ThreadServer
from wms.models import Location, OrderLine, Outbox, Product, SalesOrder, Stock, StockMove
from wms.models.layout import LocationKind
from wms.models.picking import PickBatch, PickTask, PickTaskLine, Wave
from wms.models.shipping import Manifest, Parcel, PrintJob, Return, ReturnLine
from wms.services import availability, check, orders, stations
from wms.services.stock import apply_move

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def printer() -> Iterator[SimulatorThread]:
    with SimulatorThread() as sim:
        yield sim


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("documents")


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def floor(
    server: ThreadServer, db: Database, printer: SimulatorThread, docs_dir: Path
) -> ThreadServer:
    """The server with PACK-01..03 on the simulator."""
    path = docs_dir / "stations.json"
    path.write_text(
        '{"stations": ['
        + ",".join(
            f'{{"code": "PACK-0{n}", "label_printer_url": "{printer.url}", '
            f'"document_printer_url": "file://{docs_dir}/PACK-0{n}"}}'
            for n in (1, 2, 3)
        )
        + "]}"
    )
    await stations.load_stations(db, path)
    return server


@pytest.fixture(scope="module")
def packer(floor: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(floor.url, api.login(floor.url, "packer")) as c:
        yield c


async def picked_order(
    db: Database,
    lines: list[tuple[str, int]],
    *,
    channel: str = "own-main",
    country: str = "US",
    line_refs: tuple[str, ...] = (),
    carrier: str = "",
    service: str = "",
    region: str = "IL",
) -> int:
    """An order taken in, allocated and picked through the ledger the way picking does it.

    Picking's confirm takes the units out of stock (a `pick` move with no target) and
    releases the reservation; the order is PICKED once every unit is in a tote.
    """
    external = str(10**12 + uuid.uuid4().int % 10**12)  # digits: every channel's id format
    order = OrderIn(
        channel_kind=ChannelKind.OWN,
        external_id=external,
        reference=f"#T{next(_numbers):04d}-{external[-5:]}",
        status=OrderStatus.READY,
        currency="USD",
        carrier=carrier,
        service=service,
        lines=tuple(
            OrderLineIn(sku=sku, qty=qty, unit_price=Decimal("9.99"), external_line_ids=line_refs)
            for sku, qty in lines
        ),
        ship_to=Address(
            name="Ada Buyer", line1="5 Main St", city="Springfield", postal_code="62701",
            country=country, region=region if country == "US" else "",
        ),
    )  # fmt: skip
    result = await orders.intake(db, channel, order)
    assert result.created and result.order.status == OrderStatus.READY
    await db.run(_picked, result.order.id, result.order.reference)
    return result.order.id  # type: ignore[return-value]


def _picked(s: Session, order_id: int, reference: str) -> None:
    """The order picked in full: what `picked_order` sets up without waiting for picking."""
    # A finished wave and batch with one done task per line: `wms check` compares a
    # line's allocation with its pick tasks.
    wave = Wave(status="done", orders=1)
    s.add(wave)
    s.flush()
    batch = PickBatch(wave_id=wave.id, status="done")  # type: ignore[arg-type]
    s.add(batch)
    s.flush()
    for seq, line in enumerate(orders.lines_of(s, order_id), 1):
        product = s.get(Product, line.product_id)
        row = s.execute(
            select(Stock)
            .join(Location, Location.id == Stock.location_id)
            .where(
                Stock.product_id == line.product_id,
                Location.kind == LocationKind.PICK,
                Stock.on_hand - Stock.allocated >= line.qty,
            )
            .limit(1)
        ).scalar_one()
        source = s.get(Location, row.location_id)
        row.allocated += line.qty  # the wave's pick task
        availability.release(s, line.product_id, line.reserved)
        line.reserved, line.allocated = 0, line.qty
        s.flush()
        apply_move(
            s, product=product, qty=line.qty, reason="pick", source=source,  # type: ignore[arg-type]
            lot=row.lot, ref=f"test pick {reference}", from_allocated=True,
        )  # fmt: skip
        line.picked = line.qty
        task = PickTask(
            batch_id=batch.id, seq=seq, location_id=row.location_id, stock_id=row.id,  # type: ignore[arg-type]
            product_id=line.product_id, lot=row.lot, qty=line.qty, picked=line.qty,
            status="done", slot=1,
        )  # fmt: skip
        s.add(task)
        s.flush()
        s.add(PickTaskLine(task_id=task.id, order_line_id=line.id, qty=line.qty,  # type: ignore[arg-type]
                           picked=line.qty))  # fmt: skip
    s.execute(update(SalesOrder).where(SalesOrder.id == order_id).values(status=OrderStatus.PICKED))


@reads
def _counts(s: Session) -> dict[str, Any]:
    counts = {}
    for model in (StockMove, Outbox, PrintJob, Parcel, Manifest, Return, ReturnLine):
        query = select(func.count()).select_from(model)
        counts[model.__name__] = s.execute(query).scalar()
    lines = s.execute(select(OrderLine.id, OrderLine.packed)).all()
    statuses = s.execute(select(SalesOrder.id, SalesOrder.status)).all()
    return {"counts": counts, "packed": sorted(lines), "status": sorted(statuses)}


async def snapshot(db: Database) -> dict[str, Any]:
    """Counts that any change would move: for "nothing changed" assertions."""
    return await db.run(_counts)


async def no_violations(db: Database) -> None:
    assert await check.violations(db) == []


class FakeScale:
    """A serial scale on a pty speaking MT-SICS: answers ``S`` with the weight set here."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.master, slave = pty.openpty()
        self.url = os.ttyname(slave)
        self._slave = slave
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buffer = b""
        while True:
            try:
                data = os.read(self.master, 100)
            except OSError:
                return
            buffer += data
            while b"\r\n" in buffer:
                command, buffer = buffer.split(b"\r\n", 1)
                if command.strip() == b"S":
                    answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                    os.write(self.master, answer.encode() + b"\r\n")

    def close(self) -> None:
        os.close(self.master)
        os.close(self._slave)


def wait_job(client: httpx.Client, job_id: int, *statuses: str, timeout: float = 10.0) -> dict:
    """Poll GET /print-jobs/{id} until it reaches one of `statuses` (fails the test if not)."""

    def reached() -> dict | None:
        job = client.get(f"/api/v1/print-jobs/{job_id}").json()
        return job if job["status"] in statuses else None

    return wait_until(reached, f"print job {job_id} to be {' or '.join(statuses)}", timeout)


def pack(
    client: httpx.Client,
    order_id: int,
    scans: list[str],
    *,
    station: str = "PACK-01",
    carton: str = "BOX-S",
    weight: int | None = 700,
    start: bool = True,
) -> dict:
    """Start (optionally), verify `scans`, close one parcel; the parcel close's JSON answer."""
    if start:
        r = client.post("/api/v1/packing/start", json={"station": station, "scan": str(order_id)},
                        headers=api.idem())  # fmt: skip
        assert r.status_code == 200, r.text
    for scan in scans:
        r = client.post(f"/api/v1/packing/orders/{order_id}/verify", json={"scan": scan},
                        headers=api.idem())  # fmt: skip
        assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/packing/orders/{order_id}/parcels",
                    json={"carton": carton, "weight_g": weight}, headers=api.idem())  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()

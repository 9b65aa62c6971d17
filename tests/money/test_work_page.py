"""The per-order work report is a sorted page with its count and total, its CSV every row,
and an order handed over keeps its picking and packing seconds as the report read them."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
)
from tests.money.test_work_report import _scans
from tests.support import api
from wms.db import reads
from wms.models import SalesOrder
from wms.models.order_work import OrderWork
from wms.models.shipping import PackSession

T = datetime(2026, 10, 7, 8, 0, tzinfo=UTC)
DAY = {"from": "2026-10-07", "to": "2026-10-07"}


def _packed_for(s: Session, order_id: int, minutes: int) -> None:
    s.execute(update(SalesOrder).where(SalesOrder.id == order_id).values(placed_at=T))
    s.execute(
        update(PackSession)
        .where(PackSession.order_id == order_id)
        .values(started_at=T, closed_at=T + timedelta(minutes=minutes))
    )


@reads
def _kept(s: Session, order_id: int) -> OrderWork | None:
    return s.execute(select(OrderWork).where(OrderWork.order_id == order_id)).scalar_one_or_none()


def _work(client: httpx.Client, **params: object) -> dict:
    r = client.get("/api/v1/reports/work", params={"group": "order", **DAY, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_order_report_is_a_sorted_page_with_its_count_and_the_csv_has_every_row(
    packer, db, supervisor
) -> None:
    ids = []
    for minutes in (4, 9, 2):
        oid = await picked_order(db, [("SKU-0002", 1)])
        pack(packer, oid, _scans(packer, oid), carton="BOX-M", weight=900, start=False)
        await db.run(_packed_for, oid, minutes)
        ids.append(oid)
    first = _work(supervisor, sort="-pack_minutes", limit=2)
    assert (first["count"], first["limit"], first["offset"], first["sort"]) == (
        3, 2, 0, "-pack_minutes",
    )  # fmt: skip
    assert [r["key"] for r in first["rows"]] == [str(ids[1]), str(ids[0])]
    assert [r["pack_minutes"] for r in first["rows"]] == [9.0, 4.0]
    assert (first["total"]["orders"], first["total"]["pack_minutes"]) == (3, 15.0)
    rest = _work(supervisor, sort="-pack_minutes", limit=2, offset=2)
    assert [r["key"] for r in rest["rows"]] == [str(ids[2])] and rest["count"] == 3
    assert rest["total"] == first["total"]  # the total is the report's, not the page's
    rising = _work(supervisor, sort="pack_minutes", limit=1)
    assert [r["key"] for r in rising["rows"]] == [str(ids[2])]

    download = supervisor.get(
        "/api/v1/reports/work.csv", params={"group": "order", "sort": "-pack_minutes", **DAY}
    )
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(download.text)))
    assert [row["key"] for row in table] == [str(ids[1]), str(ids[0]), str(ids[2]), ""]
    assert table[-1]["label"] == "total" and table[-1]["pack_minutes"] == "15.0"
    await no_violations(db)


async def test_an_order_handed_over_keeps_the_seconds_the_report_summed_from_its_scans(
    packer, db, supervisor
) -> None:
    oid = await picked_order(db, [("SKU-0003", 2)])
    parcel = pack(packer, oid, _scans(packer, oid), carton="BOX-M", weight=900, start=False)
    await db.run(_packed_for, oid, 6)
    live = next(r for r in _work(supervisor, limit=1000)["rows"] if r["key"] == str(oid))
    assert await db.run(_kept, oid) is None
    m = packer.post("/api/v1/manifests", json={"carrier": "generic"}, headers=api.idem()).json()
    r = packer.post(
        f"/api/v1/manifests/{m['id']}/scan",
        json={"scan": parcel["parcel"]["tracking"]},
        headers=api.idem(),
    )
    assert r.json()["order_status"] == "shipped", r.text
    kept = await db.run(_kept, oid)
    assert kept is not None and kept.pack_s == 360.0
    after = next(r for r in _work(supervisor, limit=1000)["rows"] if r["key"] == str(oid))
    figures = ("pick_minutes", "pack_minutes", "picked_orders", "packed_orders")
    assert {k: after[k] for k in figures} == {k: live[k] for k in figures}
    assert after["shipped"] == 1 and after["pack_minutes"] == 6.0
    await no_violations(db)


def test_a_bad_sort_or_page_is_a_problem(supervisor: httpx.Client) -> None:
    r = supervisor.get("/api/v1/reports/work", params={"group": "order", "sort": "price", **DAY})
    assert len(api.problem(r, 422, "bad_sort")["title"]) <= 20
    r = supervisor.get("/api/v1/reports/work", params={"group": "order", "limit": 0, **DAY})
    assert r.status_code == 400, r.text

"""The hand-worked margin fixture through a real server: every report equals its figures.

The orders come in through intake (our JSON API, TikTok's and Shopify's shapes), are
picked through the picking API (goods cost at the pick), get their parcels' carton and
shipping cost, TikTok's affiliate record and statement, and a partial return graded at
the returns desk (one unit restocked, one scrapped). The reports are then compared with
fixtures/margins/expected.json, the figures of its README, to the cent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal as D
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.floor.conftest import pick_all, violations  # noqa: F401  (fixture)
from tests.support import api
from wms.channels import tiktok
from wms.config import ROOT
from wms.db import Database, reads
from wms.domain.orders import Address, ChannelKind, OrderIn, OrderLineIn, OrderStatus
from wms.errors import WmsError
from wms.models import Barcode, CartonType, OrderLine, Product, SalesOrder
from wms.models.money import MarginDay, MarginStale, MoneyFact
from wms.models.shipping import Return, ReturnLine
from wms.reports import margin as margin_reports
from wms.reports import margin_orders, margin_summary
from wms.reports.margin import GROUPS
from wms.services import channel_money, money_facts, orders, rates, returns

FIXTURE = ROOT / "fixtures" / "margins"
ORDERS = json.loads((FIXTURE / "orders.json").read_text())
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())
KINDS = ("revenue", "goods", "fee", "commission", "shipping", "packaging", "returns")
RANGE = {"from": "2026-11-01", "to": "2026-11-30"}


def _run(url: str, fn: Callable[[Database], Any]) -> Any:
    async def go() -> Any:
        db = Database(url)
        try:
            return await fn(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _add_products(s: Session) -> None:
    for p in ORDERS["products"]:
        product = Product(
            sku=p["sku"], name=p["name"], length_mm=120, width_mm=100, height_mm=90,
            weight_g=p["weight_g"], unit_cost=D(p["unit_cost"]),
        )  # fmt: skip
        s.add(product)
        s.flush()
        s.add(Barcode(value=p["barcode"], product_id=product.id))  # type: ignore[arg-type]


def _products(db: Database) -> Any:
    return db.run(_add_products)


def _receive(supervisor: httpx.Client) -> None:
    for p in ORDERS["products"]:
        place = supervisor.get("/api/v1/stock/putaway", params={"sku": p["sku"]}).json()
        for receipt in p["receipts"]:
            body = {"sku": p["sku"], "location": place["location"], "qty": receipt["qty"]}
            if "unit_cost" in receipt:
                body["unit_cost"] = receipt["unit_cost"]
            r = supervisor.post("/api/v1/stock/receive", json=body, headers=api.idem())
            assert r.status_code == 201, r.text


def _own(integration: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _shopify_order(spec: dict[str, Any]) -> OrderIn:
    return OrderIn(
        channel_kind=ChannelKind.SHOPIFY,
        external_id=spec["external_id"],
        reference=spec["reference"],
        status=OrderStatus.READY,
        currency=spec["currency"],
        placed_at=datetime.fromisoformat(spec["placed_at"]),
        lines=tuple(
            OrderLineIn(sku=x["sku"], qty=x["qty"], unit_price=D(x["unit_price"]))
            for x in spec["lines"]
        ),
        total=D(spec["total"]),
        ship_to=Address(
            name="Jo Bloggs", line1="2 High St", city="Leeds", postal_code="LS1 1AA", country="GB"
        ),  # fmt: skip
    )


def _intake_channels(db: Database) -> Any:
    async def go() -> None:
        for detail in ORDERS["tiktok"]:
            await orders.intake(db, "tiktok-main", tiktok.map_order(detail))
        for spec in ORDERS["shopify"]:
            await orders.intake(db, "shopify-main", _shopify_order(spec))

    return go()


@reads
def _ids(s: Session) -> dict[str, int]:
    rows = s.execute(select(SalesOrder.reference, SalesOrder.id, SalesOrder.status))
    return {ref: oid for ref, oid, status in rows if status != OrderStatus.CANCELLED}


def _order_ids(db: Database) -> Any:
    return db.run(_ids)


@reads
def _cartons(s: Session) -> dict[str, D]:
    return {c.code: c.cost for c in s.execute(select(CartonType)).scalars()}


@reads
def _contents(s: Session, order_id: int) -> dict[int, int]:
    """Every unit of the order, by line id: what one parcel carrying it all holds."""
    rows = s.execute(select(OrderLine.id, OrderLine.qty).where(OrderLine.order_id == order_id))
    return {line_id: qty for line_id, qty in rows}


def _pick_everything(supervisor: httpx.Client, picker: httpx.Client, ids: list[int]) -> None:
    body = {"order_ids": ids, "iterations": 5, "cart_totes": len(ids)}
    r = supervisor.post("/api/v1/waves/", json=body, headers=api.idem())
    assert r.status_code == 201, r.text
    for _ in r.json()["batches"]:
        claimed = picker.post("/api/v1/picking/next", headers=api.idem())
        assert claimed.status_code == 200, claimed.text
        pick_all(picker, claimed.json()["id"])


def _parcels(db: Database, ids: dict[str, int]) -> Any:
    async def go() -> None:
        cartons = await db.run(_cartons)
        for parcel in ORDERS["parcels"]:
            order_id = ids[parcel["order"]]
            contents = await db.run(_contents, order_id)
            await db.run(
                money_facts.record_parcel, order_id, contents, cartons[parcel["carton"]],
                D(parcel["shipping"]),
            )  # fmt: skip

    return go()


def _return(db: Database, ids: dict[str, int]) -> Any:
    spec = ORDERS["return"]
    barcode = next(p["barcode"] for p in ORDERS["products"] if p["sku"] == spec["sku"])

    def received(s: Session, order_id: int) -> tuple[int, int]:
        line = s.execute(select(OrderLine).where(OrderLine.order_id == order_id)).scalar_one()
        # Received at the returns desk (the parcel came back): graded below as the desk does.
        ret = Return(order_id=order_id, source="manual", status="received")
        s.add(ret)
        s.flush()
        s.add(ReturnLine(return_id=ret.id, order_line_id=line.id, product_id=line.product_id,  # type: ignore[arg-type]
                         sku=line.sku, qty=spec["qty"]))  # fmt: skip
        return line.id, ret.id  # type: ignore[return-value]

    async def go() -> None:
        order_id = ids[spec["order"]]
        line_id, return_id = await db.run(received, order_id)
        await returns.grade_item(db, return_id, barcode, "restock", spec["restocked"], None, None)  # type: ignore[arg-type]
        await returns.grade_item(db, return_id, barcode, "scrap", spec["scrapped"], None, None)  # type: ignore[arg-type]
        await db.run(
            money_facts.record_refund, order_id, line_id, D(spec["refund"]), D(spec["label"])
        )

    return go()


@pytest.fixture(scope="module")
def margin(
    server: Any,
    database_url: str,
    supervisor: httpx.Client,
    picker: httpx.Client,
    integration: httpx.Client,
) -> Iterator[Callable[..., dict[str, Any]]]:
    """The fixture loaded; yields `report(group)` and records the in-between reports."""

    def report(group: str, **params: str) -> dict[str, Any]:
        r = supervisor.get("/api/v1/reports/margin", params={"group": group, **RANGE, **params})
        assert r.status_code == 200, r.text
        return r.json()

    _run(database_url, _products)
    _receive(supervisor)
    _run(database_url, lambda db: rates.load(db, FIXTURE / "rates.csv"))
    for body in ORDERS["own"]:
        _own(integration, body)
    _run(database_url, _intake_channels)
    report.before_payment = report("channel")  # type: ignore[attr-defined]
    paid = next(b for b in ORDERS["own"] if b["order_id"] == ORDERS["paid_later"])
    _own(integration, paid | {"status": "ready"})
    ids = _run(database_url, _order_ids)
    mine = [oid for ref, oid in ids.items() if ref.startswith(("MG-", "#1101", "5764614130387850"))]
    assert len(mine) == 7
    _pick_everything(supervisor, picker, sorted(mine))
    _run(database_url, lambda db: _parcels(db, ids))
    _run(
        database_url,
        lambda db: db.run(channel_money.apply_affiliate, "tiktok-main", ORDERS["affiliate"]),
    )
    report.before_statement = report("channel")  # type: ignore[attr-defined]
    _run(
        database_url,
        lambda db: db.run(channel_money.apply_statement, "tiktok-main", ORDERS["statement"]),
    )
    _run(database_url, lambda db: _return(db, ids))
    yield report


def _check(row: dict[str, Any], want: dict[str, Any]) -> None:
    for kind in KINDS:
        assert row[kind] == want.get(kind, "0.00"), (row["key"], kind, row[kind])
    for name in ("margin", "margin_pct", "units", "orders", "aov", "return_rate", "missing_rate"):
        if name in want:
            assert row[name] == want[name], (row["key"], name, row[name])
    if "missing_rate" not in want:
        assert row["missing_rate"] == [], row


def _rows(report: dict[str, Any], by: str = "key") -> dict[str, dict[str, Any]]:
    return {r[by]: r for r in report["rows"]}


@pytest.mark.parametrize("group", ["channel", "product", "creator", "content", "day", "week"])
def test_every_report_equals_the_hand_worked_figures(margin, group: str) -> None:
    report = margin(group)
    rows = _rows(report)
    assert set(rows) == set(EXPECTED[group]), sorted(rows)
    for key, want in EXPECTED[group].items():
        _check(rows[key], want)
    _check(report["total"], EXPECTED["total"])
    assert report["excluded"] == EXPECTED["excluded"]
    assert report["missing_rate"] is True


def test_each_order_equals_its_hand_worked_margin(margin) -> None:
    rows = _rows(margin("order"), by="label")
    assert set(rows) == set(EXPECTED["order"])
    for ref, want in EXPECTED["order"].items():
        _check(rows[ref], want)


def _by_margin(descending: bool = False) -> list[str]:
    """The fixture's order references, by their written margin (then by order id)."""
    refs = sorted(EXPECTED["order"], key=lambda ref: D(EXPECTED["order"][ref]["margin"]))
    return list(reversed(refs)) if descending else refs


def test_the_order_report_is_a_page_by_margin_with_the_ranges_total(margin) -> None:
    first = margin("order", limit="3")
    assert first["count"] == len(EXPECTED["order"]) and first["sort"] == "margin"
    assert (first["offset"], first["limit"]) == (0, 3)
    rest = margin("order", limit="3", offset="3")
    refs = [r["label"] for r in first["rows"] + rest["rows"]]
    assert refs == _by_margin()[:6]
    for row in first["rows"] + rest["rows"]:
        _check(row, EXPECTED["order"][row["label"]])
    _check(first["total"], EXPECTED["total"])
    assert first["excluded"] == EXPECTED["excluded"] and first["missing_rate"] is True


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("-margin", lambda r: -D(r["margin"])),
        ("revenue", lambda r: D(r["revenue"])),
        ("-goods", lambda r: -D(r["goods"])),
        ("margin_pct", lambda r: D(r["margin_pct"] or "-1e9")),
        ("-units", lambda r: -r["units"]),
        ("label", lambda r: r["label"]),
    ],
)
def test_the_order_report_sorts_as_asked(margin, sort: str, key: Callable[..., Any]) -> None:
    report = margin("order", sort=sort)
    rows = report["rows"]
    assert report["sort"] == sort and len(rows) == len(EXPECTED["order"])
    assert [key(r) for r in rows] == sorted(key(r) for r in rows), [r["label"] for r in rows]


def test_a_page_past_the_end_is_empty_and_still_counts(margin) -> None:
    report = margin("order", offset="50")
    assert report["rows"] == [] and report["count"] == len(EXPECTED["order"])


def test_the_order_csv_streams_every_order_and_the_total(
    margin, supervisor: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(margin_orders, "CHUNK", 2)  # four chunks for seven orders
    with supervisor.stream(
        "GET", "/api/v1/reports/margin", params={"group": "order", "format": "csv", **RANGE}
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "content-length" not in r.headers  # streamed, not built whole
        body = "".join(r.iter_text())
    lines = body.splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert [int(r["key"]) for r in rows[:-1]] == sorted(int(r["key"]) for r in rows[:-1])
    assert {r["label"] for r in rows[:-1]} == set(EXPECTED["order"])
    for row in rows[:-1]:
        assert row["margin"] == EXPECTED["order"][row["label"]]["margin"]
        assert row["revenue"] == EXPECTED["order"][row["label"]].get("revenue", "0.00")
    assert rows[-1]["label"] == "total" and rows[-1]["margin"] == EXPECTED["total"]["margin"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"sort": "colour"}, "bad_sort"),
        ({"limit": "0"}, "bad_page"),
        ({"limit": "1001"}, "bad_page"),
        ({"offset": "-1"}, "bad_page"),
    ],
)
def test_a_bad_order_page_is_a_problem(
    supervisor: httpx.Client, params: dict[str, str], code: str
) -> None:
    r = supervisor.get("/api/v1/reports/margin", params={"group": "order", **RANGE, **params})
    assert len(api.problem(r, 422, code)["title"]) <= 20


def test_unpaid_orders_are_left_out_until_paid_and_counted_apart(margin) -> None:
    assert margin.before_payment["excluded"] == EXPECTED["excluded_before_payment"]
    assert margin("channel")["excluded"] == EXPECTED["excluded"]


def test_the_statement_replaced_the_estimated_fee(margin, database_url: str) -> None:
    before = _rows(margin.before_statement)["tiktok-main"]
    assert before["fee"] == EXPECTED["tiktok_before_statement"]["fee"]
    assert before["margin"] == EXPECTED["tiktok_before_statement"]["margin"]

    @reads
    def read_fees(s: Session) -> list[tuple[str, bool]]:
        rows = s.execute(
            select(MoneyFact.source, MoneyFact.current)
            .join(SalesOrder, SalesOrder.id == MoneyFact.order_id)
            .where(SalesOrder.external_id == "576461413038785001", MoneyFact.kind == "fee")
        )
        return sorted((src, bool(cur)) for src, cur in rows)

    def fees(db: Database) -> Any:
        return db.run(read_fees)

    # The estimate is kept for the record, out of the reports.
    assert _run(database_url, fees) == [
        ("fee_model", False), ("fee_model", False), ("statement", True), ("statement", True)
    ]  # fmt: skip


def test_a_channel_filter_keeps_only_that_channel(margin) -> None:
    report = margin("product", channel="tiktok-main")
    assert report["total"]["margin"] == EXPECTED["channel"]["tiktok-main"]["margin"]
    assert report["excluded"] == {"cancelled": 0, "unpaid": 0}


def test_the_csv_download_holds_the_same_figures(margin, supervisor: httpx.Client) -> None:
    r = supervisor.get(
        "/api/v1/reports/margin", params={"group": "channel", "format": "csv", **RANGE}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    lines = r.text.splitlines()
    assert lines[0].startswith("key,label,revenue,goods,fee,commission,shipping,packaging,returns")
    by_key = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    header = lines[0].split(",")
    assert by_key["tiktok-main"][header.index("margin")] == "9.35"
    assert by_key[""][header.index("margin")] == "32.57"  # the total row
    assert by_key["own-main"][header.index("missing_rate")] == "2026-11-04 EUR"


def test_the_stock_ledger_still_adds_up(margin, violations) -> None:  # noqa: F811
    assert violations() == []


# -- bad input: a clear error, and nothing written ----------------------------------------


@reads
def _facts_now(s: Session) -> int:
    return len(s.execute(select(MoneyFact.id)).all())


def _fact_count(url: str) -> int:
    return _run(url, lambda db: db.run(_facts_now))


def test_a_statement_for_an_unknown_order_is_refused_and_writes_nothing(
    margin, database_url: str
) -> None:
    before = _fact_count(database_url)
    body = json.loads(json.dumps(ORDERS["statement"]))
    body["data"]["order_id"] = "999999999999999999"
    with pytest.raises(WmsError) as err:
        _run(database_url, lambda db: db.run(channel_money.apply_statement, "tiktok-main", body))
    assert err.value.code == "unknown_order"
    assert _fact_count(database_url) == before


def test_a_statement_naming_an_sku_not_in_the_order_writes_nothing(
    margin, database_url: str
) -> None:
    before = _fact_count(database_url)
    body = json.loads(json.dumps(ORDERS["statement"]))
    body["data"]["statement_transactions"][0]["sku_statement_transactions"][1]["sku_id"] = "1"
    with pytest.raises(WmsError) as err:
        _run(database_url, lambda db: db.run(channel_money.apply_statement, "tiktok-main", body))
    assert err.value.code == "unknown_line"
    assert _fact_count(database_url) == before
    assert margin("channel")["total"]["margin"] == EXPECTED["total"]["margin"]


def test_a_negative_receipt_cost_is_a_problem_and_changes_nothing(
    margin, supervisor: httpx.Client
) -> None:
    moves = supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json()
    body = {"sku": "MG-MUG", "location": "BULK-01", "qty": 1, "unit_cost": "-1.00"}
    r = supervisor.post("/api/v1/stock/receive", json=body, headers=api.idem())
    p = api.problem(r, 422, "negative_cost")
    assert len(p["title"]) <= 20
    assert supervisor.get("/api/v1/stock/moves", params={"limit": 1}).json() == moves
    assert margin("product")["rows"][2]["goods"] == EXPECTED["product"]["MG-MUG"]["goods"]


def test_a_report_in_a_currency_without_rates_is_a_problem(supervisor: httpx.Client) -> None:
    r = supervisor.get("/api/v1/reports/margin", params={"group": "channel", "currency": "XYZ",
                                                          **RANGE})  # fmt: skip
    assert len(api.problem(r, 422, "unknown_currency")["title"]) <= 20


def test_an_order_in_an_unknown_currency_is_flagged_never_converted(
    margin, integration: httpx.Client
) -> None:
    body = ORDERS["own"][0] | {"order_id": "MG-XYZ-1", "currency": "XYZ",
                               "placed_at": "2026-10-15T10:00:00+00:00"}  # fmt: skip
    _own(integration, body)
    october = margin("channel", **{"from": "2026-10-01", "to": "2026-10-31"})
    own = _rows(october)["own-main"]
    assert own["revenue"] == "0.00" and own["margin"] == "0.00"
    assert own["missing_rate"] == ["2026-10-15 XYZ"] and october["missing_rate"] is True
    assert margin("channel")["total"]["margin"] == EXPECTED["total"]["margin"]  # November's


def test_a_negative_shipping_cost_or_refund_is_refused_and_writes_nothing(
    margin, database_url: str
) -> None:
    ids = _run(database_url, _order_ids)
    order_id = ids["MG-1001"]
    before = _fact_count(database_url)

    async def parcel(db: Database) -> None:
        contents = await db.run(_contents, order_id)
        await db.run(money_facts.record_parcel, order_id, contents, D("0.30"), D("-4.00"))

    with pytest.raises(WmsError) as err:
        _run(database_url, parcel)
    assert err.value.code == "negative_cost"
    with pytest.raises(WmsError) as err:
        _run(database_url, lambda db: db.run(money_facts.record_refund, order_id, None, D("-1")))
    assert err.value.code == "negative_money"
    assert _fact_count(database_url) == before


def test_an_affiliate_record_for_an_unknown_order_writes_nothing(margin, database_url: str) -> None:
    before = _fact_count(database_url)
    record = ORDERS["affiliate"] | {"order_id": "999999999999999998"}
    with pytest.raises(WmsError) as err:
        _run(database_url, lambda db: db.run(channel_money.apply_affiliate, "tiktok-main", record))
    assert err.value.code == "unknown_order"
    assert _fact_count(database_url) == before


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"group": "colour"}, "bad_group"),
        ({"from": "2026-11-31"}, "bad_date"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "bad_range"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "range_too_long"),
        ({"currency": "U$D"}, "bad_currency"),
        ({"format": "xlsx"}, "bad_format"),
    ],
)
def test_a_bad_report_request_is_a_problem(
    supervisor: httpx.Client, params: dict[str, str], code: str
) -> None:
    r = supervisor.get("/api/v1/reports/margin", params={"group": "channel", **RANGE, **params})
    assert len(api.problem(r, 422, code)["title"]) <= 20


def test_the_floor_may_not_read_the_margin(picker: httpx.Client) -> None:
    r = picker.get("/api/v1/reports/margin", params={"group": "channel", **RANGE})
    api.problem(r, 403, "forbidden")


# -- the daily summary (margin_day): what reports read, checked against the facts ---------


@reads
def _report_now(s: Session, group: str, channel: str | None = None) -> dict[str, Any]:
    first, last = margin_reports.parse_range(RANGE["from"], RANGE["to"])
    if group == "order":  # the API's order report: the range's total and its first page
        return margin_orders.order_page(s, first, last, "USD", channel)
    return margin_reports.margin_report(s, group, first, last, "USD", channel)


def _mark_every_day_stale(s: Session) -> None:
    for day in {r.day for r in s.execute(select(MarginDay.day))} | set(
        margin_summary.stale_days(s)
    ):
        s.merge(MarginStale(day=day))


@reads
def _stale_days(s: Session) -> list[str]:
    return margin_summary.stale_days(s)


def _stale(url: str) -> list[str]:
    return _run(url, lambda db: db.run(_stale_days))


def test_the_summary_and_the_facts_give_every_report_to_the_cent(
    margin,
    database_url: str,
    violations,  # noqa: F811
) -> None:
    summary = {}
    for group in GROUPS:
        summary[group] = margin(group)  # the API refreshes the summary first
        assert summary[group]["group"] == group
    assert _stale(database_url) == []
    assert violations() == []
    _run(database_url, lambda db: db.run(_mark_every_day_stale))
    assert _stale(database_url)
    for group in GROUPS:
        assert _run(database_url, lambda db, g=group: db.run(_report_now, g)) == summary[group]
    tiktok = margin("product", channel="tiktok-main")
    assert _stale(database_url) == []
    assert tiktok["total"]["margin"] == EXPECTED["channel"]["tiktok-main"]["margin"]


def _corrupt(s: Session) -> None:
    row = (
        s.execute(select(MarginDay).where(MarginDay.grp == "product", MarginDay.revenue != 0))
        .scalars()
        .first()
    )
    assert row is not None
    row.revenue += 1


def test_a_summary_row_unlike_the_facts_is_a_check_violation(
    margin,
    database_url: str,
    violations,  # noqa: F811
) -> None:
    margin("channel")
    _run(database_url, lambda db: db.run(_corrupt))
    found = [v for v in violations() if v.startswith("margin summary:")]
    assert len(found) == 1 and " product " in found[0] and "revenue" in found[0], found
    _run(database_url, lambda db: db.run(_mark_every_day_stale))
    _run(database_url, lambda db: db.run(margin_summary.refresh))
    assert violations() == []


def _refund(s: Session, order_id: int) -> None:
    money_facts.record_refund(s, order_id, None, D("1.00"))


def test_a_fact_written_after_the_refresh_marks_its_day_and_is_in_the_next_report(
    margin,
    database_url: str,
    violations,  # noqa: F811
) -> None:
    before = margin("channel")
    assert _stale(database_url) == []
    order_id = _run(database_url, _order_ids)["MG-1001"]
    _run(database_url, lambda db: db.run(_refund, order_id))
    assert len(_stale(database_url)) == 1  # the trigger marked the order's day
    after = _run(database_url, lambda db: db.run(_report_now, "channel"))
    assert D(after["total"]["returns"]) == D(before["total"]["returns"]) + D("1.00")
    assert margin("channel") == after
    assert violations() == []

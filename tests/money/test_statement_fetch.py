"""A delivered TikTok order's statement is fetched through the outbox and replaces the fee."""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal as D
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.fakes.payloads import fixture
from tests.support.waiting import wait_until
from wms.channels import tiktok
from wms.db import Database, reads
from wms.models import OrderLine, Outbox, SalesOrder
from wms.models.money import LineAttribution, MoneyFact
from wms.services import orders

CENT = D("0.01")
DETAIL = fixture("tiktok_order_detail.json")["data"]["orders"][0]
MUG, FILTERS = "1729500000021802896", "1729500000003848683"  # the fixture's SKU ids


def _statement(order_id: str) -> dict[str, Any]:
    """Get Order Statement Transactions ``data``, as TikTok settles the fixture order."""
    return {
        "order_id": order_id,
        "order_create_time": DETAIL["create_time"],
        "statement_transactions": [
            {
                "id": "7450000000000000099",
                "currency": "USD",
                "settlement_amount": "63.51",
                "fee_amount": "-9.46",
                "affiliate_commission_amount": "-5.25",
                "sku_statement_transactions": [
                    {"sku_id": MUG, "quantity": 3, "currency": "USD", "fee_amount": "-7.28",
                     "affiliate_commission_amount": "-4.05"},
                    {"sku_id": FILTERS, "quantity": 1, "currency": "USD", "fee_amount": "-2.18",
                     "affiliate_commission_amount": "-1.20"},
                ],
            }
        ],
    }  # fmt: skip


def _order(order_id: str, status: str) -> Any:
    detail = copy.deepcopy(DETAIL)
    detail["id"], detail["status"] = order_id, status
    return tiktok.map_order(detail)


def _run(url: str, fn: Any) -> Any:
    async def go() -> Any:
        db = Database(url)
        try:
            return await fn(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


@reads
def _facts(s: Session, external_id: str, kind: str) -> list[tuple[str, str, bool]]:
    rows = s.execute(
        select(MoneyFact.source, MoneyFact.amount_e4, MoneyFact.current)
        .join(SalesOrder, SalesOrder.id == MoneyFact.order_id)
        .where(SalesOrder.external_id == external_id, MoneyFact.kind == kind)
    )
    return sorted((src, str(D(e4).scaleb(-4).quantize(CENT)), bool(cur)) for src, e4, cur in rows)


def _fees(url: str, external_id: str, kind: str = "fee") -> list[tuple[str, str, bool]]:
    return _run(url, lambda db: db.run(_facts, external_id, kind))


@reads
def _outbox_row(s: Session, external_id: str, kind: str) -> Any:
    return s.execute(
        select(Outbox).where(Outbox.kind == kind, Outbox.dedupe_key.endswith(external_id))
    ).scalar_one_or_none()


def _fetch_row(url: str, external_id: str, kind: str = "statement_fetch") -> Any:
    return _run(url, lambda db: db.run(_outbox_row, external_id, kind))


@reads
def _attributed(s: Session, external_id: str) -> list[tuple[str, str, str, str, int, str, Any]]:
    rows = s.execute(
        select(
            OrderLine.channel_product_ref,
            LineAttribution.creator,
            LineAttribution.content_type,
            LineAttribution.content_id,
            LineAttribution.commission_rate_bp,
            LineAttribution.estimated_commission,
            LineAttribution.actual_commission,
        )  # fmt: skip
        .join(OrderLine, OrderLine.id == LineAttribution.line_id)
        .join(SalesOrder, SalesOrder.id == LineAttribution.order_id)
        .where(SalesOrder.external_id == external_id)
    )
    return sorted(
        (ref, who, kind, cid, bp, str(D(est).quantize(CENT)),
         None if act is None else str(D(act).quantize(CENT)))
        for ref, who, kind, cid, bp, est, act in rows
    )  # fmt: skip


def test_a_delivered_order_gets_its_statement_and_the_fee_is_replaced(
    server, database_url, fake_channels
) -> None:
    oid = "576461413038700001"
    _run(
        database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "AWAITING_SHIPMENT"))
    )
    # total 79.48 × 6 % + 0.30 = 5.07, by revenue 57.97 : 13.00 → 4.14 / 0.93.
    assert _fees(database_url, oid) == [("fee_model", "0.93", True), ("fee_model", "4.14", True)]
    fake_channels.tiktok.statements[oid] = _statement(oid)
    _run(database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "DELIVERED")))
    wait_until(
        lambda: any(src == "statement" for src, _, _ in _fees(database_url, oid)),
        "the statement's fees to be recorded",
    )
    # Fees less the affiliate commission: 7.28 − 4.05 = 3.23 and 2.18 − 1.20 = 0.98.
    assert _fees(database_url, oid) == [
        ("fee_model", "0.93", False), ("fee_model", "4.14", False),
        ("statement", "0.98", True), ("statement", "3.23", True),
    ]  # fmt: skip
    wait_until(
        lambda: (r := _fetch_row(database_url, oid)) and r.status == "sent" and r,
        "the statement fetch to be sent",
    )


def test_an_order_not_settled_yet_is_asked_again_and_keeps_its_estimate(
    server, database_url, fake_channels
) -> None:
    oid = "576461413038700002"
    _run(
        database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "AWAITING_SHIPMENT"))
    )
    _run(database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "DELIVERED")))
    row = wait_until(
        lambda: (r := _fetch_row(database_url, oid)) and r.attempts >= 1 and r,
        "the statement fetch to be tried once",
    )
    assert row.status == "pending" and "not settled yet" in row.last_error
    assert [src for src, _, _ in _fees(database_url, oid)] == ["fee_model", "fee_model"]


def _affiliate(order_id: str) -> dict[str, Any]:
    """One record of TikTok's affiliate order search: the fixture order's two lines, two
    creators; the first commission paid, the second still an estimate."""
    return {
        "id": order_id,
        "skus": [
            {"sku_id": MUG, "creator_username": "brewwithmaya", "content_type": "VIDEO",
             "content_id": "7438123456789012345", "commission_rate": "1000",
             "estimated_paid_commission": {"amount": "4.10", "currency": "USD"},
             "actual_paid_commission": {"amount": "4.05", "currency": "USD"}},
            {"sku_id": FILTERS, "creator_username": "latteart.lu", "content_type": "LIVE",
             "content_id": "7440000000000000001", "commission_rate": "900",
             "estimated_paid_commission": {"amount": "1.20", "currency": "USD"}},
        ],
    }  # fmt: skip


def test_a_settled_affiliate_order_gets_each_lines_creator_through_the_outbox(
    server, database_url, fake_channels
) -> None:
    oid = "576461413038700003"
    _run(
        database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "AWAITING_SHIPMENT"))
    )
    fake_channels.tiktok.statements[oid] = _statement(oid)
    fake_channels.tiktok.affiliate_orders[oid] = _affiliate(oid)
    _run(database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "DELIVERED")))
    # The statement paid an affiliate commission, so the affiliate search is asked next.
    wait_until(
        lambda: _run(database_url, lambda db: db.run(_attributed, oid)), "the creators recorded"
    )
    assert _run(database_url, lambda db: db.run(_attributed, oid)) == [
        (FILTERS, "latteart.lu", "LIVE", "7440000000000000001", 900, "1.20", None),
        (MUG, "brewwithmaya", "VIDEO", "7438123456789012345", 1000, "4.10", "4.05"),
    ]
    # Per line: the paid commission where TikTok paid it, else its estimate.
    assert _fees(database_url, oid, "commission") == [
        ("affiliate", "4.05", True), ("affiliate_estimate", "1.20", True)
    ]  # fmt: skip
    row = wait_until(
        lambda: _fetch_row(database_url, oid, "affiliate_fetch"), "the affiliate fetch queued"
    )
    wait_until(
        lambda: _fetch_row(database_url, oid, "affiliate_fetch").status == "sent",
        "the affiliate fetch sent",
    )
    assert row.payload == {"channel": "tiktok-main", "order_id": oid}


def test_an_affiliate_record_not_visible_yet_is_asked_again_and_writes_nothing(
    server, database_url, fake_channels
) -> None:
    oid = "576461413038700004"
    _run(
        database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "AWAITING_SHIPMENT"))
    )
    fake_channels.tiktok.statements[oid] = _statement(oid)
    _run(database_url, lambda db: orders.intake(db, "tiktok-main", _order(oid, "DELIVERED")))
    row = wait_until(
        lambda: (r := _fetch_row(database_url, oid, "affiliate_fetch")) and r.attempts >= 1 and r,
        "the affiliate fetch tried once",
    )
    assert row.status == "pending" and "no affiliate record yet" in row.last_error
    assert _run(database_url, lambda db: db.run(_attributed, oid)) == []
    assert _fees(database_url, oid, "commission") == []

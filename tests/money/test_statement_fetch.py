"""A delivered TikTok order's statement is fetched through the outbox and replaces the fee."""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal as D
from typing import Any

from sqlalchemy import select

from tests.fakes.payloads import fixture
from tests.support.waiting import wait_until
from wms.channels import tiktok
from wms.db import Database
from wms.models import Outbox, SalesOrder
from wms.models.money import MoneyFact
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


def _fees(url: str, external_id: str) -> list[tuple[str, str, bool]]:
    async def go(db: Database) -> list[tuple[str, str, bool]]:
        async with db.read() as s:
            rows = await s.execute(
                select(MoneyFact.source, MoneyFact.amount_e4, MoneyFact.current)
                .join(SalesOrder, SalesOrder.id == MoneyFact.order_id)
                .where(SalesOrder.external_id == external_id, MoneyFact.kind == "fee")
            )
            return sorted(
                (src, str(D(e4).scaleb(-4).quantize(CENT)), bool(cur)) for src, e4, cur in rows
            )

    return _run(url, go)


def _fetch_row(url: str, external_id: str) -> Any:
    async def go(db: Database) -> Any:
        async with db.read() as s:
            return (
                await s.execute(select(Outbox).where(Outbox.dedupe_key.endswith(external_id)))
            ).scalar_one_or_none()

    return _run(url, go)


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

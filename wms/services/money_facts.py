"""Money facts recorded where they happen: intake, pick, receipt, parcel, return.

Each fact is one amount of one order line (or of the whole order), in its own currency,
with its source. Sales money is in the order's currency; the warehouse's costs (goods,
carton, label) are in the merchant's book currency, the reporting currency. Reports
convert every fact at the order day's rate, so a mixed order still adds up.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from wms.config import Settings
from wms.domain.money import (
    LineKind,
    MoneyError,
    cents,
    line_revenue,
    split_by_weight,
    weighted_average_cost,
)
from wms.domain.orders import OrderIn
from wms.errors import NotFound, WmsError
from wms.models import OrderLine, Product, SalesOrder, Stock
from wms.models.common import utcnow
from wms.models.money import E4, LineAttribution, MoneyFact

REVENUE = "revenue"
COSTS = ("goods", "fee", "commission", "shipping", "packaging", "returns")
"""Kinds that make the contribution margin, subtracted from revenue."""
INFO = ("seller_discount", "platform_discount", "tax")
"""Kept for the record (who funded a discount, the tax collected); never in the margin."""

_MF = MoneyFact.__table__
_INSERT = insert(_MF)
_LINE_IDS = (
    select(OrderLine.id, OrderLine.line_no)
    .where(OrderLine.order_id == bindparam("oid"))
    .order_by(OrderLine.line_no)
)
_UNIT_COST = select(Product.unit_cost).where(Product.id == bindparam("pid"))


@cache
def book_currency() -> str:
    """The merchant's reporting currency (WMS_REPORTING_CURRENCY), in which costs are kept."""
    return Settings.from_env().reporting_currency


def e4(amount: Decimal) -> int:
    """Ten-thousandths, exactly (money_fact keeps integers so SQL sums are exact)."""
    return int((amount / E4).to_integral_value())


def fact(
    order_id: int,
    line_id: int | None,
    kind: str,
    amount: Decimal,
    currency: str,
    source: str,
    at: Any = None,
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "line_id": line_id,
        "kind": kind,
        "amount_e4": e4(amount),
        "currency": currency,
        "source": source,
        "current": True,
        "at": at or utcnow(),
    }


def insert_facts(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if rows:
        conn.execute(_INSERT, rows)


# --- Intake -----------------------------------------------------------------------------


def intake_facts(
    order_id: int, line_ids: list[int], order: OrderIn, fee: Decimal
) -> list[dict[str, Any]]:
    """The facts an order brings: per line its revenue and discounts, its share of the fee.

    An order-level discount beyond the lines' own (a shop's coupon) is the seller's and is
    spread over the lines by revenue; so are the fee and an order-level commission.
    """
    currency = order.currency.upper()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    kinds = [
        LineKind.SAMPLE if order.sample else LineKind.GIFT if line.gift else LineKind.SALE
        for line in order.lines
    ]
    platform = [min(line.platform_discount, line.discount) for line in order.lines]
    seller = [line.discount - p for line, p in zip(order.lines, platform, strict=True)]
    gross = [
        line_revenue(line.unit_price, line.qty, s, kind=k)
        for line, s, k in zip(order.lines, seller, kinds, strict=True)
    ]
    extra = cents(order.discount - sum((line.discount for line in order.lines), Decimal(0)))
    extra_shares = (
        split_by_weight(extra, [int(g * 100) for g in gross])
        if extra > 0 and any(gross)
        else [Decimal(0)] * len(gross)
    )
    revenues = [g - x for g, x in zip(gross, extra_shares, strict=True)]
    for i, line_id in enumerate(line_ids):
        rows.append(fact(order_id, line_id, REVENUE, revenues[i], currency, "intake", now))
        if kinds[i] is not LineKind.SALE:
            continue
        if seller[i] + extra_shares[i]:
            amount = cents(seller[i] + extra_shares[i])
            rows.append(fact(order_id, line_id, "seller_discount", amount, currency, "intake", now))
        if platform[i]:
            amount = cents(platform[i])
            rows.append(
                fact(order_id, line_id, "platform_discount", amount, currency, "intake", now)
            )
    weights = [int(r * 100) for r in revenues]
    for line_id, share in zip(line_ids, split_by_weight(fee, weights), strict=True):
        if share:
            rows.append(fact(order_id, line_id, "fee", share, currency, "fee_model", now))
    commission = order.attribution.commission
    if order.attribution.creator and commission:
        for line_id, share in zip(line_ids, split_by_weight(commission, weights), strict=True):
            if share:
                rows.append(fact(order_id, line_id, "commission", share, currency, "intake", now))
    if order.tax:
        rows.append(fact(order_id, None, "tax", cents(order.tax), currency, "intake", now))
    return rows


def attribution_rows(order_id: int, line_ids: list[int], order: OrderIn) -> list[dict[str, Any]]:
    """An order-level attribution (own shop, Shopify) credits every line to its creator."""
    a = order.attribution
    if not a.creator:
        return []
    return [
        {
            "order_id": order_id,
            "line_id": line_id,
            "creator": a.creator[:100],
            "content_type": a.content_type[:20],
            "content_id": a.content_id[:64],
            "commission_rate_bp": 0,
            "estimated_commission": Decimal(0),
            "actual_commission": None,
        }
        for line_id in line_ids
    ]


_INSERT_ATTRIBUTION = insert(LineAttribution.__table__)


def record_intake(conn: Connection, order_id: int, order: OrderIn, fee: Decimal) -> None:
    """Write an order's intake facts: one read of its line ids, one or two multi-row inserts."""
    line_ids = [row.id for row in conn.execute(_LINE_IDS, {"oid": order_id})]
    insert_facts(conn, intake_facts(order_id, line_ids, order, fee))
    attributed = attribution_rows(order_id, line_ids, order)
    if attributed:
        conn.execute(_INSERT_ATTRIBUTION, attributed)


# --- Stock: receipts and picks ----------------------------------------------------------


def on_receipt(s: Session, product: Product, qty: int, unit_cost: Decimal | None) -> None:
    """A receipt that carries a cost moves the product's weighted average cost.

    Called before the units are booked in: the average blends the stock on hand with them.
    Weighted average rather than FIFO layers: a pick then costs one number per product,
    read with the pick, and the units on a shelf are interchangeable on the floor (we do not
    track which receipt a unit came from), so layers would be a bookkeeping fiction.
    """
    if unit_cost is None:
        return
    try:
        on_hand = s.execute(
            select(func.coalesce(func.sum(Stock.on_hand), 0)).where(Stock.product_id == product.id)
        ).scalar_one()
        product.unit_cost = weighted_average_cost(
            int(on_hand), product.unit_cost, qty, Decimal(unit_cost)
        )
    except MoneyError as exc:
        raise WmsError(exc.code, "Cost below zero", exc.detail) from None


def record_picked(conn: Connection, product_id: int, picks: list[tuple[int, int, int]]) -> None:
    """Goods cost of units leaving the shelf for orders: ``(order_id, line_id, units)``.

    Priced at the product's average cost now, and frozen: the next receipt's price does
    not change the margin of what was already picked.
    """
    if not picks:
        return
    unit_cost = conn.execute(_UNIT_COST, {"pid": product_id}).scalar_one()
    now = utcnow()
    currency = book_currency()
    insert_facts(
        conn,
        (
            fact(order_id, line_id, "goods", unit_cost * k, currency, "pick", now)
            for order_id, line_id, k in picks
        ),
    )


# --- Parcels ----------------------------------------------------------------------------


def _parcel_weights(s: Session, contents: dict[int, int]) -> tuple[list[int], list[int]]:
    line_ids = sorted(contents)
    weight = dict(
        s.execute(
            select(OrderLine.id, Product.weight_g)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.id.in_(line_ids))
        ).all()
    )
    return line_ids, [int(weight.get(i, 0) or 0) * contents[i] for i in line_ids]


def record_parcel(
    s: Session,
    order_id: int,
    contents: dict[int, int],
    carton_cost: Decimal,
    shipping_cost: Decimal | None = None,
    *,
    shipping_currency: str = "",
    shipping_source: str = "carrier_rate",
) -> None:
    """A parcel's carton and, when the carrier priced the label, its shipping cost (in the
    carrier's currency, the books' when it did not say), each split over its lines by weight."""
    line_ids, weights = _parcel_weights(s, contents)
    books = book_currency()
    rows = []
    for kind, amount, currency, source in (
        ("packaging", carton_cost, books, "carton"),
        ("shipping", shipping_cost, (shipping_currency or books).upper(), shipping_source),
    ):
        if amount is None or amount == 0:
            continue
        if amount < 0:
            raise WmsError("negative_cost", "Cost below zero", f"{kind} cost {amount}")
        for line_id, share in zip(line_ids, split_by_weight(amount, weights), strict=True):
            rows.append(fact(order_id, line_id, kind, share, currency, source))
    insert_facts(s.connection(), rows)


# --- Returns ----------------------------------------------------------------------------


def _goods_per_unit(s: Session, line_id: int) -> Decimal:
    total, units = s.execute(
        select(func.coalesce(func.sum(_MF.c.amount_e4), 0), OrderLine.picked)
        .select_from(OrderLine)
        .outerjoin(_MF, (_MF.c.line_id == OrderLine.id) & (_MF.c.kind == "goods") & _MF.c.current)
        .where(OrderLine.id == line_id)
        .group_by(OrderLine.picked)
    ).one()
    if not units:
        return Decimal(0)
    return Decimal(int(total)) * E4 / units


def record_graded(s: Session, order_id: int, line_id: int, units: int, grade: str) -> None:
    """Returned units graded: restocked ones bring their goods cost back (a credit).

    A scrapped unit stays a cost: its goods cost was counted at the pick and is written
    off there, once; quarantined units are undecided and change nothing yet.
    """
    if grade != "restock" or units <= 0:
        return
    credit = cents(_goods_per_unit(s, line_id) * units)
    if credit:
        insert_facts(
            s.connection(),
            [fact(order_id, line_id, "returns", -credit, book_currency(), "restock")],
        )


def record_refund(
    s: Session,
    order_id: int,
    line_id: int | None,
    refund: Decimal,
    label: Decimal = Decimal(0),
    *,
    source: str = "channel_refund",
) -> None:
    """The money a return cost: the refund (order's currency) and the return label (books)."""
    order = s.get(SalesOrder, order_id)
    if order is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    if refund < 0 or label < 0:
        raise WmsError("negative_money", "Amount below zero", f"refund {refund}, label {label}")
    rows = []
    if refund:
        rows.append(fact(order_id, line_id, "returns", cents(refund), order.currency, source))
    if label:
        rows.append(fact(order_id, line_id, "returns", cents(label), book_currency(), "label"))
    insert_facts(s.connection(), rows)


# --- Replacing estimates ----------------------------------------------------------------


def supersede(conn: Connection, order_id: int, kind: str, line_id: int | None = None) -> None:
    """Mark the current facts of a kind as replaced (kept for the record, out of reports)."""
    where = (_MF.c.order_id == order_id) & (_MF.c.kind == kind) & _MF.c.current
    if line_id is not None:
        where = where & (_MF.c.line_id == line_id)
    conn.execute(update(_MF).where(where).values(current=False))


def forget_line(s: Session, line_id: int) -> None:
    """A line cancelled before anything of it was picked: its facts stop counting (kept for
    the order's history, no longer tied to a line that is gone) and its attribution goes."""
    s.execute(update(_MF).where(_MF.c.line_id == line_id).values(line_id=None, current=False))
    table = LineAttribution.__table__
    s.execute(table.delete().where(table.c.line_id == line_id))

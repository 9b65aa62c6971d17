"""Money facts recorded where they happen: intake, pick, receipt, parcel, return, statement.

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
    shipping_source: str = "carrier_rate",
) -> None:
    """A parcel's carton (and, when the carrier priced the label, its shipping cost),
    each split over the lines in it by weight."""
    line_ids, weights = _parcel_weights(s, contents)
    currency = book_currency()
    rows = []
    for kind, amount, source in (
        ("packaging", carton_cost, "carton"),
        ("shipping", shipping_cost, shipping_source),
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


# --- What the channel says afterwards: creator attribution, settlement -------------------


def _amount(value: Any, what: str) -> Decimal:
    """A TikTok money field: a string, a number, or ``{"amount": "…", "currency": …}``."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value is None or value == "":
        return Decimal(0)
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise WmsError("bad_amount", "Bad amount", f"{what}: {value!r}") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise WmsError("bad_amount", "Bad amount", f"{what}: {value!r}")
    return amount


def _order_by_external(s: Session, channel_code: str, external_id: str) -> SalesOrder:
    from wms.models import Channel

    order = s.execute(
        select(SalesOrder)
        .join(Channel, Channel.id == SalesOrder.channel_id)
        .where(Channel.code == channel_code, SalesOrder.external_id == str(external_id))
    ).scalar_one_or_none()
    if order is None:
        raise NotFound("unknown_order", "Unknown order", f"no {channel_code} order {external_id}")
    return order


def _lines_by_ref(s: Session, order_id: int) -> dict[str, OrderLine]:
    lines = s.execute(select(OrderLine).where(OrderLine.order_id == order_id)).scalars()
    return {line.channel_product_ref: line for line in lines}


def _line_for(lines: dict[str, OrderLine], sku_id: Any, order: SalesOrder) -> OrderLine:
    line = lines.get(str(sku_id or ""))
    if line is None:
        raise WmsError(
            "unknown_line", "Unknown order line", f"order {order.reference} has no SKU {sku_id}"
        )
    return line


def apply_affiliate(s: Session, channel_code: str, record: dict[str, Any]) -> int:
    """One TikTok affiliate order: each SKU line to its creator, content and commission.

    ``skus[]{sku_id, creator_username, content_type, content_id, commission_rate,
    estimated_paid_commission | estimated_commission, actual_paid_commission}``. The
    actual commission, once TikTok pays it, replaces the estimate. Returns the lines
    attributed; an unknown order or SKU writes nothing.
    """
    if not isinstance(record, dict) or not isinstance(record.get("skus"), list):
        raise WmsError("bad_affiliate_order", "Bad affiliate order", "expected skus[]")
    order = _order_by_external(s, channel_code, record.get("order_id", ""))
    lines = _lines_by_ref(s, order.id)  # type: ignore[arg-type]
    plan = []
    for sku in record["skus"]:
        if not isinstance(sku, dict) or not sku.get("creator_username"):
            continue
        line = _line_for(lines, sku.get("sku_id"), order)
        estimated = _amount(
            sku.get("estimated_paid_commission", sku.get("estimated_commission")),
            "estimated commission",
        )
        actual_raw = sku.get("actual_paid_commission")
        actual = None if actual_raw in (None, "") else _amount(actual_raw, "actual commission")
        if estimated < 0 or (actual is not None and actual < 0):
            raise WmsError("negative_money", "Amount below zero", "commission below zero")
        try:
            rate_bp = int(str(sku.get("commission_rate") or 0))
        except ValueError:
            raise WmsError("bad_amount", "Bad amount", "commission_rate") from None
        plan.append((line, sku, estimated, actual, rate_bp))
    conn = s.connection()
    table = LineAttribution.__table__
    for line, sku, estimated, actual, rate_bp in plan:
        conn.execute(table.delete().where(table.c.line_id == line.id))
        conn.execute(
            insert(table).values(
                order_id=order.id,
                line_id=line.id,
                creator=str(sku["creator_username"])[:100],
                content_type=str(sku.get("content_type") or "").upper()[:20],
                content_id=str(sku.get("content_id") or "")[:64],
                commission_rate_bp=rate_bp,
                estimated_commission=estimated,
                actual_commission=actual,
            )
        )
        supersede(conn, order.id, "commission", line.id)  # type: ignore[arg-type]
        amount, source = (
            (estimated, "affiliate_estimate") if actual is None else (actual, "affiliate")
        )
        insert_facts(
            conn,
            [fact(order.id, line.id, "commission", cents(amount), order.currency, source)],  # type: ignore[arg-type]
        )
    return len(plan)


def apply_statement(s: Session, channel_code: str, body: dict[str, Any]) -> int:
    """TikTok's order statement transactions replace the fee estimated at intake.

    ``data{order_id, statement_transactions[]{currency, fee_amount,
    affiliate_commission_amount, sku_statement_transactions[]{sku_id, fee_amount,
    affiliate_commission_amount}}}``: fees are negative there. The affiliate commission is
    part of TikTok's ``fee_amount`` but is the creator's commission here, so it is taken
    out of the fee. Per-SKU figures go to their lines; without them the order's fee is
    split by revenue. Returns the fee facts written.
    """
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("statement_transactions"), list):
        raise WmsError("bad_statement", "Bad statement", "expected data.statement_transactions")
    order = _order_by_external(s, channel_code, data.get("order_id", ""))
    lines = _lines_by_ref(s, order.id)  # type: ignore[arg-type]
    fees: dict[int, Decimal] = {}
    order_fee = Decimal(0)
    for tx in data["statement_transactions"]:
        if not isinstance(tx, dict):
            raise WmsError("bad_statement", "Bad statement", "a transaction is not an object")
        if str(tx.get("currency") or order.currency) != order.currency:
            raise WmsError("bad_currency", "Bad currency", "statement in another currency")
        skus = tx.get("sku_statement_transactions") or []
        if skus:
            for sku in skus:
                line = _line_for(lines, sku.get("sku_id"), order)
                fee = _amount(sku.get("fee_amount"), "fee_amount") - _amount(
                    sku.get("affiliate_commission_amount"), "affiliate_commission_amount"
                )
                fees[line.id] = fees.get(line.id, Decimal(0)) - fee  # type: ignore[index]
        else:
            order_fee -= _amount(tx.get("fee_amount"), "fee_amount") - _amount(
                tx.get("affiliate_commission_amount"), "affiliate_commission_amount"
            )
    conn = s.connection()
    if order_fee:
        revenue = dict(
            conn.execute(
                select(_MF.c.line_id, _MF.c.amount_e4).where(
                    _MF.c.order_id == order.id, _MF.c.kind == REVENUE, _MF.c.current
                )
            ).all()
        )
        ids = sorted(line.id for line in lines.values())  # type: ignore[type-var]
        for line_id, share in zip(
            ids,
            split_by_weight(order_fee, [max(0, int(revenue.get(i, 0))) for i in ids]),
            strict=True,
        ):
            fees[line_id] = fees.get(line_id, Decimal(0)) + share
    supersede(conn, order.id, "fee")  # type: ignore[arg-type]
    rows = [
        fact(order.id, line_id, "fee", cents(amount), order.currency, "statement")  # type: ignore[arg-type]
        for line_id, amount in sorted(fees.items())
    ]
    insert_facts(conn, rows)
    return len(rows)


async def record_affiliate(db: Any, channel_code: str, record: dict[str, Any]) -> int:
    return int(await db.run(apply_affiliate, channel_code, record))


async def record_statement(db: Any, channel_code: str, body: dict[str, Any]) -> int:
    return int(await db.run(apply_statement, channel_code, body))


def forget_line_sync(s: Session, line_id: int) -> None:
    """A line cancelled before anything of it was picked: its facts stop counting (kept for
    the order's history, no longer tied to a line that is gone) and its attribution goes."""
    s.execute(
        update(_MF).where(_MF.c.line_id == line_id).values(line_id=None, current=False)
    )
    table = LineAttribution.__table__
    s.execute(table.delete().where(table.c.line_id == line_id))

"""What a channel says after the sale: TikTok's creator attribution and its settlement.

The affiliate record credits each SKU line to a creator and content with its commission;
the order statement replaces the fee estimated at intake. Both write money facts
(wms/services/money_facts.py) and replace what they supersede, in one transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wms.domain.money import cents, split_by_weight
from wms.errors import NotFound, WmsError
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.money import LineAttribution, MoneyFact
from wms.services.money_facts import REVENUE, fact, insert_facts, supersede

_MF = MoneyFact.__table__


def money_field(value: Any, what: str) -> Decimal:
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


def order_by_external(s: Session, channel_code: str, external_id: str) -> SalesOrder:
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
    order = order_by_external(s, channel_code, record.get("order_id", ""))
    lines = _lines_by_ref(s, order.id)  # type: ignore[arg-type]
    plan = []
    for sku in record["skus"]:
        if not isinstance(sku, dict) or not sku.get("creator_username"):
            continue
        line = _line_for(lines, sku.get("sku_id"), order)
        estimated = money_field(
            sku.get("estimated_paid_commission", sku.get("estimated_commission")),
            "estimated commission",
        )
        actual_raw = sku.get("actual_paid_commission")
        actual = None if actual_raw in (None, "") else money_field(actual_raw, "actual commission")
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
    order = order_by_external(s, channel_code, data.get("order_id", ""))
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
                fee = money_field(sku.get("fee_amount"), "fee_amount") - money_field(
                    sku.get("affiliate_commission_amount"), "affiliate_commission_amount"
                )
                fees[line.id] = fees.get(line.id, Decimal(0)) - fee  # type: ignore[index]
        else:
            order_fee -= money_field(tx.get("fee_amount"), "fee_amount") - money_field(
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

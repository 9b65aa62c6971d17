"""Answers of the order routes: an order as every endpoint shows it."""

from __future__ import annotations

from wms.api.answers import Answer


class ShipTo(Answer):
    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    masked: bool  # the channel hides the buyer's address until it is needed


class Money(Answer):
    """Amounts as exact decimal text in the order's currency."""

    subtotal: str
    shipping: str
    discount: str
    tax: str
    total: str
    channel_fee: str


class Attribution(Answer):
    creator: str
    content_type: str
    content_id: str
    commission: str


class Line(Answer):
    line_no: int
    sku: str
    name: str
    qty: int
    unit_price: str
    reserved: int
    backordered: int
    allocated: int
    picked: int
    packed: int


class OrderView(Answer):
    id: int
    channel: str
    external_id: str
    reference: str
    status: str
    channel_status: str
    priority: int
    placed_at: str | None
    ship_by: str | None
    carrier: str
    service: str
    ship_to: ShipTo
    currency: str
    money: Money
    attribution: Attribution
    lines: list[Line]


class TakenOrder(OrderView):
    created: bool  # false: the same order was taken before (the channel sent it again)


class Imported(Answer):
    id: int
    external_id: str
    status: str
    created: bool


class ImportedOrders(Answer):
    orders: list[Imported]

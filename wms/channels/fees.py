"""What a channel charges per order, and how much stock each channel is shown."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from wms.channels.config import ChannelConfig
from wms.domain.orders import OrderIn, OrderStatus

CENT = Decimal("0.01")


def order_total(order: OrderIn) -> Decimal:
    """The channel's total, or (CSV/API orders without one) lines + shipping + tax − discount."""
    if order.total:
        return order.total
    lines = sum((line.unit_price * line.qty - line.discount for line in order.lines), Decimal(0))
    return lines + order.shipping + order.tax - order.discount


def channel_fee(config: ChannelConfig, order: OrderIn) -> Decimal:
    """``total × fee_pct / 100 + fee_fixed``, in the order's currency, rounded half-up to cents.

    A cancelled order costs nothing (channels refund the commission); a free order still
    pays the fixed part only if it has a positive total.
    """
    if order.status is OrderStatus.CANCELLED:
        return Decimal("0.00")
    total = order_total(order)
    if total <= 0:
        return Decimal("0.00")
    fee = total * config.fee_pct / Decimal(100) + config.fee_fixed
    return fee.quantize(CENT, rounding=ROUND_HALF_UP)


def channel_quantity(config: ChannelConfig, sellable: int) -> int:
    """The quantity to push: our sellable quantity minus the channel's buffer, never < 0."""
    return max(0, sellable - config.buffer)

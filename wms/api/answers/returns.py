"""Answers of the returns routes: a return and how each of its items was graded."""

from __future__ import annotations

from wms.api.answers import Answer


class ReturnLineView(Answer):
    sku: str
    qty: int
    restocked: int
    quarantined: int
    scrapped: int
    left: int  # units still to grade


class ReturnView(Answer):
    id: int
    order_id: int
    reference: str | None
    status: str
    source: str
    external_id: str | None
    reason: str
    lines: list[ReturnLineView]

"""Form fields of the wave planner's page, turned into the wave service's rules.

Kept apart from the pages so that when the wave service changes shape (preview/release
functions), only this adapter follows it.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.domain.layout import Layout
from wms.domain.waves import DEFAULT_RULES, WaveRules
from wms.errors import WmsError
from wms.models import Location
from wms.models.picking import PickBatch
from wms.services import wave_drawing


def _list(raw: Any) -> tuple[str, ...]:
    return tuple(x.strip() for x in str(raw or "").replace(";", ",").split(",") if x.strip())


def _int(form: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    raw = str(form.get(key) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise WmsError("bad_rules", "Bad wave rules", f"{key} must be a number") from exc
    if not lo <= value <= hi:
        raise WmsError("bad_rules", "Bad wave rules", f"{key} must be {lo} to {hi}")
    return value


def wave_rules_from_form(form: dict[str, Any]) -> WaveRules:
    """The planner's rules from the page: cutoff, carrier, channel, priority, segment, caps."""
    carriers = _list(form.get("carriers"))
    cutoff = str(form.get("cutoff") or "").strip()
    cutoffs = {c: cutoff for c in carriers} if cutoff and carriers else {}
    ship_by = str(form.get("ship_by_before") or "").strip()
    try:
        before = datetime.fromisoformat(ship_by) if ship_by else None
    except ValueError as exc:
        raise WmsError("bad_rules", "Bad wave rules", "ship-by is a date and time") from exc
    order_ids = tuple(int(x) for x in _list(form.get("order_ids")) if x.isdigit())
    d = DEFAULT_RULES  # the planner's defaults, the only ones
    rules = WaveRules(
        channels=frozenset(_list(form.get("channels"))),
        carriers=frozenset(carriers),
        cutoffs=cutoffs,
        ship_by_before=before,
        min_priority=_int(form, "min_priority", d.min_priority, 0, 9),
        segment=str(form.get("segment") or d.segment),
        order_ids=order_ids,
        max_orders=_int(form, "max_orders", d.max_orders, 1, 100_000),
        max_units=_int(form, "max_units", d.max_units, 1, 100_000),
        max_batches=_int(form, "max_batches", d.max_batches, 1, 1000),
        cart_totes=_int(form, "cart_totes", d.cart_totes, 1, 64),
        iterations=_int(form, "iterations", d.iterations, 0, 10_000),
    )
    if problems := rules.problems():
        raise WmsError("bad_rules", "Bad wave rules", "; ".join(problems))
    return rules


@reads
def preview_routes(
    s: Session, layout: Layout, preview: dict[str, Any], most: int = 12
) -> list[str]:
    """Each planned batch's walk drawn on the warehouse plan, as data: URLs for <img>.

    An image, not inline SVG: the drawing carries location codes, and an <img> cannot run
    or restyle anything in the page.
    """
    codes = {c for b in preview["batches"][:most] for c in b["route"]}
    where = {
        loc.code: loc
        for loc in s.execute(select(Location).where(Location.code.in_(codes))).scalars()
    }
    out = []
    for n, b in enumerate(preview["batches"][:most], start=1):
        stops = [where[c] for c in b["route"] if c in where and where[c].aisle is not None]
        batch = PickBatch(id=n, wave_id=0, route=b["route"], distance_m=b["distance_m"])
        svg = wave_drawing.draw(layout, batch, stops, None)  # the drawing a released batch gets
        out.append("data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
    return out

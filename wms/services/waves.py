"""Waves: choose orders by rules, allocate their lines, batch them into cart trips, route them.

`plan` only reads (the preview); `release` runs the same planner inside its write
transaction and writes batches, slots and pick tasks; `cancel` undoes a wave that has
not been picked from yet. Allocation rules (FEFO, pick faces, proximity) live here too,
because picking re-allocates short picks with them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wms.db import Database
from wms.domain import routing
from wms.domain.batching import BatchOrder, Cart, plan_batches
from wms.domain.layout import Geometry, Layout, Point
from wms.domain.orders import OrderStatus
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Channel, Location, OrderLine, SalesOrder, Stock
from wms.models.common import utcnow
from wms.models.layout import SELLABLE_KINDS, LocationKind
from wms.models.picking import PickBatch, PickSlot, PickTask, PickTaskLine, Tote, Wave
from wms.services import availability

ST = Stock.__table__
SO = SalesOrder.__table__
WALK_M_PER_S = 1.0  # a picker pushing a cart
SECONDS_PER_STOP = 12.0  # find the face, scan location, scan item, scan tote
SECONDS_PER_UNIT = 3.0
_LATEST = date.max
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


# -- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveRules:
    """What goes into a wave. Empty filters mean "any"."""

    channels: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    cutoffs: dict[str, str] = field(default_factory=dict)  # carrier -> "HH:MM" (UTC) pickup
    ship_by_before: datetime | None = None
    min_priority: int = 0
    segment: str = "all"  # all | single | multi (units per order)
    order_ids: tuple[int, ...] = ()
    max_orders: int = 200
    max_units: int = 5000
    max_batches: int = 50
    cart_totes: int = 8
    cart_articles: int = 200
    bulk_min_orders: int = 2  # single-unit orders of one SKU picked as one stop
    seed: int = 0
    iterations: int = 30
    time_budget_s: float = 2.0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["ship_by_before"] = self.ship_by_before.isoformat() if self.ship_by_before else None
        out["channels"], out["carriers"] = list(self.channels), list(self.carriers)
        out["order_ids"] = list(self.order_ids)
        return out

    def check(self) -> None:
        if self.segment not in ("all", "single", "multi"):
            raise WmsError("bad_rules", "Bad wave rules", "segment is all, single or multi")
        for carrier, hhmm in self.cutoffs.items():
            try:
                time.fromisoformat(hhmm)
            except ValueError as exc:
                raise WmsError(
                    "bad_rules", "Bad wave rules", f"cutoff of {carrier}: {hhmm!r} is not HH:MM"
                ) from exc


def _deadline(order: SalesOrder, rules: WaveRules, now: datetime) -> datetime:
    """When the order must be picked: its ship-by, or its carrier's next pickup if sooner."""
    due = order.ship_by or _FAR_FUTURE
    hhmm = rules.cutoffs.get(order.carrier) or rules.cutoffs.get(order.carrier.lower())
    if hhmm:
        cut = datetime.combine(now.date(), time.fromisoformat(hhmm), tzinfo=UTC)
        if cut < now:
            cut += timedelta(days=1)
        due = min(due, cut)
    return due


# -- allocation ---------------------------------------------------------------------------


@dataclass
class Free:
    """A stock row that still has units no pick task was promised, and where it stands."""

    stock_id: int
    product_id: int
    location_id: int
    code: str
    kind: str
    lot: str
    expiry: date | None
    free: int
    point: Point


def point_of(loc: Location) -> Point:
    """Rack locations stand on their aisle's centre line (x, y come from the layout)."""
    assert loc.aisle is not None
    return Point(loc.x, loc.y, loc.aisle - 1)


async def free_stock(s: AsyncSession, product_ids: list[int]) -> dict[int, list[Free]]:
    return await s.run_sync(free_stock_sync, product_ids)


def free_stock_sync(s: Session, product_ids: list[int]) -> dict[int, list[Free]]:
    """Free units per product in sellable rack locations (routes walk aisles only)."""
    if not product_ids:
        return {}
    rows = (
        s.execute(
            select(Stock, Location)
            .join(Location, Location.id == Stock.location_id)
            .where(
                Stock.product_id.in_(sorted(set(product_ids))),
                Stock.on_hand > Stock.allocated,
                Location.kind.in_([str(k) for k in SELLABLE_KINDS]),
                Location.aisle.is_not(None),
                Location.active.is_(True),
            )
            .order_by(Stock.id)
        )
    ).all()
    out: dict[int, list[Free]] = defaultdict(list)
    for st, loc in rows:
        out[st.product_id].append(
            Free(
                st.id,  # type: ignore[arg-type]
                st.product_id,
                loc.id,  # type: ignore[arg-type]
                loc.code,
                loc.kind,
                st.lot,
                st.expiry,
                st.on_hand - st.allocated,
                point_of(loc),
            )
        )
    return out


def choose(
    geo: Geometry, rows: list[Free], need: int, exclude: set[int] | None = None
) -> list[tuple[Free, int]]:
    """Take `need` units from `rows` (lowering their `free`); [] when they hold too few.

    Earliest expiry first (FEFO; no expiry last; the oldest row first stands in for FIFO,
    as stock rows carry no receipt date), then pick faces before reserve levels, then a
    row that fills the whole need (one stop instead of two), then the shortest walk.
    """
    usable = [r for r in rows if r.free > 0 and r.location_id not in (exclude or set())]
    if need <= 0 or sum(r.free for r in usable) < need:
        return []
    usable.sort(
        key=lambda r: (
            r.expiry or _LATEST,
            r.kind != LocationKind.PICK,
            r.free < need,
            geo.distance(geo.depot, r.point),
            r.stock_id,
        )
    )
    taken: list[tuple[Free, int]] = []
    for r in usable:
        if need <= 0:
            break
        k = min(r.free, need)
        r.free -= k
        need -= k
        taken.append((r, k))
    return taken


def give_back(taken: list[tuple[Free, int]]) -> None:
    for r, k in taken:
        r.free += k


async def allocate_stock(s: AsyncSession, stock_id: int, qty: int) -> None:
    await s.run_sync(allocate_stock_sync, stock_id, qty)


def allocate_stock_sync(s: Session, stock_id: int, qty: int) -> None:
    """Promise `qty` units of a stock row to a pick task; refused if they are not free."""
    result = s.execute(
        update(ST)
        .where(ST.c.id == stock_id, ST.c.on_hand - ST.c.allocated >= qty)
        .values(allocated=ST.c.allocated + qty)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("stock_changed", "Stock changed, retry", "planned stock is gone")


async def unallocate_stock(s: AsyncSession, stock_id: int, qty: int) -> None:
    if qty > 0:
        await s.execute(
            update(ST).where(ST.c.id == stock_id).values(allocated=ST.c.allocated - qty)
        )


# -- planning -----------------------------------------------------------------------------


@dataclass
class Pick:
    """Units of one order line to take from one stock row."""

    line: OrderLine
    row: Free
    qty: int


@dataclass
class Candidate:
    order: SalesOrder
    channel: str
    lines: list[OrderLine]
    due: datetime
    picks: list[Pick] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(_need(line) for line in self.lines)


@dataclass
class PlannedBatch:
    kind: str  # cart | bulk
    orders: list[Candidate]
    stops: list[tuple[Free, list[Pick]]]  # route order; a bulk stop serves several lines
    distance_m: float
    est_seconds: float


@dataclass
class Plan:
    batches: list[PlannedBatch]
    left_out: list[dict[str, Any]]

    def view(self) -> dict[str, Any]:
        orders = [c for b in self.batches for c in b.orders]
        return {
            "orders": len(orders),
            "units": sum(c.units for c in orders),
            "batches": [_batch_summary(b) for b in self.batches],
            "distance_m": round(sum(b.distance_m for b in self.batches), 1),
            "est_seconds": round(sum(b.est_seconds for b in self.batches)),
            "left_out": self.left_out,
        }


def _batch_summary(b: PlannedBatch) -> dict[str, Any]:
    return {
        "kind": b.kind,
        "orders": [{"id": c.order.id, "reference": c.order.reference} for c in b.orders],
        "units": sum(c.units for c in b.orders),
        "stops": len(b.stops),
        "route": [row.code for row, _ in b.stops],
        "distance_m": round(b.distance_m, 1),
        "est_seconds": round(b.est_seconds),
    }


def _need(line: OrderLine) -> int:
    """Units of a line still to be given pick tasks: held, and not yet on a task."""
    return line.reserved - (line.allocated - line.picked)


async def _candidates(
    s: AsyncSession, rules: WaveRules, now: datetime
) -> tuple[list[Candidate], list[dict[str, Any]]]:
    query = (
        select(SalesOrder, Channel.code)
        .join(Channel, Channel.id == SalesOrder.channel_id)
        .where(SalesOrder.status == OrderStatus.READY)
    )
    if rules.order_ids:
        query = query.where(SalesOrder.id.in_(rules.order_ids))
    orders = (await s.execute(query)).all()
    ids = [o.id for o, _ in orders]
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in (
        await s.execute(
            select(OrderLine).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.line_no)
        )
    ).scalars():
        by_order[line.order_id].append(line)
    out: list[Candidate] = []
    left: list[dict[str, Any]] = []
    if rules.order_ids:  # orders asked for by id but not READY: say so instead of ignoring
        others = (
            await s.execute(
                select(SalesOrder.id, SalesOrder.reference).where(
                    SalesOrder.id.in_(set(rules.order_ids) - set(ids))
                )
            )
        ).all()
        left += [{"order_id": i, "reference": ref, "reason": "not_ready"} for i, ref in others]
    for order, channel in orders:
        lines = by_order.get(order.id, [])  # type: ignore[arg-type]
        units = sum(_need(line) for line in lines)
        reason = None
        if rules.channels and channel not in rules.channels:
            reason = "channel"
        elif rules.carriers and order.carrier not in rules.carriers:
            reason = "carrier"
        elif order.priority < rules.min_priority:
            reason = "priority"
        elif rules.ship_by_before and (
            order.ship_by is None or order.ship_by > rules.ship_by_before
        ):
            reason = "not_due"
        elif any(line.qty > line.reserved + line.picked for line in lines):
            reason = "not_reserved"
        elif units <= 0:
            reason = "nothing_to_pick"
        elif rules.segment == "single" and units != 1 or rules.segment == "multi" and units == 1:
            reason = "segment"
        if reason:
            left.append({"order_id": order.id, "reference": order.reference, "reason": reason})
            continue
        out.append(Candidate(order, channel, lines, _deadline(order, rules, now)))
    out.sort(
        key=lambda c: (
            c.due,
            -c.order.priority,
            c.order.placed_at or c.order.created_at,
            c.order.id,
        )
    )
    return out, left


async def plan_in(s: AsyncSession, geo: Geometry, rules: WaveRules, now: datetime) -> Plan:
    """The wave the rules ask for, as it would be released now (reads only)."""
    rules.check()
    cands, left = await _candidates(s, rules, now)
    free = await free_stock(s, [line.product_id for c in cands for line in c.lines])
    chosen: list[Candidate] = []
    units = 0
    for c in cands:
        reason = None
        if len(chosen) >= rules.max_orders:
            reason = "max_orders"
        elif units + c.units > rules.max_units:
            reason = "max_units"
        else:
            taken: list[tuple[Free, int, OrderLine]] = []
            for line in c.lines:
                got = choose(geo, free.get(line.product_id, []), _need(line))
                if _need(line) > 0 and not got:
                    reason = "no_stock_in_racks"
                    break
                taken += [(r, k, line) for r, k in got]
            if reason:
                give_back([(r, k) for r, k, _ in taken])
            else:
                c.picks = [Pick(line, r, k) for r, k, line in taken]
        if reason:
            left.append({"order_id": c.order.id, "reference": c.order.reference, "reason": reason})
            continue
        chosen.append(c)
        units += c.units
    batches = _batch(geo, chosen, rules)
    rank = {id(c): i for i, c in enumerate(chosen)}
    batches.sort(key=lambda b: min(rank[id(c)] for c in b.orders))
    for b in batches[rules.max_batches :]:
        for c in b.orders:
            left.append(
                {"order_id": c.order.id, "reference": c.order.reference, "reason": "max_batches"}
            )
    return Plan(batches[: rules.max_batches], left)


def _batch(geo: Geometry, chosen: list[Candidate], rules: WaveRules) -> list[PlannedBatch]:
    singles: dict[int, list[Candidate]] = defaultdict(list)
    for c in chosen:
        if c.units == 1:
            singles[c.picks[0].line.product_id].append(c)
    bulk_groups = [g for g in singles.values() if len(g) >= rules.bulk_min_orders]
    in_bulk = {id(c) for g in bulk_groups for c in g}
    carts = [c for c in chosen if id(c) not in in_bulk]
    out: list[PlannedBatch] = []
    # Cart orders: one tote each, batched by the planner under the cart's capacity.
    cart = Cart(totes=rules.cart_totes, articles=rules.cart_articles)
    items = [
        BatchOrder(i, tuple(p.row.point for p in c.picks), articles=c.units)
        for i, c in enumerate(carts)
    ]
    for members in _plan_batches(geo, items, cart, rules):
        group = [carts[i] for i in members]
        out.append(_routed(geo, "cart", group, [[p] for c in group for p in c.picks]))
    # Bulk groups: a SKU's single-unit orders share one stop per stock row, one bulk tote.
    items = [
        BatchOrder(i, tuple(p.row.point for c in g for p in c.picks), articles=len(g))
        for i, g in enumerate(bulk_groups)
    ]
    bulk_cart = Cart(articles=rules.cart_articles)
    for members in _plan_batches(geo, items, bulk_cart, rules):
        group = [c for i in members for c in bulk_groups[i]]
        per_row: dict[int, list[Pick]] = defaultdict(list)
        for c in group:
            for p in c.picks:
                per_row[p.row.stock_id].append(p)
        out.append(_routed(geo, "bulk", group, list(per_row.values())))
    return out


def _plan_batches(
    geo: Geometry, items: list[BatchOrder], cart: Cart, rules: WaveRules
) -> list[tuple[int, ...]]:
    if not items:
        return []
    plan = plan_batches(
        geo,
        items,
        cart,
        seed=rules.seed,
        time_budget_s=rules.time_budget_s,
        max_iterations=rules.iterations,
    )
    return [tuple(b) for b in plan.batches if b]


def _routed(
    geo: Geometry, kind: str, group: list[Candidate], stops: list[list[Pick]]
) -> PlannedBatch:
    """Put the stops in the optimal route's order (stops at one point: by location code)."""
    route = routing.route(geo, {ps[0].row.point for ps in stops}, "optimal")
    order = {p: i for i, p in enumerate(route.stops)}
    stops.sort(key=lambda ps: (order[ps[0].row.point], ps[0].row.code, ps[0].line.id))
    units = sum(p.qty for ps in stops for p in ps)
    est = route.distance / WALK_M_PER_S + len(stops) * SECONDS_PER_STOP + units * SECONDS_PER_UNIT
    return PlannedBatch(kind, group, [(ps[0].row, ps) for ps in stops], route.distance, est)


async def plan(db: Database, geo: Geometry, rules: WaveRules) -> dict[str, Any]:
    """The preview: what `release` would do now. Changes nothing."""
    async with db.read() as s:
        return (await plan_in(s, geo, rules, utcnow())).view()


# -- release and cancel -------------------------------------------------------------------


async def release(
    db: Database, geo: Geometry, rules: WaveRules, user_id: int | None
) -> dict[str, Any]:
    """Plan and write the wave in one transaction: tasks, allocations, orders IN_WAVE."""
    async with db.write() as s:
        planned = await plan_in(s, geo, rules, utcnow())
        if not planned.batches:
            raise WmsError(
                "nothing_to_release",
                "No orders to pick",
                "no order matches the rules",
                left_out=planned.left_out,
            )
        view = planned.view()
        wave = Wave(
            rules=rules.as_json(),
            orders=view["orders"],
            units=view["units"],
            distance_m=view["distance_m"],
            est_seconds=view["est_seconds"],
            created_by=user_id,
        )
        s.add(wave)
        await s.flush()
        drops = await _staging(s)
        for n, b in enumerate(planned.batches):
            await _write_batch(s, wave.id, b, drops[n % len(drops)] if drops else None)  # type: ignore[arg-type]
        return {"id": wave.id, "status": wave.status} | view


async def _staging(s: AsyncSession) -> list[int]:
    return list(
        (
            await s.execute(
                select(Location.id)
                .where(Location.kind == LocationKind.STAGING, Location.active.is_(True))
                .order_by(Location.code)
            )
        ).scalars()
    )


async def _write_batch(s: AsyncSession, wave_id: int, b: PlannedBatch, drop: int | None) -> None:
    batch = PickBatch(
        wave_id=wave_id,
        kind=b.kind,
        distance_m=round(b.distance_m, 1),
        est_seconds=round(b.est_seconds),
        route=[row.code for row, _ in b.stops],
        drop_location_id=drop,
    )
    s.add(batch)
    await s.flush()
    slot_of: dict[int, int] = {}
    if b.kind == "bulk":
        s.add(PickSlot(batch_id=batch.id, slot=1, order_id=None))  # type: ignore[arg-type]
    else:
        for n, c in enumerate(b.orders, start=1):
            slot_of[c.order.id] = n  # type: ignore[index]
            s.add(PickSlot(batch_id=batch.id, slot=n, order_id=c.order.id))  # type: ignore[arg-type]
    for seq, (row, picks) in enumerate(b.stops, start=1):
        qty = sum(p.qty for p in picks)
        task = PickTask(
            batch_id=batch.id,  # type: ignore[arg-type]
            seq=seq,
            location_id=row.location_id,
            stock_id=row.stock_id,
            product_id=row.product_id,
            lot=row.lot,
            qty=qty,
            slot=None if b.kind == "bulk" else slot_of[picks[0].line.order_id],
        )
        s.add(task)
        await s.flush()
        await allocate_stock(s, row.stock_id, qty)
        for p in picks:
            p.line.allocated += p.qty
            s.add(PickTaskLine(task_id=task.id, order_line_id=p.line.id, qty=p.qty))  # type: ignore[arg-type]
    await s.flush()
    for c in b.orders:
        # Conditional: two waves released at once (several servers on PostgreSQL) both
        # see the order READY; only one may take it, the other rolls back and retries.
        result = await s.execute(
            update(SO)
            .where(SO.c.id == c.order.id, SO.c.status == OrderStatus.READY)
            .values(status=OrderStatus.IN_WAVE, updated_at=utcnow())
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "orders_changed", "Orders changed, retry", f"order {c.order.reference} moved on"
            )


async def cancel(db: Database, wave_id: int) -> dict[str, Any]:
    """Undo a wave nobody has picked from: allocations released, orders READY again."""
    async with db.write() as s:
        wave = await s.get(Wave, wave_id)
        if wave is None:
            raise NotFound("unknown_wave", "Unknown wave", f"no wave {wave_id}")
        if wave.status != "released":
            raise Conflict("wave_closed", "Wave is " + wave.status, f"wave {wave_id}")
        batches = list(
            (await s.execute(select(PickBatch).where(PickBatch.wave_id == wave_id))).scalars()
        )
        tasks = list(
            (
                await s.execute(
                    select(PickTask).where(PickTask.batch_id.in_([b.id for b in batches]))
                )
            ).scalars()
        )
        if any(t.picked or t.shorted for t in tasks):
            raise Conflict(
                "wave_started", "Picking has started", "units were picked; finish or short them"
            )
        order_ids = await _release_tasks(s, tasks)
        for b in batches:
            b.status = "cancelled"
        await s.execute(
            update(Tote)
            .where(Tote.batch_id.in_([b.id for b in batches]))
            .values(batch_id=None, order_id=None)
        )
        for order_id in sorted(order_ids):
            order = await s.get(SalesOrder, order_id)
            assert order is not None
            if order.status == OrderStatus.IN_WAVE:
                order.status = OrderStatus.READY
                order.updated_at = utcnow()
                await s.flush()
                await availability.refresh_open_status(s, order_id)
        wave.status = "cancelled"
        wave.cancelled_at = utcnow()
        return {"id": wave.id, "status": wave.status, "orders": len(order_ids)}


async def _release_tasks(s: AsyncSession, tasks: list[PickTask]) -> set[int]:
    """Give back what open tasks hold (stock.allocated, line.allocated); their orders' ids."""
    order_ids: set[int] = set()
    if not tasks:
        return order_ids
    links = (
        await s.execute(
            select(PickTaskLine, OrderLine)
            .join(OrderLine, OrderLine.id == PickTaskLine.order_line_id)
            .where(PickTaskLine.task_id.in_([t.id for t in tasks]))
        )
    ).all()
    for link, line in links:
        line.allocated -= link.qty - link.picked
        link.qty = link.picked
        order_ids.add(line.order_id)
    for t in tasks:
        await unallocate_stock(s, t.stock_id, t.qty - t.picked)
        t.qty = t.picked
        t.status = "cancelled"
    await s.flush()
    return order_ids


# -- look-ups -----------------------------------------------------------------------------


async def list_waves(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    async with db.read() as s:
        waves = (await s.execute(select(Wave).order_by(Wave.id.desc()).limit(limit))).scalars()
        return [_wave_row(w) for w in waves]


def _wave_row(w: Wave) -> dict[str, Any]:
    return {
        "id": w.id,
        "status": w.status,
        "orders": w.orders,
        "units": w.units,
        "distance_m": w.distance_m,
        "est_seconds": w.est_seconds,
        "created_at": w.created_at.isoformat(),
        "rules": w.rules,
    }


async def get_wave(db: Database, wave_id: int) -> dict[str, Any]:
    async with db.read() as s:
        wave = await s.get(Wave, wave_id)
        if wave is None:
            raise NotFound("unknown_wave", "Unknown wave", f"no wave {wave_id}")
        batches = (
            await s.execute(
                select(PickBatch).where(PickBatch.wave_id == wave_id).order_by(PickBatch.id)
            )
        ).scalars()
        return _wave_row(wave) | {
            "batches": [
                {
                    "id": b.id,
                    "kind": b.kind,
                    "status": b.status,
                    "picker_id": b.picker_id,
                    "stops": len(b.route),
                    "distance_m": b.distance_m,
                    "est_seconds": b.est_seconds,
                }
                for b in batches
            ]
        }


# -- drawing ------------------------------------------------------------------------------

SVG_SCALE = 8.0  # pixels per metre


async def batch_svg(db: Database, layout: Layout, batch_id: int) -> str:
    """The warehouse from the layout, with the batch's walk from the depot and back."""
    async with db.read() as s:
        batch = await s.get(PickBatch, batch_id)
        if batch is None:
            raise NotFound("unknown_batch", "Unknown batch", f"no batch {batch_id}")
        rows = (
            await s.execute(
                select(PickTask.seq, Location)
                .join(Location, Location.id == PickTask.location_id)
                .where(PickTask.batch_id == batch_id, PickTask.status != "cancelled")
                .order_by(PickTask.seq, PickTask.id)
            )
        ).all()
        drop = await s.get(Location, batch.drop_location_id) if batch.drop_location_id else None
    stops = [loc for _, loc in rows if loc.aisle is not None]
    return _svg(layout, batch, stops, drop)


def _svg(layout: Layout, batch: PickBatch, stops: list[Location], drop: Location | None) -> str:
    geo = layout.geometry
    areas = [loc for loc in layout.locations() if loc.aisle is None]
    xs = [*geo.aisle_x, geo.depot.x, *(a.x for a in areas)]
    ys = [*geo.cross_y, *(a.y for a in areas)]
    x0, x1 = min(xs) - 4, max(xs) + 4
    y0, y1 = min(ys) - 4, max(ys) + 4

    def px(x: float, y: float) -> str:
        # SVG y grows downwards; the front of the warehouse is drawn at the bottom.
        return f"{(x - x0) * SVG_SCALE:.1f},{(y1 - y) * SVG_SCALE:.1f}"

    w, h = (x1 - x0) * SVG_SCALE, (y1 - y0) * SVG_SCALE
    half = layout.aisle_spacing / 2 - 0.3
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="sans-serif" font-size="10">',
        f"<title>Batch {batch.id}: {len(stops)} stops, {batch.distance_m:.1f} m</title>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for b in range(geo.blocks):
        lo, hi = geo.cross_y[b] + 1.25, geo.cross_y[b + 1] - 1.25
        for x in geo.aisle_x:
            for side in (-1, 1):
                left = x + side * 0.6 if side > 0 else x - half
                parts.append(
                    f'<rect class="rack" x="{(left - x0) * SVG_SCALE:.1f}" '
                    f'y="{(y1 - hi) * SVG_SCALE:.1f}" width="{(half - 0.6) * SVG_SCALE:.1f}" '
                    f'height="{(hi - lo) * SVG_SCALE:.1f}" fill="#ddd"/>'
                )
    for a in areas:
        parts.append(
            f'<circle class="area" cx="{px(a.x, a.y).split(",")[0]}" '
            f'cy="{px(a.x, a.y).split(",")[1]}" r="4" fill="#bbb"><title>{a.code}</title></circle>'
        )
    walk = [geo.depot, *(Point(loc.x, loc.y, loc.aisle - 1) for loc in stops), geo.depot]  # type: ignore[operator]
    path = [walk[0]]
    for p, q in zip(walk, walk[1:], strict=False):
        path += _leg(geo, p, q)
    points = " ".join(px(p.x, p.y) for p in path)
    parts.append(
        f'<polyline class="route" points="{points}" fill="none" stroke="#d33" stroke-width="2"/>'
    )
    for n, loc in enumerate(stops, start=1):
        cx, cy = px(loc.x, loc.y).split(",")
        parts.append(
            f'<circle class="stop" cx="{cx}" cy="{cy}" r="5" fill="#36c">'
            f"<title>{n}. {loc.code}</title></circle>"
            f'<text x="{float(cx) + 6:.1f}" y="{float(cy) + 3:.1f}">{n}</text>'
        )
    dx, dy = px(geo.depot.x, geo.depot.y).split(",")
    parts.append(
        f'<rect class="depot" x="{float(dx) - 6:.1f}" y="{float(dy) - 6:.1f}" '
        'width="12" height="12" fill="#3a3"><title>depot</title></rect>'
    )
    if drop is not None:
        parts.append(f"<desc>drop at {drop.code}</desc>")
    parts.append("</svg>")
    return "\n".join(parts)


def _leg(geo: Geometry, p: Point, q: Point) -> list[Point]:
    """Corners of a walk from p to q: along the aisle, a cross aisle, then the next aisle."""
    if p.aisle is not None and p.aisle == q.aisle:
        return [q]
    cross = min(geo.cross_y, key=lambda c: abs(p.y - c) + abs(q.y - c))
    return [Point(p.x, cross), Point(q.x, cross), q]

"""Waves: load candidates, plan them off the event loop, write the plan in one short transaction.

The rules and the planner are the domain's (``wms.domain.waves``); this module only moves
plain values in and out of the database. Functions for the API and the console:

- ``preview(db, rules, geo) -> Preview``: the wave these rules would release now, with
  every open order it leaves out and why. Changes nothing. The plan is kept in this
  process for ``PREVIEW_KEEP_S`` under ``Preview.preview_id``.
- ``release(db, rules | preview_id, geo, user_id) -> Release``: plans (or takes the kept
  preview) and writes the wave. Refused with ``plan_stale`` (409) when an order or a
  stock row the plan relied on changed since it was loaded; then nothing is written.
- ``cancel(db, wave_id)``, ``list_waves(db)``, ``get_wave(db, wave_id)``; the route drawing
  is ``wms.services.wave_drawing.batch_svg``.

How a release runs: the candidates and their free stock are read in a worker thread (a
read transaction, no lock); the planner runs in a worker thread too, its batching in the
planner pool's processes when the wave is large (``POOL_FROM``); only then does one short
write transaction lock the orders and stock rows, check that they are as they were read,
and insert batches, slots and tasks with a few statements. The event loop serves scans
meanwhile, and no write transaction waits for the planner.

``free_stock_sync``, ``choose`` and ``allocate_stock_sync`` are the allocation rules that
picking re-uses for short picks.

Longer than 400 lines on purpose: what is loaded, what the write re-checks and what it
writes must be read side by side, or the re-check drifts from what the plan relied on.
"""

from __future__ import annotations

import asyncio
import time as clock
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.orm import Session

from wms.db import Database
from wms.domain.batching import BatchOrder, Cart, fcfs_distance, plan_batches
from wms.domain.layout import Geometry, Point
from wms.domain.orders import OPEN_STATUSES, OrderStatus
from wms.domain.waves import (
    DEFAULT_RULES,
    Batch,
    Free,
    PlanLine,
    PlanOrder,
    WavePlan,
    WaveRules,
    choose,
    give_back,
    plan_wave,
)
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Channel, Location, OrderLine, SalesOrder, Stock
from wms.models.common import utcnow
from wms.models.layout import SELLABLE_KINDS, LocationKind
from wms.models.picking import PickBatch, PickSlot, PickTask, PickTaskLine, Tote, Wave
from wms.services import availability, events, planner_pool

__all__ = ["DEFAULT_RULES", "WaveRules", "choose", "give_back", "preview", "release"]

ST = Stock.__table__
SO = SalesOrder.__table__
OL = OrderLine.__table__
WV = Wave.__table__
PB = PickBatch.__table__
PS = PickSlot.__table__
PT = PickTask.__table__
PTL = PickTaskLine.__table__
POOL_FROM = 300  # cart orders from which the planner pool's processes batch the wave
PREVIEW_KEEP_S = 15 * 60
PREVIEWS_KEPT = 32
CHUNK = 5000  # ids per IN (...): well under SQLite's and asyncpg's parameter limits
T = TypeVar("T")

stage_hooks: list[Callable[[str], None]] = []
"""Called in the planning thread with "planned" once a plan is made, before it is
written (progress for the console; the stale-plan test changes an order there)."""


# -- answers ------------------------------------------------------------------------------


class OrderRef(msgspec.Struct):
    id: int
    reference: str


class LeftOutOrder(msgspec.Struct):
    order_id: int
    reference: str
    reason: str  # a key of wms.domain.waves.REASONS


class BatchSummary(msgspec.Struct):
    kind: str  # cart | bulk
    orders: list[OrderRef]
    units: int
    stops: int
    route: list[str]  # location codes in walking order
    distance_m: float
    est_seconds: int


class Preview(msgspec.Struct):
    """A planned wave as it would be released now."""

    preview_id: str
    orders: int
    units: int
    batches: list[BatchSummary]
    distance_m: float
    est_seconds: int
    left_out: list[LeftOutOrder]
    # The same orders in first-come-first-served carts (same bulk picks): what planning saved.
    fcfs_distance_m: float


class Release(Preview):
    """A released wave: the preview it was planned as, with its id."""

    id: int
    status: str


# -- allocation (also used by picking) ----------------------------------------------------


def point_of(loc: Location) -> Point:
    """Rack locations stand on their aisle's centre line (x, y come from the layout)."""
    assert loc.aisle is not None
    return Point(loc.x, loc.y, loc.aisle - 1)


def free_stock_sync(s: Session, product_ids: list[int]) -> dict[int, list[Free]]:
    """Free units per product in sellable rack locations (routes walk aisles only)."""
    out: dict[int, list[Free]] = defaultdict(list)
    for chunk in _chunks(sorted(set(product_ids))):
        rows = s.execute(
            select(Stock, Location)
            .join(Location, Location.id == Stock.location_id)
            .where(
                Stock.product_id.in_(chunk),
                Stock.on_hand > Stock.allocated,
                Location.kind.in_([str(k) for k in SELLABLE_KINDS]),
                Location.aisle.is_not(None),
                Location.active.is_(True),
            )
            .order_by(Stock.id)
        ).all()
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
    for rows_of in out.values():
        rows_of.sort(key=lambda r: r.stock_id)
    return out


def allocate_stock_sync(s: Session, stock_id: int, qty: int) -> None:
    """Promise `qty` units of a stock row to a pick task; refused if they are not free."""
    result = s.execute(
        update(ST)
        .where(ST.c.id == stock_id, ST.c.on_hand - ST.c.allocated >= qty)
        .values(allocated=ST.c.allocated + qty)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("stock_changed", "Stock changed, retry", "planned stock is gone")


# -- loading ------------------------------------------------------------------------------


@dataclass
class Loaded:
    """What the planner is given, and what the write checks is still so."""

    candidates: list[PlanOrder]
    stock: dict[str, list[Free]]
    orders: dict[int, tuple[str, datetime]] = field(default_factory=dict)  # status, updated
    lines: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)  # line figures


@dataclass
class Made:
    """A plan and what it was made from, until it is written or forgotten."""

    rules: WaveRules
    loaded: Loaded
    plan: WavePlan
    preview: Preview


def _load(s: Session, rules: WaveRules) -> Loaded:
    """The orders the rules may consider (by id, or every open order) and their stock."""
    query = select(
        SO.c.id,
        SO.c.reference,
        SO.c.status,
        SO.c.updated_at,
        SO.c.priority,
        SO.c.ship_by,
        SO.c.carrier,
        SO.c.placed_at,
        SO.c.created_at,
        SO.c.ship_line1,
        SO.c.ship_masked,
        Channel.__table__.c.code,
    ).join(Channel.__table__, Channel.__table__.c.id == SO.c.channel_id)
    if rules.order_ids:
        orders = [
            r
            for ids in _chunks(rules.order_ids)
            for r in s.execute(query.where(SO.c.id.in_(ids))).all()
        ]
    else:
        orders = list(s.execute(query.where(SO.c.status.in_(sorted(OPEN_STATUSES)))).all())
    ready = {o.id for o in orders if o.status == OrderStatus.READY}
    lines: dict[int, list[Any]] = defaultdict(list)
    line_query = select(OL).order_by(OL.c.order_id, OL.c.line_no)
    if rules.order_ids:
        chunks = [line_query.where(OL.c.order_id.in_(ids)) for ids in _chunks(sorted(ready))]
    else:  # a join, not thousands of ids
        chunks = [
            line_query.join(SO, SO.c.id == OL.c.order_id).where(SO.c.status == OrderStatus.READY)
        ]
    for q in chunks:
        for line in s.execute(q).all():
            if line.order_id in ready:
                lines[line.order_id].append(line)
    loaded = Loaded([], {})
    sku_of: dict[int, str] = {}
    for o in orders:
        mine = lines.get(o.id, [])
        loaded.orders[o.id] = (o.status, o.updated_at)
        for line in mine:
            loaded.lines[line.id] = (line.qty, line.reserved, line.allocated, line.picked)
            sku_of[line.product_id] = line.sku
        loaded.candidates.append(
            PlanOrder(
                o.id,
                tuple(
                    PlanLine(line.sku, _need(line), line_id=line.id)
                    for line in mine
                    if _need(line) > 0
                ),
                ship_by=o.ship_by,
                priority=o.priority,
                carrier=o.carrier,
                channel=o.code,
                created_at=o.placed_at or o.created_at,
                reference=o.reference,
                status=o.status,
                unreserved=sum(max(0, ln.qty - ln.reserved - ln.picked) for ln in mine),
                has_address=bool(o.ship_line1) or bool(o.ship_masked),
            )
        )
    free = free_stock_sync(s, list(sku_of))
    loaded.stock = {sku_of[p]: rows for p, rows in free.items()}
    return loaded


def _need(line: Any) -> int:
    """Units of a line still to be given pick tasks: held, and not yet on a task."""
    return int(line.reserved - (line.allocated - line.picked))


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for k in range(0, len(ids), CHUNK):
        yield list(ids[k : k + CHUNK])


async def _read(db: Database, fn: Callable[[Session, WaveRules], T], rules: WaveRules) -> T:
    """A read transaction in a worker thread where the driver allows it (SQLite): loading
    ten thousand open orders would hold the event loop for a noticeable while."""
    engine = db.thread_read_engine
    if engine is None:
        return await db.read_run(fn, rules)
    return await asyncio.to_thread(_read_in_thread, engine, fn, rules)


def _read_in_thread(engine: Engine, fn: Callable[[Session, WaveRules], T], rules: WaveRules) -> T:
    with Session(engine) as s, s.begin():
        return fn(s, rules)


# -- planning -----------------------------------------------------------------------------


def _make(loaded: Loaded, rules: WaveRules, geo: Geometry, now: datetime) -> Made:
    """The plan, in the calling (worker) thread; large batching goes to the planner pool."""

    fcfs_m = 0.0

    def batcher(g: Geometry, items: Sequence[BatchOrder], cart: Cart) -> list[tuple[int, ...]]:
        nonlocal fcfs_m
        # The baseline for the same carts, in the order the planner took them: a route
        # per FCFS cart, in this worker thread (outside any transaction), milliseconds.
        fcfs_m += fcfs_distance(g, items, cart)
        if len(items) >= POOL_FROM and rules.iterations > 0:
            pool = planner_pool.shared()
            return list(
                pool.plan(g, items, cart, seed=rules.seed, seconds=rules.time_budget_s).batches
            )
        plan = plan_batches(
            g,
            items,
            cart,
            seed=rules.seed,
            time_budget_s=rules.time_budget_s,
            max_iterations=rules.iterations,
        )
        return list(plan.batches)

    plan = plan_wave(loaded.candidates, rules, geo, stock=loaded.stock, now=now, batcher=batcher)
    refs = {o.id: o.reference for o in loaded.candidates}
    bulk_m = sum(b.distance_m for b in plan.batches if b.kind != "cart")
    made = Made(rules, loaded, plan, _view(plan, uuid.uuid4().hex, refs, fcfs_m + bulk_m))
    for hook in stage_hooks:
        hook("planned")
    return made


async def _plan(db: Database, rules: WaveRules, geo: Geometry) -> Made:
    problems = rules.problems()
    if problems:
        raise WmsError("bad_rules", "Bad wave rules", "; ".join(problems))
    loaded = await _read(db, _load, rules)
    return await asyncio.to_thread(_make, loaded, rules, geo, utcnow())


def _view(plan: WavePlan, preview_id: str, refs: dict[Any, str], fcfs_m: float) -> Preview:
    batches = [_summary(b, refs) for b in plan.batches]
    return Preview(
        preview_id=preview_id,
        orders=sum(len(b.orders) for b in batches),
        units=sum(b.units for b in batches),
        batches=batches,
        distance_m=round(sum(b.distance_m for b in plan.batches), 1),
        est_seconds=round(sum(b.est_pick_seconds for b in plan.batches)),
        left_out=[
            LeftOutOrder(int(x.order.id), x.order.reference, x.reason) for x in plan.left_out
        ],
        fcfs_distance_m=round(fcfs_m, 1),
    )


def _summary(b: Batch, refs: dict[Any, str]) -> BatchSummary:
    return BatchSummary(
        kind=b.kind,
        orders=[OrderRef(int(o), refs[o]) for o in b.orders],
        units=b.units,
        stops=len(b.stops),
        route=[s.location for s in b.stops],
        distance_m=round(b.distance_m, 1),
        est_seconds=round(b.est_pick_seconds),
    )


_PREVIEWS: OrderedDict[str, tuple[float, Made]] = OrderedDict()


def _keep(made: Made) -> None:
    now = clock.monotonic()
    _PREVIEWS[made.preview.preview_id] = (now, made)
    while _PREVIEWS and (
        len(_PREVIEWS) > PREVIEWS_KEPT or next(iter(_PREVIEWS.values()))[0] < now - PREVIEW_KEEP_S
    ):
        _PREVIEWS.popitem(last=False)


async def preview(db: Database, rules: WaveRules, geo: Geometry) -> Preview:
    """What `release` would do now, every open order it leaves out with why. Changes nothing."""
    made = await _plan(db, rules, geo)
    _keep(made)
    return made.preview


# -- release ------------------------------------------------------------------------------


async def release(
    db: Database, what: WaveRules | str, geo: Geometry, user_id: int | None = None
) -> Release:
    """Write the wave the rules plan now, or a kept preview (by its id), in one short
    transaction that refuses it (``plan_stale``) if what it relied on has changed."""
    if isinstance(what, str):
        kept = _PREVIEWS.pop(what, None)
        if kept is None or kept[0] < clock.monotonic() - PREVIEW_KEEP_S:
            raise NotFound("unknown_preview", "Preview expired", f"no preview {what}; plan again")
        made = kept[1]
    else:
        made = await _plan(db, what, geo)
    if not made.plan.batches:
        raise WmsError(
            "nothing_to_release",
            "No orders to pick",
            "no order matches the rules",
            left_out=msgspec.to_builtins(made.preview.left_out),
        )
    # A big wave writes thousands of rows: on a thread (run_long), so scans go on meanwhile.
    wave_id = await db.run_long(_write, made, user_id)
    return Release(**msgspec.structs.asdict(made.preview), id=wave_id, status="released")


def _write(s: Session, made: Made, user_id: int | None) -> int:
    """The whole wave, after checking (rows locked) that the plan still holds."""
    _recheck(s, made)
    p, now = made.preview, utcnow()
    wave_id = s.execute(
        insert(WV)
        .values(
            status="released",
            rules=made.rules.as_json(),
            orders=p.orders,
            units=p.units,
            distance_m=p.distance_m,
            est_seconds=p.est_seconds,
            created_by=user_id,
            created_at=now,
        )
        .returning(WV.c.id)
    ).scalar_one()
    drops = list(
        s.execute(
            select(Location.id)
            .where(Location.kind == LocationKind.STAGING, Location.active.is_(True))
            .order_by(Location.code)
        ).scalars()
    )
    slots: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    task_picks: list[Sequence[Any]] = []
    for n, b in enumerate(made.plan.batches):
        batch_id = s.execute(
            insert(PB)
            .values(
                wave_id=wave_id,
                status="released",
                kind=b.kind,
                distance_m=round(b.distance_m, 1),
                est_seconds=round(b.est_pick_seconds),
                route=[stop.location for stop in b.stops],
                drop_location_id=drops[n % len(drops)] if drops else None,
                created_at=now,
            )
            .returning(PB.c.id)
        ).scalar_one()
        if b.kind == "bulk":
            slots.append({"batch_id": batch_id, "slot": 1, "order_id": None, "tote": None})
        else:
            slots += [
                {"batch_id": batch_id, "slot": k, "order_id": o, "tote": None}
                for k, o in enumerate(b.orders, start=1)
            ]
        slot_of = {o: k for k, o in enumerate(b.orders, start=1)}
        for seq, stop in enumerate(b.stops, start=1):
            row = stop.picks[0].row
            tasks.append(
                {
                    "batch_id": batch_id,
                    "seq": seq,
                    "location_id": row.location_id,
                    "stock_id": row.stock_id,
                    "product_id": row.product_id,
                    "lot": row.lot,
                    "qty": stop.qty,
                    "picked": 0,
                    "shorted": 0,
                    "slot": None if b.kind == "bulk" else slot_of[stop.order_id],
                    "status": "open",
                }
            )
            task_picks.append(stop.picks)
    if slots:
        s.execute(insert(PS), slots)
    task_ids = (
        s.execute(insert(PT).returning(PT.c.id, sort_by_parameter_order=True), tasks)
        .scalars()
        .all()
    )
    links = [
        {"task_id": task_id, "order_line_id": p.line_id, "qty": p.qty, "picked": 0}
        for task_id, picks in zip(task_ids, task_picks, strict=True)
        for p in picks
    ]
    s.execute(insert(PTL), links)
    on_stock: dict[int, int] = defaultdict(int)
    on_line: dict[int, int] = defaultdict(int)
    for picks in task_picks:
        for p in picks:
            on_stock[p.row.stock_id] += p.qty
            on_line[p.line_id] += p.qty
    s.execute(
        update(ST)
        .where(ST.c.id == bindparam("b_id"))
        .values(allocated=ST.c.allocated + bindparam("b_qty")),
        [{"b_id": k, "b_qty": q} for k, q in sorted(on_stock.items())],
    )
    s.execute(
        update(OL)
        .where(OL.c.id == bindparam("b_id"))
        .values(allocated=OL.c.allocated + bindparam("b_qty")),
        [{"b_id": k, "b_qty": q} for k, q in sorted(on_line.items())],
    )
    s.execute(
        update(SO)
        .where(SO.c.id == bindparam("b_id"))
        .values(status=OrderStatus.IN_WAVE, updated_at=now),
        [{"b_id": o} for o in sorted(made.plan.orders)],
    )
    events.note(s, "wave", wave=int(wave_id))
    return int(wave_id)


def _recheck(s: Session, made: Made) -> None:
    """Refuse the plan unless its orders are as they were read (status, last change, every
    line's figures) and its stock rows still have the units it takes. The rows are locked
    (PostgreSQL; SQLite's write transaction holds the whole database) until the commit."""
    loaded = made.loaded
    order_ids = sorted(int(o) for o in made.plan.orders)
    stale: list[str] = []
    for ids in _chunks(order_ids):
        for o in s.execute(
            select(SO.c.id, SO.c.reference, SO.c.status, SO.c.updated_at)
            .where(SO.c.id.in_(ids))
            .order_by(SO.c.id)
            .with_for_update()
        ).all():
            if (o.status, o.updated_at) != loaded.orders[o.id] or o.status != OrderStatus.READY:
                stale.append(f"order {o.reference or o.id} is {o.status} now")
        for line in s.execute(select(OL).where(OL.c.order_id.in_(ids))).all():
            was = loaded.lines.get(line.id)
            if was != (line.qty, line.reserved, line.allocated, line.picked):
                stale.append(f"a line of order {line.order_id} changed")
    need: dict[int, int] = defaultdict(int)
    for b in made.plan.batches:
        for stop in b.stops:
            need[stop.picks[0].row.stock_id] += stop.qty
    for ids in _chunks(sorted(need)):
        rows = s.execute(
            select(ST.c.id, ST.c.on_hand, ST.c.allocated)
            .where(ST.c.id.in_(ids))
            .order_by(ST.c.id)
            .with_for_update()
        ).all()
        have = {r.id: r.on_hand - r.allocated for r in rows}
        stale += [
            f"stock row {k} has {have.get(k, 0)} free, not {need[k]}"
            for k in ids
            if have.get(k, 0) < need[k]
        ]
    if stale:
        raise Conflict(
            "plan_stale",
            "Plan is stale",
            f"changed since planned: {'; '.join(stale[:5])}; plan again",
            changes=len(stale),
        )


# -- cancel -------------------------------------------------------------------------------


async def cancel(db: Database, wave_id: int) -> dict[str, Any]:
    """Undo a wave nobody has picked from: allocations released, orders READY again."""
    return await db.run(_cancel, wave_id)


def _cancel(s: Session, wave_id: int) -> dict[str, Any]:
    wave = s.get(Wave, wave_id)
    if wave is None:
        raise NotFound("unknown_wave", "Unknown wave", f"no wave {wave_id}")
    if wave.status != "released":
        raise Conflict("wave_closed", "Wave is " + wave.status, f"wave {wave_id}")
    batches = list(s.execute(select(PickBatch).where(PickBatch.wave_id == wave_id)).scalars())
    batch_ids = [b.id for b in batches]
    tasks = list(s.execute(select(PickTask).where(PickTask.batch_id.in_(batch_ids))).scalars())
    if any(t.picked or t.shorted for t in tasks):
        raise Conflict(
            "wave_started", "Picking has started", "units were picked; finish or short them"
        )
    order_ids = _release_tasks(s, tasks)
    for b in batches:
        b.status = "cancelled"
    for tote in s.execute(select(Tote).where(Tote.batch_id.in_(batch_ids))).scalars():
        tote.batch_id, tote.order_id = None, None
    for order_id in sorted(order_ids):
        order = s.get(SalesOrder, order_id)
        assert order is not None
        if order.status == OrderStatus.IN_WAVE:
            order.status = OrderStatus.READY
            order.updated_at = utcnow()
            s.flush()
            availability.refresh_open_status(s, order_id)
    wave.status = "cancelled"
    wave.cancelled_at = utcnow()
    s.flush()
    events.note(s, "wave", wave=wave.id)
    return {"id": wave.id, "status": wave.status, "orders": len(order_ids)}


def _release_tasks(s: Session, tasks: list[PickTask]) -> set[int]:
    """Give back what open tasks hold (stock.allocated, line.allocated); their orders' ids."""
    order_ids: set[int] = set()
    if not tasks:
        return order_ids
    links = s.execute(
        select(PickTaskLine, OrderLine)
        .join(OrderLine, OrderLine.id == PickTaskLine.order_line_id)
        .where(PickTaskLine.task_id.in_([t.id for t in tasks]))
    ).all()
    for link, line in links:
        line.allocated -= link.qty - link.picked
        link.qty = link.picked
        order_ids.add(line.order_id)
    back: dict[int, int] = defaultdict(int)
    for t in tasks:
        back[t.stock_id] += t.qty - t.picked
        t.qty = t.picked
        t.status = "cancelled"
    s.flush()
    # Atomic decrements: a short pick elsewhere may be allocating on the same rows.
    s.execute(
        update(ST)
        .where(ST.c.id == bindparam("b_id"))
        .values(allocated=ST.c.allocated - bindparam("b_qty")),
        [{"b_id": k, "b_qty": q} for k, q in sorted(back.items()) if q > 0],
    )
    return order_ids


# -- look-ups -----------------------------------------------------------------------------


async def list_waves(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    return await db.read_run(_list_waves, limit)


def _list_waves(s: Session, limit: int) -> list[dict[str, Any]]:
    waves = s.execute(select(Wave).order_by(Wave.id.desc()).limit(limit)).scalars()
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
    return await db.read_run(_get_wave, wave_id)


def _get_wave(s: Session, wave_id: int) -> dict[str, Any]:
    wave = s.get(Wave, wave_id)
    if wave is None:
        raise NotFound("unknown_wave", "Unknown wave", f"no wave {wave_id}")
    batches = s.execute(
        select(PickBatch).where(PickBatch.wave_id == wave_id).order_by(PickBatch.id)
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

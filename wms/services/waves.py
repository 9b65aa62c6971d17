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
read transaction, no lock); the planner runs in a worker thread for a small wave, and for a
large one in a process of its own at a lower priority (``wms.services.wave_planning``), its
batching in the planner pool's processes (``POOL_FROM``); only then does one short
write transaction lock the orders and stock rows, check that they are as they were read,
and insert batches, slots and tasks with a few statements. The event loop serves scans
meanwhile, and no write transaction waits for the planner.

``free_stock_sync``, ``choose`` and ``allocate_stock_sync`` are the allocation rules that
picking re-uses for short picks. What is loaded is ``wms.services.wave_loading``; what the
write re-checks and writes, ``wms.services.wave_writing`` (keep the two in step).
"""

from __future__ import annotations

import asyncio
import time as clock
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain.layout import Geometry
from wms.domain.orders import OrderStatus
from wms.domain.waves import (
    DEFAULT_RULES,
    Batch,
    WavePlan,
    WaveRules,
    choose,
    give_back,
)
from wms.errors import Conflict, NotFound, WmsError
from wms.models import OrderLine, SalesOrder, Stock
from wms.models.common import utcnow
from wms.models.picking import PickBatch, PickTask, PickTaskLine, Tote, Wave
from wms.services import availability, events, wave_loading, wave_planning, wave_writing
from wms.services.wave_loading import (  # the allocation rules picking re-uses, from here
    Loaded,
    allocate_stock_sync,
    free_stock_sync,
    point_of,
)

__all__ = [
    "DEFAULT_RULES", "WaveRules", "allocate_stock_sync", "choose", "free_stock_sync",
    "give_back", "point_of", "preview", "release",
]  # fmt: skip

ST = Stock.__table__
POOL_FROM = wave_planning.POOL_FROM  # cart orders the planner pool's processes batch
PREVIEW_KEEP_S = 15 * 60
PREVIEWS_KEPT = 32

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


@dataclass
class Made:
    """A plan and what it was made from, until it is written or forgotten."""

    rules: WaveRules
    loaded: Loaded
    plan: WavePlan
    preview: Preview


# -- planning -----------------------------------------------------------------------------


def _made(loaded: Loaded, rules: WaveRules, plan: WavePlan, fcfs_m: float) -> Made:
    """The plan with its preview; in a worker thread (a stage hook may wait there)."""
    refs = {o.id: o.reference for o in loaded.candidates}
    bulk_m = sum(b.distance_m for b in plan.batches if b.kind != "cart")
    made = Made(rules, loaded, plan, _view(plan, uuid.uuid4().hex, refs, fcfs_m + bulk_m))
    for hook in stage_hooks:
        hook("planned")
    return made


async def _load(db: Database, rules: WaveRules) -> Loaded:
    """The candidates, read in a worker thread where the driver allows it (SQLite): loading
    ten thousand open orders would hold the event loop for a noticeable while."""
    engine = db.thread_read_engine
    if engine is None:
        return await db.run(wave_loading.load, rules)
    return await asyncio.to_thread(_load_in_thread, engine, rules)


def _load_in_thread(engine: Engine, rules: WaveRules) -> Loaded:
    with Session(engine) as s, s.begin():
        return wave_loading.load(s, rules)


async def _plan(db: Database, rules: WaveRules, geo: Geometry) -> Made:
    problems = rules.problems()
    if problems:
        raise WmsError("bad_rules", "Bad wave rules", "; ".join(problems))
    loaded = await _load(db, rules)
    args = (loaded.candidates, rules, geo, loaded.stock, utcnow())
    if wave_planning.in_own_process(loaded.candidates):
        loop = asyncio.get_running_loop()
        plan, fcfs_m = await loop.run_in_executor(
            wave_planning.executor(), wave_planning.plan, *args
        )
    else:
        plan, fcfs_m = await asyncio.to_thread(wave_planning.plan, *args)
    return await asyncio.to_thread(_made, loaded, rules, plan, fcfs_m)


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
    wave_id = await db.run(wave_writing.write, made, user_id)  # @long_running: a thread
    return Release(**msgspec.structs.asdict(made.preview), id=wave_id, status="released")


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
    return await db.run(_list_waves, limit)


@reads
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
    return await db.run(_get_wave, wave_id)


@reads
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

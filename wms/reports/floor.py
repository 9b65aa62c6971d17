"""The floor's figures: open waves, batches, cutoff pace and throughput (the console and the API).

Every function takes a sync `Session` and plain values and only reads, so the console's
pages, its live fragments and `/api/v1/reports/*` compute the same figures the same way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, case, distinct, func, select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.domain.orders import OrderStatus
from wms.models import OrderLine, SalesOrder, User
from wms.models.picking import PickBatch, PickTask, PickTaskLine, Wave
from wms.models.shipping import PackSession, Parcel

STALLED_S = 300  # a batch with no scan for 5 minutes stands out on the board
PACE_WINDOW = timedelta(minutes=30)
NO_PACE_RISK_S = 3600
DONE_TASK = ("done", "short", "cancelled")
UNPACKED = (OrderStatus.READY, OrderStatus.IN_WAVE, OrderStatus.PICKED)
SHIPPED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def _pct(part: float, whole: float) -> int:
    return int(100 * part / whole) if whole else 0


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _aware(at: datetime | None) -> datetime | None:
    # SQLite hands back naive timestamps; every timestamp we store is UTC.
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


# The board's reads, built once: the live board re-reads them after every burst of scans,
# and building the statements cost about a third of each read on a 40-batch wave.
_IDS = bindparam("ids", expanding=True)
_RELEASED = select(Wave).where(Wave.status == "released").order_by(Wave.id)
_PICKED = (
    select(
        PickBatch.wave_id,
        func.coalesce(func.sum(PickTaskLine.qty), 0).label("units"),
        func.coalesce(func.sum(PickTaskLine.picked), 0).label("picked"),
    )
    .join(PickTask, PickTask.batch_id == PickBatch.id)
    .join(PickTaskLine, PickTaskLine.task_id == PickTask.id)
    .where(PickBatch.wave_id.in_(_IDS), PickTask.status != "cancelled")
    .group_by(PickBatch.wave_id)
)
# Lines of the wave, each once (a line may have several stops after a re-allocation).
_WAVE_LINES = (
    select(PickBatch.wave_id, PickTaskLine.order_line_id)
    .join(PickTask, PickTask.batch_id == PickBatch.id)
    .join(PickTaskLine, PickTaskLine.task_id == PickTask.id)
    .where(PickBatch.wave_id.in_(_IDS))
    .distinct()
    .subquery()
)
_LINES = (
    select(
        _WAVE_LINES.c.wave_id,
        func.count().label("lines"),
        func.count(distinct(OrderLine.order_id)).label("orders"),
        func.coalesce(func.sum(OrderLine.qty), 0).label("qty"),
        func.coalesce(func.sum(OrderLine.packed), 0).label("packed"),
        func.count(distinct(case((SalesOrder.status.in_(SHIPPED), SalesOrder.id)))).label(
            "shipped_orders"
        ),
    )
    .join(OrderLine, OrderLine.id == _WAVE_LINES.c.order_line_id)
    .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
    .group_by(_WAVE_LINES.c.wave_id)
)
_BATCHES = (
    select(
        PickBatch.id,
        PickBatch.wave_id,
        PickBatch.status,
        PickBatch.kind,
        PickBatch.picker_id,
        PickBatch.assigned_at,
        User.name,
        User.username,
        func.count(PickTask.id).label("stops"),
        func.coalesce(func.sum(case((PickTask.status.in_(DONE_TASK), 1), else_=0)), 0).label(
            "done"
        ),
        func.max(PickTask.picked_at).label("last_scan"),
    )
    .outerjoin(PickTask, PickTask.batch_id == PickBatch.id)
    .outerjoin(User, User.id == PickBatch.picker_id)
    .where(PickBatch.wave_id.in_(_IDS), PickBatch.status != "cancelled")
    .group_by(PickBatch.id, User.name, User.username)
    .order_by(PickBatch.id)
)
_PACE = select(func.count()).where(PickTask.picked_at >= bindparam("since"), PickTask.picked > 0)
_RELEASED_RULES = select(Wave.rules).where(Wave.status == "released").order_by(Wave.id)
_UNPACKED_BY_CARRIER = (
    select(
        SalesOrder.carrier,
        func.count(distinct(SalesOrder.id)).label("orders"),
        func.coalesce(func.sum(case((OrderLine.picked < OrderLine.qty, 1), else_=0)), 0).label(
            "lines_left"
        ),
        func.min(SalesOrder.ship_by).label("ship_by"),
    )
    .join(OrderLine, OrderLine.order_id == SalesOrder.id)
    .where(SalesOrder.status.in_(UNPACKED))
    .group_by(SalesOrder.carrier)
)


def open_waves(s: Session, now: datetime) -> list[dict[str, Any]]:
    """Every released wave: orders, lines, units, % picked/packed/shipped, and its batches."""
    waves = list(s.execute(_RELEASED).scalars())
    if not waves:
        return []
    ids = {"ids": [w.id for w in waves]}
    picked = {r.wave_id: r for r in s.execute(_PICKED, ids)}
    lines = {r.wave_id: r for r in s.execute(_LINES, ids)}
    batches = batches_of(s, ids["ids"], now)
    out = []
    for w in waves:
        p, ln = picked.get(w.id), lines.get(w.id)
        units, done = (int(p.units), int(p.picked)) if p else (0, 0)
        orders = int(ln.orders) if ln else 0
        out.append(
            {
                "id": w.id,
                "created_at": _iso(_aware(w.created_at)),
                "carriers": sorted((w.rules or {}).get("carriers") or []),
                "orders": orders,
                "lines": int(ln.lines) if ln else 0,
                "units": units,
                "picked_units": done,
                "pct_picked": _pct(done, units),
                "pct_packed": _pct(int(ln.packed), int(ln.qty)) if ln else 0,
                "pct_shipped": _pct(int(ln.shipped_orders), orders) if ln else 0,
                "batches": batches.get(w.id, []),
            }
        )
    return out


def batches_of(s: Session, wave_ids: list[int], now: datetime) -> dict[int, list[dict[str, Any]]]:
    """Each batch of these waves: picker, stops done of total, age of its last scan."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in s.execute(_BATCHES, {"ids": wave_ids}):
        last = _aware(r.last_scan) or _aware(r.assigned_at)
        age = (now - last).total_seconds() if last else None
        active = r.status in ("assigned", "picking", "paused")
        out[r.wave_id].append(
            {
                "id": r.id,
                "status": r.status,
                "kind": r.kind,
                "picker_id": r.picker_id,
                "picker": (r.name or r.username) if r.picker_id else None,
                "stops": int(r.stops),
                "stops_done": int(r.done),
                "pct": _pct(int(r.done), int(r.stops)),
                "last_scan": _iso(last),
                "age_s": int(age) if age is not None else None,
                "stalled": bool(active and age is not None and age >= STALLED_S),
                "stall_s": STALLED_S,
            }
        )
    return out


def pace_lines_per_hour(s: Session, now: datetime) -> float:
    """Lines picked over the last 30 minutes, as lines per hour (the whole floor's pace)."""
    n = s.execute(_PACE, {"since": now - PACE_WINDOW}).scalar_one()
    return float(n) * (timedelta(hours=1) / PACE_WINDOW)


def _next_cut(hhmm: str, now: datetime) -> datetime | None:
    try:
        at = time.fromisoformat(hhmm)
    except ValueError:
        return None
    cut = datetime.combine(now.date(), at, tzinfo=UTC)
    return cut if cut >= now else cut + timedelta(days=1)


def cutoffs(s: Session, now: datetime) -> dict[str, Any]:
    """Per carrier: orders not packed yet, lines left to pick, time to cutoff, can we make it.

    The cutoff is the carrier's collection time from the released waves' rules (the latest
    wave that names one), else the earliest ship-by among its unpacked orders. Carriers are
    served in cutoff order by the same pickers, so a carrier's lines are added to those of
    every earlier cutoff before they are set against the floor's pace.
    """
    named: dict[str, str] = {}
    for rules in s.execute(_RELEASED_RULES):
        named.update({k: v for k, v in ((rules[0] or {}).get("cutoffs") or {}).items() if v})
    rows = s.execute(_UNPACKED_BY_CARRIER).all()
    pace = pace_lines_per_hour(s, now)
    carriers = []
    for r in rows:
        cut = _next_cut(named[r.carrier], now) if r.carrier in named else _aware(r.ship_by)
        carriers.append(
            {
                "carrier": r.carrier or "(none)",
                "cutoff": _iso(cut),
                "orders_not_packed": int(r.orders),
                "lines_left": int(r.lines_left),
                "_cut": cut,
            }
        )
    carriers.sort(key=lambda c: (c["_cut"] is None, c["_cut"] or now, c["carrier"]))
    ahead = 0
    for c in carriers:
        cut = c.pop("_cut")
        ahead += c["lines_left"]
        left_s = (cut - now).total_seconds() if cut else None
        need_s = ahead / pace * 3600 if pace else None
        c["seconds_left"] = int(left_s) if left_s is not None else None
        c["needed_s"] = int(need_s) if need_s is not None else None
        # With no pace yet (start of shift) nothing can be judged from it: a cutoff within
        # the hour is at risk, a later one is not flagged until picking shows a pace.
        late = need_s > left_s if need_s is not None and left_s is not None else None
        if late is None:
            late = left_s is not None and left_s < NO_PACE_RISK_S
        c["at_risk"] = bool(left_s is not None and ahead > 0 and late)
    return {"pace_lines_per_hour": round(pace, 1), "carriers": carriers}


@reads
def board(s: Session, now: datetime) -> dict[str, Any]:
    """Everything the floor board shows, as of `now`."""
    return {"at": now.isoformat(), "waves": open_waves(s, now), **cutoffs(s, now)}


@reads
def throughput(s: Session, now: datetime) -> dict[str, Any]:
    """Today's lines and units per hour per picker (pick tasks) and per packer (parcels)."""
    start = datetime.combine(now.date(), time(0), tzinfo=UTC)
    hours = max(1.0, (now - start).total_seconds() / 3600)
    names = {u.id: u.name or u.username for u in s.execute(select(User)).scalars()}
    picks = s.execute(
        select(PickTask.picked_by, PickTask.picked_at, PickTask.picked).where(
            PickTask.picked_at >= start, PickTask.picked > 0
        )
    ).all()
    per_hour: dict[int, int] = defaultdict(int)
    pickers: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for who, at, units in picks:
        pickers[who][0] += 1
        pickers[who][1] += units
        per_hour[_aware(at).hour] += 1  # type: ignore[union-attr]
    parcels = s.execute(
        select(Parcel.contents, PackSession.user_id)
        .outerjoin(PackSession, PackSession.order_id == Parcel.order_id)
        .where(Parcel.created_at >= start)
    ).all()
    packers: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for contents, who in parcels:
        packers[who][0] += len(contents or {})
        packers[who][1] += sum(int(v) for v in (contents or {}).values())

    def rate(n: int) -> float:
        return round(n / hours, 1)

    return {
        "since": start.isoformat(),
        "pickers": sorted(
            (
                {
                    "user_id": who,
                    "name": names.get(who, "?"),
                    "lines": ln,
                    "units": un,
                    "lines_per_hour": rate(ln),
                    "units_per_hour": rate(un),
                }
                for who, (ln, un) in pickers.items()
            ),
            key=lambda p: -p["lines"],
        ),  # fmt: skip
        "packers": sorted(
            (
                {
                    "user_id": who,
                    "name": names.get(who, "?"),
                    "lines": ln,
                    "units": un,
                    "lines_per_hour": rate(ln),
                    "units_per_hour": rate(un),
                }
                for who, (ln, un) in packers.items()
            ),
            key=lambda p: -p["lines"],
        ),  # fmt: skip
        "lines_by_hour": [per_hour.get(h, 0) for h in range(24)],
    }

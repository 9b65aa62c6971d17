"""A short pick: a count of the place, its stops let go and re-planned from free stock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wms.domain.layout import Geometry, Point
from wms.domain.wave_rules import Free
from wms.models import Location, OrderLine
from wms.models.common import utcnow
from wms.models.picking import (
    FloorException,
)
from wms.services import availability, backorder_history, backorders, events, stock, waves
from wms.services.picking.guards import (
    LINKS,
    OL,
    OPEN_TASK,
    PB,
    PT,
    PTL,
    Picker,
    check_item,
    check_open,
    check_owner,
    check_tote,
    load_stop,
    wrong,
)
from wms.services.picking.pick import pick_into_tote
from wms.services.picking.view import BatchView, screen


def _short(
    s: Session,
    geo: Geometry,
    task_id: int,
    *,
    found: int,
    item: str | None,
    tote: str | None,
    picker: Picker,
) -> int:
    """A short pick is a count of the place: `found` units were all it held of the stop's item.

    The found units go into the tote; every open stop on that stock row (this one's rest,
    the picker's later stops there, other batches' stops) lets go of it and is re-planned:
    from free stock elsewhere as new stops in route order, else backordered. Then the
    ledger learns the count (`short_count`, the variance in its ref) and the supervisor
    gets a count task for the place.
    """
    stop = load_stop(s, task_id)
    check_owner(stop.batch_id, stop.picker_id, stop.batch_status, picker)
    check_open(task_id, stop.status, stop.batch_status)
    remaining = stop.qty - stop.picked
    if found < 0 or found >= remaining:
        raise wrong("too_many", "Too many", remaining - 1, f"short means < {remaining}")
    into = None
    if found:
        check_item(s, stop, item or "")
        into = check_tote(stop, tote)
    conn = s.connection()
    # FOR UPDATE (PostgreSQL): two shorts on one place at once must not both count it.
    believed = conn.execute(
        select(_ST.c.on_hand).where(_ST.c.id == stop.stock_id).with_for_update()
    ).scalar_one()
    if found:
        pick_into_tote(s, stop, found, into, picker)
    needs = _let_go(s, stop)
    free = waves.free_stock_sync(s, [stop.product_id]).get(stop.product_id, [])
    # The counted row holds nothing now, whatever its figures say until the count below.
    free = [r for r in free if r.stock_id != stop.stock_id]
    elsewhere = sum(r.free for r in free)
    touched: dict[int, int | None] = {stop.batch_id: stop.location_id}
    for need in needs:
        placed = _replan(s, geo, need, free)
        touched.setdefault(need.batch_id, None)
        _raise_short(s, stop, need, found, elsewhere, placed, picker)
    variance = believed - found
    stock.apply_move(
        s,
        product=stock.ProductKey(stop.product_id, stop.sku),
        qty=variance,
        reason="short_count",
        source=stock.PlaceKey(stop.location_id, stop.location_code, stop.location_kind),
        lot=stop.lot,
        user_id=picker.user_id,
        ref=f"short pick task {stop.id}: counted {found}, system {believed} (-{variance})",
        push=True,
    )
    _raise_count_task(s, stop, found, believed, picker)
    # What the count let go of (reservations of lines nothing could re-allocate) goes to
    # whoever waits first, should any of it be sellable somewhere the walk does not reach.
    availability.fill_backorders(
        s,
        stop.product_id,
        backorders.Cause(f"short count at {stop.location_code}", picker.user_id),
    )
    for batch_id, start in touched.items():
        _route_order(s, geo, batch_id, start)
    conn.execute(update(PB).where(PB.c.id == stop.batch_id).values(status="picking"))
    events.note(s, "pick", batch=stop.batch_id, short=remaining - found)
    return stop.batch_id  # type: ignore[no-any-return]


_ST = stock.ST


@dataclass(frozen=True)
class _Need:
    """Units an order line still needs after its stop lost the shelf it was planned from."""

    task_id: int
    batch_id: int
    slot: int | None
    line_id: int
    order_id: int
    sku: str
    qty: int
    shorted: bool  # the picker's own stop (else a stop re-planned because of it)


def _let_go(s: Session, stop: Any) -> list[_Need]:
    """Every open stop on the counted stock row gives its units back; returns what they needed.

    A stop keeps what was picked at it: its quantity becomes that (the picker's stop is
    `short`; another becomes `done`, or `cancelled` when nothing was picked there).
    """
    conn = s.connection()
    tasks = conn.execute(
        select(PT.c.id, PT.c.batch_id, PT.c.slot, PT.c.qty, PT.c.picked)
        .join(PB, PB.c.id == PT.c.batch_id)
        .where(
            PT.c.stock_id == stop.stock_id,
            PT.c.status.in_(OPEN_TASK),
            PT.c.qty > PT.c.picked,
            PB.c.status.not_in(("done", "cancelled")),
        )
        .order_by(PT.c.id != stop.id, PT.c.batch_id, PT.c.seq, PT.c.id)
    ).all()
    needs: list[_Need] = []
    released = 0
    for t in tasks:
        mine = t.id == stop.id
        for link in conn.execute(LINKS, {"task_id": t.id}).all():
            k = link.qty - link.picked
            if k <= 0:
                continue
            conn.execute(update(PTL).where(PTL.c.id == link.id).values(qty=link.picked))
            conn.execute(
                update(OL).where(OL.c.id == link.line_id).values(allocated=OL.c.allocated - k)
            )
            needs.append(
                _Need(t.id, t.batch_id, t.slot, link.line_id, link.order_id, stop.sku, k, mine)
            )
        rest = t.qty - t.picked
        released += rest
        values: dict[str, Any] = {"qty": t.picked}
        if mine:
            values |= {
                "status": "short",
                "shorted": PT.c.shorted + rest,
                "picked_by": stop.picker_id,
                "picked_at": utcnow(),
            }
        else:
            values["status"] = "done" if t.picked else "cancelled"
        conn.execute(update(PT).where(PT.c.id == t.id).values(**values))
    conn.execute(
        update(_ST).where(_ST.c.id == stop.stock_id).values(allocated=_ST.c.allocated - released)
    )
    return needs


def _replan(
    s: Session, geo: Geometry, need: _Need, free: list[Free]
) -> list[tuple[Free, int]]:
    """New stops for `need` from free stock (lowering `free`); what cannot be had is
    backordered: the line lets go of its reservation and waits for stock."""
    conn = s.connection()
    available = sum(r.free for r in free)
    taken = waves.choose(geo, free, min(need.qty, available)) if available else []
    for row, n in taken:
        result = conn.execute(
            PT.insert().values(
                batch_id=need.batch_id,
                seq=0,  # placed in route order by _route_order
                location_id=row.location_id,
                stock_id=row.stock_id,
                product_id=row.product_id,
                lot=row.lot,
                qty=n,
                picked=0,
                shorted=0,
                slot=need.slot,
                status="open",
            )
        )
        new_id = result.inserted_primary_key[0]  # type: ignore[index]
        waves.allocate_stock_sync(s, row.stock_id, n)
        conn.execute(PTL.insert().values(task_id=new_id, order_line_id=need.line_id, qty=n))
        conn.execute(update(OL).where(OL.c.id == need.line_id).values(allocated=OL.c.allocated + n))
    rest = need.qty - sum(n for _, n in taken)
    if rest:
        product_id = conn.execute(
            select(OL.c.product_id).where(OL.c.id == need.line_id)
        ).scalar_one()
        availability.release(s, product_id, rest)
        conn.execute(
            update(OL).where(OL.c.id == need.line_id).values(reserved=OL.c.reserved - rest)
        )
        backorder_history.note(s, [backorder_history.order_of_line(s, need.line_id)])
    return taken


def _raise_short(
    s: Session,
    stop: Any,
    need: _Need,
    found: int,
    elsewhere: int,
    placed: list[tuple[Free, int]],
    picker: Picker,
) -> None:
    """The supervisor's record of each line the count touched; open while it waits for stock."""
    moved = sum(n for _, n in placed)
    rest = need.qty - moved
    at = stop.location_code
    head = (
        f"{need.sku}: {need.qty} short at {at}"
        if need.shorted
        else f"{need.sku}: {need.qty} no longer at {at} (counted {found})"
    )
    places = ", ".join(sorted({row.code for row, _ in placed}))
    if not elsewhere:
        tail = "none sellable elsewhere; backordered"
    elif not rest:
        tail = f"{elsewhere} sellable elsewhere, re-allocated to {places}"
    elif moved:
        tail = (
            f"{elsewhere} sellable elsewhere, {moved} re-allocated to {places}, {rest} backordered"
        )
    else:
        tail = f"{elsewhere} sellable elsewhere, none free; backordered"
    s.connection().execute(
        FloorException.__table__.insert().values(
            kind="short_pick",
            status="open" if rest else "resolved",
            batch_id=need.batch_id,
            task_id=need.task_id,
            order_id=need.order_id,
            product_id=stop.product_id,
            location_id=stop.location_id,
            qty=need.qty,
            message=f"{head}; {tail}"[:300],
            user_id=picker.user_id,
            created_at=utcnow(),
            resolved_at=None if rest else utcnow(),
            resolution="" if rest else f"re-allocated to {places}"[:300],
        )
    )


def _raise_count_task(s: Session, stop: Any, found: int, believed: int, picker: Picker) -> None:
    """The place should be counted by someone who can look at all of it (one task per place)."""
    fe = FloorException.__table__
    conn = s.connection()
    already = conn.execute(
        select(fe.c.id).where(
            fe.c.kind == "count_task",
            fe.c.status == "open",
            fe.c.location_id == stop.location_id,
            fe.c.product_id == stop.product_id,
        )
    ).first()
    if already is not None:
        return
    conn.execute(
        fe.insert().values(
            kind="count_task",
            status="open",
            batch_id=stop.batch_id,
            task_id=stop.id,
            product_id=stop.product_id,
            location_id=stop.location_id,
            qty=believed - found,
            message=(
                f"Count {stop.location_code}: {stop.sku} short pick found {found}, "
                f"system said {believed}"
            )[:300],
            user_id=picker.user_id,
            created_at=utcnow(),
            resolution="",
        )
    )


def _route_order(s: Session, geo: Geometry, batch_id: int, start_location: int | None) -> None:
    """The batch's open stops in walking order again, new stops put where they cost least.

    The planned stops keep their order; each new one is inserted into the rest of the walk
    (from where the picker stands, back to the depot) at the cheapest place. Skipped stops
    stay last. Stops done already keep their numbers; the rest are numbered after them.
    """
    conn = s.connection()
    rows = conn.execute(
        select(PT.c.id, PT.c.seq, PT.c.status, Location.x, Location.y, Location.aisle)
        .join(Location, Location.id == PT.c.location_id)
        .where(PT.c.batch_id == batch_id, PT.c.status.in_(OPEN_TASK))
        .order_by(PT.c.seq, PT.c.id)
    ).all()
    if not rows:
        return

    def point(r: Any) -> Any:
        return geo.depot if r.aisle is None else Point(r.x, r.y, r.aisle - 1)

    start = geo.depot
    if start_location is None:  # another picker's batch: they stand where they last picked
        start_location = conn.execute(
            select(PT.c.location_id)
            .where(PT.c.batch_id == batch_id, PT.c.picked_at.is_not(None))
            .order_by(PT.c.picked_at.desc(), PT.c.id.desc())
            .limit(1)
        ).scalar()
    if start_location is not None:
        loc = conn.execute(
            select(Location.x, Location.y, Location.aisle).where(Location.id == start_location)
        ).one()
        start = point(loc)
    route = [r for r in rows if r.seq > 0 and r.status == "open"]
    for new in (r for r in rows if r.seq == 0):
        stops = [start] + [point(r) for r in route] + [geo.depot]
        p = point(new)
        costs = [
            geo.distance(stops[i], p)
            + geo.distance(p, stops[i + 1])
            - geo.distance(stops[i], stops[i + 1])
            for i in range(len(stops) - 1)
        ]
        route.insert(costs.index(min(costs)), new)
    last = conn.execute(select(func.max(PT.c.seq)).where(PT.c.batch_id == batch_id)).scalar()
    ordered = route + [r for r in rows if r.seq > 0 and r.status != "open"]
    for n, r in enumerate(ordered, start=(last or 0) + 1):
        conn.execute(update(PT).where(PT.c.id == r.id).values(seq=n))


def add_stops(
    s: Session, geo: Geometry, task_id: int, line_id: int, qty: int
) -> list[tuple[Free, int]]:
    """New stops in the batch of pick task `task_id` for `qty` reserved units of a line, from
    free stock (in route order); units no stock can give are let go (the line waits)."""
    query = select(PT.c.batch_id, PT.c.slot, PT.c.product_id).where(PT.c.id == task_id)
    t = s.connection().execute(query).one()
    line = s.get(OrderLine, line_id)
    assert line is not None
    free = waves.free_stock_sync(s, [t.product_id]).get(t.product_id, [])
    need = _Need(task_id, t.batch_id, t.slot, line_id, line.order_id, line.sku, qty, False)
    placed = _replan(s, geo, need, free)
    if placed:
        _route_order(s, geo, t.batch_id, None)
    return placed


# The screens these writes answer with (one @answers transaction each).
shorted: Callable[..., BatchView] = screen(_short)

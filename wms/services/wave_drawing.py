"""A batch's walk drawn on the warehouse plan (SVG), for the API and the console."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain.layout import Geometry, Layout, Point
from wms.errors import NotFound
from wms.models import Location
from wms.models.picking import PickBatch, PickTask

SVG_SCALE = 8.0  # pixels per metre


async def batch_svg(db: Database, layout: Layout, batch_id: int) -> str:
    """The warehouse from the layout, with the batch's walk from the depot and back."""
    batch, stops, drop = await db.run(_batch_places, batch_id)
    return draw(layout, batch, stops, drop)


@reads
def _batch_places(s: Session, batch_id: int) -> tuple[PickBatch, list[Location], Location | None]:
    batch = s.get(PickBatch, batch_id)
    if batch is None:
        raise NotFound("unknown_batch", "Unknown batch", f"no batch {batch_id}")
    rows = s.execute(
        select(PickTask.seq, Location)
        .join(Location, Location.id == PickTask.location_id)
        .where(PickTask.batch_id == batch_id, PickTask.status != "cancelled")
        .order_by(PickTask.seq, PickTask.id)
    ).all()
    drop = s.get(Location, batch.drop_location_id) if batch.drop_location_id else None
    return batch, [loc for _, loc in rows if loc.aisle is not None], drop


def draw(layout: Layout, batch: PickBatch, stops: list[Location], drop: Location | None) -> str:
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

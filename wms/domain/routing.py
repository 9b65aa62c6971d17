"""Pick routes from the depot through a set of stops and back: S-shape, largest gap,
combined, and optimal.

The three heuristics walk the warehouse as one block between the front and the back
cross aisle (a middle cross aisle is simply not used), so each is a real walk and its
distance is that walk's length. ``optimal`` is the Ratliff–Rosenthal programme over
the same view, which makes it exact in a one-block warehouse and never longer than any
heuristic anywhere (every heuristic walk is one of the tours it minimises over). With
several blocks it then shortens the visit order on the true aisle graph (which can use
the middle cross aisles), and solves small cases (up to ``EXACT_STOPS`` stops) exactly
by Held–Karp.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wms.domain import aisle_dp
from wms.domain.layout import Geometry, Point

POLICIES = ("s_shape", "largest_gap", "combined", "optimal")
EXACT_STOPS = 9  # Held–Karp is 2^n n^2: fine below ten stops in pure Python


@dataclass(frozen=True)
class Route:
    """Stops in visit order (each once, depot excluded) and the length of the walk."""

    policy: str
    stops: tuple[Point, ...]
    distance: float


@dataclass(frozen=True)
class _Column:
    x: float
    aisle: int | None  # None: the depot's own column on the front cross aisle
    ys: tuple[float, ...]  # picks, measured from the front cross aisle, ascending


class _View:
    """The warehouse as one block: columns of picks between front and back."""

    def __init__(self, geo: Geometry, stops: Iterable[Point]) -> None:
        self.geo = geo
        self.front = geo.cross_y[0]
        self.length = geo.cross_y[-1] - geo.cross_y[0]
        self.points: dict[tuple[int, float], Point] = {}
        per_aisle: dict[int, set[float]] = {}
        for p in stops:
            if p.aisle is None:
                raise ValueError(f"stop {p} is not in an aisle")
            y = p.y - self.front
            if not 0 <= y <= self.length:
                raise ValueError(f"stop {p} is outside its aisle")
            per_aisle.setdefault(p.aisle, set()).add(y)
            self.points.setdefault((p.aisle, y), p)
        self.picked = {a: tuple(sorted(ys)) for a, ys in sorted(per_aisle.items())}
        self.xd = geo.depot.x
        self.depot_aisle = next((i for i, x in enumerate(geo.aisle_x) if x == self.xd), None)

    def columns(self) -> list[_Column]:
        """Columns from the leftmost to the rightmost one to visit, depot included."""
        cols = []
        for i, x in enumerate(self.geo.aisle_x):
            ys = set(self.picked.get(i, ()))
            if i == self.depot_aisle:
                ys.add(0.0)
            cols.append(_Column(x, i, tuple(sorted(ys))))
        if self.depot_aisle is None:
            cols.append(_Column(self.xd, None, (0.0,)))
            cols.sort(key=lambda c: c.x)
        busy = [k for k, c in enumerate(cols) if c.ys]
        return cols[busy[0] : busy[-1] + 1]

    def point(self, aisle: int, y: float) -> Point:
        return self.points[(aisle, y)]


def route(geo: Geometry, stops: Iterable[Point], policy: str = "optimal") -> Route:
    """A route from the depot through every stop and back, by the named policy."""
    view = _View(geo, stops)
    if not view.picked:
        return Route(policy, (), 0.0)
    if policy == "s_shape":
        return _s_shape(view)
    if policy == "largest_gap":
        return _largest_gap(view)
    if policy == "combined":
        return _combined(view)
    if policy == "optimal":
        return _optimal(view)
    raise ValueError(f"unknown routing policy {policy!r}")


def tour_length(geo: Geometry, stops: Sequence[Point]) -> float:
    """Length of depot → stops in this order → depot along shortest walks."""
    walk = [geo.depot, *stops, geo.depot]
    return sum(geo.distance(a, b) for a, b in zip(walk, walk[1:], strict=False))


def _horizontal(view: _View, xl: float, xr: float) -> float:
    """Front walk from the depot to the leftmost aisle and back from the rightmost, plus
    the sweep between them once."""
    return abs(view.xd - xl) + (xr - xl) + abs(xr - view.xd)


def _s_shape(view: _View) -> Route:
    aisles = list(view.picked)
    length, geo = view.length, view.geo
    k = len(aisles)
    dist = _horizontal(view, geo.aisle_x[aisles[0]], geo.aisle_x[aisles[-1]])
    stops: list[Point] = []
    for n, a in enumerate(aisles):
        ys = view.picked[a]
        last_odd = n == k - 1 and k % 2 == 1
        if last_odd:
            dist += 2 * ys[-1]  # an odd count: the last aisle is entered and left from the front
        else:
            dist += length
        order = ys if n % 2 == 0 else ys[::-1]
        stops.extend(view.point(a, y) for y in order)
    return Route("s_shape", tuple(stops), dist)


def _largest_gap(view: _View) -> Route:
    aisles = list(view.picked)
    length, geo = view.length, view.geo
    if len(aisles) == 1:
        a = aisles[0]
        ys = view.picked[a]
        dist = 2 * abs(geo.aisle_x[a] - view.xd) + 2 * ys[-1]
        return Route("largest_gap", tuple(view.point(a, y) for y in ys), dist)
    first, last = aisles[0], aisles[-1]
    dist = _horizontal(view, geo.aisle_x[first], geo.aisle_x[last]) + 2 * length
    up = [view.point(first, y) for y in view.picked[first]]
    back_parts: list[Point] = []
    front_parts: list[list[Point]] = []
    for a in aisles[1:-1]:
        ys = view.picked[a]
        edges = (0.0, *ys, length)
        gaps = [edges[i + 1] - edges[i] for i in range(len(edges) - 1)]
        g = max(range(len(gaps)), key=lambda i: (gaps[i], -i))
        dist += 2 * (length - gaps[g])
        # picks below gap g come from the front, the others from the back
        back_parts.extend(view.point(a, y) for y in reversed(ys[g:]))
        front_parts.append([view.point(a, y) for y in ys[:g]])
    down = [view.point(last, y) for y in reversed(view.picked[last])]
    # Front parts are picked while walking the front cross aisle leftwards: those left of
    # the depot on the way out to the first aisle, the others on the way back.
    right_to_left = [part for part in reversed(front_parts) if part]
    head = [p for part in right_to_left if part[0].x < view.xd for p in part]
    tail = [p for part in right_to_left if part[0].x >= view.xd for p in part]
    return Route("largest_gap", tuple(head + up + back_parts + down + tail), dist)


def _combined(view: _View) -> Route:
    """Each aisle is either walked through or entered and left from the same end,
    choosing by a two-state programme (picker at the front or at the back)."""
    aisles = list(view.picked)
    length, geo = view.length, view.geo
    inf = float("inf")
    cost = {"F": 0.0, "B": inf}
    back: list[dict[str, tuple[str, bool]]] = []
    for a in aisles:
        ys = view.picked[a]
        nxt = {"F": inf, "B": inf}
        how: dict[str, tuple[str, bool]] = {}
        for side, base in cost.items():
            ret = 2 * ys[-1] if side == "F" else 2 * (length - ys[0])
            for through, end, extra in (
                (True, "B" if side == "F" else "F", length),
                (False, side, ret),
            ):
                if base + extra < nxt[end]:
                    nxt[end] = base + extra
                    how[end] = (side, through)
        back.append(how)
        cost = nxt
    dist = cost["F"] + _horizontal(view, geo.aisle_x[aisles[0]], geo.aisle_x[aisles[-1]])
    end = "F"
    plan: list[tuple[int, str]] = []
    for a, how in zip(reversed(aisles), reversed(back), strict=True):
        side, _through = how[end]
        plan.append((a, side))
        end = side
    stops: list[Point] = []
    for a, side in reversed(plan):
        ys = view.picked[a]
        stops.extend(view.point(a, y) for y in (ys if side == "F" else ys[::-1]))
    return Route("combined", tuple(stops), dist)


def _optimal(view: _View) -> Route:
    cols = view.columns()
    costs = [aisle_dp.column_costs(c.ys, view.length, c.aisle is None) for c in cols]
    dxs = [b.x - a.x for a, b in zip(cols, cols[1:], strict=False)]
    plan = aisle_dp.solve(costs, dxs)
    stops = _euler_order(view, cols, plan)
    geo = view.geo
    if geo.blocks == 1:
        return Route("optimal", tuple(stops), plan.cost)
    # The one-block view ignores middle cross aisles: shorten on the true graph.
    # Visiting the same stops by shortest walks is never longer than the programme's
    # walk, and the shortening below only accepts improvements.
    small = len(stops) <= EXACT_STOPS
    stops = held_karp(geo, stops) if small else improve_order(geo, stops)
    return Route("optimal", tuple(stops), tour_length(geo, stops))


def _euler_order(view: _View, cols: list[_Column], plan: aisle_dp.Plan) -> list[Point]:
    """Visit order of the picks along an Euler tour of the programme's edges."""
    adj: dict[tuple, list[tuple]] = {}

    def chain(nodes: list[tuple], copies: int) -> None:
        for _ in range(copies):
            for u, v in zip(nodes, nodes[1:], strict=False):
                adj.setdefault(u, []).append(v)
                adj.setdefault(v, []).append(u)

    for j, (col, v) in enumerate(zip(cols, plan.vertical, strict=True)):
        a, b = ("a", j), ("b", j)
        picks = [("p", j, y) for y in col.ys]
        if v in (aisle_dp.FULL1, aisle_dp.FULL2):
            chain([a, *picks, b], 1 if v == aisle_dp.FULL1 else 2)
        elif v == aisle_dp.BOTTOM:
            chain([a, *picks], 2)
        elif v == aisle_dp.TOP:
            chain([*picks, b], 2)
        elif v == aisle_dp.GAP:
            ys = col.ys
            g = max(range(len(ys) - 1), key=lambda i: (ys[i + 1] - ys[i], -i))
            chain([a, *picks[: g + 1]], 2)
            chain([*picks[g + 1 :], b], 2)
    for j, (hf, hb) in enumerate(plan.horizontal):
        chain([("a", j), ("a", j + 1)], hf)
        chain([("b", j), ("b", j + 1)], hb)
    depot_col = next(j for j, c in enumerate(cols) if c.aisle == view.depot_aisle)
    start = ("p", depot_col, 0.0)
    # Hierholzer's algorithm: the circuit is the order in which nodes are popped.
    stack: list[tuple] = [start]
    circuit: list[tuple] = []
    while stack:
        u = stack[-1]
        if adj.get(u):
            w = adj[u].pop()
            adj[w].remove(u)
            stack.append(w)
        else:
            circuit.append(stack.pop())
    seen = {start}
    order = []
    for node in circuit:
        if node[0] == "p" and node not in seen:
            seen.add(node)
            order.append(node)
    out = []
    if (view.depot_aisle, 0.0) in view.points:  # a stop right at the depot
        out.append(view.point(view.depot_aisle, 0.0))  # type: ignore[arg-type]
    for _p, j, y in order:
        aisle = cols[j].aisle
        if aisle is not None and (aisle, y) in view.points:
            out.append(view.point(aisle, y))
    return out


def held_karp(geo: Geometry, stops: Sequence[Point]) -> list[Point]:
    """Exact shortest visit order (depot to depot) for a handful of stops."""
    n = len(stops)
    if n <= 1:
        return list(stops)
    nodes = [geo.depot, *stops]
    d = [[geo.distance(p, q) for q in nodes] for p in nodes]
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for k in range(1, n + 1):
        best[(1 << (k - 1), k)] = (d[0][k], 0)
    for mask in range(1, 1 << n):
        for k in range(1, n + 1):
            if not mask >> (k - 1) & 1 or (mask, k) not in best:
                continue
            base = best[(mask, k)][0]
            for m in range(1, n + 1):
                if mask >> (m - 1) & 1:
                    continue
                key = (mask | 1 << (m - 1), m)
                c = base + d[k][m]
                if key not in best or c < best[key][0]:
                    best[key] = (c, k)
    full = (1 << n) - 1
    last = min(range(1, n + 1), key=lambda k: best[(full, k)][0] + d[k][0])
    order, mask = [], full
    while last:
        order.append(stops[last - 1])
        mask, last = mask & ~(1 << (last - 1)), best[(mask, last)][1]
    return order[::-1]


def improve_order(geo: Geometry, stops: Sequence[Point], rounds: int = 50) -> list[Point]:
    """2-opt and or-opt on the visit order until no move shortens the tour."""
    nodes = [geo.depot, *stops, geo.depot]
    n = len(nodes)
    memo: dict[tuple[int, int], float] = {}
    ids = {id(p): i for i, p in enumerate(nodes)}

    def d(p: Point, q: Point) -> float:
        key = (ids[id(p)], ids[id(q)])
        if key not in memo:
            memo[key] = geo.distance(p, q)
        return memo[key]

    for _ in range(rounds):
        better = False
        for i in range(1, n - 2):
            for k in range(i + 1, n - 1):
                delta = (
                    d(nodes[i - 1], nodes[k])
                    + d(nodes[i], nodes[k + 1])
                    - d(nodes[i - 1], nodes[i])
                    - d(nodes[k], nodes[k + 1])
                )
                if delta < -1e-9:
                    nodes[i : k + 1] = nodes[i : k + 1][::-1]
                    better = True
        for seg in (1, 2, 3):
            for i in range(1, n - seg):
                chunk = nodes[i : i + seg]
                rest = nodes[:i] + nodes[i + seg :]
                gain = (
                    d(nodes[i - 1], chunk[0])
                    + d(chunk[-1], nodes[i + seg])
                    - d(nodes[i - 1], nodes[i + seg])
                )
                for j in range(1, len(rest)):
                    add = d(rest[j - 1], chunk[0]) + d(chunk[-1], rest[j]) - d(rest[j - 1], rest[j])
                    if add < gain - 1e-9:
                        nodes = rest[:j] + chunk + rest[j:]
                        better = True
                        break
        if not better:
            break
    return nodes[1:-1]

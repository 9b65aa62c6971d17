"""Fast optimal route length of a set of orders, for the batching search.

Each order is encoded once as one integer: a bit per (column, distinct pick position)
over all orders of the problem, columns side by side. A batch is then the bitwise OR
of its orders, which is also the key of a cache of route lengths; per column the
configuration costs are cached by the column's bits. The length is that of the
Ratliff–Rosenthal programme over the front/back view of the warehouse (exact on one
block, see ``routing``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from wms.domain import aisle_dp
from wms.domain.layout import Geometry, Point

# (virtual column, distance to the previous column, aisle length) -> column shape ->
# (transfer, start vector): depends on the geometry only, so shared process-wide.
_SHAPES: dict[tuple[bool, float, float], dict[tuple[float, float, float], tuple]] = {}


class RouteCost:
    """Optimal tour length through the stops of any group of the given orders."""

    def __init__(self, geo: Geometry, orders: Sequence[Sequence[Point]]) -> None:
        front = geo.cross_y[0]
        self.length = geo.cross_y[-1] - front
        depot_aisle = next((i for i, x in enumerate(geo.aisle_x) if x == geo.depot.x), None)
        # Columns: the aisles, plus the depot's own column if it is not on an aisle.
        cols: list[tuple[float, int | None]] = [(x, i) for i, x in enumerate(geo.aisle_x)]
        if depot_aisle is None:
            cols.append((geo.depot.x, None))
            cols.sort(key=lambda c: c[0])
        self._virtual = [a is None for _x, a in cols]
        col_of = {a: j for j, (_x, a) in enumerate(cols)}
        ys: list[set[float]] = [set() for _ in cols]
        depot_col = col_of[depot_aisle]
        ys[depot_col].add(0.0)
        for stops in orders:
            for p in stops:
                if p.aisle is None:
                    raise ValueError(f"stop {p} is not in an aisle")
                ys[col_of[p.aisle]].add(p.y - front)
        self._ys = [sorted(s) for s in ys]
        self._offset = []
        off = 0
        for s in self._ys:
            self._offset.append(off)
            off += len(s)
        self._width = [len(s) for s in self._ys]
        self._x = [x for x, _a in cols]
        index = [{y: k for k, y in enumerate(s)} for s in self._ys]
        self.depot_key = 1 << (self._offset[depot_col] + index[depot_col][0.0])
        self.keys: list[int] = []
        for stops in orders:
            key = 0
            for p in stops:
                j = col_of[p.aisle]
                key |= 1 << (self._offset[j] + index[j][p.y - front])
            self.keys.append(key)
        self._mask = [(1 << w) - 1 for w in self._width]
        # distance to the previous column (unused for the first)
        self._dx = [0.0] + [b - a for a, b in zip(self._x, self._x[1:], strict=False)]
        self._empty = [
            aisle_dp.transfer(aisle_dp.column_costs([], self.length, v), dx)
            for v, dx in zip(self._virtual, self._dx, strict=True)
        ]
        self._col_cache: list[dict[int, tuple]] = [{} for _ in cols]
        # a column's cost depends on its lowest and highest pick and widest gap only
        # (shared by the columns with the same distance to the previous one, and by
        # every RouteCost of the process: a worker planning wave after wave in one
        # layout prices each shape once)
        self._shape_cache = [
            _SHAPES.setdefault((v, dx, self.length), {})
            for v, dx in zip(self._virtual, self._dx, strict=True)
        ]
        # per column, what the hot loop needs (the rest is looked up on a column miss)
        self._columns = list(
            zip(range(len(cols)), self._offset, self._mask, self._col_cache, strict=True)
        )
        self._final = operator.itemgetter(*aisle_dp.FINAL)  # FINAL has several states
        self.columns = [0] * len(self.keys)  # per order: bit j set if it picks in column j
        for n, key in enumerate(self.keys):
            self.columns[n] = sum(
                1 << j for j, off in enumerate(self._offset) if (key >> off) & self._mask[j]
            )
        self._cache: dict[int, float] = {}
        self.evaluations = 0  # route programmes run (cache misses)
        self.calls = 0  # route lengths asked for
        self.column_misses = 0  # columns whose pick pattern was new

    def key_of(self, members: Sequence[int]) -> int:
        key = self.depot_key
        keys = self.keys
        for i in members:
            key |= keys[i]
        return key

    def cost(self, key: int) -> float:
        """Route length for a batch key (``key_of``); cached."""
        self.calls += 1
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        self.evaluations += 1
        step = aisle_dp.step
        d = None
        pending = 0  # empty columns since the last pick, the last one at ``gap_end``
        gap_end = 0
        for j, off, mask, cache in self._columns:
            bits = (key >> off) & mask
            if not bits:
                if d is not None:
                    pending += 1
                    gap_end = j
                continue
            if pending:
                empty = self._empty
                for k in range(gap_end - pending + 1, gap_end + 1):
                    d = step(d, empty[k])
                pending = 0
            entry = cache.get(bits)
            if entry is None:
                entry = self._column_entry(j, bits)
            d = entry[1] if d is None else step(d, entry[0])
        value = min(self._final(d))
        self._cache[key] = value
        return value

    def _column_entry(self, j: int, bits: int) -> tuple:
        """A new pick pattern in column j: its lowest and highest pick and widest gap
        decide the column's costs."""
        self.column_misses += 1
        ys = self._ys[j]
        low = bits & -bits
        first = prev = ys[low.bit_length() - 1]
        rest = bits ^ low
        gap = -1.0  # widest gap between two picks; none with a single pick
        while rest:
            low = rest & -rest
            y = ys[low.bit_length() - 1]
            if y - prev > gap:
                gap = y - prev
            prev = y
            rest ^= low
        entry = self._shape_cache[j].get((first, prev, gap))
        if entry is None:
            entry = self._shape_entry(j, first, prev, gap)
        self._col_cache[j][bits] = entry
        return entry

    def _shape_entry(self, j: int, first: float, last: float, gap: float) -> tuple:
        """(transfer from the previous column, start vector) for a column shape."""
        costs = aisle_dp.shape_costs(first, last, gap, self.length, self._virtual[j])
        entry = (aisle_dp.transfer(costs, self._dx[j]), aisle_dp.start_vector(costs))
        self._shape_cache[j][(first, last, gap)] = entry
        return entry

    def of(self, members: Sequence[int]) -> float:
        return self.cost(self.key_of(members))

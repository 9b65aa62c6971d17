"""The batching search's state: members, loads and route costs per batch, and its moves
(seeded construction, sweep, shift and swap to a local optimum, ruin-and-recreate).

``wms.domain.batching.plan_batches`` drives it; kept apart so each file reads on its own.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence

from wms.domain.layout import Geometry, Point
from wms.domain.route_cost import RouteCost

INF = float("inf")
# Weights of ``Search.work``: CPU microseconds per operation, fitted on the W5A
# benchmark (a 2-core machine under load; the fit is within about +-40 % per instance),
# then scaled by 0.95 when the swap loop and the route cost's new-column path got
# leaner: the same plans took 9-10 % less CPU over the 64 instances, and the rest is
# margin under the 1 s clock stop (the run-to-run spread of CPU time is about 10 %).
# W_EVALUATION then went from 38 to 30 when a route programme got about a quarter
# cheaper (column misses off the hot loop, column shapes priced once per process).
W_CALL, W_EVALUATION, W_SCAN, W_ITERATION = 2.47, 30.0, 0.038, 352.0
# Construction prices the insertion of this many orders, the nearest to the batch by
# ``closeness``: pricing all of them took a fifth of the budget on 100-order waves.
CONSTRUCT_NEAR = 16
LOCAL_BATCHES = 60  # above this many batches, moves look at nearby batches only


def fits(load: Sequence[float], add: Sequence[float], cap: Sequence[float]) -> bool:
    return all(a + b <= c + 1e-9 for a, b, c in zip(load, add, cap, strict=True))


class Search:
    """Mutable batching state: members, keys, loads and costs per batch."""

    def __init__(
        self, cost: RouteCost, loads: list[tuple[float, ...]], cap: tuple, rng: random.Random
    ) -> None:
        self.rc = cost
        # Only the capacities that bind are checked (the benchmark has one: articles).
        dims = [k for k, c in enumerate(cap) if c < 1_000_000]
        self.loads = [tuple(load[k] for k in dims) for load in loads]
        self.cap = tuple(cap[k] for k in dims)
        self.rng = rng
        self.members: list[list[int]] = []
        self.bkey: list[int] = []
        self.bcost: list[float] = []
        self.bload: list[tuple[float, ...]] = []
        self.bcols: list[int] = []
        self.bwithout: list[dict[int, int]] = []  # per batch: member -> key of the others
        self.bothers: list[list[tuple[int, tuple[float, ...], int]] | None] = []  # ``others``
        self.where: dict[int, int] = {}
        self.alone = [cost.of([i]) for i in range(len(loads))]
        self.neighbours = 8  # batches tried for shifts and swaps, nearest by closeness
        self.construct_near = CONSTRUCT_NEAR
        self.stops: list[tuple[Point, ...]] = []  # for the sweep construction
        self.scans = 0  # batches looked at (by closeness) while choosing moves
        self.iterations = 0  # perturbations
        self.work_limit: float = INF  # the deterministic budget, see ``work``

    # -- bookkeeping -------------------------------------------------------------
    def add_batch(self, members: list[int]) -> int:
        b = len(self.members)
        self.members.append([])
        self.bkey.append(self.rc.depot_key)
        self.bcols.append(0)
        self.bwithout.append({})
        self.bothers.append(None)
        self.bcost.append(0.0)
        self.bload.append(tuple(0.0 for _ in self.cap))
        for i in members:
            self._put(i, b)
        self._refresh(b)
        return b

    def _put(self, i: int, b: int) -> None:
        self.members[b].append(i)
        self.where[i] = b
        self.bload[b] = tuple(x + y for x, y in zip(self.bload[b], self.loads[i], strict=True))

    def _take(self, i: int, b: int) -> None:
        self.members[b].remove(i)
        del self.where[i]
        self.bload[b] = tuple(x - y for x, y in zip(self.bload[b], self.loads[i], strict=True))

    def _refresh(self, b: int) -> None:
        self.bkey[b] = self.rc.key_of(self.members[b])
        cols = 0
        for i in self.members[b]:
            cols |= self.rc.columns[i]
        self.bcols[b] = cols
        self.bwithout[b] = {}
        self.bothers[b] = None
        self.bcost[b] = self.rc.cost(self.bkey[b]) if self.members[b] else 0.0

    def move(self, i: int, b: int) -> None:
        a = self.where[i]
        self._take(i, a)
        self._put(i, b)
        self._refresh(a)
        self._refresh(b)

    def swap(self, i: int, j: int) -> None:
        a, b = self.where[i], self.where[j]
        self._take(i, a)
        self._take(j, b)
        self._put(i, b)
        self._put(j, a)
        self._refresh(a)
        self._refresh(b)

    def fits(self, b: int, add: tuple[float, ...], minus: tuple[float, ...] | None = None) -> bool:
        load, cap = self.bload[b], self.cap
        if len(cap) == 1:  # the common case (articles or totes only), kept quick
            return load[0] + add[0] - (minus[0] if minus else 0.0) <= cap[0] + 1e-9
        if minus is None:
            return all(load[k] + add[k] <= cap[k] + 1e-9 for k in range(len(cap)))
        return all(load[k] + add[k] - minus[k] <= cap[k] + 1e-9 for k in range(len(cap)))

    def total(self) -> float:
        return sum(self.bcost)

    def work(self) -> float:
        """Effort so far in machine-independent units (about a microsecond each on the
        benchmark machine): route lengths looked up, route programmes run, batches
        scanned for moves, perturbations. Counting it instead of the clock makes a plan
        repeatable."""
        rc = self.rc
        return (
            W_CALL * rc.calls
            + W_EVALUATION * rc.evaluations
            + W_SCAN * self.scans
            + W_ITERATION * self.iterations
        )

    def snapshot(self) -> list[list[int]]:
        return [list(m) for m in self.members if m]

    def restore(self, batches: list[list[int]]) -> None:
        self.members, self.bkey, self.bcost, self.bload, self.where = [], [], [], [], {}
        self.bcols, self.bwithout, self.bothers = [], [], []
        for m in batches:
            self.add_batch(list(m))

    def compact(self) -> None:
        self.restore(self.snapshot())

    def state(self) -> list[list[int]]:
        """Every batch's members, empty ones included, for ``rollback``."""
        return [list(m) for m in self.members]

    def rollback(self, saved: list[list[int]]) -> None:
        """Back to ``state()``; only the batches that changed are rebuilt."""
        del self.members[len(saved) :]
        for attr in ("bkey", "bcost", "bload", "bcols", "bwithout", "bothers"):
            del getattr(self, attr)[len(saved) :]
        for b, m in enumerate(saved):
            if self.members[b] != m:
                for i in list(self.members[b]):
                    self._take(i, b)
        for b, m in enumerate(saved):
            if self.members[b] != m:
                self.bload[b] = tuple(0.0 for _ in self.cap)  # no drift from +/- rounding
                for i in m:
                    self._put(i, b)
                self._refresh(b)

    # -- pricing -------------------------------------------------------------------
    def key_without(self, b: int, i: int) -> int:
        cache = self.bwithout[b]
        key = cache.get(i)
        if key is None:
            key = cache[i] = self.rc.key_of([m for m in self.members[b] if m != i])
        return key

    def others(self, b: int) -> list[tuple[int, tuple[float, ...], int]]:
        """Per member j of batch b: j, its load and the key of b without it (kept until
        b changes)."""
        cached = self.bothers[b]
        if cached is None:
            cached = self.bothers[b] = [
                (j, self.loads[j], self.key_without(b, j)) for j in self.members[b]
            ]
        return cached

    def closeness(self, i: int, b: int) -> int:
        """Cheap stand-in for the insertion cost: new pick positions, new aisles weighing
        more. Only the nearest batches by it are priced exactly."""
        rc = self.rc
        return (rc.keys[i] & ~self.bkey[b]).bit_count() + 4 * (
            rc.columns[i] & ~self.bcols[b]
        ).bit_count()

    def nearest(self, i: int, batches: list[int], k: int) -> list[int]:
        return heapq.nsmallest(k, batches, key=lambda b: (self.closeness(i, b), b))

    def nearest_orders(self, b: int, orders: list[int], k: int) -> list[int]:
        """The ``k`` orders closest to batch b (in their given order)."""
        chosen = set(heapq.nsmallest(k, orders, key=lambda i: (self.closeness(i, b), i)))
        return [i for i in orders if i in chosen]

    def insertion(self, i: int, b: int) -> float:
        return self.rc.cost(self.bkey[b] | self.rc.keys[i]) - self.bcost[b]

    # -- construction --------------------------------------------------------------
    def seed_construct(self, order: list[int], window: int) -> None:
        """Grow each batch from the farthest unassigned order by cheapest insertion,
        looking at the next ``window`` unassigned orders (all of them for small waves)."""
        alone = self.alone
        left = list(order)
        while left:
            pool = left[:window]
            seed = max(pool, key=lambda i: (alone[i], -i))
            left.remove(seed)
            b = self.add_batch([seed])
            while True:
                best, best_i = INF, -1
                fitting = [i for i in left[:window] if self.fits(b, self.loads[i])]
                if len(fitting) > self.construct_near:
                    self.scans += len(fitting)
                    fitting = self.nearest_orders(b, fitting, self.construct_near)
                for i in fitting:
                    c = self.insertion(i, b)
                    if c < best:
                        best, best_i = c, i
                if best_i < 0:
                    break
                left.remove(best_i)
                self._put(best_i, b)
                self._refresh(b)

    def sweep_construct(self, order: list[int], geo: Geometry) -> None:
        """Large waves: orders sorted along the S-shaped walk through the aisles, carts
        filled in that order (no pricing, linear time); the search improves from there."""
        length = geo.cross_y[-1] - geo.cross_y[0]

        def walk_position(p: Point) -> float:
            a = p.aisle or 0
            y = p.y - geo.cross_y[0]
            return a * length + (y if a % 2 == 0 else length - y)

        pos = {
            i: sum(map(walk_position, self.stops[i])) / max(1, len(self.stops[i])) for i in order
        }
        b = -1
        for i in sorted(order, key=lambda i: (pos[i], i)):
            if b < 0 or not self.fits(b, self.loads[i]):
                b = self.add_batch([])
            self._put(i, b)
        for b in range(len(self.members)):
            self._refresh(b)

    # -- local search --------------------------------------------------------------
    def local_search(
        self, focus: set[int] | None, deadline: float, clock: Callable[[], float]
    ) -> None:
        """Shift and swap moves to a local optimum (first improvement). With ``focus``,
        only moves touching those batches are tried, then batches they changed."""
        todo = set(range(len(self.members))) if focus is None else set(focus)
        while todo:
            if self.work() >= self.work_limit or clock() > deadline:
                return
            a = min(todo)
            todo.discard(a)
            if self.members[a]:
                todo |= self._improve_batch(a)

    def _improve_batch(self, a: int) -> set[int]:
        """Try to move each order of batch a elsewhere, or to swap it; first win counts."""
        rc, eps, cost = self.rc, 1e-9, self.rc.cost
        m = len(self.members)
        # Large waves: batches were built along the walk, so neighbours by index are
        # neighbours on the floor; looking at all of them would not pay.
        span = range(m) if m <= LOCAL_BATCHES else range(max(0, a - 8), min(m, a + 9))
        live = [b for b in span if b != a and self.members[b]]
        bkey, bcols, bcost, bload, keys = self.bkey, self.bcols, self.bcost, self.bload, rc.keys
        single = len(self.cap) == 1  # one binding capacity: checks inlined (the hot loop)
        cap0 = self.cap[0] + 1e-9 if single else 0.0
        for i in list(self.members[a]):
            rest = self.key_without(a, i)
            c_rest = cost(rest)
            gain = bcost[a] - c_rest  # saved by taking i out of a
            li, ki, ci = self.loads[i], keys[i], rc.columns[i]
            self.scans += len(live)
            # sorted()[:k] is heapq.nsmallest's result, about twice as fast for a few
            # dozen batches (nsmallest loops in Python)
            near = sorted(
                [((ki & ~bkey[b]).bit_count() + 4 * (ci & ~bcols[b]).bit_count(), b) for b in live]
            )[: self.neighbours]
            for _c, b in near:
                room = bload[b][0] + li[0] <= cap0 if single else self.fits(b, li)
                if room and cost(bkey[b] | ki) - bcost[b] < gain - eps:
                    self.move(i, b)
                    return {a, b}
            # j may replace i if b + i - j and a - i + j fit: lj in [low, high]
            high = cap0 - bload[a][0] + li[0] if single else 0.0
            for _c, b in near:
                pair = bcost[a] + bcost[b]
                bound = pair - eps - c_rest  # a without i is a lower bound for a + j
                low = bload[b][0] + li[0] - cap0 if single else 0.0
                for j, lj, without_j in self.others(b):
                    if single:
                        if lj[0] < low or lj[0] > high:
                            continue
                    elif not (self.fits(b, li, lj) and self.fits(a, lj, li)):
                        continue
                    new_b = cost(without_j | ki)
                    if new_b >= bound:
                        continue
                    if cost(rest | keys[j]) + new_b < pair - eps:
                        self.swap(i, j)
                        return {a, b}
        return set()

    # -- perturbation --------------------------------------------------------------
    def ruin_recreate(self, k: int) -> set[int]:
        """Take ``k`` orders out of a batch and its nearest neighbour (as seen from a
        random member) and put them back where they cost least, with some noise."""
        rng = self.rng
        live = [b for b, m in enumerate(self.members) if m]
        a = rng.choice(live)
        near = self.nearest(rng.choice(self.members[a]), [b for b in live if b != a], 1)
        pool = list(self.members[a]) + [i for b in near for i in self.members[b]]
        rng.shuffle(pool)
        out = pool[:k]
        touched = set()
        for i in out:
            b = self.where[i]
            self._take(i, b)
            touched.add(b)
        for b in touched:
            self._refresh(b)
        for i in out:
            best, best_b = INF, -1
            li = self.loads[i]
            if len(self.cap) == 1:
                room = self.cap[0] + 1e-9 - li[0]
                open_ = [b for b, m in enumerate(self.members) if m and self.bload[b][0] <= room]
            else:
                open_ = [b for b, m in enumerate(self.members) if m and self.fits(b, li)]
            self.scans += len(self.members)
            ki, ci, bkey, bcols = self.rc.keys[i], self.rc.columns[i], self.bkey, self.bcols
            near = heapq.nsmallest(
                self.neighbours,
                (
                    ((ki & ~bkey[b]).bit_count() + 4 * (ci & ~bcols[b]).bit_count(), b)
                    for b in open_
                ),
            )
            for _c, b in near:
                c = self.insertion(i, b) * (1 + 0.2 * rng.random())
                if c < best:
                    best, best_b = c, b
            if best_b < 0:
                best_b = self.add_batch([i])
            else:
                self._put(i, best_b)
                self._refresh(best_b)
            touched.add(best_b)
        return touched
